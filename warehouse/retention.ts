import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/**
 * Statements that delete by age, beside the tables' own TTLs (sql/002 for
 * `events`): a project's current retention settings, applied to rows their TTL
 * would still keep (an older, longer retention carried from their insert, or
 * a table's fixed TTL longer than the project's setting).
 */

const CountRow = z.object({ n: z.coerce.number() });

/**
 * What each of a project's retention settings deletes: the tables of its kind, by their time column. Events are
 * raw events and errors (the hourly and audience rollups keep their counts, as with the TTL); funnels are the
 * funnel steps' source rows; metrics are the metric series (minute and hour rollups).
 */
export const retentionKinds = {
  events: [{ table: 'events', time: 'ts' }],
  funnels: [{ table: 'funnel_events', time: 'ts' }],
  metrics: [
    { table: 'metric_rollup_minutes', time: 'bucket' },
    { table: 'metric_rollup_hours', time: 'bucket' },
  ],
} as const;
export type RetentionKind = keyof typeof retentionKinds;

// Bound parameters: project, cutoff (epoch ms). Partitions (by time) and the sort keys (project first) let both skip recent data.
const before = (time: string) => `project_id = {project:String} AND ${time} < fromUnixTimestamp64Milli({cutoff:Int64}, 'UTC')`;

/**
 * Deletes the project's rows of `kind` older than `cutoffMs` with lightweight DELETEs (chDB and ClickHouse
 * server alike): rows vanish from reads at once, parts are rewritten later by merges. Each DELETE is a mutation
 * even when it matches nothing, so tables are counted first and only those with rows to delete get one.
 * Returns the rows deleted.
 */
export async function deleteRowsBefore(wh: Warehouse, kind: RetentionKind, projectId: string, cutoffMs: number): Promise<number> {
  let deleted = 0;
  for (const { table, time } of retentionKinds[kind]) {
    const params = { project: projectId, cutoff: cutoffMs };
    const [counted] = await queryRows(wh, 'retention', CountRow, `SELECT count() AS n FROM ${table} WHERE ${before(time)}`, params);
    if (!counted?.n) continue;
    await wh.command(`DELETE FROM ${table} WHERE ${before(time)}`, params);
    deleted += counted.n;
  }
  return deleted;
}

/**
 * Every warehouse table that holds rows of a project, by its `project_id`
 * column: what a purged project's data is deleted from. The legacy control
 * tables (projects, apps, api_keys, project_members) are kept as the source of
 * the one-time import into the control plane until they are purged here.
 * `retention.test.ts` fails when a table with a `project_id` column is missing.
 */
export const projectTables = [
  'events',
  'event_counts_hourly',
  'issues',
  'issue_stats',
  'issue_fingerprints',
  'issue_occurrences',
  'issue_comments',
  'issue_scan_cursors',
  'issue_digest_cursors',
  'issue_digests',
  'user_properties',
  'funnel_events',
  'funnels',
  'metric_rollup_minutes',
  'metric_rollup_hours',
  'audience_daily',
  'audience_people',
  'audience_screens_daily',
  'audience_active_days',
  'dead_letters',
  'projects',
  'apps',
  'api_keys',
  'project_members',
] as const;

/**
 * Deletes every row of a project from the warehouse (a purged project): one
 * lightweight DELETE per table that has any, so a re-run after a partial
 * failure only deletes what is left.
 */
export async function deleteProjectData(wh: Warehouse, projectId: string): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const table of projectTables) {
    const [counted] = await queryRows(wh, 'project purge', CountRow, `SELECT count() AS n FROM ${table} WHERE project_id = {project:String}`, { project: projectId });
    if (!counted?.n) continue;
    await wh.command(`DELETE FROM ${table} WHERE project_id = {project:String}`, { project: projectId });
    deleted[table] = counted.n;
  }
  return deleted;
}
