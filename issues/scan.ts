import { createHash } from 'node:crypto';
import type { FingerprintRow, IssueRow, IssueStateReads, IssueStateStore, Warehouse } from '@strix/contracts';
import {
  advanceScanCursor,
  countOccurrences,
  fingerprintsInWindow,
  recordOccurrences,
  scanCursor,
  statsById,
  versionsInWindow,
  writeIssueStats,
  type IssueStatsRow,
  type ScanWindow,
  type WindowFingerprint,
} from '@strix/warehouse';
import { headlineOf, newIssue } from './new-issue.ts';
import { isNewerVersion } from './versions.ts';

export interface ScanSettings {
  /**
   * How far before its cursor each scan re-reads. A row is stamped `inserted_at`
   * when its insert starts and becomes visible when it commits; re-reading a
   * margin catches rows that committed after the previous scan read past their
   * stamp. Re-reading is harmless: every write of the scan is idempotent.
   */
  overlapMs: number;
  /** Errors without a session, from one user, within this slot are one occurrence. */
  burstMs: number;
}

export const defaultScanSettings: ScanSettings = { overlapMs: 10 * 60_000, burstMs: 5_000 };

export interface ScanSummary {
  projectId: string;
  /** The `inserted_at` window read, epoch ms: (from, to]. */
  from: number;
  to: number;
  errors: number;
  fingerprints: number;
  created: { issue_id: string; title: string }[];
  /** Existing issues that received errors (regressed ones included). */
  updated: string[];
  regressed: { issue_id: string; version: string }[];
  /** Occurrences the touched issues gained (new sessions). */
  newOccurrences: number;
  [key: string]: unknown;
}

/** A scan-created issue's id: derived from the fingerprint, so two racing scans create one issue. */
export function issueIdFor(projectId: string, fingerprint: string): string {
  return 'iss_' + createHash('sha256').update(`${projectId}\u0000${fingerprint}`).digest('hex').slice(0, 24);
}

/**
 * Routes each unrouted fingerprint: to the route of the hash the previous
 * grouping config gave the same error (the new hash then joins that issue, so
 * a grouping upgrade never regroups existing issues), else to a new issue.
 * Writes the new issues and routes in one transaction; a fingerprint a racing
 * scan routed first keeps that route. Returns fingerprint → issue id, and the
 * issues this scan opened.
 */
async function route(state: IssueStateStore, projectId: string, fps: readonly WindowFingerprint[], now: number) {
  const lookups = [...new Set(fps.flatMap((fp) => (fp.fingerprint_previous ? [fp.fingerprint, fp.fingerprint_previous] : [fp.fingerprint])))];
  const known = new Map((await state.routes(projectId, lookups)).map((r) => [r.fingerprint, r.issue_id]));
  const newRoutes: FingerprintRow[] = [];
  const created = new Map<string, IssueRow>();
  for (const fp of fps) {
    if (known.has(fp.fingerprint)) continue;
    const inherited = fp.fingerprint_previous ? known.get(fp.fingerprint_previous) : undefined;
    const issueId = inherited ?? issueIdFor(projectId, fp.fingerprint);
    if (inherited === undefined) {
      const { app_id, is_dev, grouping_config } = fp;
      created.set(issueId, newIssue({ project_id: projectId, issue_id: issueId, app_id, is_dev, grouping_config, ...headlineOf(fp) }, now));
    }
    newRoutes.push({ project_id: projectId, fingerprint: fp.fingerprint, issue_id: issueId, grouping_config: fp.grouping_config, created_at: now });
  }
  const issueOf = () => new Map(fps.flatMap((fp) => { const id = known.get(fp.fingerprint); return id === undefined ? [] : [[fp.fingerprint, id] as const]; }));
  if (newRoutes.length === 0) return { issueOf: issueOf(), created: [] };
  // An issue already stored (a racing scan made it) keeps its state: it is not news of this scan.
  const stored = new Set((await state.issues(projectId, [...created.keys()])).map((i) => i.issue_id));
  await state.transaction(async (tx) => {
    await tx.insertIssues([...created.values()]);
    await tx.insertRoutes(newRoutes);
  });
  const routed = await state.routes(projectId, newRoutes.map((r) => r.fingerprint));
  for (const r of routed) known.set(r.fingerprint, r.issue_id);
  return { issueOf: issueOf(), created: [...created.values()].filter((i) => !stored.has(i.issue_id)) };
}

/** Each id's live issue, following merge tombstones (a route read while a merge was under way). */
async function liveIssues(state: IssueStateReads, projectId: string, ids: readonly string[]): Promise<Map<string, IssueRow>> {
  const rows = new Map<string, IssueRow>();
  let pending = [...new Set(ids)];
  for (let hop = 0; hop < 8 && pending.length > 0; hop++) {
    const fetched = await state.issues(projectId, pending);
    for (const row of fetched) rows.set(row.issue_id, row);
    pending = fetched.filter((r) => r.merged_into !== '' && !rows.has(r.merged_into)).map((r) => r.merged_into);
  }
  const live = new Map<string, IssueRow>();
  for (const id of ids) {
    let row = rows.get(id);
    for (let hop = 0; row && row.merged_into !== '' && hop < 8; hop++) row = rows.get(row.merged_into);
    if (row?.merged_into === '') live.set(id, row);
  }
  return live;
}

/**
 * Turns the errors that reached the warehouse since the project's last scan
 * into issues and occurrences. Everything heavy runs inside the engine; only
 * one row per fingerprint crosses into JavaScript. Safe to re-run and to run
 * twice at once: ids come from fingerprints, occurrences are idempotent
 * aggregates, counts are recomputed, and the cursor only moves forward.
 */
export async function scanProject(
  wh: Warehouse,
  state: IssueStateStore,
  projectId: string,
  now: number,
  settings: ScanSettings = defaultScanSettings,
): Promise<ScanSummary> {
  const cursor = (await scanCursor(wh, projectId)) ?? 0;
  const window: ScanWindow = { projectId, from: Math.max(0, cursor - settings.overlapMs), to: now };
  const summary: ScanSummary = { projectId, from: window.from, to: window.to, errors: 0, fingerprints: 0, created: [], updated: [], regressed: [], newOccurrences: 0 };
  if (window.to <= window.from) return summary;

  const fps = await fingerprintsInWindow(wh, window);
  summary.fingerprints = fps.length;
  summary.errors = fps.reduce((n, fp) => n + fp.errors, 0);
  if (fps.length > 0) {
    const { issueOf, created } = await route(state, projectId, fps, now);
    await recordOccurrences(wh, window, summary.errors, settings.burstMs);

    const live = await liveIssues(state, projectId, [...new Set(issueOf.values())]);
    const touched = [...new Set([...live.values()].map((i) => i.issue_id))];
    await regress(wh, state, window, fps, issueOf, live, now, summary);
    await refreshStats(wh, state, { projectId, cursor, now }, touched, fps, issueOf, live, summary);
    summary.created = created.map((i) => ({ issue_id: i.issue_id, title: i.title }));
    const opened = new Set(created.map((i) => i.issue_id));
    summary.updated = touched.filter((id) => !opened.has(id));
  }
  await advanceScanCursor(wh, projectId, Math.max(window.to, cursor), now);
  return summary;
}

/**
 * A resolved issue with a known fix version regresses when one of its errors,
 * received after it was resolved, comes from a strictly newer app version.
 * Errors received before the resolve (re-read through the overlap) never count.
 */
async function regress(
  wh: Warehouse,
  state: IssueStateStore,
  window: ScanWindow,
  fps: readonly WindowFingerprint[],
  issueOf: ReadonlyMap<string, string>,
  live: ReadonlyMap<string, IssueRow>,
  now: number,
  summary: ScanSummary,
): Promise<void> {
  const candidates = fps.filter((fp) => {
    const issue = live.get(issueOf.get(fp.fingerprint) ?? '');
    return issue?.status === 'resolved' && issue.resolved_at_version !== '' && issue.resolved_at !== null;
  });
  if (candidates.length === 0) return;
  const newest = new Map<string, string>();
  for (const v of await versionsInWindow(wh, window, candidates.map((fp) => fp.fingerprint))) {
    const issue = live.get(issueOf.get(v.fingerprint) ?? '');
    if (!issue || issue.resolved_at === null || v.last_inserted_at <= issue.resolved_at) continue;
    if (!isNewerVersion(v.app_version, issue.resolved_at_version)) continue;
    const best = newest.get(issue.issue_id);
    if (best === undefined || isNewerVersion(v.app_version, best)) newest.set(issue.issue_id, v.app_version);
  }
  if (newest.size === 0) return;
  // Locked and re-read: a person may have changed the status since the scan began, and may not while it writes.
  const regressed = await state.transaction(async (tx) => {
    const rows = (await tx.lockIssues(window.projectId, [...newest.keys()]))
      .filter((i) => i.status === 'resolved' && i.merged_into === '')
      .map((i): IssueRow => ({ ...i, status: 'regressed', regressed_at: now, regressed_in_version: newest.get(i.issue_id) ?? '', updated_at: now }));
    await tx.saveIssues(rows);
    return rows;
  });
  summary.regressed = regressed.map((i) => ({ issue_id: i.issue_id, version: i.regressed_in_version }));
}

/**
 * Counts are recomputed from occurrences. last_activity_at, which digests
 * select on, is the time of the scan that recorded an issue's new errors
 * (received after the cursor, not re-read through the overlap): a digest
 * computed while a scan was still running then misses nothing, since what
 * that scan records is stamped after the digest's window.
 */
async function refreshStats(
  wh: Warehouse,
  state: IssueStateReads,
  { projectId, cursor, now }: { projectId: string; cursor: number; now: number },
  issueIds: readonly string[],
  fps: readonly WindowFingerprint[],
  issueOf: ReadonlyMap<string, string>,
  live: ReadonlyMap<string, IssueRow>,
  summary: ScanSummary,
): Promise<void> {
  const previous = new Map((await statsById(wh, projectId, issueIds)).map((s) => [s.issue_id, s]));
  const latest = new Map<string, { lastSeen: number; activity: number; version: string; firstSeen: number; firstVersion: string }>();
  for (const fp of fps) {
    const issueId = live.get(issueOf.get(fp.fingerprint) ?? '')?.issue_id;
    if (!issueId) continue;
    const current = latest.get(issueId);
    latest.set(issueId, {
      lastSeen: Math.max(current?.lastSeen ?? 0, fp.last_seen),
      activity: fp.last_inserted_at > cursor ? now : (current?.activity ?? 0),
      version: current && current.lastSeen >= fp.last_seen ? current.version : fp.last_app_version,
      firstSeen: Math.min(current?.firstSeen ?? Infinity, fp.first_seen),
      firstVersion: current && current.firstSeen <= fp.first_seen ? current.firstVersion : fp.first_app_version,
    });
  }
  const rows: IssueStatsRow[] = [];
  for (const counts of await countOccurrences(wh, projectId, await state.routesOf(projectId, issueIds))) {
    const before = previous.get(counts.issue_id);
    const seen = latest.get(counts.issue_id);
    const lastSeen = Math.max(counts.last_seen, before?.last_seen ?? 0);
    rows.push({
      project_id: projectId,
      issue_id: counts.issue_id,
      occurrences: counts.occurrences,
      users: counts.users,
      first_seen: Math.min(counts.first_seen, before?.first_seen ?? Infinity),
      last_seen: lastSeen,
      last_activity_at: Math.max(seen?.activity ?? 0, before?.last_activity_at ?? 0),
      last_app_version: seen && seen.lastSeen >= (before?.last_seen ?? 0) ? seen.version : (before?.last_app_version ?? ''),
      // Kept from an earlier scan unless this window holds older errors (late ones) or the row predates the column.
      first_app_version: seen && (!before?.first_app_version || seen.firstSeen < before.first_seen) ? seen.firstVersion : (before?.first_app_version ?? ''),
    });
    summary.newOccurrences += counts.occurrences - (before?.occurrences ?? 0);
  }
  await writeIssueStats(wh, rows);
}
