/**
 * A bounded FIFO: when full, the oldest item is evicted to make room, so a host that produces
 * faster than Strix can take never grows the SDK's memory. Push and shift are O(1).
 */
export class RingBuffer<T> {
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends an item; returns how many were evicted to make room (0 or 1). */
  push(item: T): number {
    const tail = (this.head + this.count) % this.capacity;
    this.slots[tail] = item;
    if (this.count < this.capacity) {
      this.count++;
      return 0;
    }
    this.head = (this.head + 1) % this.capacity;
    return 1;
  }

  /** Removes and returns up to `n` of the oldest items. */
  shift(n: number): T[] {
    const taken: T[] = [];
    while (taken.length < n && this.count > 0) {
      taken.push(this.slots[this.head] as T);
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    return taken;
  }

  /**
   * Puts items back in front (a batch that could not be sent, or items restored from storage),
   * oldest first. What does not fit goes, oldest first: the buffer keeps the newest items.
   * Returns how many of all the items were evicted.
   */
  unshift(items: readonly T[]): number {
    const kept = this.toArray();
    const all = items.concat(kept);
    const evicted = Math.max(0, all.length - this.capacity);
    this.clear();
    for (let i = evicted; i < all.length; i++) this.push(all[i] as T);
    return evicted;
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.slots[(this.head + i) % this.capacity] as T);
    return out;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
