import type { ScopedStorage } from './scoped-storage.ts';
import type { Item, Signal } from './wire.ts';

/**
 * The undelivered items in storage, so a reload, a crash or a restart does not lose them. Each tab
 * (or process) writes its own key per signal, `queue.<signal>.<instance>`, so tabs open together
 * never overwrite each other's queues; a new instance takes over the queues it finds. Taking over
 * a queue whose tab is still open only sends its items twice, and the server keeps one of each
 * (they share a `client_event_id`). The keys taken over are removed only once this instance's own
 * copy is written, and never before consent.
 */
export class OfflineQueues {
  private readonly claimed = new Set<string>();

  constructor(
    private readonly storage: ScopedStorage,
    private readonly instanceId: string,
    /** Characters kept per signal and instance; the oldest items go first. */
    private readonly maxChars: number,
  ) {}

  /** Without listing, one shared key per signal (a custom storage that cannot list its keys). */
  private ownKey(signal: Signal): string {
    return this.storage.listable ? `queue.${signal}.${this.instanceId}` : `queue.${signal}`;
  }

  /** The items other instances left for `signal`, oldest first. */
  takeOver(signal: Signal): Item[] {
    const keys = this.storage.listable ? this.storage.keys(`queue.${signal}.`) : [`queue.${signal}`];
    const items: Item[] = [];
    for (const key of keys) {
      if (key === this.ownKey(signal) && this.storage.listable) continue;
      const saved = this.storage.getJson<Item[]>(key);
      if (Array.isArray(saved)) items.push(...saved.filter((i) => i && typeof i === 'object' && typeof i.timestamp === 'number'));
      this.claimed.add(key);
    }
    return items.sort((a, b) => a.timestamp - b.timestamp);
  }

  /** Writes this instance's queue of `signal` (the newest items within the budget), then releases what it took over. */
  write(signal: Signal, items: readonly Item[]): void {
    const own = this.ownKey(signal);
    if (items.length === 0) this.storage.remove(own);
    else {
      const parts = items.map((i) => JSON.stringify(i));
      let chars = 2;
      let first = parts.length;
      while (first > 0 && chars + parts[first - 1]!.length + 1 <= this.maxChars) chars += parts[--first]!.length + 1;
      this.storage.set(own, `[${parts.slice(first).join(',')}]`);
    }
    for (const key of this.claimed) {
      if (key.startsWith(`queue.${signal}`) && key !== own) {
        this.storage.remove(key);
        this.claimed.delete(key);
      }
    }
  }

  /** Every queue of this client key goes (consent denied): this instance's, and those of others. */
  clear(signal: Signal): void {
    for (const key of [this.ownKey(signal), `queue.${signal}`, ...this.storage.keys(`queue.${signal}.`)]) this.storage.remove(key);
    this.claimed.clear();
  }
}
