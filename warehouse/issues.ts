import { z } from 'zod';
import { IssueSorts, IssueStatuses, type IssueSort, type IssueStatus, type QueryParams, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';
import { nextVersion } from './row-version.ts';

const ms = z.coerce.number().int();
const nullableMs = z.union([z.null(), ms]);

/** An issue's state as stored (times in epoch ms). */
export const IssueRow = z.object({
  project_id: z.string(),
  issue_id: z.string(),
  app_id: z.string(),
  is_dev: z.coerce.boolean(),
  title: z.string(),
  culprit: z.string(),
  exception_type: z.string(),
  grouping_config: z.string(),
  status: z.enum(IssueStatuses),
  resolved_at: nullableMs,
  resolved_at_version: z.string(),
  snoozed_until: nullableMs,
  regressed_at: nullableMs,
  regressed_in_version: z.string(),
  created_at: ms,
  updated_at: ms,
  merged_into: z.string(),
});
export type IssueRow = z.infer<typeof IssueRow>;

export const IssueStatsRow = z.object({
  project_id: z.string(),
  issue_id: z.string(),
  occurrences: z.coerce.number(),
  users: z.coerce.number(),
  first_seen: ms,
  last_seen: ms,
  last_activity_at: ms,
  last_app_version: z.string(),
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

const statsColumns = `occurrences, users, ${msOf('first_seen')}, ${msOf('last_seen')}, ${msOf('last_activity_at')}, last_app_version`;

/** Renames the `<column>_ms` aliases back (an alias named like its column would shadow it in WHERE). */
function unalias(row: unknown): unknown {
  if (typeof row !== 'object' || row === null) return row;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key.endsWith('_ms') ? key.slice(0, -3) : key] = value;
  return out;
}

// The stored shapes as read back: the `<column>_ms` aliases renamed before parsing.
const IssueRead = z.preprocess(unalias, IssueRow);
const IssueStatsRead = z.preprocess(unalias, IssueStatsRow);
const IssueListRead = z.preprocess(unalias, IssueWithStats.extend({ total: z.coerce.number() }));
const ScanCursorRow = z.object({ to_ms: ms });

export async function writeIssues(wh: Warehouse, rows: readonly IssueRow[]): Promise<void> {
  if (rows.length === 0) return;
  await wh.insert('issues', rows.map((row) => ({ ...row, version: nextVersion() })));
}

export async function writeIssueStats(wh: Warehouse, rows: readonly IssueStatsRow[]): Promise<void> {
  if (rows.length === 0) return;
  await wh.insert('issue_stats', rows.map((row) => ({ ...row, version: nextVersion() })));
}

/** Issues by id, merged-away tombstones included (callers follow `merged_into`). */
export async function issuesById(wh: Warehouse, projectId: string, ids: readonly string[]): Promise<IssueRow[]> {
  if (ids.length === 0) return [];
  return queryRows(
    wh,
    'issues',
    IssueRead,
    `SELECT ${issueColumns} FROM issues FINAL WHERE project_id = {project:String} AND issue_id IN {ids:Array(String)}`,
    { project: projectId, ids },
  );
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
    `SELECT i.*, s.occurrences, s.users, s.first_seen_ms, s.last_seen_ms, s.last_activity_at_ms, s.last_app_version,
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

export const FingerprintRow = z.object({
  project_id: z.string(),
  fingerprint: z.string(),
  issue_id: z.string(),
  grouping_config: z.string(),
  created_at: ms,
});
export type FingerprintRow = z.infer<typeof FingerprintRow>;
const FingerprintRead = z.preprocess(unalias, FingerprintRow);

export async function writeFingerprints(wh: Warehouse, rows: readonly FingerprintRow[]): Promise<void> {
  if (rows.length === 0) return;
  await wh.insert('issue_fingerprints', rows.map((row) => ({ ...row, version: nextVersion() })));
}

/** Which issue each of the given fingerprints routes to (unknown ones are absent). */
export async function fingerprintRoutes(wh: Warehouse, projectId: string, fingerprints: readonly string[]): Promise<FingerprintRow[]> {
  if (fingerprints.length === 0) return [];
  return queryRows(
    wh,
    'issue fingerprints',
    FingerprintRead,
    `SELECT project_id, fingerprint, issue_id, grouping_config, ${msOf('created_at')} FROM issue_fingerprints FINAL
     WHERE project_id = {project:String} AND fingerprint IN {fps:Array(String)}`,
    { project: projectId, fps: fingerprints },
  );
}

/** The fingerprints that route to the given issues. */
export async function fingerprintsOfIssues(wh: Warehouse, projectId: string, issueIds: readonly string[]): Promise<FingerprintRow[]> {
  if (issueIds.length === 0) return [];
  return queryRows(
    wh,
    'issue fingerprints',
    FingerprintRead,
    `SELECT project_id, fingerprint, issue_id, grouping_config, ${msOf('created_at')} FROM issue_fingerprints FINAL
     WHERE project_id = {project:String} AND issue_id IN {ids:Array(String)} ORDER BY created_at, fingerprint`,
    { project: projectId, ids: issueIds },
  );
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
