// Key types and permissions: plain data with no imports, so the dashboard's browser code can use them too.

/**
 * client: ingest, one app. agent: reads and automation, the whole project.
 * import: `POST /v1/import` of historical events, one app.
 */
export type KeyType = 'client' | 'agent' | 'import';
export const keyTypes = ['client', 'agent', 'import'] as const satisfies readonly KeyType[];

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
