import { z } from 'zod';
import { JobRunStatus, JobRunTrigger, type Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/** One run of a scheduled job as both schedulers record it (times in epoch ms; `summary` is JSON text). */
export const JobRunRow = z.object({
  job: z.string(),
  run_id: z.string(),
  trigger: JobRunTrigger,
  scheduled_at: z.number().int(),
  started_at: z.number().int(),
  finished_at: z.number().int().nullable(),
  status: JobRunStatus,
  summary: z.string(),
  error: z.string(),
});
export type JobRunRow = z.infer<typeof JobRunRow>;

const statusRank: Record<JobRunStatus, number> = { running: 0, succeeded: 1, failed: 1 };

/**
 * The version is derived from the row itself, not the wall clock: the final
 * state always outranks `running` (even within one millisecond), and a retried
 * write of the same state is the identical row.
 */
function versionOf(row: JobRunRow): number {
  return (row.finished_at ?? row.started_at) * 4 + statusRank[row.status];
}

export async function recordJobRun(wh: Warehouse, row: JobRunRow): Promise<void> {
  await wh.insert('job_runs', [{ ...JobRunRow.parse(row), version: versionOf(row) }]);
}

const columns = `job, run_id, trigger, toUnixTimestamp64Milli(scheduled_at) AS scheduled_ms,
  toUnixTimestamp64Milli(started_at) AS started_ms, toUnixTimestamp64Milli(finished_at) AS finished_ms,
  status, summary, error`;

// Times leave the engine as epoch ms under their own names (an alias named like the column would shadow it).
const StoredJobRun = z
  .object({
    job: z.string(),
    run_id: z.string(),
    trigger: JobRunTrigger,
    scheduled_ms: z.coerce.number(),
    started_ms: z.coerce.number(),
    finished_ms: z.coerce.number().nullable(),
    status: JobRunStatus,
    summary: z.string(),
    error: z.string(),
  })
  .transform(({ scheduled_ms, started_ms, finished_ms, ...rest }) => ({
    ...rest,
    scheduled_at: scheduled_ms,
    started_at: started_ms,
    finished_at: finished_ms,
  }));

/** The newest successful run started by the schedule (manual runs do not move the schedule). */
export async function lastScheduledSuccess(wh: Warehouse, job: string): Promise<JobRunRow | undefined> {
  const rows = await queryRows(
    wh,
    'job runs',
    StoredJobRun,
    `SELECT ${columns} FROM job_runs FINAL
     WHERE job = {job:String} AND status = 'succeeded' AND trigger = 'schedule'
     ORDER BY scheduled_at DESC LIMIT 1`,
    { job },
  );
  return rows[0];
}

/** Newest first; every job when `job` is omitted. */
export async function listJobRuns(wh: Warehouse, options: { job?: string; limit?: number } = {}): Promise<JobRunRow[]> {
  const where = options.job === undefined ? '' : 'WHERE job = {job:String}';
  const rows = await queryRows(
    wh,
    'job runs',
    StoredJobRun,
    `SELECT ${columns} FROM job_runs FINAL ${where} ORDER BY started_at DESC, run_id DESC LIMIT {limit:UInt32}`,
    { limit: options.limit ?? 100, ...(options.job === undefined ? {} : { job: options.job }) },
  );
  return rows;
}
