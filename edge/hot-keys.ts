export interface HotKeyOptions {
  /** Appends one key may make to `events` per second before the rest go to the overflow topic. */
  readonly recordsPerSecond: number;
  readonly now?: () => number;
  /** Called with the number of records redirected, for metrics. */
  readonly onRedirect?: (records: number) => void;
}

/**
 * Which keys are hot: a key (a project's busiest user, a misbehaving device) past its appends
 * per second has the rest of that second's events sent to the overflow topic under spread keys,
 * so it cannot pin one partition while the others idle. Overflowed events lose their order
 * relative to the key's other events, which is the trade: they are still processed exactly once
 * by the overflow pipeline. Counts are per whole second and forgotten each second, so the memory
 * held is bounded by the keys seen in one second.
 */
export class HotKeys {
  private window = 0;
  private counts = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: HotKeyOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts one append of `key` and answers whether it is past its limit this second (then it is redirected). */
  hot(key: string): boolean {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.window) {
      this.window = second;
      this.counts = new Map();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= this.options.recordsPerSecond) return false;
    this.options.onRedirect?.(1);
    return true;
  }
}
