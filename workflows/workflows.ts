/**
 * Workflow code runs in Temporal's deterministic sandbox: activity
 * implementations are imported as types only, and nothing here touches Node.
 */
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { JobRunTrigger } from '@strix/contracts';
import type { Activities } from './activities.ts';
import { executeJob, issueScanWorkflowId, jobSpec, jobSpecs, totalScans, type JobName, type JobSummary, type ProjectScanSummary } from './jobs.ts';

const activities = proxyActivities<Activities>({
  // A sweep of a large table is minutes at worst; past that something is stuck.
  startToCloseTimeout: '15 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Set by the server on every workflow a Schedule starts. */
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface ScheduledJobInput {
  job: JobName;
  /** `schedule` when started by a Schedule (the default); `manual` for a one-off start. */
  trigger?: JobRunTrigger;
}

export interface IssueScanInput {
  projectId: string;
}

/**
 * One project's issue scan. Its workflow id is `issueScanWorkflowId(project)`,
 * so Temporal runs at most one scan of a project at a time, whether the
 * schedule or `POST /v1/issues/scan` started it.
 */
export async function issueScanWorkflow(input: IssueScanInput): Promise<ProjectScanSummary> {
  return activities.scanProjectIssues(input.projectId);
}

/** The scheduled `issue-scan`: each project's scan as a child workflow; a project already being scanned is skipped. */
async function scanEveryProject(): Promise<JobSummary> {
  const scans: ProjectScanSummary[] = [];
  const skipped: string[] = [];
  for (const projectId of await activities.listProjectIds()) {
    try {
      scans.push(await executeChild(issueScanWorkflow, { workflowId: issueScanWorkflowId(projectId), args: [{ projectId }] }));
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      skipped.push(projectId);
    }
  }
  return totalScans(scans, skipped);
}

/** Runs one job and records the run; fails the workflow (after recording) when the job failed. */
export async function scheduledJobWorkflow(input: ScheduledJobInput): Promise<JobSummary> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(scheduledStartTime)?.getTime() ?? info.startTime.getTime();
  const outcome = await executeJob(
    activities,
    jobSpec(jobSpecs(), input.job),
    { job: input.job, runId: `temporal:${info.runId}`, trigger: input.trigger ?? 'schedule', scheduledAt },
    // Deterministic inside a workflow: the time of the current workflow task.
    () => Date.now(),
    input.job === 'issue-scan' ? scanEveryProject : undefined,
  );
  switch (outcome.status) {
    case 'succeeded':
      return outcome.summary;
    case 'failed':
      throw ApplicationFailure.nonRetryable(`${input.job} failed: ${outcome.error}`, 'JobFailed');
    default: {
      const unreachable: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
    }
  }
}
