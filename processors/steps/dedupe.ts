import type { LogEvent } from '@strix/contracts';
import { drop, DropReasons, ok, type EventStep } from './step.ts';

const HOUR_MS = 60 * 60 * 1000;

export interface EventDeduperOptions {
  /** How long a key is remembered; SDK retries and log redeliveries fall well inside 48 h. */
  readonly windowMs?: number;
  /** Hard cap on remembered keys, so a burst cannot exhaust memory. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export interface EventDeduperStats {
  readonly keys: number;
  readonly buckets: number;
  /** Keys forgotten early because of `maxKeys` (not counting normal expiry). */
  readonly evictedKeys: number;
}

/** The keys first recorded in one hour, in order; `head` skips the ones evicted by the cap. */
interface HourBucket {
  keys: string[];
  head: number;
  /** Keys whose latest sighting is this hour (entries of moved keys stay behind, stale). */
  live: number;
}

/**
 * Exact duplicate detection for (project, app, event id) over a sliding window.
 *
 * One Map answers "seen?" in O(1) and records the hour of each key's latest sighting;
 * per-hour buckets list the keys so that expiry walks only the hours that fell out of
 * the window. A key is remembered for at least `windowMs` and at most `windowMs` + 1 h
 * after it was last seen.
 *
 * Past the `maxKeys` cap the oldest hours are forgotten first: a duplicate of a day-old
 * event is far less likely than one of a minute-old event. If a single hour alone is over
 * the cap, its earliest keys go, in batches of 1 % so eviction stays cheap per key.
 *
 * The processor seeds this at start-up with recent event ids from the warehouse, hence
 * `add` accepts past timestamps and ignores those already outside the window.
 */
export class EventDeduper {
  readonly windowMs: number;
  readonly maxKeys: number;
  private readonly now: () => number;
  /** Key → hour number (epoch ms / 1 h, floored) of its latest sighting. */
  private readonly hourOfKey = new Map<string, number>();
  private readonly buckets = new Map<number, HourBucket>();
  private oldestHour = Number.POSITIVE_INFINITY;
  private evictedKeys = 0;

  constructor(options: EventDeduperOptions = {}) {
    this.windowMs = options.windowMs ?? 48 * HOUR_MS;
    this.maxKeys = options.maxKeys ?? 2_000_000;
    this.now = options.now ?? Date.now;
    // Misconfiguration is a programming error, not an expected outcome: fail at start-up.
    if (!(this.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${this.windowMs}`);
    if (!(this.maxKeys >= 1)) throw new RangeError(`maxKeys must be at least 1, got ${this.maxKeys}`);
  }

  /**
   * Compact and unambiguous: project and app ids are server-minted and never contain
   * NUL, and the client-chosen event id comes last, so no two triples share a key.
   * `join` also yields a flat string, which costs less memory than `a + b + c`.
   */
  static keyOf(projectId: string, appId: string, eventId: string): string {
    return [projectId, appId, eventId].join('\u0000');
  }

  /** Whether the key was seen inside the window; does not record it. */
  seen(key: string): boolean {
    this.expire(this.now());
    return this.hourOfKey.has(key);
  }

  /** Records the key as seen at `atMs` (e.g. the batch's `received_at`). */
  add(key: string, atMs: number): void {
    this.record(key, atMs);
  }

  /** Records the key and returns true if it had already been seen inside the window. */
  checkAndAdd(key: string, atMs: number): boolean {
    return this.record(key, atMs);
  }

  stats(): EventDeduperStats {
    this.expire(this.now());
    return { keys: this.hourOfKey.size, buckets: this.buckets.size, evictedKeys: this.evictedKeys };
  }

  private record(key: string, atMs: number): boolean {
    const now = this.now();
    this.expire(now);
    const previousHour = this.hourOfKey.get(key);
    if (atMs <= now - this.windowMs) return previousHour !== undefined;
    // A timestamp ahead of our clock would keep its key beyond the window; treat it as now.
    const hour = Math.floor(Math.min(atMs, now) / HOUR_MS);
    if (previousHour === undefined) {
      this.place(key, hour);
      this.enforceCap();
      return false;
    }
    // Seen again: move it to the newer hour so it is remembered from its last sighting.
    if (previousHour < hour) {
      this.place(key, hour);
      const previous = this.buckets.get(previousHour);
      if (previous && --previous.live === 0) this.dropBucket(previousHour);
    }
    return true;
  }

  private place(key: string, hour: number): void {
    let bucket = this.buckets.get(hour);
    if (!bucket) {
      bucket = { keys: [], head: 0, live: 0 };
      this.buckets.set(hour, bucket);
      this.oldestHour = Math.min(this.oldestHour, hour);
    }
    bucket.keys.push(key);
    bucket.live += 1;
    this.hourOfKey.set(key, hour);
  }

  /** Forgets the bucket's live keys and returns how many there were. */
  private dropBucket(hour: number): number {
    const bucket = this.buckets.get(hour);
    let removed = 0;
    if (bucket) {
      for (let i = bucket.head; i < bucket.keys.length; i += 1) {
        if (this.forget(bucket.keys[i], hour)) removed += 1;
      }
      this.buckets.delete(hour);
    }
    if (hour === this.oldestHour) {
      this.oldestHour = Number.POSITIVE_INFINITY;
      for (const h of this.buckets.keys()) this.oldestHour = Math.min(this.oldestHour, h);
    }
    return removed;
  }

  /** Deletes the key if its latest sighting is `hour`; stale entries are skipped. */
  private forget(key: string | undefined, hour: number): boolean {
    if (key === undefined || this.hourOfKey.get(key) !== hour) return false;
    this.hourOfKey.delete(key);
    return true;
  }

  /** Drops every bucket whose whole hour is older than the window. */
  private expire(now: number): void {
    const firstLiveHour = Math.floor((now - this.windowMs) / HOUR_MS);
    while (this.oldestHour < firstLiveHour) this.dropBucket(this.oldestHour);
  }

  private enforceCap(): void {
    while (this.hourOfKey.size > this.maxKeys && this.buckets.size > 1) {
      this.evictedKeys += this.dropBucket(this.oldestHour);
    }
    const bucket = this.buckets.get(this.oldestHour);
    if (this.hourOfKey.size <= this.maxKeys || !bucket) return;
    const target = this.maxKeys - Math.floor(this.maxKeys / 100);
    while (this.hourOfKey.size > target && bucket.head < bucket.keys.length) {
      if (this.forget(bucket.keys[bucket.head], this.oldestHour)) {
        bucket.live -= 1;
        this.evictedKeys += 1;
      }
      bucket.head += 1;
    }
    // Compact once the evicted prefix is most of the list, so each key is copied O(1) times.
    if (bucket.head * 2 > bucket.keys.length) {
      bucket.keys = bucket.keys.slice(bucket.head);
      bucket.head = 0;
    }
  }
}

/** Shared by every duplicate: a drop carries nothing of its event. */
const duplicate = drop(DropReasons.duplicate);

/**
 * Drops an event whose (project, app, event id) the deduper has seen, or that came
 * earlier in the same batch or in the batch still being stored (`storing`). The keys
 * of the events let through are only noted in the batch's outcomes: the deduper
 * learns them when the batch is committed, so a batch redone after a failure is
 * re-formed with the same events.
 */
export function createDedupeStep({ deduper, storing }: { deduper: EventDeduper; storing?: () => ReadonlyMap<string, number> | undefined }): EventStep<LogEvent, LogEvent> {
  return (event, { batch, outcomes }) => {
    const key = EventDeduper.keyOf(batch.project_id, batch.app_id, event.event_id);
    const { newEvents } = outcomes;
    if (newEvents.has(key) || deduper.seen(key) || storing?.()?.has(key)) return duplicate;
    newEvents.set(key, batch.received_at);
    return ok(event);
  };
}
