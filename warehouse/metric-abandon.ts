import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/**
 * The queries of the metric-abandon job: operation starts (metric events of
 * phase `start`) that no end followed, the `abandoned` rows written for them,
 * and the job's cursor (`metric_abandon_cursor`, sql/013). The job's timing
 * rules live in workflows/metric-abandon.ts.
 */

/** Ends are looked for from this long before the earliest start: client clocks of one device may disagree a little. */
const endSlackMs = 86_400_000;
/** Rows per insert: each insert is one block, deduplicated on its own token. */
const rowsPerInsert = 10_000;

export interface AbandonWindow {
  /** Exclusive lower bound on the starts' `inserted_at`, epoch ms. */
  from: number;
  /** Inclusive upper bound on the starts' `inserted_at`, epoch ms. */
  to: number;
}

/**
 * One abandoned row as read back from the engine: a whole `events` row (every
 * column kept, to be inserted again), plus its start's insert time. The
 * columns named are those the job and its tokens read.
 */
export const AbandonedRow = z.looseObject({
  project_id: z.string(),
  app_id: z.string(),
  name: z.string(),
  tracking_id: z.string(),
  start_inserted_ms: z.coerce.number(),
});
export type AbandonedRow = z.infer<typeof AbandonedRow>;

const AbandonCursorRow = z.object({ at: z.coerce.number() });
const StartsProbeRow = z.object({ starts: z.coerce.number(), first_ts: z.coerce.number() });

// Bound parameters: from, to (epoch ms).
const startsInWindow = `kind = 'metric' AND metric_phase = 'start' AND tracking_id != ''
  AND inserted_at > fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND inserted_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

/** Where the job has read starts' `inserted_at` up to (epoch ms); 0 before its first run. */
export async function abandonCursor(wh: Warehouse): Promise<number> {
  const [row] = await queryRows(wh, 'metric abandon cursor', AbandonCursorRow, 'SELECT toUnixTimestamp64Milli(max(scanned_to)) AS at FROM metric_abandon_cursor');
  return row?.at ?? 0;
}

/** Records a run's reach; the table keeps the greatest, so an older run never moves it back. */
export async function advanceAbandonCursor(wh: Warehouse, scannedTo: number, scannedAt: number): Promise<void> {
  await wh.insert('metric_abandon_cursor', [{ scanned_to: scannedTo, scanned_at: scannedAt }]);
}

/**
 * The operations in the window that are abandoned and not yet marked, one row
 * each (its earliest start), ready to insert: the start's row with the phase
 * `abandoned`, a deterministic id and the start's `ts`, so the rollups count it
 * in the start's bucket with the start's dimensions (user properties it set are
 * not set again). Everything is decided in the engine; only the abandoned rows
 * cross into JavaScript.
 */
export async function findAbandoned(wh: Warehouse, window: AbandonWindow, now: number, limit: number): Promise<{ starts: number; rows: AbandonedRow[] }> {
  const params = { from: window.from, to: window.to };
  const [probe] = await queryRows(
    wh,
    'metric abandon starts',
    StartsProbeRow,
    `SELECT count() AS starts, toUnixTimestamp64Milli(min(ts)) AS first_ts FROM events WHERE ${startsInWindow}`,
    params,
  );
  const starts = probe?.starts ?? 0;
  if (starts === 0) return { starts, rows: [] };
  // The REPLACE sits outside the subquery: there its aliases cannot shadow the columns the WHERE reads.
  const rows = await queryRows(
    wh,
    'metric abandon rows',
    AbandonedRow,
    `SELECT * EXCEPT (inserted_at) REPLACE (
       concat('abandoned:', tracking_id) AS event_id,
       'abandoned' AS metric_phase,
       fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS received_at,
       NULL AS duration_ms,
       NULL AS metric_value,
       CAST(map(), 'Map(String, String)') AS user_set,
       CAST(map(), 'Map(String, String)') AS user_set_once,
       '' AS log_topic,
       0 AS log_partition,
       0 AS log_offset)
     FROM (
       SELECT *, toUnixTimestamp64Milli(inserted_at) AS start_inserted_ms FROM events
       WHERE ${startsInWindow}
         AND (project_id, app_id, name, tracking_id) NOT IN (
           SELECT project_id, app_id, name, tracking_id FROM events
           WHERE kind = 'metric' AND metric_phase IN ('complete', 'fail', 'cancel', 'abandoned')
             AND ts >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
             AND tracking_id IN (SELECT tracking_id FROM events WHERE ${startsInWindow}))
       ORDER BY start_inserted_ms, project_id, app_id, name, tracking_id, ts, event_id
       LIMIT 1 BY project_id, app_id, name, tracking_id
       LIMIT {limit:UInt32})`,
    { ...params, now, since: (probe?.first_ts ?? 0) - endSlackMs, limit },
  );
  return { starts, rows };
}

/**
 * Inserts abandoned rows under tokens derived from the operations they mark:
 * a run that found the same operations (a retry, or a concurrent run that read
 * before this one wrote) inserts nothing new, and so neither do the rollups.
 */
export async function writeAbandoned(wh: Warehouse, rows: readonly AbandonedRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += rowsPerInsert) {
    const chunk = rows.slice(i, i + rowsPerInsert).map(({ start_inserted_ms: _, ...row }) => row);
    const keys = chunk.map((r) => [r.project_id, r.app_id, r.name, r.tracking_id].join('\u0000')).join('\u0001');
    await wh.insert('events', chunk, { dedupToken: `metric-abandon:${createHash('sha256').update(keys).digest('hex')}` });
  }
}
