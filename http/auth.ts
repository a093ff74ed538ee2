import { hashKey, type KeyType, type Principal } from '@strix/contracts';
import { ApiError } from './errors.ts';

export type { Principal };

const expired = (p: Principal) => p.expiresAt != null && p.expiresAt <= Date.now();

/** "an agent key", "a client key", "an import key". */
const aKey = (type: string) => `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} key`;

/**
 * Keys held in memory and looked up by hash, so authenticating a request costs
 * one SHA-256 and no I/O. `refresh` reloads them; `poll` reloads them only when
 * the store's revision moved, which is cheap enough to run every second, so a
 * revocation reaches every process within a poll.
 */
export class KeyRegistry {
  private byHash = new Map<string, Principal>();
  private loadedRevision: number | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<readonly Principal[]>,
    /** A number the store moves with every change to keys, projects or apps. */
    private readonly revision?: () => Promise<number>,
  ) {}

  async refresh(): Promise<void> {
    // Read before loading: a change made while loading moves it again, and the next poll reloads.
    const revision = await this.revision?.();
    const principals = await this.load();
    this.byHash = new Map(principals.map((p) => [p.keyHash, p]));
    this.loadedRevision = revision;
  }

  /** Reloads when the revision moved since the last load (always, without a revision); one poll at a time. */
  poll(): Promise<void> {
    this.polling ??= (async () => {
      if (this.revision && this.loadedRevision !== undefined && (await this.revision()) === this.loadedRevision) return;
      await this.refresh();
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** The principal of a plaintext key, if it is known and not revoked (for protocols with their own error shapes). */
  lookup(key: string): Principal | undefined {
    const principal = this.byHash.get(hashKey(key));
    return principal && !principal.revoked && !expired(principal) ? principal : undefined;
  }

  /** The caller's principal, or a 401/403 that says why not. */
  authenticate(authorization: string | undefined, required: KeyType | 'any', permission?: string): Principal {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return this.authenticateKey(match?.[1], required, permission, 'send "Authorization: Bearer <key>"');
  }

  /** A key sent elsewhere than in `Authorization` (compatible protocols); `missing` says where to send it. */
  authenticateKey(key: string | undefined, required: KeyType | 'any', permission: string | undefined, missing: string): Principal {
    if (!key) throw new ApiError('unauthorized', `missing API key: ${missing}`);
    const principal = this.byHash.get(hashKey(key));
    if (!principal) throw new ApiError('unauthorized', 'unknown API key');
    if (principal.revoked) throw new ApiError('unauthorized', 'API key has been revoked');
    if (expired(principal)) throw new ApiError('unauthorized', 'API key has expired');
    if (required !== 'any' && principal.keyType !== required) {
      throw new ApiError('forbidden', `this endpoint needs ${aKey(required)}; ${aKey(principal.keyType)} was sent`);
    }
    if (permission && !principal.permissions.includes(permission)) {
      throw new ApiError('forbidden', `API key lacks the "${permission}" permission`);
    }
    return principal;
  }
}
