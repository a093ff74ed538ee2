import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultAgentPermissions, generateKey, hashKey, type Warehouse } from '@strix/contracts';
import { listApiKeys, listProjects, upsertApiKey, upsertApp, upsertProject } from '@strix/warehouse';
import type { Principal } from '@strix/http';

export const Credentials = z.object({
  projectId: z.string(),
  appId: z.string(),
  clientKey: z.string(),
  agentKey: z.string(),
});
export type Credentials = z.infer<typeof Credentials>;

/**
 * On first start: a default project, one app, a client key and an agent key,
 * written to `<data dir>/credentials.json`. Later starts reuse that file.
 */
export async function ensureDefaultProject(
  wh: Warehouse,
  dataDir: string,
  retentionDays: number,
): Promise<{ credentials: Credentials; created: boolean }> {
  const file = join(dataDir, 'credentials.json');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) return { credentials: Credentials.parse(JSON.parse(existing)), created: false };

  const credentials: Credentials = {
    projectId: randomUUID(),
    appId: randomUUID(),
    clientKey: generateKey('client'),
    agentKey: generateKey('agent'),
  };
  const { projectId, appId } = credentials;
  await upsertProject(wh, { project_id: projectId, name: 'Default project', retention_days: retentionDays });
  await upsertApp(wh, { project_id: projectId, app_id: appId, name: 'Default app', platform: 'web' });
  const common = { project_id: projectId, revoked: 0 };
  await upsertApiKey(wh, {
    ...common,
    key_hash: hashKey(credentials.clientKey),
    key_prefix: credentials.clientKey.slice(0, 12),
    key_type: 'client',
    app_id: appId,
    permissions: ['events:write'],
  });
  await upsertApiKey(wh, {
    ...common,
    key_hash: hashKey(credentials.agentKey),
    key_prefix: credentials.agentKey.slice(0, 12),
    key_type: 'agent',
    app_id: '',
    permissions: [...defaultAgentPermissions, 'project:admin'],
  });
  // Written last and atomically: a crash before this point only leaves unused rows.
  await writeFile(`${file}.tmp`, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return { credentials, created: true };
}

/** Every key with its project's retention, for the in-memory key registry. */
export async function loadPrincipals(wh: Warehouse): Promise<Principal[]> {
  const retention = new Map((await listProjects(wh)).map((p) => [p.project_id, p.retention_days]));
  return (await listApiKeys(wh)).map((k) => ({
    keyHash: k.key_hash,
    keyPrefix: k.key_prefix,
    keyType: k.key_type,
    projectId: k.project_id,
    appId: k.app_id,
    permissions: k.permissions,
    revoked: k.revoked !== 0,
    retentionDays: retention.get(k.project_id) ?? 90,
  }));
}
