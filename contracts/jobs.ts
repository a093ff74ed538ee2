import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Background jobs: one catalogue for both schedulers (Temporal in the
 * distributed deployment, the in-process scheduler embedded) and the API.
 * A run is `pending → running → completed | failed | cancelled`.
 */
export const JobRunStatus = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);
export type JobRunStatus = z.infer<typeof JobRunStatus>;

/** What started a run: its schedule, or someone through the API. */
export const JobRunTrigger = z.enum(['schedule', 'manual']);
export type JobRunTrigger = z.infer<typeof JobRunTrigger>;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

interface JobType {
  readonly description: string;
  /** Scheduled over every project (a system job), every this many ms by default. */
  readonly intervalMs?: number;
  /** Whether an admin of a project may trigger it for that project alone, and with which parameters. */
  readonly projectParams?: z.ZodType<Record<string, unknown>>;
  /**
   * The parameter that names a person (an end user's id): once the run has ended, however it ended, the run
   * keeps it only as `<name>_sha256`, the hex SHA-256 of the id: a record that the work was done, not of whom.
   */
  readonly personParam?: string;
}

const noParams = z.strictObject({});

/** Every job Strix runs. System jobs have an interval; project jobs have parameters. */
export const jobTypes = {
  issue_scan: {
    description: 'Groups the errors stored since the last scan into issues (new, regressed, updated).',
    intervalMs: HOUR_MS,
    projectParams: noParams,
  },
  issue_notify: { description: 'Sends each project its issue digest when its alert frequency says so.', intervalMs: HOUR_MS },
  retention_cleanup: {
    description: "Deletes events older than their project's current retention.",
    intervalMs: HOUR_MS,
    projectParams: noParams,
  },
  soft_delete_cleanup: {
    description: 'Purges what was deleted more than 7 days ago: projects (with their data, apps and keys) and issue comments.',
    intervalMs: HOUR_MS,
  },
  metric_abandon: { description: 'Marks operations started without an end as abandoned once they time out.', intervalMs: MINUTE_MS },
  app_version_sync: {
    description: "Finds each app's latest version: the App Store's for Apple apps it lists, otherwise the highest app_version of its production events.",
    intervalMs: HOUR_MS,
    projectParams: noParams,
  },
  attachment_cleanup: {
    description: 'Purges attachments deleted more than 7 days ago, uploads never finished, and files whose events and issues are gone.',
    intervalMs: DAY_MS,
  },
  revenuecat_sync: { description: "Reads the RevenueCat subscription state of the project's known users into their rc_* properties.", projectParams: noParams },
  revenuecat_backfill: {
    description: "Pages through every customer of the linked RevenueCat project and writes each one's rc_* properties.",
    projectParams: noParams,
  },
  revenuecat_webhooks: { description: 'Processes the stored RevenueCat webhook events into their customers\' rc_* properties.', intervalMs: MINUTE_MS },
  person_delete: {
    description: 'Removes one person (an end user) from every table of the project: events, rollup sources, properties, funnels, occurrences, attachments.',
    projectParams: z.strictObject({
      user_id: z.string({ error: 'is required' }).min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
    }),
    personParam: 'user_id',
  },
} as const satisfies Record<string, JobType>;

export type JobName = keyof typeof jobTypes;
export const jobNames = Object.keys(jobTypes) as JobName[];
export const systemJobNames = jobNames.filter((name) => (jobTypes[name] as JobType).intervalMs !== undefined);
export const projectJobNames = jobNames.filter((name) => (jobTypes[name] as JobType).projectParams !== undefined);
export const isJobName = (name: string): name is JobName => Object.hasOwn(jobTypes, name);
export const jobType = (name: JobName): JobType => jobTypes[name];

/** Who triggered a run (none for the schedule's runs). */
export const JobActor = z.object({ type: z.enum(['user', 'key']), id: z.string(), label: z.string() });
export type JobActor = z.infer<typeof JobActor>;

export interface JobProgress {
  processed: number;
  total: number | null;
  message: string;
}

/** A run as stored and shown; times are epoch ms. */
export interface JobRun {
  id: string;
  job: JobName;
  /** Null for a system run over every project. */
  project_id: string | null;
  status: JobRunStatus;
  trigger: JobRunTrigger;
  params: Record<string, unknown>;
  triggered_by: JobActor | null;
  /** Mail the person who triggered it when it ends. */
  notify: boolean;
  progress: JobProgress;
  /** Where a long job resumes (its own JSON). */
  cursor: unknown;
  summary: Record<string, unknown> | null;
  error: string;
  cancel_requested: boolean;
  scheduled_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface NewJobRun {
  id: string;
  job: JobName;
  project_id: string | null;
  trigger: JobRunTrigger;
  params: Record<string, unknown>;
  triggered_by: JobActor | null;
  notify: boolean;
  scheduled_at: number;
}

export type FinishedStatus = Exclude<JobRunStatus, 'pending' | 'running'>;

export interface JobRunFilter {
  /** One project's runs. */
  projectId?: string;
  /** System runs alone (project_id null). */
  systemOnly?: boolean;
  job?: JobName;
  status?: JobRunStatus;
  /** Runs created before this one (paging by id of the last run seen). */
  before?: string;
  limit: number;
}

/**
 * Where runs are kept (the control plane). One active (pending or running) run
 * per job and project at a time holds by the store's own constraint.
 */
export interface JobRunStore {
  /** Inserts a run as `pending` (an API trigger) or `running` (a schedule's); `{ active }` when another run of the job and project is under way. */
  open(run: NewJobRun, status: 'pending' | 'running', at: number): Promise<{ run: JobRun } | { active: JobRun }>;
  /** `pending → running` (or already running: a retried start); undefined when the run is no longer active (cancelled while pending). */
  start(id: string, at: number): Promise<JobRun | undefined>;
  /** Records progress (and a resume cursor); answers whether cancellation was asked for. */
  progress(id: string, progress: Partial<JobProgress>, at: number, cursor?: unknown): Promise<{ cancelRequested: boolean }>;
  /** Ends an active run; undefined when it had already ended (a retried finish changes nothing). */
  finish(id: string, end: { status: FinishedStatus; summary?: Record<string, unknown>; error?: string }, at: number): Promise<JobRun | undefined>;
  /** A pending run is cancelled at once; a running one is asked to stop at its next progress report. */
  requestCancel(id: string, at: number): Promise<JobRun | undefined>;
  get(id: string): Promise<JobRun | undefined>;
  list(filter: JobRunFilter): Promise<JobRun[]>;
  /** Marks every running run failed with `reason` (the embedded deployment at start: a run its process was running when it died). */
  failRunning(reason: string, at: number): Promise<JobRun[]>;
  /** `running → pending`, its cursor kept, with `message`: a run set aside between steps, to go on from there later. */
  suspend(id: string, message: string, at: number): Promise<JobRun | undefined>;
  /** `scheduled_at` of the newest completed run the schedule started. */
  lastScheduledSuccess(job: JobName): Promise<number | undefined>;
}

/** What the API needs of the jobs: their runs, how a triggered run is handed to the scheduler, and the system jobs' intervals. */
export interface JobControl {
  readonly runs: JobRunStore;
  /** Hands a pending run to the scheduler (in-process, or its Temporal workflow); rejects when it could not. */
  dispatch(run: JobRun): Promise<void>;
  /** Every system job's interval, as configured. */
  readonly intervalsMs: Readonly<Partial<Record<JobName, number>>>;
}

/** A run's parameters as records outside the run keep them (the audit log): the job's person parameter as its SHA-256. */
export function recordedParams(job: JobName, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const type: JobType = jobTypes[job];
  const name = type.personParam;
  if (name === undefined || typeof params[name] !== 'string') return { ...params };
  const { [name]: person, ...rest } = params;
  return { ...rest, [`${name}_sha256`]: personDigest(person as string) };
}

/** How records that outlive a person (the audit log is append-only) name them: the SHA-256 of their id, in hex. */
export function personDigest(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}
