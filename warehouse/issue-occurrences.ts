import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/**
 * The error events a scan reads: errors with a fingerprint that reached the
 * warehouse in (from, to] by `inserted_at`. Bound parameters: project, from, to.
 */
const scanWindow = `project_id = {project:String} AND level = 'error' AND fingerprint != ''
  AND inserted_at > fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND inserted_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

export interface ScanWindow {
  projectId: string;
  /** Exclusive lower bound on `inserted_at`, epoch ms. */
  from: number;
  /** Inclusive upper bound on `inserted_at`, epoch ms. */
  to: number;
}

const windowParams = (w: ScanWindow) => ({ project: w.projectId, from: w.from, to: w.to });

/** One fingerprint's errors in a scan window: what a new issue is made from, and how its counts move. */
export const WindowFingerprint = z.object({
  fingerprint: z.string(),
  fingerprint_previous: z.string(),
  grouping_config: z.string(),
  app_id: z.string(),
  is_dev: z.coerce.boolean(),
  message: z.string(),
  exception_type: z.string(),
  culprit: z.string(),
  source_module: z.string(),
  errors: z.coerce.number(),
  first_seen: z.coerce.number(),
  last_seen: z.coerce.number(),
  last_inserted_at: z.coerce.number(),
  last_app_version: z.string(),
  first_app_version: z.string(),
});
export type WindowFingerprint = z.infer<typeof WindowFingerprint>;

export async function fingerprintsInWindow(wh: Warehouse, w: ScanWindow): Promise<WindowFingerprint[]> {
  const rows = await queryRows(
    wh,
    'issue scan fingerprints',
    WindowFingerprint,
    `SELECT fingerprint, any(fingerprint_previous) AS fingerprint_previous, any(grouping_config) AS grouping_config,
       any(app_id) AS app_id, any(is_dev) AS is_dev,
       argMin(message, ts) AS message, argMin(exception_type, ts) AS exception_type, argMin(culprit, ts) AS culprit,
       argMin(source_module, ts) AS source_module, count() AS errors,
       toUnixTimestamp64Milli(min(ts)) AS first_seen, toUnixTimestamp64Milli(max(ts)) AS last_seen,
       toUnixTimestamp64Milli(max(inserted_at)) AS last_inserted_at, argMax(app_version, ts) AS last_app_version,
       argMin(app_version, ts) AS first_app_version
     FROM events WHERE ${scanWindow} GROUP BY fingerprint`,
    windowParams(w),
  );
  return rows;
}

export const WindowVersion = z.object({
  fingerprint: z.string(),
  app_version: z.string(),
  /** The newest insert time of an error of this fingerprint in this version. */
  last_inserted_at: z.coerce.number(),
});
export type WindowVersion = z.infer<typeof WindowVersion>;

/** The app versions the given fingerprints' errors came from in the window (regression checks). */
export async function versionsInWindow(wh: Warehouse, w: ScanWindow, fingerprints: readonly string[]): Promise<WindowVersion[]> {
  if (fingerprints.length === 0) return [];
  const rows = await queryRows(
    wh,
    'issue scan versions',
    WindowVersion,
    `SELECT fingerprint, app_version, toUnixTimestamp64Milli(max(inserted_at)) AS last_inserted_at
     FROM events WHERE ${scanWindow} AND fingerprint IN {fps:Array(String)} AND app_version != ''
     GROUP BY fingerprint, app_version`,
    { ...windowParams(w), fps: fingerprints },
  );
  return rows;
}

const sessionKey = `if(session_id != '', session_id,
  concat('burst:', user_id, ':', toString(intDiv(toUnixTimestamp64Milli(ts), {burst:UInt32}))))`;

/** Occurrences are written in slices of about this many errors, so other statements (the processors' inserts) run in between. */
const errorsPerSlice = 250_000;

/**
 * Records the window's occurrences inside the engine (no row crosses into
 * JavaScript): one aggregate row per (fingerprint, session). Errors without a
 * session fall into a burst key — the user (or nobody) and a `burstMs` slot —
 * so a client looping on one error makes one occurrence, not thousands.
 * Re-running a window inserts the same min/max/first values: a no-op on read.
 *
 * A large window is written in hash slices of (fingerprint, session): the
 * embedded engine runs one statement at a time, and one multi-second insert
 * would hold the processors' inserts (and so ingest) back for all of it.
 */
export async function recordOccurrences(wh: Warehouse, w: ScanWindow, errors: number, burstMs: number): Promise<void> {
  const slices = Math.max(1, Math.ceil(errors / errorsPerSlice));
  for (let slice = 0; slice < slices; slice++) {
    await wh.command(
      `INSERT INTO issue_occurrences (project_id, fingerprint, session_key, first_seen, last_seen, user_id, app_version, environment)
       SELECT project_id, fingerprint, ${sessionKey} AS session_key,
         min(ts), max(ts), argMin(user_id, ts), argMin(app_version, ts), argMin(environment, ts)
       FROM events WHERE ${scanWindow} AND cityHash64(fingerprint, session_key) % {slices:UInt32} = {slice:UInt32}
       GROUP BY project_id, fingerprint, session_key`,
      { ...windowParams(w), burst: burstMs, slices, slice },
    );
  }
}

export const IssueCounts = z.object({
  issue_id: z.string(),
  occurrences: z.coerce.number(),
  users: z.coerce.number(),
  first_seen: z.coerce.number(),
  last_seen: z.coerce.number(),
});
export type IssueCounts = z.infer<typeof IssueCounts>;

/**
 * Occurrence and user counts of issues, from every occurrence of the
 * fingerprints routed to them (`routes`, read from the control plane). A
 * session seen under two fingerprints of one issue (after a merge) counts
 * once; rows not yet merged by the engine cannot count twice either, since
 * everything here is a distinct count, min or max.
 */
export async function countOccurrences(wh: Warehouse, projectId: string, routes: readonly { fingerprint: string; issue_id: string }[]): Promise<IssueCounts[]> {
  if (routes.length === 0) return [];
  const rows = await queryRows(
    wh,
    'issue occurrence counts',
    IssueCounts,
    `SELECT transform(o.fingerprint, {fps:Array(String)}, {ids:Array(String)}, '') AS issue_id,
       uniqExact(o.session_key) AS occurrences, uniqExactIf(o.user_id, o.user_id != '') AS users,
       toUnixTimestamp64Milli(min(o.first_seen)) AS first_seen, toUnixTimestamp64Milli(max(o.last_seen)) AS last_seen
     FROM issue_occurrences AS o
     WHERE o.project_id = {project:String} AND o.fingerprint IN {fps:Array(String)}
     GROUP BY issue_id`,
    { project: projectId, fps: routes.map((r) => r.fingerprint), ids: routes.map((r) => r.issue_id) },
  );
  return rows;
}

export const Occurrence = z.object({
  fingerprint: z.string(),
  /** '' for errors sent without a session (a burst occurrence). */
  session_id: z.string(),
  user_id: z.string(),
  app_version: z.string(),
  environment: z.string(),
  first_seen: z.coerce.number(),
  last_seen: z.coerce.number(),
});
export type Occurrence = z.infer<typeof Occurrence>;

/** An occurrence as read back: the short aliases (an alias named like its column would shadow it) renamed. */
const OccurrenceRead = z.preprocess((row) => {
  if (typeof row !== 'object' || row === null) return row;
  const { user, version, env, ...rest } = row as Record<string, unknown>;
  return { ...rest, user_id: user, app_version: version, environment: env };
}, Occurrence);

/** An issue's most recent occurrences, one per session even when two of its fingerprints share a session. */
export async function recentOccurrences(wh: Warehouse, projectId: string, fingerprints: readonly string[], limit: number): Promise<Occurrence[]> {
  if (fingerprints.length === 0) return [];
  const rows = await queryRows(
    wh,
    'issue occurrences',
    OccurrenceRead,
    `SELECT fingerprint, if(startsWith(session_key, 'burst:'), '', session_key) AS session_id, user, version, env,
       toUnixTimestamp64Milli(first_seen_at) AS first_seen, toUnixTimestamp64Milli(last_seen_at) AS last_seen
     FROM (
       SELECT fingerprint, session_key, min(first_seen) AS first_seen_at, max(last_seen) AS last_seen_at,
         any(user_id) AS user, any(app_version) AS version, any(environment) AS env
       FROM issue_occurrences WHERE project_id = {project:String} AND fingerprint IN {fps:Array(String)}
       GROUP BY fingerprint, session_key
     )
     ORDER BY last_seen_at DESC LIMIT 1 BY session_key LIMIT {limit:UInt32}`,
    { project: projectId, fps: fingerprints, limit },
  );
  return rows;
}

export const ErrorSummary = z.object({
  message: z.string(),
  exception_type: z.string(),
  culprit: z.string(),
  source_module: z.string(),
});
export type ErrorSummary = z.infer<typeof ErrorSummary>;

/**
 * What an issue is titled from: the first stored error of the fingerprint's
 * latest occurrence, found through the events key (its day) and its exact time.
 */
export async function describeFingerprint(wh: Warehouse, projectId: string, fingerprint: string): Promise<ErrorSummary | undefined> {
  const [latest] = await recentOccurrences(wh, projectId, [fingerprint], 1);
  if (!latest) return undefined;
  const rows = await queryRows(
    wh,
    'issue error summary',
    ErrorSummary,
    `SELECT message, exception_type, culprit, source_module FROM events
     WHERE project_id = {project:String} AND toDate(ts) = toDate(fromUnixTimestamp64Milli({at:Int64}, 'UTC'))
       AND ts = fromUnixTimestamp64Milli({at:Int64}, 'UTC') AND fingerprint = {fp:String} LIMIT 1`,
    { project: projectId, at: latest.first_seen, fp: fingerprint },
  );
  return rows[0];
}
