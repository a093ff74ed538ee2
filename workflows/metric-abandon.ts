import { createHash } from 'node:crypto';
import type { Warehouse } from '@strix/contracts';

export interface AbandonSettings {
  /**
   * A start is abandoned when no complete, fail or cancel of its operation exists
   * this long after the start reached the warehouse (`inserted_at`, not the
   * client's `ts`): a start sent late by an offline client still gets the whole
   * timeout for its end to follow.
   */
  timeoutMs: number;
  /**
   * How far before its cursor each run re-reads. A row is stamped `inserted_at`
   * when its insert starts and becomes visible when it commits; re-reading a
   * margin catches rows that committed after the previous run read past their
   * stamp. Re-reading is harmless: operations already marked are skipped.
   */
  overlapMs: number;
  /** Abandoned operations written per run at most (a backlog after an outage); the rest wait for the next run. */
  maxPerRun: number;
}

export const defaultAbandonSettings: AbandonSettings = { timeoutMs: 3_600_000, overlapMs: 10 * 60_000, maxPerRun: 100_000 };

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

export interface AbandonSummary {
  asOf: number;
  /** The `inserted_at` window of starts read, epoch ms: (from, to]. */
  from: number;
  to: number;
  starts: number;
  abandoned: number;
  /** The run hit `maxPerRun`; the next one carries on. */
  more: boolean;
  [key: string]: unknown;
}

// Bound parameters: from, to (epoch ms).
const startsInWindow = `kind = 'metric' AND metric_phase = 'start' AND tracking_id != ''
  AND inserted_at > fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND inserted_at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

/** One abandoned row as read back from the engine: an events row, plus its start's insert time. */
type AbandonedRow = Record<string, unknown> & { start_inserted_ms: number | string };

export async function abandonCursor(wh: Warehouse): Promise<number> {
  const [row] = await wh.query<{ at: number | string }>('SELECT toUnixTimestamp64Milli(max(scanned_to)) AS at FROM metric_abandon_cursor');
  return Number(row?.at ?? 0);
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
  const [probe] = await wh.query<{ starts: number | string; first_ts: number | string }>(
    `SELECT count() AS starts, toUnixTimestamp64Milli(min(ts)) AS first_ts FROM events WHERE ${startsInWindow}`,
    params,
  );
  const starts = Number(probe?.starts ?? 0);
  if (starts === 0) return { starts, rows: [] };
  // The REPLACE sits outside the subquery: there its aliases cannot shadow the columns the WHERE reads.
  const rows = await wh.query<AbandonedRow>(
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
    { ...params, now, since: Number(probe?.first_ts ?? 0) - endSlackMs, limit },
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

/**
 * Marks the operations whose start reached the warehouse more than the timeout
 * ago and which have no end. Reads starts by `inserted_at` from the cursor (less
 * the overlap), so a run costs the new starts, not the history. Safe to re-run
 * and to run twice at once: marked operations are skipped, inserts carry tokens,
 * and the cursor only moves forward.
 *
 * An end arriving after its operation was marked is still counted as a complete
 * (or fail, or cancel) in its own bucket; the abandoned mark stays in the start's.
 */
export async function markAbandonedOperations(wh: Warehouse, now: number, settings: AbandonSettings = defaultAbandonSettings): Promise<AbandonSummary> {
  const cursor = await abandonCursor(wh);
  const window = { from: Math.max(0, cursor - settings.overlapMs), to: now - settings.timeoutMs };
  const summary: AbandonSummary = { asOf: now, from: window.from, to: window.to, starts: 0, abandoned: 0, more: false };
  if (window.to <= window.from) return summary;
  const { starts, rows } = await findAbandoned(wh, window, now, settings.maxPerRun);
  await writeAbandoned(wh, rows);
  summary.starts = starts;
  summary.abandoned = rows.length;
  summary.more = rows.length === settings.maxPerRun;
  const last = rows[rows.length - 1];
  const reached = summary.more && last ? Number(last.start_inserted_ms) : window.to;
  if (reached > cursor) await wh.insert('metric_abandon_cursor', [{ scanned_to: reached, scanned_at: now }]);
  return summary;
}
