import type { Warehouse } from '@strix/contracts';
import { abandonCursor, advanceAbandonCursor, findAbandoned, writeAbandoned } from '@strix/warehouse';

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
  const reached = summary.more && last ? last.start_inserted_ms : window.to;
  if (reached > cursor) await advanceAbandonCursor(wh, reached, now);
  return summary;
}
