import type { Mailer, ProjectDirectory, Warehouse } from '@strix/contracts';
import { IssueService, commentPurgeAfterMs, sendIssueDigests } from '@strix/issues';
import { deleteProjectData, recordJobRun, type JobRunRow } from '@strix/warehouse';
import { totalScans, type JobActivities, type ProjectScanSummary } from './jobs.ts';
import { defaultAbandonSettings, markAbandonedOperations, type AbandonSummary } from './metric-abandon.ts';
import { sweepExpiredEvents, type RetentionSweepSummary } from './retention-sweep.ts';

export interface DigestMail {
  mailer: Mailer;
  /** The From: header of digests. */
  from: string;
  /** Base URL of the dashboard, for links in digests. */
  publicUrl: string;
}

export interface ActivityDeps {
  warehouse: Warehouse;
  /** The projects (the control plane), with their retention and digest recipients. */
  directory: ProjectDirectory;
  /** The process's issue service (shared with the API, so scans and merges of a project take turns); one over the directory's issue state by default. */
  issues?: IssueService;
  /** Where digests go; without it the notify job sends nothing and says so (cursors stay put, nothing is lost). */
  mail?: DigestMail;
  /** How long after its start an operation without an end counts as abandoned (STRIX_METRIC_ABANDON_SECONDS). */
  metricAbandonAfterMs?: number;
  /** Clock for retention cutoffs and purges (tests move it). */
  now?: () => number;
}

/**
 * The activities both schedulers run: registered on a Temporal Worker, or
 * called directly by the EmbeddedScheduler. Idempotent, so a retry is safe.
 */
export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? Date.now;
  const issues = deps.issues ?? new IssueService({ warehouse: deps.warehouse, state: deps.directory.issueState(), now });
  const scanProjectIssues = async (projectId: string): Promise<ProjectScanSummary> => issues.scan(projectId);
  return {
    async retentionSweep(): Promise<RetentionSweepSummary> {
      return sweepExpiredEvents(deps.warehouse, deps.directory, now());
    },
    async issueScan() {
      return totalScans(await issues.scanAll((await deps.directory.listProjects()).map((p) => p.project_id)));
    },
    async issueNotify() {
      if (!deps.mail) return { skipped: 'no SMTP server configured (set STRIX_SMTP_URL); digests wait, unsent, until one is' };
      return sendIssueDigests({ warehouse: deps.warehouse, directory: deps.directory, ...deps.mail, now });
    },
    async commentPurge() {
      return { purged: await issues.purgeDeletedComments(now() - commentPurgeAfterMs) };
    },
    async metricAbandon(): Promise<AbandonSummary> {
      return markAbandonedOperations(deps.warehouse, now(), { ...defaultAbandonSettings, timeoutMs: deps.metricAbandonAfterMs ?? defaultAbandonSettings.timeoutMs });
    },
    /** Projects whose deletion grace ended: their warehouse rows, then their control-plane rows (apps, keys). */
    async projectPurge() {
      const rowsDeleted: Record<string, number> = {};
      const purged = await deps.directory.purgeDeletedProjects(now(), async (projectId) => {
        for (const [table, rows] of Object.entries(await deleteProjectData(deps.warehouse, projectId))) rowsDeleted[table] = (rowsDeleted[table] ?? 0) + rows;
      });
      return { purged, rowsDeleted };
    },
    async listProjectIds(): Promise<string[]> {
      return (await deps.directory.listProjects()).map((p) => p.project_id);
    },
    scanProjectIssues,
    async recordJobRun(run: JobRunRow): Promise<void> {
      await recordJobRun(deps.warehouse, run);
    },
  } satisfies JobActivities;
}

export type Activities = ReturnType<typeof createActivities>;
