import { z } from 'zod';
import { FingerprintRow, IssueRow, IssueSorts, type IssueSort, type IssueStatus, type QueryParams, type Versioned, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';
import { nextVersion } from './row-version.ts';

const ms = z.coerce.number().int();

export const IssueStatsRow = z.object({
  project_id: z.string(),
  issue_id: z.string(),
  occurrences: z.coerce.number(),
  users: z.coerce.number(),
  first_seen: ms,
  last_seen: ms,
  last_activity_at: ms,
  last_app_version: z.string(),
  first_app_version: z.string(),
});
export type IssueStatsRow = z.infer<typeof IssueStatsRow>;

/** An issue with its counts, as lists and detail pages show it. */
export const IssueWithStats = IssueRow.extend(IssueStatsRow.omit({ project_id: true, issue_id: true }).shape);
export type IssueWithStats = z.infer<typeof IssueWithStats>;

const msOf = (column: string) => `toUnixTimestamp64Milli(${column}) AS ${column}_ms`;
const nullableMsOf = (column: string) => `if(isNull(${column}), NULL, toUnixTimestamp64Milli(assumeNotNull(${column}))) AS ${column}_ms`;

const issueColumns = `project_id, issue_id, app_id, is_dev, title, culprit, exception_type, grouping_config, status,
  ${nullableMsOf('resolved_at')}, resolved_at_version, ${nullableMsOf('snoozed_until')}, ${nullableMsOf('regressed_at')},
  regressed_in_version, ${msOf('created_at')}, ${msOf('updated_at')}, merged_into`;

const statsColumns = `occurrences, users, ${msOf('first_seen')}, ${msOf('last_seen')}, ${msOf('last_activity_at')}, last_app_version, first_app_version`;

/** Renames the `<column>_ms` aliases back (an alias named like its column would shadow it in WHERE). */
function unalias(row: unknown): unknown {
  if (typeof row !== 'object' || row === null) return row;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key.endsWith('_ms') ? key.slice(0, -3) : key] = value;
  return out;
}

// The stored shapes as read back: the `<column>_ms` aliases renamed before parsing.
const IssueStatsRead = z.preprocess(unalias, IssueStatsRow);
const IssueListRead = z.preprocess(unalias, IssueWithStats.extend({ total: z.coerce.number() }));
const ScanCursorRow = z.object({ to_ms: ms });

/** Copies issue state from the control plane, at the versions it gave each row. */
export async function mirrorIssues(wh: Warehouse, rows: readonly Versioned<IssueRow>[]): Promise<void> {
  if (rows.length > 0) await wh.insert('issues', rows);
}

export async function writeIssueStats(wh: Warehouse, rows: readonly IssueStatsRow[]): Promise<void> {
  if (rows.length === 0) return;
  await wh.insert('issue_stats', rows.map((row) => ({ ...row, version: nextVersion() })));
}

export async function statsById(wh: Warehouse, projectId: string, ids: readonly string[]): Promise<IssueStatsRow[]> {
  if (ids.length === 0) return [];
  return queryRows(
    wh,
    'issue stats',
    IssueStatsRead,
    `SELECT project_id, issue_id, ${statsColumns} FROM issue_stats FINAL
     WHERE project_id = {project:String} AND issue_id IN {ids:Array(String)}`,
    { project: projectId, ids },
  );
}


export interface IssueListFilter {
  projectId: string;
  statuses?: readonly IssueStatus[];
  appId?: string;
  isDev?: boolean;
  /** Case-insensitive substring of the title, culprit or exception type. */
  text?: string;
  sort: IssueSort;
  limit: number;
  offset: number;
}

/** Live issues (never merged-away ones) with their counts, sorted on a denormalized column. */
export async function listIssues(wh: Warehouse, f: IssueListFilter): Promise<{ issues: IssueWithStats[]; total: number }> {
  const clauses = ["i.merged_into = ''"];
  const params: QueryParams = { project: f.projectId, limit: f.limit, offset: f.offset };
  if (f.statuses && f.statuses.length > 0) {
    clauses.push('i.status IN {statuses:Array(String)}');
    params.statuses = f.statuses;
  }
  if (f.appId !== undefined) {
    clauses.push('i.app_id = {app:String}');
    params.app = f.appId;
  }
  if (f.isDev !== undefined) {
    clauses.push('i.is_dev = {is_dev:Bool}');
    params.is_dev = f.isDev;
  }
  if (f.text !== undefined) {
    clauses.push(
      '(positionCaseInsensitiveUTF8(i.title, {text:String}) > 0 OR positionCaseInsensitiveUTF8(i.culprit, {text:String}) > 0 OR positionCaseInsensitiveUTF8(i.exception_type, {text:String}) > 0)',
    );
    params.text = f.text;
  }
  // The sort column is one of IssueSorts (checked by the caller's schema), never client text.
  const order = IssueSorts.includes(f.sort) ? f.sort : 'last_seen';
  const rows = await queryRows(
    wh,
    'issue list',
    IssueListRead,
    `SELECT i.*, s.occurrences, s.users, s.first_seen_ms, s.last_seen_ms, s.last_activity_at_ms, s.last_app_version, s.first_app_version,
       count() OVER () AS total
     FROM (SELECT ${issueColumns} FROM issues FINAL WHERE project_id = {project:String}) AS i
     LEFT JOIN (SELECT issue_id, ${statsColumns} FROM issue_stats FINAL WHERE project_id = {project:String}) AS s USING issue_id
     WHERE ${clauses.join(' AND ')}
     ORDER BY s.${order === 'last_seen' || order === 'first_seen' ? `${order}_ms` : order} DESC, i.issue_id
     LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    params,
  );
  return { issues: rows.map(({ total: _total, ...issue }) => issue), total: rows[0]?.total ?? 0 };
}

export async function mirrorFingerprints(wh: Warehouse, rows: readonly Versioned<FingerprintRow>[]): Promise<void> {
  if (rows.length > 0) await wh.insert('issue_fingerprints', rows);
}

const withVersion = { version: z.coerce.number() };
const MirroredIssue = z.preprocess(unalias, IssueRow.extend(withVersion));
const MirroredFingerprint = z.preprocess(unalias, FingerprintRow.extend(withVersion));

/**
 * Every project's issues and routes as the warehouse holds them, with their
 * versions: what an older Strix kept here before the control plane held it,
 * and the copy the control plane keeps here since.
 */
export async function storedIssueState(wh: Warehouse): Promise<{ issues: Versioned<IssueRow>[]; routes: Versioned<FingerprintRow>[] }> {
  return {
    issues: await queryRows(wh, 'issues', MirroredIssue, `SELECT ${issueColumns}, version FROM issues FINAL ORDER BY project_id, issue_id`),
    routes: await queryRows(
      wh,
      'issue fingerprints',
      MirroredFingerprint,
      `SELECT project_id, fingerprint, issue_id, grouping_config, ${msOf('created_at')}, version FROM issue_fingerprints FINAL ORDER BY project_id, fingerprint`,
    ),
  };
}

/** Where the project's scan has read `events.inserted_at` up to (epoch ms), or undefined before its first scan. */
export async function scanCursor(wh: Warehouse, projectId: string): Promise<number | undefined> {
  const rows = await queryRows(
    wh,
    'issue scan cursors',
    ScanCursorRow,
    `SELECT toUnixTimestamp64Milli(scanned_to) AS to_ms FROM issue_scan_cursors FINAL WHERE project_id = {project:String}`,
    { project: projectId },
  );
  return rows[0]?.to_ms;
}

export async function advanceScanCursor(wh: Warehouse, projectId: string, scannedTo: number, scannedAt: number): Promise<void> {
  await wh.insert('issue_scan_cursors', [{ project_id: projectId, scanned_to: scannedTo, scanned_at: scannedAt, version: scannedTo }]);
}
