import { createHash, randomBytes } from 'node:crypto';

export type KeyType = 'client' | 'agent';

const prefixes: Record<KeyType, string> = { client: 'strix_c_', agent: 'strix_a_' };

/** A new API key: a type prefix (so a leaked key is recognisable) and 192 random bits. */
export function generateKey(type: KeyType): string {
  return prefixes[type] + randomBytes(24).toString('base64url');
}

/** Keys are stored and looked up by SHA-256; plaintext never reaches the warehouse. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Permissions an agent key carries by default. */
export const defaultAgentPermissions = ['events:read', 'issues:read', 'issues:write', 'funnels:write'] as const;
