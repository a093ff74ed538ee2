import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/**
 * The stored starts of metric operations (sql/013's `kind = 'metric'` rows of
 * `events`), read by the processors to give an operation end sent without
 * `duration_ms` its distance from the start.
 */

/** Which operations to look up: one project, and the tracking ids and metric names of its ends. */
export const MetricStartsQuery = z.object({
  projectId: z.string(),
  trackingIds: z.array(z.string()),
  names: z.array(z.string()),
});
export type MetricStartsQuery = z.infer<typeof MetricStartsQuery>;

/** The earliest stored start of one operation; `start_ms` is epoch ms (chDB sends an Int64 as text). */
export const MetricStart = z.object({
  app_id: z.string(),
  name: z.string(),
  tracking_id: z.string(),
  start_ms: z.coerce.number().int(),
});
export type MetricStart = z.infer<typeof MetricStart>;

/**
 * One row per (app, name, tracking id) of the project that has a stored start,
 * with its earliest one. Matching ids and names separately may return a few
 * operations nobody asked for (an id of one name with another name); the caller
 * keys the rows by operation, so those are never used.
 */
export async function storedMetricStarts(wh: Warehouse, query: MetricStartsQuery): Promise<MetricStart[]> {
  const { projectId, trackingIds, names } = MetricStartsQuery.parse(query);
  return queryRows(
    wh,
    'metric starts',
    MetricStart,
    `SELECT app_id, name, tracking_id, toUnixTimestamp64Milli(min(ts)) AS start_ms FROM events
     WHERE project_id = {project:String} AND kind = 'metric' AND metric_phase = 'start'
       AND tracking_id IN {ids:Array(String)} AND name IN {names:Array(String)}
     GROUP BY app_id, name, tracking_id`,
    { project: projectId, ids: trackingIds, names },
  );
}
