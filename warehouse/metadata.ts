import { z } from 'zod';
import type { KeyType, Warehouse } from '@strix/contracts';

/** Metadata rows are versioned: the newest `version` wins when read with FINAL. */
const version = () => Date.now() * 1000 + Math.floor(Math.random() * 1000);

export const ProjectRow = z.object({
  project_id: z.string(),
  name: z.string(),
  retention_days: z.number().int(),
});
export type ProjectRow = z.infer<typeof ProjectRow>;

export const AppRow = z.object({
  project_id: z.string(),
  app_id: z.string(),
  name: z.string(),
  platform: z.string(),
});
export type AppRow = z.infer<typeof AppRow>;

export const ApiKeyRow = z.object({
  key_hash: z.string(),
  key_prefix: z.string(),
  key_type: z.enum(['client', 'agent']),
  project_id: z.string(),
  app_id: z.string(),
  permissions: z.array(z.string()),
  revoked: z.number().int(),
});
export type ApiKeyRow = z.infer<typeof ApiKeyRow>;

export async function upsertProject(wh: Warehouse, row: ProjectRow): Promise<void> {
  await wh.insert('projects', [{ ...row, created_at: Date.now(), version: version() }]);
}

export async function upsertApp(wh: Warehouse, row: AppRow): Promise<void> {
  await wh.insert('apps', [{ ...row, created_at: Date.now(), version: version() }]);
}

export async function upsertApiKey(
  wh: Warehouse,
  row: Omit<ApiKeyRow, 'key_type'> & { key_type: KeyType },
): Promise<void> {
  await wh.insert('api_keys', [{ ...row, created_at: Date.now(), version: version() }]);
}

export async function listProjects(wh: Warehouse): Promise<ProjectRow[]> {
  const rows = await wh.query('SELECT project_id, name, retention_days FROM projects FINAL ORDER BY project_id');
  return rows.map((r) => ProjectRow.parse(r));
}

export async function listApps(wh: Warehouse, projectId: string): Promise<AppRow[]> {
  const rows = await wh.query(
    'SELECT project_id, app_id, name, platform FROM apps FINAL WHERE project_id = {project:String} ORDER BY app_id',
    { project: projectId },
  );
  return rows.map((r) => AppRow.parse(r));
}

export async function listApiKeys(wh: Warehouse): Promise<ApiKeyRow[]> {
  const rows = await wh.query(
    'SELECT key_hash, key_prefix, key_type, project_id, app_id, permissions, revoked FROM api_keys FINAL',
  );
  return rows.map((r) => ApiKeyRow.parse(r));
}
