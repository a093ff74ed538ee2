import type { Platform } from './platform.ts';
import { RingBuffer } from './ring-buffer.ts';
import { CircuitBreaker, backoffDelay, type RetryPolicy } from './retry.ts';
import { OfflineQueues } from './offline-queue.ts';
import type { ScopedStorage } from './scoped-storage.ts';
import { beaconUrl, postJson, type Destination, type SendOutcome } from './transport.ts';
import { Limits, routes, utf8Length, type Item, type Signal } from './wire.ts';

export interface DeliveryOptions {
  /** Items kept per signal before the oldest are evicted. */
  bufferSize: number;
  /** A signal holding this many items is flushed without waiting for the interval. */
  flushThreshold: number;
  flushIntervalMs: number;
  retry: RetryPolicy;
  /** Characters of each signal's queue kept in storage per tab or process; the oldest items go first. */
  persistedChars: number;
  /** Page-hide delivery by `sendBeacon` where `fetch` has no keepalive (the server must take the key from the query). */
  beacon: boolean;
}

/** What the SDK did, for `client.stats()`: it never throws, so this is where its failures show. */
export interface DeliveryStats {
  /** Items the server accepted. */
  sent: number;
  /** Items the server refused (each named in `lastError`), or too large to send at all. */
  rejected: number;
  /** Items evicted from a full buffer, too old to be accepted, or dropped when consent was denied. */
  dropped: number;
  /** Requests that failed and will be retried (network, timeouts, 429, 5xx). */
  failedRequests: number;
  lastError?: string;
}

/** Page-hide delivery: keepalive requests share a 64 KB in-flight budget in browsers. */
const keepaliveBudgetBytes = 60_000;
/** Persisting on every call would cost the host a storage write per event; once a second at most. */
const persistDelayMs = 1_000;
const signals: readonly Signal[] = ['log', 'track', 'metric'];

/**
 * The queues of the three signals and their way to Strix: bounded buffers, a flush on an interval
 * or a threshold, one request in flight at a time, retries with backoff and `Retry-After`, a circuit
 * breaker, page-hide delivery and the offline copy in storage. Sending waits while `mayDeliver`
 * says no (consent pending): items are then held in memory only.
 */
export class Delivery {
  readonly stats: DeliveryStats = { sent: 0, rejected: 0, dropped: 0, failedRequests: 0 };
  private readonly buffers = {} as Record<Signal, RingBuffer<Item>>;
  /** Batches being sent: still the device's until the server answers (persisted with the queues). */
  private readonly inFlight: Record<Signal, Set<Item[]>> = { log: new Set(), track: new Set(), metric: new Set() };
  private readonly breaker: CircuitBreaker;
  private attempt = 0;
  private notBefore = 0;
  private running: Promise<void> | undefined;
  private rerun = false;
  private retryTimer: unknown;
  private flushSoonTimer: unknown;
  private persistTimer: unknown;
  private intervalTimer: unknown;
  private stopped = false;
  private readonly offline: OfflineQueues;

  constructor(
    private readonly platform: Platform,
    private readonly to: Destination,
    private readonly storage: ScopedStorage,
    private readonly options: DeliveryOptions,
    private readonly mayDeliver: () => boolean,
    instanceId: string,
  ) {
    this.offline = new OfflineQueues(storage, instanceId, options.persistedChars);
    for (const signal of signals) this.buffers[signal] = new RingBuffer<Item>(options.bufferSize);
    this.breaker = new CircuitBreaker(options.retry);
    this.scheduleInterval();
  }

  enqueue(signal: Signal, item: Item): void {
    const buffer = this.buffers[signal];
    this.stats.dropped += buffer.push(item);
    if (buffer.size >= this.options.flushThreshold) this.flushSoon(0);
    this.persistSoon();
  }

  /** A flush in `ms`, unless one is already due sooner. */
  flushSoon(ms: number): void {
    if (this.flushSoonTimer !== undefined || this.stopped) return;
    this.flushSoonTimer = this.platform.setTimer(() => {
      this.flushSoonTimer = undefined;
      void this.flush();
    }, ms);
  }

  /** Sends what may be sent now; resolves when done or when sending must wait. Never rejects. */
  flush(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        await this.drain();
      } while (this.rerun && this.canSend());
      // A flush asked for during this one (a retry timer) that came too early to send: wake again when due.
      if (this.rerun) this.retryWhenDue();
    })()
      .catch((error: unknown) => {
        this.stats.lastError = `delivery: ${(error as Error)?.message ?? String(error)}`;
      })
      .finally(() => {
        this.running = undefined;
        this.persistNow();
      });
    return this.running;
  }

  private canSend(): boolean {
    const now = Date.now();
    return !this.stopped && this.mayDeliver() && this.platform.isOnline() && now >= this.notBefore && this.breaker.state(now) !== 'open';
  }

  private async drain(): Promise<void> {
    for (const signal of signals) {
      while (this.buffers[signal].size > 0) {
        if (!this.canSend() || !this.breaker.allows(Date.now())) return this.retryWhenDue();
        const batch = this.takeBatch(signal);
        if (batch.items.length === 0) continue;
        this.inFlight[signal].add(batch.items);
        const outcome = await postJson(this.platform, this.to, routes[signal].path, batch.body);
        this.inFlight[signal].delete(batch.items);
        if (!this.settle(signal, batch.items, outcome)) return;
      }
    }
  }

  /** Acts on an answer; false when sending must stop for now (the batch is back in its buffer). */
  private settle(signal: Signal, items: Item[], outcome: SendOutcome): boolean {
    // Any answer but a failure of the server (a 429 says it is well, and this device too eager) closes the breaker.
    if (outcome.kind === 'retry' && outcome.status !== 429) this.breaker.failure(Date.now());
    else this.breaker.success();
    switch (outcome.kind) {
      case 'sent':
        this.attempt = 0;
        this.maxItems[signal] = Limits.maxItemsPerBatch;
        this.stats.sent += outcome.accepted;
        this.stats.rejected += outcome.rejected;
        if (outcome.errors.length > 0) this.stats.lastError = `${routes[signal].path}: ${outcome.errors[0]}`;
        return true;
      case 'refused':
        this.stats.rejected += items.length;
        this.stats.lastError = `${routes[signal].path}: HTTP ${outcome.status} ${outcome.message}`;
        return true;
      case 'too_large':
        if (items.length === 1) {
          this.stats.rejected++;
          this.stats.lastError = `${routes[signal].path}: an item is larger than the server accepts`;
          return true;
        }
        // Split: the first half goes alone on the next round.
        this.stats.dropped += this.buffers[signal].unshift(items);
        this.maxItems[signal] = Math.max(1, Math.floor(items.length / 2));
        return true;
      case 'retry': {
        this.stats.failedRequests++;
        this.stats.lastError = `${routes[signal].path}: ${outcome.reason}`;
        this.stats.dropped += this.buffers[signal].unshift(items);
        const now = Date.now();
        this.attempt++;
        const delay = Math.max(outcome.retryAfterMs === undefined ? 0 : Math.min(outcome.retryAfterMs, this.options.retry.maxRetryAfterMs), backoffDelay(this.attempt, this.options.retry, Math.random));
        this.notBefore = now + delay;
        // A millisecond past the wait: timers may fire that much early.
        this.scheduleRetry(Math.max(delay, this.breaker.waitMs(now)) + 1);
        return false;
      }
      default: {
        const unreachable: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Batch size per signal, halved after a 413 until a batch goes through. */
  private readonly maxItems: Record<Signal, number> = { log: Limits.maxItemsPerBatch, track: Limits.maxItemsPerBatch, metric: Limits.maxItemsPerBatch };

  /** The oldest items of a signal that fit one request (≤ 100 items, ≤ `maxBytes`), as a JSON body. */
  private takeBatch(signal: Signal, maxBytes: number = Limits.maxBodyBytes): { items: Item[]; body: string } {
    const buffer = this.buffers[signal];
    const oldest = Date.now() - Limits.maxPastAgeMs + 60 * 60_000;
    const items: Item[] = [];
    const parts: string[] = [];
    let bytes = 20;
    while (buffer.size > 0 && items.length < this.maxItems[signal]) {
      const [item] = buffer.shift(1) as [Item];
      // The server refuses events older than 30 days (an offline queue can hold some): they go here.
      if (item.timestamp < oldest) {
        this.stats.dropped++;
        continue;
      }
      const json = JSON.stringify(item);
      const size = utf8Length(json) + 1;
      // Larger than any request may be: it can never go. Larger than this request's budget (page hide): it waits.
      if (size + 20 > Limits.maxBodyBytes) {
        this.stats.rejected++;
        this.stats.lastError = `${routes[signal].path}: an item of ${size} bytes is larger than a request may be`;
        continue;
      }
      if (bytes + size > maxBytes) {
        buffer.unshift([item]);
        break;
      }
      items.push(item);
      parts.push(json);
      bytes += size;
    }
    return { items, body: `{"${routes[signal].field}":[${parts.join(',')}]}` };
  }

  /**
   * Waiting for a backoff or the breaker: makes sure a retry is due when the wait ends. Timers may
   * fire a millisecond before `Date.now()` reaches their time, and a flush then would find itself
   * too early with nothing left to wake it.
   */
  private retryWhenDue(): void {
    const now = Date.now();
    const wait = Math.max(this.notBefore - now, this.breaker.waitMs(now));
    if (wait > 0 && this.retryTimer === undefined && !this.stopped) this.scheduleRetry(wait + 1);
  }

  private scheduleRetry(ms: number): void {
    if (this.retryTimer !== undefined) this.platform.clearTimer(this.retryTimer);
    this.retryTimer = this.platform.setTimer(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, ms);
  }

  private scheduleInterval(): void {
    this.intervalTimer = this.platform.setTimer(() => {
      if (this.stopped) return;
      void this.flush();
      this.scheduleInterval();
    }, this.options.flushIntervalMs);
  }

  /** The network is back: the backoff no longer applies (the breaker still does). */
  online(): void {
    this.notBefore = 0;
    this.attempt = 0;
    void this.flush();
  }

  /**
   * The page is being hidden and may never come back: the queues go to storage first (a reload
   * sends them), then as much as the keepalive budget allows leaves now. Items sent this way stay
   * in storage until answered; sent twice, the server keeps one (they share a `client_event_id`).
   */
  deliverOnHide(): void {
    this.persistNow();
    if (!this.mayDeliver() || !this.platform.isOnline() || this.breaker.state(Date.now()) === 'open') return;
    let budget = keepaliveBudgetBytes;
    for (const signal of signals) {
      while (this.buffers[signal].size > 0 && budget > 1000) {
        const batch = this.takeBatch(signal, budget);
        if (batch.items.length === 0) break;
        budget -= utf8Length(batch.body);
        const path = routes[signal].path;
        if (this.platform.keepalive) {
          this.inFlight[signal].add(batch.items);
          void postJson(this.platform, this.to, path, batch.body, { keepalive: true }).then((outcome) => {
            this.inFlight[signal].delete(batch.items);
            if (outcome.kind === 'retry' || outcome.kind === 'too_large') this.stats.dropped += this.buffers[signal].unshift(batch.items);
            else if (outcome.kind === 'sent') this.stats.sent += outcome.accepted;
            this.persistSoon();
          });
        } else if (!this.options.beacon || !this.platform.beacon?.(beaconUrl(this.to, path), batch.body)) {
          this.buffers[signal].unshift(batch.items);
          return;
        }
      }
    }
  }

  /** Takes over the queues previous pages or processes left in storage. */
  restore(): void {
    for (const signal of signals) {
      const saved = this.offline.takeOver(signal);
      if (saved.length > 0) this.stats.dropped += this.buffers[signal].unshift(saved);
    }
  }

  persistSoon(): void {
    if (this.persistTimer !== undefined || !this.mayDeliver()) return;
    this.persistTimer = this.platform.setTimer(() => {
      this.persistTimer = undefined;
      this.persistNow();
    }, persistDelayMs);
  }

  /** Writes each signal's queue, in-flight items included. Never before consent. */
  persistNow(): void {
    if (!this.mayDeliver() || !this.storage.available) return;
    for (const signal of signals) this.offline.write(signal, [...[...this.inFlight[signal]].flat(), ...this.buffers[signal].toArray()]);
  }

  /** Everything queued goes, in memory and in storage (consent denied). */
  clear(): void {
    for (const signal of signals) {
      this.stats.dropped += this.buffers[signal].size;
      this.buffers[signal].clear();
      this.offline.clear(signal);
    }
  }

  /** Items waiting per signal (in flight included). */
  pending(): Record<Signal, number> {
    const out = {} as Record<Signal, number>;
    for (const signal of signals) out[signal] = this.buffers[signal].size + [...this.inFlight[signal]].reduce((n, b) => n + b.length, 0);
    return out;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [this.retryTimer, this.flushSoonTimer, this.persistTimer, this.intervalTimer]) {
      if (timer !== undefined) this.platform.clearTimer(timer);
    }
    this.persistNow();
  }
}
