import { jobTypes, type BlobStore, type JobName, type JobRun, type JobRunStore, type Mailer, type Warehouse } from '@strix/contracts';
import type { ControlPlane } from '@strix/control';
import { IssueService, commentPurgeAfterMs, sendIssueDigests } from '@strix/issues';
import { deleteProjectData } from '@strix/warehouse';
import { JobCancelled, JobSuspended, totalScans, type JobActivities, type JobBody, type JobContext, type JobEnd, type JobRunInput, type JobStep, type ProjectScanSummary } from './jobs.ts';
import type { ITunesLookup } from './app-versions/itunes.ts';
import { appVersionJobBodies } from './app-versions/jobs.ts';
import { revenueCatJobBodies } from './revenuecat/jobs.ts';
import type { RevenueCatSettings } from './revenuecat/links.ts';
import { attachmentJobBodies } from './attachments/jobs.ts';
import { attachmentLinker } from './attachments/link.ts';
import { jobEndMail } from './job-mail.ts';
import { personDeleteBody } from './person-delete.ts';
import { defaultAbandonSettings, markAbandonedOperations } from './metric-abandon.ts';
import { sweepExpiredRows } from './retention-sweep.ts';

export interface DigestMail {
  mailer: Mailer;
  /** The From: header of digests. */
  from: string;
  /** Base URL of the dashboard, for links in digests. */
  publicUrl: string;
}

export interface ActivityDeps {
  warehouse: Warehouse;
  /** The control plane: projects (retention, digest recipients), apps, job runs, integrations. */
  directory: ControlPlane;
  /** The process's issue service (shared with the API, so scans and merges of a project take turns); one over the directory's issue state by default. */
  issues?: IssueService;
  /** Where digests and job-end mails go; without it the notify job sends nothing and says so (cursors stay put, nothing is lost). */
  mail?: DigestMail;
  /** How long after its start an operation without an end counts as abandoned (STRIX_METRIC_ABANDON_SECONDS). */
  metricAbandonAfterMs?: number;
  /** Clock for retention cutoffs, purges and run times (tests move it). */
  now?: () => number;
  /** The App Store lookup of `app_version_sync` (STRIX_ITUNES_URL; Apple's by default). */
  itunes?: ITunesLookup;
  /** The server's master key (integrations' sealed API keys). */
  secretKey?: Buffer;
  /** RevenueCat's base URL (STRIX_REVENUECAT_URL; RevenueCat's own by default). */
  revenueCatUrl?: string;
  /** The RevenueCat client's limits and retries (tests shrink its window). */
  revenueCatClient?: RevenueCatSettings['client'];
  /** Where attachments' files are (`attachment_cleanup` purges them). */
  blobs?: BlobStore;
  /** Job bodies replacing the catalogue's (tests). */
  bodies?: Partial<Record<JobName, JobBody>>;
}

/** Every job's body over the deps; a project run (`ctx.run.projectId`) covers that project alone. */
export function createJobBodies(deps: ActivityDeps): Record<JobName, JobBody> {
  const now = deps.now ?? Date.now;
  const issues = deps.issues ?? new IssueService({ warehouse: deps.warehouse, state: deps.directory.issueState(), now });
  const linkAttachments = attachmentLinker(deps);
  const projectIds = async (ctx: JobContext) =>
    ctx.run.projectId === null ? (await deps.directory.listProjects()).map((p) => p.project_id) : [ctx.run.projectId];
  return {
    async issue_scan(ctx) {
      const ids = await projectIds(ctx);
      const scans: ProjectScanSummary[] = [];
      for (const [i, projectId] of ids.entries()) {
        await ctx.progress({ processed: i, total: ids.length, message: `scanning project ${projectId}` });
        scans.push(await issues.scan(projectId));
        await linkAttachments(projectId);
      }
      return totalScans(scans);
    },
    async issue_notify() {
      if (!deps.mail) return { skipped: 'no SMTP server configured (set STRIX_SMTP_URL); digests wait, unsent, until one is' };
      return sendIssueDigests({ warehouse: deps.warehouse, directory: deps.directory, ...deps.mail, now });
    },
    async retention_cleanup(ctx) {
      return sweepExpiredRows(deps.warehouse, deps.directory, now(), {
        projectId: ctx.run.projectId,
        progress: (checked, of) => ctx.progress({ processed: checked, total: of }),
      });
    },
    /** Projects whose deletion grace ended (their warehouse rows, then their control-plane rows: apps, keys), and comments deleted a week ago. */
    async soft_delete_cleanup() {
      const rowsDeleted: Record<string, number> = {};
      const purged = await deps.directory.purgeDeletedProjects(now(), async (projectId) => {
        for (const [table, rows] of Object.entries(await deleteProjectData(deps.warehouse, projectId))) rowsDeleted[table] = (rowsDeleted[table] ?? 0) + rows;
      });
      return { purgedProjects: purged, rowsDeleted, purgedComments: await issues.purgeDeletedComments(now() - commentPurgeAfterMs) };
    },
    async metric_abandon() {
      return markAbandonedOperations(deps.warehouse, now(), { ...defaultAbandonSettings, timeoutMs: deps.metricAbandonAfterMs ?? defaultAbandonSettings.timeoutMs });
    },
    ...appVersionJobBodies(deps),
    ...revenueCatJobBodies(deps),
    ...attachmentJobBodies(deps),
    person_delete: personDeleteBody(deps),
    ...deps.bodies,
  };
}

const inputOf = (run: JobRun): JobRunInput => ({
  runId: run.id,
  job: run.job,
  projectId: run.project_id,
  params: run.params,
  ...(run.cursor !== null && run.cursor !== undefined && { cursor: run.cursor }),
});

/**
 * The activities both schedulers run: registered on a Temporal Worker, or
 * called directly by the EmbeddedScheduler. Idempotent, so a retry is safe.
 */
export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? Date.now;
  const runs: JobRunStore = deps.directory.jobRuns();
  const issues = deps.issues ?? new IssueService({ warehouse: deps.warehouse, state: deps.directory.issueState(), now });
  const bodies = createJobBodies({ ...deps, issues });
  const linkAttachments = attachmentLinker(deps);
  return {
    async openScheduledRun(request) {
      const opened = await runs.open(
        { id: request.runId, job: request.job, project_id: null, trigger: 'schedule', params: {}, triggered_by: null, notify: false, scheduled_at: request.scheduledAt },
        'running',
        now(),
      );
      return 'active' in opened ? { activeRunId: opened.active.id } : { input: inputOf(opened.run) };
    },
    async startRun(runId) {
      const run = await runs.start(runId, now());
      return run && inputOf(run);
    },
    async runJobStep(input, options): Promise<JobStep> {
      const body = bodies[input.job] as JobBody | undefined;
      if (!jobTypes[input.job] || !body) throw new Error(`no job named ${input.job}`);
      let reported: Record<string, unknown> = {};
      const ctx: JobContext = {
        run: input,
        async progress(progress, cursor) {
          if (options?.stopping?.()) throw new JobSuspended();
          if (progress.message !== undefined) reported = { message: progress.message };
          if ((await runs.progress(input.runId, progress, now(), cursor)).cancelRequested) throw new JobCancelled(reported);
        },
      };
      try {
        const result = await body(ctx);
        if ('continueFrom' in result) {
          await runs.progress(input.runId, {}, now(), result.continueFrom);
          return { status: 'continue', cursor: result.continueFrom, summary: (result.summary as Record<string, unknown> | undefined) ?? {} };
        }
        return { status: 'done', summary: result };
      } catch (error) {
        if (error instanceof JobCancelled) return { status: 'cancelled', summary: error.summary };
        if (error instanceof JobSuspended) return { status: 'suspended' };
        throw error;
      }
    },
    async finishRun(runId: string, end: JobEnd): Promise<void> {
      const finished = await runs.finish(runId, end, now());
      const to = finished?.notify && finished.triggered_by?.type === 'user' ? finished.triggered_by.label : undefined;
      if (!finished || !to || !deps.mail) return;
      // The end is recorded whatever the mail server says; a lost notice is logged, not retried into a second run.
      await deps.mail.mailer.send(jobEndMail(finished, { to, from: deps.mail.from, publicUrl: deps.mail.publicUrl })).catch((error: unknown) => {
        console.error(`[strix] mailing the end of job run ${runId} to ${to} failed:`, error);
      });
    },
    async listProjectIds(): Promise<string[]> {
      return (await deps.directory.listProjects()).map((p) => p.project_id);
    },
    async scanProjectIssues(projectId: string): Promise<ProjectScanSummary> {
      const scanned = await issues.scan(projectId);
      await linkAttachments(projectId);
      return scanned;
    },
  } satisfies JobActivities;
}

export type Activities = ReturnType<typeof createActivities>;
