/**
 * Workflow code runs in Temporal's deterministic sandbox: activity
 * implementations are imported as types only, and nothing here touches Node.
 */
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, continueAsNew, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { JobName } from '@strix/contracts';
import type { Activities } from './activities.ts';
import {
  activityHeartbeatMs,
  executeRun,
  executeScheduledRun,
  issueScanWorkflowId,
  totalScans,
  type JobRunInput,
  type JobStep,
  type JobSummary,
  type ProjectScanSummary,
  type RunOutcome,
} from './jobs.ts';

const activities = proxyActivities<Activities>({
  // One step of a job (a sweep of a large table, a page of a backfill) is minutes at worst; past that something is stuck.
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: activityHeartbeatMs * 3,
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Set by the server on every workflow a Schedule starts. */
const scheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Steps of a long run before its workflow continues as new, so its history stays short. */
const stepsPerExecution = 100;

export interface ScheduledJobInput {
  job: JobName;
}

export interface JobRunWorkflowInput {
  runId: string;
  /** Set when a long run continued as new: the run is already started and goes on from here. */
  resume?: JobRunInput;
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

/**
 * `issue_scan` of these projects, each as its child workflow (one id per
 * project, so a scan never runs beside another of the same project on any
 * worker); a project already being scanned is skipped.
 */
async function scanAsChildren(projectIds: readonly string[]): Promise<JobStep> {
  const scans: ProjectScanSummary[] = [];
  const skipped: string[] = [];
  for (const projectId of projectIds) {
    try {
      scans.push(await executeChild(issueScanWorkflow, { workflowId: issueScanWorkflowId(projectId), args: [{ projectId }] }));
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      skipped.push(projectId);
    }
  }
  return { status: 'done', summary: totalScans(scans, skipped) };
}

const scanEveryProject = async (): Promise<JobStep> => scanAsChildren(await activities.listProjectIds());

/** A failed run fails its workflow (after it was recorded), so Temporal's UI shows it as failed. */
function settle(job: string, outcome: RunOutcome | { status: 'skipped'; activeRunId: string }): JobSummary {
  switch (outcome.status) {
    case 'failed':
      throw ApplicationFailure.nonRetryable(`${job} failed: ${outcome.error}`, 'JobFailed');
    case 'skipped':
      return { skipped: `a run of ${job} is already under way: ${outcome.activeRunId}` };
    case 'continued':
      throw new Error('unreachable: a run without a step limit does not continue');
    case 'suspended':
      throw new Error('unreachable: only the embedded scheduler sets runs aside');
    default:
      return { status: outcome.status, ...outcome.summary };
  }
}

/** A run a Schedule started: opened as running, skipped when one of the job is under way. */
export async function scheduledJobWorkflow(input: ScheduledJobInput): Promise<JobSummary> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(scheduledStartTime)?.getTime() ?? info.startTime.getTime();
  const outcome = await executeScheduledRun(
    activities,
    { job: input.job, runId: `temporal:${info.runId}`, scheduledAt },
    input.job === 'issue_scan' ? { step: scanEveryProject } : {},
  );
  return settle(input.job, outcome);
}

/**
 * A run someone triggered through the API (stored as pending; the workflow id
 * is `jobRunWorkflowId(runId)`). A long run continues as new every
 * `stepsPerExecution` steps, from the cursor of its last step.
 */
export async function jobRunWorkflow(input: JobRunWorkflowInput): Promise<JobSummary> {
  const run = input.resume ?? (await activities.startRun(input.runId));
  if (!run) return { status: 'cancelled', message: 'cancelled before it started' };
  const projectScan = run.job === 'issue_scan' && run.projectId !== null ? run.projectId : undefined;
  const outcome = await executeRun(activities, run, {
    maxSteps: stepsPerExecution,
    ...(projectScan !== undefined && { step: () => scanAsChildren([projectScan]) }),
  });
  if (outcome.status === 'continued') {
    await continueAsNew<typeof jobRunWorkflow>({ runId: input.runId, resume: { ...run, cursor: outcome.cursor } });
  }
  return settle(run.job, outcome);
}
