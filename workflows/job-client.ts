import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { JobRun } from '@strix/contracts';
import { DEFAULT_TASK_QUEUE, jobRunWorkflowId } from './jobs.ts';
import { jobSearchAttributes } from './search-attributes.ts';
import type { jobRunWorkflow } from './workflows.ts';

/**
 * Hands a triggered (pending) run to Temporal: its workflow, found in Temporal's
 * UI and CLI by `StrixJobType` and `StrixProjectId`. Starting it twice is
 * harmless (the workflow id is the run's).
 */
export async function startJobRun(client: Client, run: Pick<JobRun, 'id' | 'job' | 'project_id'>, taskQueue = DEFAULT_TASK_QUEUE): Promise<void> {
  try {
    await client.workflow.start<typeof jobRunWorkflow>('jobRunWorkflow', {
      workflowId: jobRunWorkflowId(run.id),
      taskQueue,
      args: [{ runId: run.id }],
      typedSearchAttributes: jobSearchAttributes(run.job, run.project_id),
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
