import type { LogEvent } from '@strix/contracts';
import { BatchKeys, fingerprint, homeOf, probe } from './dedupe-keys.ts';
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
  /** Keys remembered (a key recorded out of time order may count until it is forgotten). */
  readonly keys: number;
  /** Keys forgotten early because of `maxKeys` (not counting normal expiry). */
  readonly evictedKeys: number;
}

/** The hour of an entry superseded by a later sighting of its key (real hours since 1970 are far above it). */
const superseded = 0;
const firstRingCapacity = 1024;

/**
 * Exact duplicate detection for (project, app, event id) over a sliding window,
 * in about 30 bytes per key and no object per key.
 *
 * A key is stored as its tenant (project and app, interned to a number and
 * compared exactly, so one project's events can never be taken for another's)
 * and a 96-bit fingerprint of its event id, keyed by seeds drawn at start-up.
 * Two different event ids of one app collide with a chance of about n²/2⁹⁷
 * (1e-17 at 2M keys), and nobody can aim for a collision without the seeds.
 *
 * Entries live in a ring in the order they were recorded, each with the hour
 * of its key's latest sighting; an open-addressing index (linear probing)
 * finds a key's entry. A key seen again gets a new entry at the tail and its
 * old one is marked superseded. Expiry and the `maxKeys` cap both take entries
 * from the head: a key is remembered for at least `windowMs` and, when keys
 * arrive in time order, at most `windowMs` + 1 h after it was last seen; past
 * the cap the earliest recorded keys are forgotten first, in batches of 1 %
 * so eviction stays cheap per key.
 *
 * The processor seeds this at start-up with recent event ids from the warehouse, hence
 * `add` accepts past timestamps and ignores those already outside the window.
 */
export class EventDeduper {
  readonly windowMs: number;
  readonly maxKeys: number;
  private readonly now: () => number;
  private readonly seeds = crypto.getRandomValues(new Uint32Array(3));
  private readonly tenantIds = new Map<string, number>();
  // The ring, in struct-of-arrays form: entry e's tenant, fingerprint words 3e..3e+2 and hour.
  private tenant = new Uint32Array(firstRingCapacity);
  private print = new Uint32Array(3 * firstRingCapacity);
  private hour = new Uint32Array(firstRingCapacity);
  private head = 0;
  /** Entries from the head, superseded ones included. */
  private length = 0;
  /** Entries not superseded: the keys remembered. */
  private live = 0;
  /** Slot → ring entry + 1 (0: empty); twice the ring's capacity, so at most half full. */
  private index = new Uint32Array(2 * firstRingCapacity);
  private evictedKeys = 0;
  /** The tenant of the key last looked up, and its number; for `printEvent`, its project and app. */
  private lastTenant = '';
  private lastTenantId = 0;
  private lastProject: string | undefined;
  private lastApp: string | undefined;
  /** The fingerprint of the key last looked up. */
  private readonly keyPrint = new Uint32Array(3);

  constructor(options: EventDeduperOptions = {}) {
    this.windowMs = options.windowMs ?? 48 * HOUR_MS;
    this.maxKeys = options.maxKeys ?? 2_000_000;
    this.now = options.now ?? Date.now;
    // Misconfiguration is a programming error, not an expected outcome: fail at start-up.
    if (!(this.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${this.windowMs}`);
    if (!(this.maxKeys >= 1)) throw new RangeError(`maxKeys must be at least 1, got ${this.maxKeys}`);
  }

  /**
   * Unambiguous: project and app ids are server-minted and never contain NUL,
   * and the client-chosen event id comes last, so no two triples share a key.
   */
  static keyOf(projectId: string, appId: string, eventId: string): string {
    return [projectId, appId, eventId].join('\u0000');
  }

  /** Whether the key was seen inside the window; does not record it. */
  seen(key: string): boolean {
    this.printKey(key);
    return this.seenPrinted();
  }

  /**
   * `seen` for the key of (project, app, event id), without making the key. The key stays the
   * current one, for `isIn` and `noteIn` (the pipeline's dedupe step: one hash per event).
   */
  seenEvent(projectId: string, appId: string, eventId: string): boolean {
    this.printEvent(projectId, appId, eventId);
    return this.seenPrinted();
  }

  /** Whether the current key (of the last `seenEvent`) is in `keys`. */
  isIn(keys: BatchKeys): boolean {
    const p = this.keyPrint;
    return keys.has(this.lastTenantId, p[0]!, p[1]!, p[2]!);
  }

  /** Adds the current key (of the last `seenEvent`, not in `keys` yet) to `keys`, seen at `atMs`. */
  noteIn(keys: BatchKeys, atMs: number): void {
    const p = this.keyPrint;
    keys.add(this.lastTenantId, p[0]!, p[1]!, p[2]!, atMs);
  }

  /** Records every key of `keys` as `add` would (a committed batch's events). */
  learn(keys: BatchKeys): void {
    keys.forEach((tenant, p0, p1, p2, atMs) => {
      this.lastTenantId = tenant;
      this.keyPrint[0] = p0;
      this.keyPrint[1] = p1;
      this.keyPrint[2] = p2;
      this.recordPrinted(atMs);
    });
    // The current key is no longer the one the tenant cache names.
    this.lastTenant = '';
    this.lastProject = undefined;
  }

  /** Records the key as seen at `atMs` (e.g. the batch's `received_at`). */
  add(key: string, atMs: number): void {
    this.printKey(key);
    this.recordPrinted(atMs);
  }

  /** `add` for the key of (project, app, event id), without making the key. */
  addEvent(projectId: string, appId: string, eventId: string, atMs: number): void {
    this.printEvent(projectId, appId, eventId);
    this.recordPrinted(atMs);
  }

  /** Records the key and returns true if it had already been seen inside the window. */
  checkAndAdd(key: string, atMs: number): boolean {
    this.printKey(key);
    return this.recordPrinted(atMs);
  }

  stats(): EventDeduperStats {
    this.expire(this.now());
    return { keys: this.live, evictedKeys: this.evictedKeys };
  }

  private firstLiveHour(now: number): number {
    return Math.floor((now - this.windowMs) / HOUR_MS);
  }

  private seenPrinted(): boolean {
    const now = this.now();
    this.expire(now);
    const slot = this.findPrinted();
    return slot >= 0 && this.hour[this.index[slot]! - 1]! >= this.firstLiveHour(now);
  }

  /** Records the current key (tenant and fingerprint) as seen at `atMs`; answers whether it was seen inside the window. */
  private recordPrinted(atMs: number): boolean {
    const now = this.now();
    this.expire(now);
    // Room first: growing the ring rebuilds the index, which would move the slot found below.
    if (this.length === this.tenant.length) this.resize();
    const slot = this.findPrinted();
    const firstLive = this.firstLiveHour(now);
    const entry = slot >= 0 ? this.index[slot]! - 1 : -1;
    const wasSeen = entry >= 0 && this.hour[entry]! >= firstLive;
    if (atMs <= now - this.windowMs) return wasSeen;
    // A timestamp ahead of our clock would keep its key beyond the window; treat it as now.
    const hour = Math.floor(Math.min(atMs, now) / HOUR_MS);
    if (entry >= 0) {
      // Seen again: a new entry at the tail, so it is remembered from its last sighting.
      if (this.hour[entry]! < hour) {
        this.hour[entry] = superseded;
        this.index[slot] = this.append(hour) + 1;
      }
      return wasSeen;
    }
    this.index[~slot] = this.append(hour) + 1;
    this.live += 1;
    this.enforceCap();
    return false;
  }

  /** Stores the current key at the ring's tail and returns its entry. */
  private append(hour: number): number {
    const entry = (this.head + this.length) & (this.tenant.length - 1);
    this.tenant[entry] = this.lastTenantId;
    this.print.set(this.keyPrint, 3 * entry);
    this.hour[entry] = hour;
    this.length += 1;
    return entry;
  }

  /** Makes `key` the current key: its tenant and the fingerprint of its event id. */
  private printKey(key: string): void {
    this.tenantOf(key);
    fingerprint(key, this.lastTenant === '' ? 0 : this.lastTenant.length + 1, this.seeds, this.keyPrint);
  }

  /** Makes the key of (project, app, event id) the current key, as `printKey(keyOf(…))` would. */
  private printEvent(projectId: string, appId: string, eventId: string): void {
    // The events of a batch share their project and app: the same strings, compared by reference first.
    if (projectId !== this.lastProject || appId !== this.lastApp) {
      this.internTenant(`${projectId}\u0000${appId}`);
      this.lastProject = projectId;
      this.lastApp = appId;
    }
    fingerprint(eventId, 0, this.seeds, this.keyPrint);
  }

  /** The current key's index slot, or the complement (~) of the empty slot where it would go. */
  private findPrinted(): number {
    const p = this.keyPrint;
    return probe(this.index, this.tenant, this.print, this.lastTenantId, p[0]!, p[1]!, p[2]!);
  }

  /**
   * Interns the key's tenant: everything before its second NUL (a key without one, as in tests, is all
   * event id). The events of a batch share their tenant, so the last one is tried first, without slicing.
   */
  private tenantOf(key: string): void {
    const last = this.lastTenant;
    // (`substring` and `===` compare memory; `startsWith` walks the characters, several times slower.)
    if (!(last.length > 0 && key.charCodeAt(last.length) === 0 && key.substring(0, last.length) === last)) {
      const first = key.indexOf('\u0000');
      const second = first < 0 ? -1 : key.indexOf('\u0000', first + 1);
      this.internTenant(second < 0 ? '' : key.slice(0, second));
      this.lastProject = undefined;
    }
  }

  private internTenant(tenant: string): void {
    let id = this.tenantIds.get(tenant);
    if (id === undefined) this.tenantIds.set(tenant, (id = this.tenantIds.size));
    this.lastTenant = tenant;
    this.lastTenantId = id;
  }

  /** Forgets the head entry (and its key, unless superseded); returns whether a key went. */
  private dropHead(): boolean {
    const entry = this.head;
    this.head = (this.head + 1) & (this.tenant.length - 1);
    this.length -= 1;
    if (this.hour[entry] === superseded) return false;
    this.unindex(entry);
    this.live -= 1;
    return true;
  }

  /** Removes the entry from the index, shifting later entries of its probe run back (no tombstones). */
  private unindex(entry: number): void {
    const index = this.index;
    const mask = index.length - 1;
    let hole = homeOf(this.tenant[entry]!, this.print[3 * entry]!) & mask;
    while (index[hole] !== entry + 1) hole = (hole + 1) & mask;
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const stored = index[next]!;
      const home = homeOf(this.tenant[stored - 1]!, this.print[3 * (stored - 1)]!) & mask;
      // An entry whose home lies cyclically in (hole, next] is still reachable where it is.
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      index[hole] = stored;
      hole = next;
    }
    index[hole] = 0;
  }

  /** Drops head entries that are superseded or whose hour is older than the window. */
  private expire(now: number): void {
    const firstLive = this.firstLiveHour(now);
    while (this.length > 0 && this.hour[this.head]! < firstLive) this.dropHead();
  }

  private enforceCap(): void {
    if (this.live <= this.maxKeys) return;
    const target = this.maxKeys - Math.floor(this.maxKeys / 100);
    while (this.live > target) if (this.dropHead()) this.evictedKeys += 1;
  }

  /**
   * A full ring is rebuilt in order without its superseded entries: the same size when that frees a
   * 32nd of it, else twice as large. So it stops growing just past `maxKeys` (2^21 entries for 2M).
   */
  private resize(): void {
    const full = this.tenant.length;
    const capacity = this.live <= full - full / 32 ? full : full * 2;
    const old = { tenant: this.tenant, print: this.print, hour: this.hour, head: this.head, length: this.length, mask: this.tenant.length - 1 };
    this.tenant = new Uint32Array(capacity);
    this.print = new Uint32Array(3 * capacity);
    this.hour = new Uint32Array(capacity);
    this.index = new Uint32Array(2 * capacity);
    this.head = 0;
    this.length = 0;
    const mask = this.index.length - 1;
    for (let i = 0; i < old.length; i += 1) {
      const from = (old.head + i) & old.mask;
      if (old.hour[from] === superseded) continue;
      const to = this.length++;
      this.tenant[to] = old.tenant[from]!;
      this.print.set(old.print.subarray(3 * from, 3 * from + 3), 3 * to);
      this.hour[to] = old.hour[from]!;
      let slot = homeOf(this.tenant[to], this.print[3 * to]!) & mask;
      while (this.index[slot] !== 0) slot = (slot + 1) & mask;
      this.index[slot] = to + 1;
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
export function createDedupeStep({ deduper, storing }: { deduper: EventDeduper; storing?: () => BatchKeys | undefined }): EventStep<LogEvent, LogEvent> {
  return (event, { batch, outcomes }) => {
    const { newEvents } = outcomes;
    if (deduper.seenEvent(batch.project_id, batch.app_id, event.event_id) || deduper.isIn(newEvents)) return duplicate;
    const stored = storing?.();
    if (stored && deduper.isIn(stored)) return duplicate;
    deduper.noteIn(newEvents, batch.received_at);
    return ok(event);
  };
}
