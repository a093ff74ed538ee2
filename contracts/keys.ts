import { createHash, randomBytes } from 'node:crypto';
import type { KeyType } from './permissions.ts';

export * from './permissions.ts';

// Prefixes secret scanners can match; only [A-Za-z0-9_] in a key, so a client key is also a valid Sentry DSN public key.
const prefixes: Record<KeyType, string> = { client: 'strix_client_', agent: 'strix_agent_', import: 'strix_import_' };

/** A new API key: its type's prefix and 192 random bits in hex. */
export function generateKey(type: KeyType): string {
  return prefixes[type] + randomBytes(24).toString('hex');
}

/** The part of a key safe to show and store beside its hash: the prefix and four characters. */
export const keyPrefix = (key: string): string => key.slice(0, key.lastIndexOf('_') + 5);

/** Keys are stored and looked up by SHA-256; plaintext is never stored. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
