import type { ScopedStorage } from './scoped-storage.ts';
import { Limits, text } from './wire.ts';

/** How stale the stored session's last activity may be: far below the 30-minute idle time. */
const sessionWriteIntervalMs = 5_000;

interface StoredSession {
  id: string;
  /** Epoch ms of the last event. */
  last: number;
}

/**
 * Who and when: the device's random id, the signed-in user, the session (a new one after
 * `sessionIdleMs` without events) and the experiment variants, each kept in storage once consent
 * allows so they survive reloads and restarts.
 */
export class Identity {
  readonly deviceId: string;
  userId: string | undefined;
  /** Replaced, never mutated: events share the object. */
  experiments: Readonly<Record<string, string>> = {};
  /** `experiments`, or undefined while there are none (what an event carries). */
  experimentsIfAny: Readonly<Record<string, string>> | undefined;
  private session: StoredSession | undefined;

  constructor(
    private readonly storage: ScopedStorage,
    private readonly sessionIdleMs: number,
    private readonly newId: () => string,
  ) {
    this.deviceId = storage.get('device') ?? newId();
    this.userId = storage.get('user');
    const experiments = storage.getJson<Record<string, string>>('experiments');
    if (experiments && typeof experiments === 'object' && Object.keys(experiments).length > 0) this.experiments = this.experimentsIfAny = Object.freeze({ ...experiments });
    const session = storage.getJson<StoredSession>('session');
    if (session && typeof session.id === 'string' && typeof session.last === 'number') this.session = session;
  }

  /** The current session id, starting a new session after the idle time; marks activity. */
  sessionId(nowMs: number): string {
    let session = this.session;
    if (session && nowMs - session.last < this.sessionIdleMs) session.last = nowMs;
    else session = this.session = { id: this.newId(), last: nowMs };
    // Kept every few seconds, not every event: a reload within the idle time continues the session.
    if (nowMs - this.sessionWrittenAt >= sessionWriteIntervalMs) {
      this.sessionWrittenAt = nowMs;
      this.storage.setJson('session', session);
    }
    return session.id;
  }

  private sessionWrittenAt = 0;

  setUser(userId: string | undefined): void {
    this.userId = userId === undefined ? undefined : text(userId, Limits.maxIdChars);
    this.persist();
  }

  /** A new session now, and no user (sign-out). */
  reset(): void {
    this.userId = undefined;
    this.session = undefined;
    this.storage.remove('user');
    this.storage.remove('session');
  }

  /**
   * The experiment's variant: the one stored if it is still among `variants`, else one picked
   * uniformly at random and kept from then on.
   */
  variant(experiment: string, variants: readonly string[], random: () => number): string {
    const name = text(experiment, Limits.maxAttributeKeyChars);
    const current = this.experiments[name];
    if (current !== undefined && variants.includes(current)) return current;
    const picked = variants[Math.min(variants.length - 1, Math.floor(random() * variants.length))]!;
    this.setVariant(name, picked);
    return picked;
  }

  setVariant(experiment: string, variant: string): void {
    const name = text(experiment, Limits.maxAttributeKeyChars);
    this.experiments = this.experimentsIfAny = Object.freeze({ ...this.experiments, [name]: text(variant, Limits.maxShortFieldChars) });
    this.storage.setJson('experiments', this.experiments);
  }

  /** Writes what is kept (consent permitting; the storage checks). */
  persist(): void {
    this.storage.set('device', this.deviceId);
    if (this.userId !== undefined) this.storage.set('user', this.userId);
    else this.storage.remove('user');
    if (this.session) this.storage.setJson('session', this.session);
    if (Object.keys(this.experiments).length > 0) this.storage.setJson('experiments', this.experiments);
  }

  /** Consent denied: the identifiers go from storage (the variants stay: they shape what the user sees). */
  forget(): void {
    this.storage.remove('device');
    this.storage.remove('user');
    this.storage.remove('session');
  }
}
