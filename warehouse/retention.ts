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
