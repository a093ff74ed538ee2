import type { Warehouse } from '@strix/contracts';
import { storedMetricStarts, type EventRow } from '@strix/warehouse';
import { noRowRefused, type BatchStep } from './step.ts';

const endPhases = new Set(['complete', 'fail', 'cancel']);

/** One operation: its phases share project, app, metric name and tracking id. */
const operationKey = (row: Pick<EventRow, 'project_id' | 'app_id' | 'name' | 'tracking_id'>) =>
  `${row.project_id}\u0000${row.app_id}\u0000${row.name}\u0000${row.tracking_id ?? ''}`;

/**
 * Gives each operation end sent without `duration_ms` its distance from the
 * operation's start: a start earlier in the same batch, or else one already
 * stored (one query per project for the whole batch). An end whose start is
 * unknown, or later than the end, keeps no duration: it still counts, it is
 * only left out of the duration percentiles.
 *
 * A user's records share a log partition, so a start sent in an earlier
 * request has been inserted before the batch holding its end is prepared.
 */
export async function fillDurations(warehouse: Warehouse, rows: EventRow[]): Promise<void> {
  const starts = new Map<string, number>();
  const missing: EventRow[] = [];
  for (const row of rows) {
    if (row.kind !== 'metric' || !row.tracking_id) continue;
    if (row.metric_phase === 'start') {
      const key = operationKey(row);
      starts.set(key, Math.min(starts.get(key) ?? row.ts, row.ts));
    } else if (endPhases.has(row.metric_phase ?? '') && row.duration_ms == null) {
      missing.push(row);
    }
  }
  if (missing.length === 0) return;

  const byProject = new Map<string, EventRow[]>();
  for (const row of missing) {
    if (starts.has(operationKey(row))) continue;
    const ends = byProject.get(row.project_id);
    if (ends) ends.push(row);
    else byProject.set(row.project_id, [row]);
  }
  for (const [project, ends] of byProject) {
    const stored = await storedMetricStarts(warehouse, {
      projectId: project,
      trackingIds: [...new Set(ends.map((row) => row.tracking_id ?? ''))],
      names: [...new Set(ends.map((row) => row.name))],
    });
    for (const start of stored) {
      const key = operationKey({ project_id: project, ...start });
      starts.set(key, Math.min(starts.get(key) ?? start.start_ms, start.start_ms));
    }
  }
  for (const row of missing) {
    const start = starts.get(operationKey(row));
    if (start !== undefined && start <= row.ts) row.duration_ms = row.ts - start;
  }
}

/** The batch's first step: durations are filled before the rows are inserted, in place. */
export function createMetricDurationsStep({ warehouse }: { warehouse: Warehouse }): BatchStep {
  return async ({ rows }) => {
    await fillDurations(warehouse, rows);
    return noRowRefused;
  };
}
