/**
 * The scheduled jobs, described once for both schedulers: Temporal schedules
 * (schedules.ts) and the in-process EmbeddedScheduler. Also imported by
 * workflow code, so it stays free of Node built-ins and runtime imports.
 */
import type { JobRunRow, JobRunTrigger } from '@strix/warehouse';

export const HOUR_MS = 3_600_000;

/** Task queue of the job workflows when none is configured. */
export const DEFAULT_TASK_QUEUE = 'strix'; // matches STRIX_TEMPORAL_TASK_QUEUE's default

/** Activities that are the body of a job: no arguments, a JSON summary back. */
export type JobSummary = Record<string, unknown>;

export interface JobActivities {
  retentionSweep(): Promise<JobSummary>;
  recordJobRun(run: JobRunRow): Promise<void>;
}

export type JobActivityName = Exclude<keyof JobActivities, 'recordJobRun'>;

export const JobNames = ['retention-sweep'] as const;
export type JobName = (typeof JobNames)[number];

export interface JobSpec {
  readonly name: JobName;
  readonly activity: JobActivityName;
  /** Runs start at whole multiples of the interval since the epoch, as Temporal interval schedules do. */
  readonly intervalMs: number;
}

const defaults: Record<JobName, Omit<JobSpec, 'name'>> = {
  // Rows past their project's *current* retention; the table TTL only knows the retention at insert.
  'retention-sweep': { activity: 'retentionSweep', intervalMs: HOUR_MS },
};

/** Temporal rounds schedule intervals to whole seconds. */
const MIN_INTERVAL_MS = 1_000;

/** Every job with its interval, defaults overridden per job. */
export function jobSpecs(intervalsMs: Partial<Record<JobName, number>> = {}): JobSpec[] {
  return JobNames.map((name) => {
    const intervalMs = intervalsMs[name] ?? defaults[name].intervalMs;
    if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs % MIN_INTERVAL_MS !== 0) {
      throw new Error(`job ${name}: interval must be a whole number of seconds of at least 1 s, got ${intervalMs} ms`);
    }
    return { name, activity: defaults[name].activity, intervalMs };
  });
}

export function jobSpec(specs: readonly JobSpec[], name: JobName): JobSpec {
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw new Error(`no job named ${name}; known: ${specs.map((s) => s.name).join(', ')}`);
  return spec;
}

export interface JobRunRequest {
  readonly job: JobName;
  /** Unique per run; both records of one run (running, then the outcome) share it. */
  readonly runId: string;
  readonly trigger: JobRunTrigger;
  readonly scheduledAt: number;
}

export type JobOutcome =
  | { status: 'succeeded'; runId: string; summary: JobSummary }
  | { status: 'failed'; runId: string; error: string };

/** The innermost message: Temporal wraps an activity's error as ActivityFailure → ApplicationFailure. */
export function innermostMessage(error: unknown): string {
  let current: unknown = error;
  let message = String(error);
  while (current instanceof Error) {
    message = current.message;
    current = current.cause;
  }
  return message.slice(0, 2_000);
}

/**
 * One run of a job, recorded before and after: the same sequence in a Temporal
 * workflow (activities proxied, `now` deterministic) and in the embedded scheduler.
 * A failed job is an outcome, not an exception; a failure to record one throws.
 */
export async function executeJob(
  activities: JobActivities,
  spec: JobSpec,
  run: JobRunRequest,
  now: () => number,
): Promise<JobOutcome> {
  const base = { job: run.job, run_id: run.runId, trigger: run.trigger, scheduled_at: run.scheduledAt, started_at: now() };
  await activities.recordJobRun({ ...base, finished_at: null, status: 'running', summary: '', error: '' });
  let outcome: JobOutcome;
  try {
    outcome = { status: 'succeeded', runId: run.runId, summary: await activities[spec.activity]() };
  } catch (error) {
    outcome = { status: 'failed', runId: run.runId, error: innermostMessage(error) };
  }
  await activities.recordJobRun({
    ...base,
    finished_at: now(),
    status: outcome.status,
    summary: outcome.status === 'succeeded' ? JSON.stringify(outcome.summary) : '',
    error: outcome.status === 'failed' ? outcome.error : '',
  });
  return outcome;
}
