import { hashKey, type KeyType } from '@strix/contracts';
import { ApiError } from './errors.ts';

export interface Principal {
  readonly keyHash: string;
  /** The key's first characters, safe to show (names an agent that has no other name). */
  readonly keyPrefix?: string;
  readonly keyType: KeyType;
  readonly projectId: string;
  /** The app a client key belongs to; empty for agent keys (project-wide). */
  readonly appId: string;
  readonly permissions: readonly string[];
  readonly revoked: boolean;
  readonly retentionDays: number;
}

/**
 * Keys held in memory and looked up by hash, so authenticating a request costs
 * one SHA-256 and no I/O. `refresh` reloads them (revocations take effect then).
 */
export class KeyRegistry {
  private byHash = new Map<string, Principal>();

  constructor(private readonly load: () => Promise<readonly Principal[]>) {}

  async refresh(): Promise<void> {
    const principals = await this.load();
    this.byHash = new Map(principals.map((p) => [p.keyHash, p]));
  }

  /** The principal of a plaintext key, if it is known and not revoked (for protocols with their own error shapes). */
  lookup(key: string): Principal | undefined {
    const principal = this.byHash.get(hashKey(key));
    return principal && !principal.revoked ? principal : undefined;
  }

  /** The caller's principal, or a 401/403 that says why not. */
  authenticate(authorization: string | undefined, required: KeyType, permission?: string): Principal {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) {
      throw new ApiError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
    }
    const principal = this.byHash.get(hashKey(match[1]));
    if (!principal) throw new ApiError('unauthorized', 'unknown API key');
    if (principal.revoked) throw new ApiError('unauthorized', 'API key has been revoked');
    if (principal.keyType !== required) {
      throw new ApiError('forbidden', `this endpoint needs a ${required} key; a ${principal.keyType} key was sent`);
    }
    if (permission && !principal.permissions.includes(permission)) {
      throw new ApiError('forbidden', `API key lacks the "${permission}" permission`);
    }
    return principal;
  }
}
