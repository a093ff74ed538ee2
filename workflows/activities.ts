import type { Warehouse } from '@strix/contracts';
import { recordJobRun, type JobRunRow } from '@strix/warehouse';
import type { JobActivities } from './jobs.ts';
import { sweepExpiredEvents, type RetentionSweepSummary } from './retention-sweep.ts';

export interface ActivityDeps {
  warehouse: Warehouse;
  /** Clock for retention cutoffs (tests move it). */
  now?: () => number;
}

/**
 * The activities both schedulers run: registered on a Temporal Worker, or
 * called directly by the EmbeddedScheduler. Idempotent, so a retry is safe.
 */
export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? Date.now;
  return {
    async retentionSweep(): Promise<RetentionSweepSummary> {
      return sweepExpiredEvents(deps.warehouse, now());
    },
    async recordJobRun(run: JobRunRow): Promise<void> {
      await recordJobRun(deps.warehouse, run);
    },
  } satisfies JobActivities;
}

export type Activities = ReturnType<typeof createActivities>;
