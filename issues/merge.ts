import { randomUUID } from 'node:crypto';
import type { IssueRow, IssueStateReads, IssueStateStore, IssueStateTx, Warehouse } from '@strix/contracts';
import { countOccurrences, describeFingerprint, statsById, writeIssueStats, type IssueStatsRow } from '@strix/warehouse';
import { IssueError } from './errors.ts';
import { headlineOf, newIssue } from './new-issue.ts';

/** The row of `issueId` if it is live, or a 404 that says where a merged one went. */
function requireLive(row: IssueRow | undefined, issueId: string): IssueRow {
  if (!row) throw new IssueError('not_found', `no issue ${issueId} in this project`);
  if (row.merged_into !== '') throw new IssueError('not_found', `issue ${issueId} was merged into ${row.merged_into}`);
  return row;
}

/** A live issue of the project, or a 404 that says where a merged one went. */
export async function liveIssue(state: IssueStateReads, projectId: string, issueId: string): Promise<IssueRow> {
  const [issue] = await state.issues(projectId, [issueId]);
  return requireLive(issue, issueId);
}

/** The given issues, each live, locked until the transaction ends; in the order asked. */
export async function lockLiveIssues(tx: IssueStateTx, projectId: string, ids: readonly string[]): Promise<IssueRow[]> {
  const rows = new Map((await tx.lockIssues(projectId, ids)).map((r) => [r.issue_id, r]));
  return ids.map((id) => requireLive(rows.get(id), id));
}

/** The first app version of the earliest-seen of these stats that knows one. */
function firstVersion(stats: readonly IssueStatsRow[]): string {
  const known = stats.filter((s) => s.first_app_version !== '').sort((a, b) => a.first_seen - b.first_seen);
  return known[0]?.first_app_version ?? '';
}

/**
 * Recomputes counts from occurrences. last_activity_at is not derivable from
 * occurrences: each issue keeps the newest it or the `carryFrom` issues had, or
 * `activityAt` when given (a split-out issue is news for the next digest).
 */
export async function recountIssues(
  wh: Warehouse,
  state: IssueStateReads,
  projectId: string,
  ids: readonly string[],
  carryFrom: readonly string[] = [],
  activityAt = 0,
): Promise<void> {
  const before = await statsById(wh, projectId, [...ids, ...carryFrom]);
  const carried = Math.max(0, ...before.filter((s) => carryFrom.includes(s.issue_id)).map((s) => s.last_activity_at));
  const rows: IssueStatsRow[] = (await countOccurrences(wh, projectId, await state.routesOf(projectId, ids))).map((c) => {
    const own = before.find((s) => s.issue_id === c.issue_id);
    return {
      project_id: projectId,
      issue_id: c.issue_id,
      occurrences: c.occurrences,
      users: c.users,
      first_seen: c.first_seen,
      last_seen: c.last_seen,
      last_activity_at: Math.max(own?.last_activity_at ?? 0, carried, activityAt),
      last_app_version: own?.last_app_version ?? '',
      first_app_version: firstVersion(before.filter((s) => s.issue_id === c.issue_id || carryFrom.includes(s.issue_id))),
    };
  });
  await writeIssueStats(wh, rows);
}

/**
 * Merges `sourceIds` into `targetId` in one transaction: every fingerprint now
 * routes to the target (so future errors do too), comments move, and each
 * source becomes a tombstone naming the target. Occurrences are keyed by
 * fingerprint, so they follow their fingerprints without a rewrite, and a
 * session both issues saw counts once; the target's counts are recomputed
 * after the commit.
 */
export async function mergeIssues(wh: Warehouse, state: IssueStateStore, projectId: string, targetId: string, sourceIds: readonly string[], now: number): Promise<IssueRow> {
  const unique = [...new Set(sourceIds)];
  if (unique.length === 0) throw new IssueError('invalid', 'source_ids: name at least one issue to merge');
  if (unique.includes(targetId)) throw new IssueError('invalid', `source_ids: cannot merge issue ${targetId} into itself`);
  const target = await state.transaction(async (tx) => {
    const [target, ...sources] = await lockLiveIssues(tx, projectId, [targetId, ...unique]);
    for (const source of sources) {
      // Issues are scoped per app and data mode; merging across would hide one app's errors in another's.
      if (source.app_id !== target!.app_id || source.is_dev !== target!.is_dev) {
        throw new IssueError('conflict', `issue ${source.issue_id} belongs to another app or data mode than ${targetId}; only issues of one app and mode can be merged`);
      }
    }
    await tx.saveRoutes((await tx.routesOf(projectId, unique)).map((r) => ({ ...r, issue_id: targetId })));
    await tx.saveComments((await tx.comments(projectId, unique, true)).map((c) => ({ ...c, issue_id: targetId })));
    await tx.saveIssues(sources.map((s) => ({ ...s, merged_into: targetId, updated_at: now })));
    return target!;
  });
  await recountIssues(wh, state, projectId, [targetId], unique);
  return target;
}

/**
 * Splits one fingerprint out of an issue into a new issue (status new) that
 * takes that fingerprint's occurrences and future errors. Comments stay.
 */
export async function unmergeFingerprint(wh: Warehouse, state: IssueStateStore, projectId: string, issueId: string, fingerprint: string, now: number): Promise<IssueRow> {
  // What the split-out issue is titled from, read before the transaction (the warehouse is slow beside it).
  const about = await describeFingerprint(wh, projectId, fingerprint);
  const split = await state.transaction(async (tx) => {
    const [issue] = await lockLiveIssues(tx, projectId, [issueId]);
    const routes = await tx.routesOf(projectId, [issueId]);
    const route = routes.find((r) => r.fingerprint === fingerprint);
    if (!route) throw new IssueError('not_found', `fingerprint ${fingerprint} does not route to issue ${issueId}`);
    if (routes.length === 1) throw new IssueError('conflict', `fingerprint ${fingerprint} is the only one of issue ${issueId}; there is nothing to split it from`);
    const split = newIssue(
      {
        project_id: projectId,
        issue_id: `iss_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
        app_id: issue!.app_id,
        is_dev: issue!.is_dev,
        grouping_config: route.grouping_config,
        // The split-out fingerprint's own error names it; without one it keeps the issue's words.
        ...(about ? headlineOf(about) : { title: issue!.title, culprit: issue!.culprit, exception_type: issue!.exception_type }),
      },
      now,
    );
    await tx.insertIssues([split]);
    await tx.saveRoutes([{ ...route, issue_id: split.issue_id }]);
    return split;
  });
  await recountIssues(wh, state, projectId, [issueId]);
  await recountIssues(wh, state, projectId, [split.issue_id], [], now);
  return split;
}
