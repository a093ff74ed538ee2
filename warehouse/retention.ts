import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/**
 * Statements that delete by age, beside the tables' own TTLs (sql/002 for
 * `events`): a project's current retention, applied to rows its TTL would
 * still keep because they carry an older, longer retention from their insert.
 */

const CountRow = z.object({ n: z.coerce.number() });

// Bound parameters: project, cutoff (epoch ms). Partitions (month of ts) and the key (project_id, day of ts) let both skip recent data.
const eventsBefore = `project_id = {project:String} AND ts < fromUnixTimestamp64Milli({cutoff:Int64}, 'UTC')`;

/** Raw events of the project older than `cutoffMs`. */
export async function countEventsBefore(wh: Warehouse, projectId: string, cutoffMs: number): Promise<number> {
  const [counted] = await queryRows(wh, 'retention', CountRow, `SELECT count() AS n FROM events WHERE ${eventsBefore}`, { project: projectId, cutoff: cutoffMs });
  return counted?.n ?? 0;
}

/**
 * Deletes the project's raw events older than `cutoffMs` with a lightweight
 * DELETE (chDB and ClickHouse server alike): rows vanish from reads at once,
 * parts are rewritten later by merges. Each call is a mutation even when it
 * matches nothing, so callers count first. Rollups are left as they are.
 */
export async function deleteEventsBefore(wh: Warehouse, projectId: string, cutoffMs: number): Promise<void> {
  await wh.command(`DELETE FROM events WHERE ${eventsBefore}`, { project: projectId, cutoff: cutoffMs });
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
