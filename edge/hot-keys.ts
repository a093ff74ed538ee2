import { randomUUID } from 'node:crypto';
import { Topics, type Log, type LogConsumer, type LogRecord, type Topic } from '@strix/contracts';

export interface HotKeyOptions {
  /** Records one key may append to `events` per second before the rest go to the overflow topic. */
  readonly recordsPerSecond: number;
  readonly now?: () => number;
  /** Called with the number of records redirected, for metrics. */
  readonly onRedirect?: (records: number) => void;
}

/**
 * A Log that sends a key's records beyond its per-second limit to the overflow
 * topic under a random key, so one hot key (a project's busiest user, a
 * misbehaving device) cannot pin one partition while the others idle.
 * Overflowed records lose their order relative to the key's other records,
 * which is the trade: they are still processed exactly once by the overflow
 * pipeline. Counts are per whole second and forgotten each second, so the
 * memory held is bounded by the keys seen in one second.
 */
export class HotKeyRouter implements Log {
  private window = 0;
  private counts = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly inner: Log,
    private readonly options: HotKeyOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  append(topic: Topic, records: readonly LogRecord[]): Promise<void> {
    if (topic !== Topics.events) return this.inner.append(topic, records);
    const second = Math.floor(this.now() / 1000);
    if (second !== this.window) {
      this.window = second;
      this.counts = new Map();
    }
    const normal: LogRecord[] = [];
    const hot: LogRecord[] = [];
    for (const record of records) {
      const count = (this.counts.get(record.key) ?? 0) + 1;
      this.counts.set(record.key, count);
      if (count > this.options.recordsPerSecond) hot.push({ key: `${record.key}#${randomUUID()}`, value: record.value });
      else normal.push(record);
    }
    if (hot.length === 0) return this.inner.append(topic, records);
    this.options.onRedirect?.(hot.length);
    const appends = [this.inner.append(Topics.overflow, hot)];
    if (normal.length > 0) appends.push(this.inner.append(topic, normal));
    return Promise.all(appends).then(() => undefined);
  }

  consumer(topic: Topic, group: string): Promise<LogConsumer> {
    return this.inner.consumer(topic, group);
  }

  pendingBytes(): number {
    return this.inner.pendingBytes();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
