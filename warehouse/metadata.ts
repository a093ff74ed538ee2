import { z } from 'zod';
import { IssueAlertFrequency, type KeyType, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';
import { nextVersion } from './row-version.ts';

/** Metadata rows are versioned: the newest `version` wins when read with FINAL. */
const version = () => nextVersion();

export const ProjectRow = z.object({
  project_id: z.string(),
  name: z.string(),
  retention_days: z.number().int(),
  issue_alert_frequency: IssueAlertFrequency,
});
export type ProjectRow = z.infer<typeof ProjectRow>;

/** A whole project row to write; the alert frequency defaults to daily. */
export type ProjectInput = Omit<ProjectRow, 'issue_alert_frequency'> & { issue_alert_frequency?: IssueAlertFrequency };

/** What a project's settings API may change; the rest of the row is kept. */
export type ProjectSettings = Partial<Pick<ProjectRow, 'name' | 'retention_days' | 'issue_alert_frequency'>>;

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
  key_type: z.enum(['client', 'agent'] satisfies KeyType[]),
  project_id: z.string(),
  app_id: z.string(),
  permissions: z.array(z.string()),
  revoked: z.number().int(),
});
export type ApiKeyRow = z.infer<typeof ApiKeyRow>;

/** Writes the whole row (a missing frequency becomes 'daily'); use updateProjectSettings to change some fields. */
export async function upsertProject(wh: Warehouse, row: ProjectInput): Promise<void> {
  const project = ProjectRow.parse({ ...row, issue_alert_frequency: row.issue_alert_frequency ?? 'daily' });
  await wh.insert('projects', [{ ...project, created_at: Date.now(), version: version() }]);
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

const projectColumns = 'project_id, name, retention_days, issue_alert_frequency';

export async function listProjects(wh: Warehouse): Promise<ProjectRow[]> {
  return queryRows(wh, 'projects', ProjectRow, `SELECT ${projectColumns} FROM projects FINAL ORDER BY project_id`);
}

export async function getProject(wh: Warehouse, projectId: string): Promise<ProjectRow | undefined> {
  const rows = await queryRows(wh, 'projects', ProjectRow, `SELECT ${projectColumns} FROM projects FINAL WHERE project_id = {project:String}`, {
    project: projectId,
  });
  return rows[0];
}

const StoredProject = ProjectRow.extend({ created_ms: z.coerce.number() });

/**
 * Changes some settings of an existing project and returns the new row, or
 * undefined when there is no such project. A versioned row is replaced whole,
 * so the rest of it (created_at included) is read and written back unchanged.
 */
export async function updateProjectSettings(
  wh: Warehouse,
  projectId: string,
  settings: ProjectSettings,
): Promise<ProjectRow | undefined> {
  const rows = await queryRows(
    wh,
    'projects',
    StoredProject,
    `SELECT ${projectColumns}, toUnixTimestamp64Milli(created_at) AS created_ms
     FROM projects FINAL WHERE project_id = {project:String}`,
    { project: projectId },
  );
  const [stored] = rows;
  if (stored === undefined) return undefined;
  const { created_ms, ...current } = stored;
  const next = ProjectRow.parse({
    ...current,
    ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
  });
  await wh.insert('projects', [{ ...next, created_at: created_ms, version: version() }]);
  return next;
}

export async function listApps(wh: Warehouse, projectId: string): Promise<AppRow[]> {
  const rows = await queryRows(
    wh,
    'apps',
    AppRow,
    'SELECT project_id, app_id, name, platform FROM apps FINAL WHERE project_id = {project:String} ORDER BY app_id',
    { project: projectId },
  );
  return rows;
}

export async function listApiKeys(wh: Warehouse): Promise<ApiKeyRow[]> {
  const rows = await queryRows(
    wh,
    'api keys',
    ApiKeyRow,
    'SELECT key_hash, key_prefix, key_type, project_id, app_id, permissions, revoked FROM api_keys FINAL',
  );
  return rows;
}
