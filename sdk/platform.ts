/**
 * What the SDK needs from where it runs. The client is the same in browsers and Node; `index.ts`
 * (Node) and `browser.ts` each give it one of these.
 */

/** The subset of the Web Storage API the SDK uses (`localStorage` fits; so does `fileStorage`). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  /**
   * Listing, as Web Storage has it: with it each tab or process keeps its own queue and a new one
   * takes over the queues others left; without it they share one (the last writer wins).
   */
  readonly length?: number;
  key?(index: number): string | null;
}

/** Device facts the SDK attaches on its own: only these (see README.md, "What the SDK never collects"). */
export interface DeviceContext {
  locale?: string;
  os_version?: string;
  device_model?: string;
}

export interface Platform {
  fetch: typeof fetch;
  /** Gzip a request body; absent where no compressor exists (the body then goes as is). */
  gzip?: (body: string) => Promise<Uint8Array>;
  /** Where the queue, device id, session, user and experiments survive a restart; absent: memory only. */
  storage?: KeyValueStorage;
  randomBytes(length: number): Uint8Array;
  /** A monotonic clock in milliseconds, for durations (wall-clock changes must not make them negative). */
  monotonicMs(): number;
  /** A timer that never keeps a Node process alive. */
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** False only when the runtime knows it is offline (browsers); sending then waits for `onOnline`. */
  isOnline(): boolean;
  context: DeviceContext;
  /**
   * Lifecycle hooks, each returning its removal: the page is being hidden or left (deliver now, the
   * page may not come back); the network came back; the process is about to exit.
   */
  onHide?: (listener: () => void) => () => void;
  onOnline?: (listener: () => void) => () => void;
  onExit?: (listener: () => void) => () => void;
  /** `navigator.sendBeacon`, for page-hide delivery where `fetch` has no `keepalive`. */
  beacon?: (url: string, body: string) => boolean;
  /** Whether `fetch` supports `keepalive` (requests that outlive the page). */
  keepalive?: boolean;
}
