/**
 * The scheduled jobs, described once for both schedulers: Temporal schedules
 * (schedules.ts) and the in-process EmbeddedScheduler. Also imported by
 * workflow code, so it stays free of Node built-ins and runtime imports.
 */
import type { JobRunTrigger } from '@strix/contracts';
import type { JobRunRow } from '@strix/warehouse';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Task queue of the job workflows when none is configured. */
export const DEFAULT_TASK_QUEUE = 'strix'; // matches STRIX_TEMPORAL_TASK_QUEUE's default

/** Activities that are the body of a job: no arguments, a JSON summary back. */
export type JobSummary = Record<string, unknown>;

/** What one project's issue scan did (the part of ScanSummary a workflow passes on). */
export interface ProjectScanSummary {
  projectId: string;
  errors: number;
  created: readonly { issue_id: string; title: string }[];
  updated: readonly string[];
  regressed: readonly { issue_id: string; version: string }[];
  newOccurrences: number;
}

export interface JobActivities {
  retentionSweep(): Promise<JobSummary>;
  /** Every project's issue scan, one after another (the embedded scheduler's body of `issue-scan`). */
  issueScan(): Promise<JobSummary>;
  issueNotify(): Promise<JobSummary>;
  commentPurge(): Promise<JobSummary>;
  metricAbandon(): Promise<JobSummary>;
  projectPurge(): Promise<JobSummary>;
  /** Parts of `issue-scan` for Temporal, which runs each project's scan as its own workflow. */
  listProjectIds(): Promise<string[]>;
  scanProjectIssues(projectId: string): Promise<ProjectScanSummary>;
  recordJobRun(run: JobRunRow): Promise<void>;
}

export type JobActivityName = Exclude<keyof JobActivities, 'recordJobRun' | 'listProjectIds' | 'scanProjectIssues'>;

export const JobNames = ['retention-sweep', 'issue-scan', 'issue-notify', 'comment-purge', 'metric-abandon', 'project-purge'] as const;
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
  // Errors become issues at most this late; `POST /v1/issues/scan` runs one at once.
  'issue-scan': { activity: 'issueScan', intervalMs: HOUR_MS },
  // Hourly whatever the projects' alert frequencies: each digest is sent in its own slot.
  'issue-notify': { activity: 'issueNotify', intervalMs: HOUR_MS },
  // Soft-deleted comments are kept seven days; a daily purge is precise enough.
  'comment-purge': { activity: 'commentPurge', intervalMs: DAY_MS },
  // Abandoned operations appear in the rollups at most this long after their timeout.
  'metric-abandon': { activity: 'metricAbandon', intervalMs: MINUTE_MS },
  // Deleted projects wait out a 7-day grace; a project is purged at most an hour after it ends.
  'project-purge': { activity: 'projectPurge', intervalMs: HOUR_MS },
};

/** The Temporal workflow id of a project's issue scan: one id, so one run at a time per project. */
export function issueScanWorkflowId(projectId: string): string {
  return `strix-issue-scan:${projectId}`;
}

/** Totals of many projects' scans, for a job run's summary (ids stay in the per-project results). */
export function totalScans(scans: readonly ProjectScanSummary[], skipped: readonly string[] = []): JobSummary {
  return {
    projects: scans.length,
    errors: scans.reduce((n, s) => n + s.errors, 0),
    created: scans.reduce((n, s) => n + s.created.length, 0),
    updated: scans.reduce((n, s) => n + s.updated.length, 0),
    regressed: scans.reduce((n, s) => n + s.regressed.length, 0),
    newOccurrences: scans.reduce((n, s) => n + s.newOccurrences, 0),
    ...(skipped.length > 0 && { skippedAlreadyRunning: skipped }),
  };
}

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
 * `body` replaces the job's activity where a workflow does more than call it.
 * A failed job is an outcome, not an exception; a failure to record one throws.
 */
export async function executeJob(
  activities: JobActivities,
  spec: JobSpec,
  run: JobRunRequest,
  now: () => number,
  body: () => Promise<JobSummary> = () => activities[spec.activity](),
): Promise<JobOutcome> {
  const base = { job: run.job, run_id: run.runId, trigger: run.trigger, scheduled_at: run.scheduledAt, started_at: now() };
  await activities.recordJobRun({ ...base, finished_at: null, status: 'running', summary: '', error: '' });
  let outcome: JobOutcome;
  try {
    outcome = { status: 'succeeded', runId: run.runId, summary: await body() };
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
