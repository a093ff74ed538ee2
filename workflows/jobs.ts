/**
 * How a job run goes, described once for both schedulers: Temporal workflows
 * (workflows.ts) and the in-process EmbeddedScheduler. The catalogue of jobs
 * is `jobTypes` of @strix/contracts. Also imported by workflow code, so it
 * stays free of Node built-ins and runtime imports.
 */
import type { FinishedStatus, JobName, JobProgress } from '@strix/contracts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Task queue of the job workflows when none is configured. */
export const DEFAULT_TASK_QUEUE = 'strix'; // matches STRIX_TEMPORAL_TASK_QUEUE's default
/** How often a running activity heartbeats on Temporal (worker.ts); a step unheard of for three beats is given to another worker. */
export const activityHeartbeatMs = 10_000;

/** What a run reports when it ends: JSON. */
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

/** A run as its steps see it. */
export interface JobRunInput {
  readonly runId: string;
  readonly job: JobName;
  /** Null for a system run over every project. */
  readonly projectId: string | null;
  readonly params: Record<string, unknown>;
  /** Where the previous step stopped (undefined for the first). */
  readonly cursor?: unknown;
}

/**
 * One step of a run: the whole job for most, a slice of a long one that
 * returns where to go on from. Steps are activities, so a step whose worker
 * died is run again from the cursor the previous step returned.
 */
export type JobStep =
  | { readonly status: 'done'; readonly summary: JobSummary }
  | { readonly status: 'continue'; readonly cursor: unknown; readonly summary: JobSummary }
  | { readonly status: 'cancelled'; readonly summary: JobSummary }
  /** Given up part way because its process is stopping (embedded): the run goes on from the previous cursor later. */
  | { readonly status: 'suspended' };

/** What a job's body sees of its run. */
export interface JobContext {
  readonly run: JobRunInput;
  /** Records progress (and, for a long job, where it has got to); throws `JobCancelled` once cancellation was asked for. */
  progress(progress: Partial<JobProgress>, cursor?: unknown): Promise<void>;
}

/** A job's body: a summary when it is done, or `{ continueFrom }` to be called again (a new step) from there. */
export type JobBody = (ctx: JobContext) => Promise<JobSummary | { continueFrom: unknown; summary?: JobSummary }>;

/** Thrown by `progress` when the process running the step is stopping (embedded): the step is done again later. */
export class JobSuspended extends Error {
  constructor() {
    super('suspended: the process is stopping');
    this.name = 'JobSuspended';
  }
}

export class JobCancelled extends Error {
  constructor(readonly summary: JobSummary = {}) {
    super('cancelled on request');
    this.name = 'JobCancelled';
  }
}

export type JobEnd = { status: FinishedStatus; summary: JobSummary; error: string };

export interface ScheduledRunRequest {
  readonly job: JobName;
  /** Unique per run. */
  readonly runId: string;
  readonly scheduledAt: number;
}

/** The activities both schedulers run; idempotent, so a retry is safe. */
export interface JobActivities {
  /** Opens a run the schedule started; `{ activeRunId }` when a run of the job is already under way (this slot is skipped). */
  openScheduledRun(request: ScheduledRunRequest): Promise<{ input: JobRunInput } | { activeRunId: string }>;
  /** Starts a run someone triggered (pending until now); undefined when it was cancelled before it started. */
  startRun(runId: string): Promise<JobRunInput | undefined>;
  /** One step of the run's job. */
  /** `stopping` (embedded only): checked at each progress report; true gives the step up (`suspended`). */
  runJobStep(input: JobRunInput, options?: { stopping?: () => boolean }): Promise<JobStep>;
  /** Records the end (once: a retried finish changes nothing) and mails whoever asked to be told. */
  finishRun(runId: string, end: JobEnd): Promise<void>;
  /** Parts of the system `issue_scan` for Temporal, which runs each project's scan as its own workflow. */
  listProjectIds(): Promise<string[]>;
  scanProjectIssues(projectId: string): Promise<ProjectScanSummary>;
}

/** The Temporal workflow id of a project's issue scan: one id, so one run at a time per project. */
export function issueScanWorkflowId(projectId: string): string {
  return `strix-issue-scan:${projectId}`;
}

/** The Temporal workflow id of a triggered run. */
export function jobRunWorkflowId(runId: string): string {
  return `strix-job-run:${runId}`;
}

/** Totals of many projects' scans, for a run's summary (ids stay in the per-project results). */
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

export interface JobSpec {
  readonly name: JobName;
  /** Runs start at whole multiples of the interval since the epoch, as Temporal interval schedules do. */
  readonly intervalMs: number;
}

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

export type RunOutcome = JobEnd | { status: 'continued'; cursor: unknown } | { status: 'suspended'; cursor: unknown };

export interface RunOptions {
  /** Steps before a long run returns `continued` (a workflow continues as new). */
  maxSteps?: number;
  /** Replaces the job's activity. */
  step?: (input: JobRunInput) => Promise<JobStep>;
  /** Checked before each step: true returns `suspended` with the cursor to go on from (the process is stopping). */
  stopping?: () => boolean;
}

/**
 * The steps of one run after it was opened or started, then its end: the same
 * sequence in a Temporal workflow (activities proxied, `now` deterministic) and
 * in the embedded scheduler. `step` replaces the job's activity where a
 * workflow does more than call it. After `maxSteps` steps a long run returns
 * `continued` with its cursor (a workflow continues as new from there).
 * A failed job is an outcome, not an exception; a failure to record one throws.
 */
export async function executeRun(
  activities: Pick<JobActivities, 'runJobStep' | 'finishRun'>,
  input: JobRunInput,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const step = options.step ?? ((i: JobRunInput) => activities.runJobStep(i));
  let end: JobEnd;
  try {
    let current = input;
    let steps = 0;
    for (;;) {
      if (options.stopping?.()) return { status: 'suspended', cursor: current.cursor };
      const result = await step(current);
      if (result.status === 'suspended') return { status: 'suspended', cursor: current.cursor };
      if (result.status === 'done') {
        end = { status: 'completed', summary: result.summary, error: '' };
        break;
      }
      if (result.status === 'cancelled') {
        end = { status: 'cancelled', summary: result.summary, error: '' };
        break;
      }
      current = { ...current, cursor: result.cursor };
      if (++steps >= (options.maxSteps ?? Infinity)) return { status: 'continued', cursor: result.cursor };
    }
  } catch (error) {
    end = { status: 'failed', summary: {}, error: innermostMessage(error) };
  }
  await activities.finishRun(input.runId, end);
  return end;
}

/** The body of a scheduled run: opens it, skips it when another run of the job is under way, runs it. */
export async function executeScheduledRun(
  activities: Pick<JobActivities, 'openScheduledRun' | 'runJobStep' | 'finishRun'>,
  request: ScheduledRunRequest,
  options: RunOptions = {},
): Promise<RunOutcome | { status: 'skipped'; activeRunId: string }> {
  const opened = await activities.openScheduledRun(request);
  if ('activeRunId' in opened) return { status: 'skipped', activeRunId: opened.activeRunId };
  return executeRun(activities, opened.input, options);
}

