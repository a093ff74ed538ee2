import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { allowedPermissions, generateKey, type Warehouse } from '@strix/contracts';
import {
  createApp,
  createKey,
  createOwnerLink,
  createProject,
  createTeam,
  getProject,
  hasSavedFunnels,
  importLegacyControlData,
  importLegacyFunnels,
  importLegacyIssueState,
  issueStateImported,
  systemActor,
  teamHasOwner,
  type ControlPlane,
  type ImportSummary,
} from '@strix/control';
import { legacySavedFunnels, listApiKeys, listApps, listProjectMembers, listProjects, storedComments, storedIssueState } from '@strix/warehouse';

export const Credentials = z.object({
  projectId: z.string(),
  appId: z.string(),
  clientKey: z.string(),
  agentKey: z.string(),
  /** A one-time link that signs its first user in as the default team's owner. */
  signInUrl: z.string().optional(),
});
export type Credentials = z.infer<typeof Credentials>;

/**
 * Moves what an install made before the control plane kept in the warehouse
 * (projects, apps, keys by hash, digest recipients) into the control plane, on
 * the first start that finds it empty.
 */
export async function importFromWarehouse(control: ControlPlane, wh: Warehouse): Promise<ImportSummary | undefined> {
  const [team] = await control.db.query('SELECT id FROM teams LIMIT 1');
  if (team) return undefined;
  const projects = await listProjects(wh);
  if (projects.length === 0) return undefined;
  const apps = (await Promise.all(projects.map((p) => listApps(wh, p.project_id)))).flat();
  const members = (await Promise.all(projects.map((p) => listProjectMembers(wh, p.project_id)))).flat();
  const keys = (await listApiKeys(wh)).map((k) => ({ ...k, revoked: k.revoked !== 0 }));
  return importLegacyControlData(control.db, { projects, apps, keys, members });
}

/**
 * Copies the saved funnels an older install kept in the warehouse into the
 * control plane, on a start that finds none there: also on installs whose
 * control data was imported before funnels moved (importFromWarehouse had
 * run). Copying is idempotent, so two roles starting together copy once.
 * Returns how many were copied.
 */
export async function importFunnelsFromWarehouse(control: ControlPlane, wh: Warehouse): Promise<number> {
  if (await hasSavedFunnels(control.db)) return 0;
  const rows = await legacySavedFunnels(wh);
  return importLegacyFunnels(
    control.db,
    rows.map((r) => ({
      id: r.funnel_id,
      project_id: r.project_id,
      name: withoutNul(r.name),
      // The definition as the API took it; the analytics layer checks it again when it reads it.
      definition: withoutNul({
        steps: JSON.parse(r.steps) as unknown,
        mode: r.mode,
        window_seconds: r.window_seconds,
        strict_order: r.strict_order,
        exclusions: JSON.parse(r.exclusions) as unknown,
        by: r.by,
      }),
      created_at: r.created_at,
      updated_at: r.updated_at,
    })),
  );
}

/**
 * Copies the issue state (status, fix versions, merges, routes, comments) an
 * older install kept in the warehouse into the control plane, once, before
 * anything scans. It waits for the control data's own import (the api role
 * makes it): issue state is copied for the projects the control plane holds.
 * Returns the counts copied, or undefined when there was nothing to do.
 */
export async function importIssueStateFromWarehouse(control: ControlPlane, wh: Warehouse) {
  if (await issueStateImported(control.db)) return undefined;
  if ((await control.db.query('SELECT 1 FROM projects LIMIT 1')).length === 0) return undefined;
  const { issues, routes } = await storedIssueState(wh);
  const comments = await storedComments(wh);
  return importLegacyIssueState(control.db, { issues: withoutNul(issues), routes: withoutNul(routes), comments: withoutNul(comments) });
}

/** `value` with U+0000 dropped from every string: the warehouse took it, PostgreSQL cannot store it, and one such funnel must not stop a start. */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNul(v)])) as T;
  return value;
}

/**
 * On first start: a default team, project and app, a client key and an agent
 * key with every agent permission, written to `<data dir>/credentials.json`.
 * Later starts reuse that file.
 *
 * The file is written (as `.tmp`) before the transaction commits and renamed
 * after: a crash in between leaves a `.tmp` whose project exists, which the
 * next start completes, so the keys shown are never keys that do not exist.
 */
export async function ensureDefaultProject(
  control: ControlPlane,
  dataDir: string,
  retentionDays: number,
): Promise<{ credentials: Credentials; created: boolean }> {
  const file = join(dataDir, 'credentials.json');
  const existing = await readCredentials(file);
  if (existing) return { credentials: existing, created: false };
  const pending = await readCredentials(`${file}.tmp`);
  if (pending && (await getProject(control.db, pending.projectId))) {
    await rename(`${file}.tmp`, file);
    return { credentials: pending, created: true };
  }

  const actor = systemActor('first start');
  const clientKey = generateKey('client');
  const agentKey = generateKey('agent');
  const credentials = await control.db.transaction(async (tx) => {
    const team = await createTeam(tx, { name: 'Default team' }, actor);
    const project = await createProject(tx, team.id, { name: 'Default project', retention_events_days: retentionDays }, actor);
    const app = await createApp(tx, project.id, { name: 'Default app', platform: 'web', bundle_id: 'localhost' }, actor);
    await createKey(tx, project.id, { type: 'client', appId: app.id, name: 'Default client key' }, actor, clientKey);
    await createKey(tx, project.id, { type: 'agent', name: 'Default agent key', permissions: allowedPermissions.agent }, actor, agentKey);
    const made: Credentials = { projectId: project.id, appId: app.id, clientKey, agentKey };
    await writeFile(`${file}.tmp`, JSON.stringify(made, null, 2) + '\n', { mode: 0o600 });
    return made;
  });
  await rename(`${file}.tmp`, file);
  return { credentials, created: true };
}

async function readCredentials(file: string): Promise<Credentials | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = Credentials.safeParse(json);
  if (parsed.success) return parsed.data;
  // A half-written `.tmp` is discarded; a damaged credentials.json is the operator's to fix.
  if (file.endsWith('.tmp')) await rm(file, { force: true });
  else throw new Error(`${file} is not valid: ${parsed.error.message}`);
  return undefined;
}

/** Records a new sign-in link in credentials.json (the other fields keep their meaning). */
export async function writeSignInUrl(dataDir: string, credentials: Credentials, signInUrl: string): Promise<Credentials> {
  const file = join(dataDir, 'credentials.json');
  const next = { ...credentials, signInUrl };
  await writeFile(`${file}.tmp`, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return next;
}

/**
 * A new one-time owner link for the default project's team, written into
 * credentials.json as `signInUrl`: on the first start (so a fresh install
 * without SMTP has a way in), on a start that finds the team without an owner
 * and no link yet (an install upgraded from before sign-in, or a crash right
 * after the first start), and on any start asked to (`STRIX_PRINT_SIGNIN=1`).
 * Each link supersedes the team's older ones.
 */
export async function ensureOwnerSignIn(
  control: ControlPlane,
  dataDir: string,
  bootstrap: { credentials: Credentials; created: boolean },
  options: { publicUrl: string; printSignIn: boolean },
): Promise<{ credentials: Credentials; created: boolean }> {
  // A deleted default project still names its team.
  const project = await getProject(control.db, bootstrap.credentials.projectId, { includeDeleted: true });
  if (!project) throw new Error(`credentials.json names project ${bootstrap.credentials.projectId}, which the control plane does not have`);
  // The banner (main.ts) prints the link of a first start and of STRIX_PRINT_SIGNIN; this case says so itself.
  const ownerless = !bootstrap.created && !options.printSignIn && !bootstrap.credentials.signInUrl && !(await teamHasOwner(control.db, project.team_id));
  if (!bootstrap.created && !options.printSignIn && !ownerless) return bootstrap;
  const { token } = await control.db.transaction((tx) => createOwnerLink(tx, project.team_id));
  const credentials = await writeSignInUrl(dataDir, bootstrap.credentials, `${options.publicUrl}/v1/auth/link/${token}`);
  if (ownerless) console.log(`[strix] the default team has no owner yet: sign in as its owner with ${credentials.signInUrl} (one use, 24 hours)`);
  return { ...bootstrap, credentials };
}
