import type { KeyValueStorage } from './platform.ts';

/**
 * The SDK's corner of a key-value storage: keys prefixed per client key (two apps on one origin
 * keep apart), JSON in and out, and no exception ever: a full quota, a storage the browser refuses
 * (private modes, sandboxed frames) or corrupt data only count a failure. Writes wait for consent;
 * removals never do.
 */
export class ScopedStorage {
  failures = 0;

  constructor(
    private readonly storage: KeyValueStorage | undefined,
    private readonly prefix: string,
    private readonly mayWrite: () => boolean,
  ) {}

  get available(): boolean {
    return this.storage !== undefined;
  }

  /** Whether the storage can list its keys. */
  get listable(): boolean {
    return typeof this.storage?.key === 'function' && typeof this.storage.length === 'number';
  }

  /** This scope's keys (without the prefix) that start with `start`. */
  keys(start: string): string[] {
    const storage = this.storage;
    if (!storage || !this.listable) return [];
    const out: string[] = [];
    try {
      for (let i = 0; i < (storage.length ?? 0); i++) {
        const key = storage.key?.(i);
        if (key?.startsWith(this.prefix + start)) out.push(key.slice(this.prefix.length));
      }
    } catch {
      this.failures++;
    }
    return out;
  }

  get(key: string): string | undefined {
    if (!this.storage) return undefined;
    try {
      return this.storage.getItem(this.prefix + key) ?? undefined;
    } catch {
      this.failures++;
      return undefined;
    }
  }

  getJson<T>(key: string): T | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      this.failures++;
      this.remove(key);
      return undefined;
    }
  }

  set(key: string, value: string): void {
    if (!this.storage || !this.mayWrite()) return;
    try {
      this.storage.setItem(this.prefix + key, value);
    } catch {
      this.failures++;
    }
  }

  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value));
  }

  remove(key: string): void {
    if (!this.storage) return;
    try {
      this.storage.removeItem(this.prefix + key);
    } catch {
      this.failures++;
    }
  }
}
