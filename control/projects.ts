import { randomUUID } from 'node:crypto';
import { DomainError, type AppVersionSource, type IssueAlertFrequency, type Platform } from '@strix/contracts';
import { audit, auditInProject, bumpRevision, type Actor } from './audit.ts';
import { lockInTransaction, type ControlDb, type ControlSql } from './db.ts';

export interface TeamRow {
  id: string;
  name: string;
  slug: string;
  created_ms: number;
}

export interface ProjectRow {
  id: string;
  team_id: string;
  name: string;
  slug: string;
  color: string;
  retention_events_days: number;
  retention_metrics_days: number;
  retention_funnels_days: number;
  issue_alert_frequency: IssueAlertFrequency;
  attachment_quota_bytes: number;
  attachment_user_quota_bytes: number;
  created_ms: number;
  /** Set while a deleted project waits out its grace period. */
  deleted_ms: number | null;
}

export interface AppRow {
  id: string;
  project_id: string;
  name: string;
  platform: Platform;
  bundle_id: string | null;
  created_ms: number;
  /** Set by the version sync (app-versions.ts); all three null until it first knows one. */
  latest_app_version: string | null;
  latest_app_version_updated_ms: number | null;
  latest_app_version_source: AppVersionSource | null;
}

/** Colours a new project gets in turn when none is chosen. */
export const projectPalette = ['#4f46e5', '#0891b2', '#16a34a', '#ca8a04', '#dc2626', '#db2777', '#7c3aed', '#0d9488', '#ea580c', '#475569'];

/** A deleted project's keys stop at once; its rows are purged after this grace. */
export const projectDeletionGraceMs = 7 * 24 * 3600_000;

const ms = (column: string, as = column.replace(/_at$/, '_ms')) => `floor(extract(epoch FROM ${column}) * 1000)::int8 AS ${as}`;
const projectColumns = `id, team_id, name, slug, color, retention_events_days, retention_metrics_days, retention_funnels_days,
  issue_alert_frequency, attachment_quota_bytes, attachment_user_quota_bytes, ${ms('created_at')}, ${ms('deleted_at')}`;
const appColumns = `id, project_id, name, platform, bundle_id, ${ms('created_at')},
  latest_app_version, ${ms('latest_app_version_updated_at')}, latest_app_version_source`;

/** A URL-safe slug of a name: lower-case letters, digits and dashes. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'project';
}

/** `base`, or `base-2`, `base-3`… : the first not in `taken`. */
function freeSlug(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export async function createTeam(tx: ControlSql, team: { id?: string; name: string; slug?: string }, actor: Actor): Promise<TeamRow> {
  await lockInTransaction(tx, 'team slugs');
  const taken = new Set((await tx.query<{ slug: string }>('SELECT slug FROM teams')).map((r) => r.slug));
  if (team.slug !== undefined && taken.has(team.slug)) throw new DomainError('conflict', `slug: a team named "${team.slug}" already exists`);
  const slug = team.slug ?? freeSlug(slugify(team.name), taken);
  const [row] = await tx.query<TeamRow>(`INSERT INTO teams (id, name, slug) VALUES ($1, $2, $3) RETURNING id, name, slug, ${ms('created_at')}`, [
    team.id ?? randomUUID(),
    team.name,
    slug,
  ]);
  await audit(tx, actor, { teamId: row!.id, action: 'team.create', targetType: 'team', targetId: row!.id, details: { name: team.name } });
  return row!;
}

export async function getTeam(db: ControlSql, teamId: string): Promise<TeamRow | undefined> {
  const [row] = await db.query<TeamRow>(`SELECT id, name, slug, ${ms('created_at')} FROM teams WHERE id = $1`, [teamId]);
  return row;
}

export interface NewProject {
  id?: string;
  name: string;
  slug?: string;
  color?: string;
  retention_events_days?: number;
  retention_metrics_days?: number;
  retention_funnels_days?: number;
  issue_alert_frequency?: IssueAlertFrequency;
}

export type ProjectPatch = Partial<
  Pick<
    ProjectRow,
    | 'name'
    | 'slug'
    | 'color'
    | 'retention_events_days'
    | 'retention_metrics_days'
    | 'retention_funnels_days'
    | 'issue_alert_frequency'
    | 'attachment_quota_bytes'
    | 'attachment_user_quota_bytes'
  >
>;

async function liveSlugs(tx: ControlSql, teamId: string, except?: string): Promise<Set<string>> {
  const rows = await tx.query<{ slug: string }>('SELECT slug FROM projects WHERE team_id = $1 AND deleted_at IS NULL AND id <> $2', [teamId, except ?? '']);
  return new Set(rows.map((r) => r.slug));
}

export async function createProject(tx: ControlSql, teamId: string, project: NewProject, actor: Actor): Promise<ProjectRow> {
  await lockInTransaction(tx, `project slugs of ${teamId}`);
  const taken = await liveSlugs(tx, teamId);
  if (project.slug !== undefined && taken.has(project.slug)) {
    throw new DomainError('conflict', `slug: this team already has a project with slug "${project.slug}"`);
  }
  const [{ count } = { count: 0 }] = await tx.query<{ count: number }>('SELECT count(*)::int8 AS count FROM projects WHERE team_id = $1', [teamId]);
  const [row] = await tx.query<ProjectRow>(
    `INSERT INTO projects (id, team_id, name, slug, color, retention_events_days, retention_metrics_days, retention_funnels_days, issue_alert_frequency)
     VALUES ($1, $2, $3, $4, $5, coalesce($6, 120), coalesce($7, 365), coalesce($8, 365), coalesce($9, 'daily'))
     RETURNING ${projectColumns}`,
    [
      project.id ?? randomUUID(),
      teamId,
      project.name,
      project.slug ?? freeSlug(slugify(project.name), taken),
      project.color ?? projectPalette[count % projectPalette.length],
      project.retention_events_days ?? null,
      project.retention_metrics_days ?? null,
      project.retention_funnels_days ?? null,
      project.issue_alert_frequency ?? null,
    ],
  );
  await bumpRevision(tx);
  await audit(tx, actor, { teamId, projectId: row!.id, action: 'project.create', targetType: 'project', targetId: row!.id, details: { name: project.name } });
  return row!;
}

/** A live project (deleted ones only with `includeDeleted`). */
export async function getProject(db: ControlSql, projectId: string, options: { includeDeleted?: boolean } = {}): Promise<ProjectRow | undefined> {
  const [row] = await db.query<ProjectRow>(
    `SELECT ${projectColumns} FROM projects WHERE id = $1 ${options.includeDeleted ? '' : 'AND deleted_at IS NULL'}`,
    [projectId],
  );
  return row;
}

/** A team's live projects, by name. */
export async function listTeamProjects(db: ControlSql, teamId: string): Promise<ProjectRow[]> {
  return db.query<ProjectRow>(`SELECT ${projectColumns} FROM projects WHERE team_id = $1 AND deleted_at IS NULL ORDER BY name, id`, [teamId]);
}

/** Every live project, by id (the jobs' directory). */
export async function listLiveProjects(db: ControlSql): Promise<ProjectRow[]> {
  return db.query<ProjectRow>(`SELECT ${projectColumns} FROM projects WHERE deleted_at IS NULL ORDER BY id`);
}

/** Applies the fields given to a live project; undefined when there is none. */
export async function updateProject(tx: ControlSql, projectId: string, patch: ProjectPatch, actor: Actor): Promise<ProjectRow | undefined> {
  const current = await getProject(tx, projectId);
  if (!current) return undefined;
  const changes = Object.entries(patch).filter(([, v]) => v !== undefined);
  if (patch.slug !== undefined) await lockInTransaction(tx, `project slugs of ${current.team_id}`);
  if (patch.slug !== undefined && (await liveSlugs(tx, current.team_id, projectId)).has(patch.slug)) {
    throw new DomainError('conflict', `slug: this team already has a project with slug "${patch.slug}"`);
  }
  if (changes.length === 0) return current;
  // Column names come from ProjectPatch's keys, checked against this list.
  const columns = new Set(['name', 'slug', 'color', 'retention_events_days', 'retention_metrics_days', 'retention_funnels_days', 'issue_alert_frequency', 'attachment_quota_bytes', 'attachment_user_quota_bytes']);
  for (const [column] of changes) if (!columns.has(column)) throw new DomainError('invalid', `${column}: not a project setting`);
  const set = changes.map(([column], i) => `${column} = $${i + 2}`).join(', ');
  const [row] = await tx.query<ProjectRow>(`UPDATE projects SET ${set} WHERE id = $1 RETURNING ${projectColumns}`, [projectId, ...changes.map(([, v]) => v)]);
  await bumpRevision(tx);
  await audit(tx, actor, {
    teamId: current.team_id,
    projectId,
    action: 'project.update',
    targetType: 'project',
    targetId: projectId,
    details: Object.fromEntries(changes),
  });
  return row;
}

/** Soft delete: the project and its keys stop at once; `purgeDeletedProjects` removes it after the grace. */
export async function deleteProject(tx: ControlSql, projectId: string, actor: Actor): Promise<boolean> {
  const [row] = await tx.query<{ team_id: string }>('UPDATE projects SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING team_id', [projectId]);
  if (!row) return false;
  await bumpRevision(tx);
  await audit(tx, actor, { teamId: row.team_id, projectId, action: 'project.delete', targetType: 'project', targetId: projectId });
  return true;
}

/** Restores a deleted project within its grace period. */
export async function restoreProject(tx: ControlSql, projectId: string, actor: Actor): Promise<ProjectRow | undefined> {
  const current = await getProject(tx, projectId, { includeDeleted: true });
  if (!current || current.deleted_ms === null) return undefined;
  await lockInTransaction(tx, `project slugs of ${current.team_id}`);
  if ((await liveSlugs(tx, current.team_id)).has(current.slug)) {
    throw new DomainError('conflict', `slug: another project now has slug "${current.slug}"; rename it first`);
  }
  const [row] = await tx.query<ProjectRow>(`UPDATE projects SET deleted_at = NULL WHERE id = $1 RETURNING ${projectColumns}`, [projectId]);
  await bumpRevision(tx);
  await audit(tx, actor, { teamId: current.team_id, projectId, action: 'project.restore', targetType: 'project', targetId: projectId });
  return row;
}

/**
 * Removes projects deleted more than the grace ago (their apps and keys with
 * them); returns their ids. `purgeData` deletes a project's data elsewhere (the
 * warehouse) before its row goes, in the same transaction: if it fails, the
 * project stays listed for the next run instead of leaving data no row names.
 */
export async function purgeDeletedProjects(db: ControlDb, now: number, actor: Actor, purgeData?: (projectId: string) => Promise<void>): Promise<string[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ id: string; team_id: string }>(
      'SELECT id, team_id FROM projects WHERE deleted_at IS NOT NULL AND deleted_at < to_timestamp($1 / 1000.0) ORDER BY id FOR UPDATE',
      [now - projectDeletionGraceMs],
    );
    for (const row of rows) {
      await purgeData?.(row.id);
      await tx.query('DELETE FROM projects WHERE id = $1', [row.id]);
      await audit(tx, actor, { teamId: row.team_id, projectId: row.id, action: 'project.purge', targetType: 'project', targetId: row.id });
    }
    if (rows.length > 0) await bumpRevision(tx);
    return rows.map((r) => r.id);
  });
}

export interface NewApp {
  id?: string;
  name: string;
  platform: Platform;
  bundle_id?: string | null;
}

/** Adds an app to a live project; a bundle id is required except for backend apps. */
export async function createApp(tx: ControlSql, projectId: string, app: NewApp, actor: Actor): Promise<AppRow> {
  const project = await getProject(tx, projectId);
  if (!project) throw new DomainError('not_found', `project ${projectId} does not exist`);
  if (app.platform !== 'backend' && !app.bundle_id) {
    throw new DomainError('invalid', `bundle_id: is required for ${app.platform} apps`);
  }
  const [row] = await tx.query<AppRow>(
    `INSERT INTO apps (id, project_id, name, platform, bundle_id) VALUES ($1, $2, $3, $4, $5) RETURNING ${appColumns}`,
    [app.id ?? randomUUID(), projectId, app.name, app.platform, app.bundle_id ?? null],
  );
  await bumpRevision(tx);
  await audit(tx, actor, {
    teamId: project.team_id,
    projectId,
    action: 'app.create',
    targetType: 'app',
    targetId: row!.id,
    details: { name: app.name, platform: app.platform, bundle_id: app.bundle_id ?? null },
  });
  return row!;
}

/** The project's live apps, by name. */
export async function listApps(db: ControlSql, projectId: string): Promise<AppRow[]> {
  return db.query<AppRow>(`SELECT ${appColumns} FROM apps WHERE project_id = $1 AND deleted_at IS NULL ORDER BY name, id`, [projectId]);
}

export async function getApp(db: ControlSql, projectId: string, appId: string): Promise<AppRow | undefined> {
  const [row] = await db.query<AppRow>(`SELECT ${appColumns} FROM apps WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL`, [projectId, appId]);
  return row;
}

/** Renames an app; its platform and bundle id never change. */
export async function renameApp(tx: ControlSql, projectId: string, appId: string, name: string, actor: Actor): Promise<AppRow | undefined> {
  const [row] = await tx.query<AppRow>(`UPDATE apps SET name = $3 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING ${appColumns}`, [
    projectId,
    appId,
    name,
  ]);
  if (!row) return undefined;
  await bumpRevision(tx);
  await auditInProject(tx, actor, projectId, { action: 'app.rename', targetType: 'app', targetId: appId, details: { name } });
  return row;
}

/** Deletes an app: its keys stop working at once (its events stay). */
export async function deleteApp(tx: ControlSql, projectId: string, appId: string, actor: Actor): Promise<boolean> {
  const [row] = await tx.query<{ id: string }>('UPDATE apps SET deleted_at = now() WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id', [
    projectId,
    appId,
  ]);
  if (!row) return false;
  await tx.query('UPDATE api_keys SET revoked_at = now() WHERE app_id = $1 AND revoked_at IS NULL', [appId]);
  await bumpRevision(tx);
  await auditInProject(tx, actor, projectId, { action: 'app.delete', targetType: 'app', targetId: appId });
  return true;
}
