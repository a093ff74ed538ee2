import { createHash, randomBytes } from 'node:crypto';

/**
 * client: ingest, one app. agent: reads and automation, the whole project.
 * import: `POST /v1/import` of historical events, one app.
 */
export type KeyType = 'client' | 'agent' | 'import';
export const keyTypes = ['client', 'agent', 'import'] as const satisfies readonly KeyType[];

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

/** Every permission a key or a role can carry. */
export const permissions = [
  'events:write',
  'users:write',
  'events:read',
  'funnels:read',
  'funnels:write',
  'metrics:read',
  'metrics:write',
  'apps:read',
  'apps:write',
  'projects:read',
  'projects:write',
  'issues:read',
  'issues:write',
  'jobs:read',
  'jobs:write',
  'integrations:read',
  'integrations:write',
  'audit_logs:read',
] as const;
export type Permission = (typeof permissions)[number];

/** What each key type may be given: a permission outside its list is refused when the key is created. */
export const allowedPermissions: Record<KeyType, readonly Permission[]> = {
  client: ['events:write', 'users:write'],
  import: ['events:write', 'users:write'],
  agent: permissions.filter((p) => p !== 'events:write' && p !== 'users:write'),
};

/** What a key of each type carries when none are named. */
export const defaultPermissions: Record<KeyType, readonly Permission[]> = {
  client: ['events:write', 'users:write'],
  import: ['events:write'],
  agent: ['events:read', 'funnels:read', 'funnels:write', 'metrics:read', 'apps:read', 'projects:read', 'issues:read', 'issues:write', 'jobs:read'],
};
