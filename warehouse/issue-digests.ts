import { z } from 'zod';
import { DigestIssueStatus, IssueDigestStatus, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

// Times cross this module as epoch ms; they leave the engine under their own
// names (an alias named like the column would shadow it in WHERE).
const ms = (column: string, alias: string) => `toUnixTimestamp64Milli(${column}) AS ${alias}`;
const at = (param: string) => `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;

// ---- digest content: issues and their stats ----

/** One issue as a digest lists it. */
export const DigestIssue = z.object({
  issue_id: z.string(),
  app_id: z.string(),
  status: DigestIssueStatus,
  title: z.string(),
  culprit: z.string(),
  occurrences: z.number().int(),
  users: z.number().int(),
  last_seen: z.number().int(),
  last_activity_at: z.number().int(),
  last_app_version: z.string(),
});
export type DigestIssue = z.infer<typeof DigestIssue>;

const StoredDigestIssue = z
  .object({
    issue_id: z.string(),
    app_id: z.string(),
    status: DigestIssueStatus,
    title: z.string(),
    culprit: z.string(),
    occurrences: z.coerce.number(),
    users: z.coerce.number(),
    last_seen_ms: z.coerce.number(),
    last_activity_ms: z.coerce.number(),
    last_app_version: z.string(),
    new_total: z.coerce.number(),
    regressed_total: z.coerce.number(),
  })
  .transform(({ last_seen_ms, last_activity_ms, new_total, regressed_total, ...rest }) => ({
    issue: { ...rest, last_seen: last_seen_ms, last_activity_at: last_activity_ms },
    totals: { new: new_total, regressed: regressed_total },
  }));

export interface DigestIssues {
  /** Regressed first, then the most frequent; at most `limit`. */
  readonly issues: DigestIssue[];
  /** Every matching issue, listed or not. */
  readonly totals: { readonly new: number; readonly regressed: number };
}

/**
 * What a digest for (fromMs, toMs] tells a team: production issues that are
 * live (not merged away), new or regressed, not snoozed at `nowMs`, and that
 * Strix received a matching error for inside the window (last_activity_at is
 * insert time, so an error that arrives late still lands in the next window).
 */
export async function listDigestIssues(
  wh: Warehouse,
  q: { projectId: string; fromMs: number; toMs: number; nowMs: number; limit: number },
): Promise<DigestIssues> {
  const rows = await queryRows(
    wh,
    'issue digest issues',
    StoredDigestIssue,
    `SELECT i.issue_id AS issue_id, i.app_id AS app_id, toString(i.status) AS status, i.title AS title, i.culprit AS culprit,
       s.occurrences AS occurrences, s.users AS users, ${ms('s.last_seen', 'last_seen_ms')},
       ${ms('s.last_activity_at', 'last_activity_ms')}, s.last_app_version AS last_app_version,
       countIf(i.status = 'new') OVER () AS new_total, countIf(i.status = 'regressed') OVER () AS regressed_total
     FROM (SELECT * FROM issues FINAL WHERE project_id = {project:String}) AS i
     INNER JOIN (SELECT * FROM issue_stats FINAL WHERE project_id = {project:String}) AS s ON s.issue_id = i.issue_id
     WHERE NOT i.is_dev AND i.merged_into = '' AND i.status IN ('new', 'regressed')
       AND (i.snoozed_until IS NULL OR i.snoozed_until <= ${at('now')})
       AND s.last_activity_at > ${at('from')} AND s.last_activity_at <= ${at('to')}
     ORDER BY i.status = 'regressed' DESC, s.occurrences DESC, i.issue_id
     LIMIT {limit:UInt32}`,
    { project: q.projectId, from: q.fromMs, to: q.toMs, now: q.nowMs, limit: q.limit },
  );
  return { issues: rows.map((p) => p.issue), totals: rows[0]?.totals ?? { new: 0, regressed: 0 } };
}

// ---- per-recipient cursors ----

const DigestCursorRow = z.object({ email: z.string(), notified_ms: z.coerce.number() });

/** Recipient → end of the last window they were sent (or that was empty), epoch ms. */
export async function listIssueDigestCursors(wh: Warehouse, projectId: string): Promise<Map<string, number>> {
  const rows = await queryRows(
    wh,
    'issue digest cursors',
    DigestCursorRow,
    `SELECT email, ${ms('notified_to', 'notified_ms')} FROM issue_digest_cursors FINAL WHERE project_id = {project:String}`,
    { project: projectId },
  );
  return new Map(rows.map((r) => [r.email, r.notified_ms]));
}

/** Moves a recipient's cursor to `notifiedTo`; the version is the position, so it never moves back. */
export async function advanceIssueDigestCursor(
  wh: Warehouse,
  cursor: { projectId: string; email: string; notifiedTo: number; now: number },
): Promise<void> {
  await wh.insert('issue_digest_cursors', [
    {
      project_id: cursor.projectId,
      email: cursor.email,
      notified_to: cursor.notifiedTo,
      updated_at: cursor.now,
      version: cursor.notifiedTo,
    },
  ]);
}

// ---- delivery log ----

/** One delivery attempt of a digest (times in epoch ms); `attempt` counts from 1 across runs. */
export const IssueDigestRow = z.object({
  project_id: z.string(),
  digest_id: z.string(),
  recipient: z.string(),
  window_from: z.number().int(),
  window_to: z.number().int(),
  issues: z.number().int(),
  attempt: z.number().int().min(1),
  status: IssueDigestStatus,
  error: z.string(),
  message_id: z.string(),
  at: z.number().int(),
});
export type IssueDigestRow = z.infer<typeof IssueDigestRow>;

export async function recordIssueDigestAttempt(wh: Warehouse, row: IssueDigestRow): Promise<void> {
  await wh.insert('issue_digests', [{ ...IssueDigestRow.parse(row), version: row.at }]);
}

const StoredDigest = z
  .object({
    project_id: z.string(),
    digest_id: z.string(),
    recipient: z.string(),
    window_from_ms: z.coerce.number(),
    window_to_ms: z.coerce.number(),
    issues: z.coerce.number(),
    attempt: z.coerce.number(),
    status: IssueDigestStatus,
    error: z.string(),
    message_id: z.string(),
    at_ms: z.coerce.number(),
  })
  .transform(({ window_from_ms, window_to_ms, at_ms, ...rest }) => ({
    ...rest,
    window_from: window_from_ms,
    window_to: window_to_ms,
    at: at_ms,
  }));

const digestColumns = `project_id, digest_id, recipient, ${ms('window_from', 'window_from_ms')},
  ${ms('window_to', 'window_to_ms')}, issues, attempt, status, error, message_id, ${ms('at', 'at_ms')}`;

/** The latest attempt of one digest, if any was made. */
export async function lastIssueDigestAttempt(
  wh: Warehouse,
  projectId: string,
  digestId: string,
): Promise<IssueDigestRow | undefined> {
  const rows = await queryRows(
    wh,
    'issue digests',
    StoredDigest,
    `SELECT ${digestColumns} FROM issue_digests FINAL
     WHERE project_id = {project:String} AND digest_id = {digest:String}
     ORDER BY attempt DESC LIMIT 1`,
    { project: projectId, digest: digestId },
  );
  return rows[0];
}

/** A project's delivery attempts, newest first; one recipient's when `recipient` is given. */
export async function listIssueDigests(
  wh: Warehouse,
  projectId: string,
  options: { recipient?: string; limit?: number } = {},
): Promise<IssueDigestRow[]> {
  const recipient = options.recipient === undefined ? '' : 'AND recipient = {recipient:String}';
  const rows = await queryRows(
    wh,
    'issue digests',
    StoredDigest,
    `SELECT ${digestColumns} FROM issue_digests FINAL
     WHERE project_id = {project:String} ${recipient}
     ORDER BY at DESC, digest_id, attempt DESC LIMIT {limit:UInt32}`,
    { project: projectId, limit: options.limit ?? 100, ...(options.recipient === undefined ? {} : { recipient: options.recipient }) },
  );
  return rows;
}
