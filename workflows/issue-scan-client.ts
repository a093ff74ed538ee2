import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE, issueScanWorkflowId, type ProjectScanSummary } from './jobs.ts';
import type { issueScanWorkflow } from './workflows.ts';

/**
 * "Scan now" in the distributed deployment: starts the project's scan workflow
 * and waits for its result. If a scan of the project is already running (its
 * workflow id is taken), waits for that one and then starts another, so the
 * answer always covers errors sent before the call.
 */
export async function runIssueScan(client: Client, projectId: string, taskQueue = DEFAULT_TASK_QUEUE): Promise<ProjectScanSummary> {
  const workflowId = issueScanWorkflowId(projectId);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await client.workflow.start<typeof issueScanWorkflow>('issueScanWorkflow', { workflowId, taskQueue, args: [{ projectId }] });
      return await handle.result();
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError) || attempt >= 5) throw error;
      // The running scan's own outcome does not matter here: ours comes after it.
      await client.workflow.getHandle(workflowId).result().catch(() => undefined);
    }
  }
}
