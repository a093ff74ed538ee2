/**
 * The job workflows' own decisions, with their activities stubbed inline: what a run records when its job
 * fails, that a transient activity error is retried inside one run, and that the scheduled issue scan skips
 * a project whose scan is already running. The warehouse is not what is tested here (temporal.engine.test.ts
 * runs the real activities on chDB). @temporalio/testing's local environment runs the Temporal CLI that
 * testkit installs (an existing path), so the SDK downloads no server binary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ensureTemporalCli } from '@strix/testkit/temporal';
import { issueScanWorkflowId, jobRunWorkflowId, type JobActivities, type JobEnd, type JobRunInput, type ProjectScanSummary } from './jobs.ts';
import { workflowsPath } from './worker.ts';
import type { issueScanWorkflow, jobRunWorkflow, scheduledJobWorkflow } from './workflows.ts';

const scanOf = (projectId: string): ProjectScanSummary => ({ projectId, errors: 1, created: [], updated: [], regressed: [], newOccurrences: 1 });

/** Activities that answer from memory and keep every run's end; `overrides` replace single ones. */
function stubActivities(overrides: Partial<JobActivities> = {}): { activities: JobActivities; ends: (JobEnd & { runId: string })[]; opened: string[] } {
  const ends: (JobEnd & { runId: string })[] = [];
  const opened: string[] = [];
  const activities: JobActivities = {
    openScheduledRun: async (request) => {
      opened.push(request.runId);
      return { input: { runId: request.runId, job: request.job, projectId: null, params: {} } };
    },
    startRun: async (runId) => ({ runId, job: 'retention_cleanup', projectId: 'p1', params: {} }),
    runJobStep: async () => ({ status: 'done', summary: { deleted: {} } }),
    finishRun: async (runId, end) => {
      ends.push({ runId, ...end });
    },
    listProjectIds: async () => [],
    scanProjectIssues: async (projectId) => scanOf(projectId),
    ...overrides,
  };
  return { activities, ends, opened };
}

describe('job workflows with stubbed activities (@temporalio/testing, local dev server)', { timeout: 120_000 }, () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  let queues = 0;

  before(async () => {
    // The activities fail on purpose here; the worker's warnings about it would only be noise.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: await ensureTemporalCli() } } });
    // Bundled once for the file: each Worker.create with a workflowsPath would spend seconds bundling again.
    workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
  });
  after(() => env?.teardown());

  /** A worker on its own task queue for one test, running `body` while it polls. */
  async function withWorker<T>(activities: JobActivities, body: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `jobs-${process.pid}-${queues++}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
    return worker.runUntil(body(taskQueue));
  }

  it('records a failed job and fails the workflow once, without retrying the job', async () => {
    let steps = 0;
    const { activities, ends, opened } = stubActivities({
      runJobStep: async () => {
        steps += 1;
        throw ApplicationFailure.nonRetryable('disk full', 'SweepFailed');
      },
    });
    const error = await withWorker(activities, (taskQueue) =>
      env.client.workflow
        .execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', { args: [{ job: 'retention_cleanup' }], taskQueue, workflowId: `sweep-fails-${Date.now()}` })
        .then(() => undefined, (e: unknown) => e),
    );
    assert.ok(error instanceof WorkflowFailedError, `the workflow fails: ${String(error)}`);
    assert.ok(error.cause instanceof ApplicationFailure);
    assert.equal(error.cause.type, 'JobFailed');
    assert.equal(error.cause.nonRetryable, true);
    assert.match(error.cause.message, /^retention_cleanup failed: disk full$/);
    assert.equal(steps, 1);
    assert.equal(opened.length, 1);
    assert.ok(opened[0]?.startsWith('temporal:'));
    assert.deepEqual(ends.map((e) => [e.runId, e.status, e.error]), [[opened[0], 'failed', 'disk full']]);
  });

  it('retries a transient activity error inside the same run (the policy waits 5 s)', async () => {
    let steps = 0;
    const { activities, ends } = stubActivities({
      runJobStep: async () => {
        steps += 1;
        if (steps === 1) throw new Error('connection reset');
        return { status: 'done', summary: { deleted: { p1: 3 } } };
      },
    });
    const summary = await withWorker(activities, (taskQueue) =>
      env.client.workflow.execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', { args: [{ job: 'retention_cleanup' }], taskQueue, workflowId: `sweep-retries-${Date.now()}` }),
    );
    assert.deepEqual(summary, { status: 'completed', deleted: { p1: 3 } });
    assert.equal(steps, 2);
    assert.deepEqual(ends.map((e) => e.status), ['completed']);
  });

  it('a schedule\'s run is skipped, not run, while another run of the job is under way', async () => {
    let steps = 0;
    const { activities, ends } = stubActivities({
      openScheduledRun: async () => ({ activeRunId: 'manual-1' }),
      runJobStep: async () => {
        steps += 1;
        return { status: 'done', summary: {} };
      },
    });
    const summary = await withWorker(activities, (taskQueue) =>
      env.client.workflow.execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', { args: [{ job: 'retention_cleanup' }], taskQueue, workflowId: `sweep-skips-${Date.now()}` }),
    );
    assert.deepEqual(summary, { skipped: 'a run of retention_cleanup is already under way: manual-1' });
    assert.deepEqual([steps, ends.length], [0, 0]);
  });

  it('a long triggered run goes on from each step\'s cursor and continues as new every 100 steps', async () => {
    const cursors: unknown[] = [];
    const { activities, ends } = stubActivities({
      runJobStep: async (input: JobRunInput) => {
        cursors.push(input.cursor);
        const at = typeof input.cursor === 'number' ? input.cursor : 0;
        return at >= 249 ? { status: 'done', summary: { pages: at + 1 } } : { status: 'continue', cursor: at + 1, summary: {} };
      },
    });
    const workflowId = jobRunWorkflowId(`long-${Date.now()}`);
    const summary = await withWorker(activities, (taskQueue) =>
      env.client.workflow.execute<typeof jobRunWorkflow>('jobRunWorkflow', { args: [{ runId: 'long-run' }], taskQueue, workflowId }),
    );
    assert.deepEqual(summary, { status: 'completed', pages: 250 });
    assert.deepEqual(cursors, [undefined, ...Array.from({ length: 249 }, (_, i) => i + 1)], 'every step from the previous one\'s cursor, none repeated or skipped');
    assert.deepEqual(ends.map((e) => [e.runId, e.status]), [['long-run', 'completed']]);
    const executions: string[] = [];
    for await (const w of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) executions.push(w.status.name);
    assert.equal(executions.length, 3, `two continue-as-new, then the last execution (${executions.join(', ')})`);
  });

  it('a triggered run cancelled before it started ends at once without a step', async () => {
    let steps = 0;
    const { activities, ends } = stubActivities({
      startRun: async () => undefined,
      runJobStep: async () => {
        steps += 1;
        return { status: 'done', summary: {} };
      },
    });
    const summary = await withWorker(activities, (taskQueue) =>
      env.client.workflow.execute<typeof jobRunWorkflow>('jobRunWorkflow', { args: [{ runId: 'gone' }], taskQueue, workflowId: jobRunWorkflowId(`gone-${Date.now()}`) }),
    );
    assert.equal(summary.status, 'cancelled');
    assert.deepEqual([steps, ends.length], [0, 0]);
  });

  it("a triggered issue scan of a project runs as that project's scan workflow, so it never runs beside another scan of it", async () => {
    const scanned: string[] = [];
    const { activities, ends } = stubActivities({
      startRun: async (runId) => ({ runId, job: 'issue_scan', projectId: 'p7', params: {} }),
      runJobStep: async () => assert.fail('a project scan is not an in-process step on Temporal'),
      scanProjectIssues: async (projectId) => {
        scanned.push(projectId);
        return scanOf(projectId);
      },
    });
    const summary = await withWorker(activities, (taskQueue) =>
      env.client.workflow.execute<typeof jobRunWorkflow>('jobRunWorkflow', { args: [{ runId: 'scan-p7' }], taskQueue, workflowId: jobRunWorkflowId(`scan-p7-${Date.now()}`) }),
    );
    assert.deepEqual(scanned, ['p7']);
    assert.equal(summary.newOccurrences, 1);
    assert.deepEqual(ends.map((e) => [e.runId, e.status]), [['scan-p7', 'completed']]);
    // Visibility is eventually consistent: wait until the child shows.
    let children: string[] = [];
    for (const deadline = Date.now() + 10_000; children.length === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      children = [];
      for await (const w of env.client.workflow.list({ query: `WorkflowId = '${issueScanWorkflowId('p7')}'` })) children.push(w.type);
    }
    assert.deepEqual(children, ['issueScanWorkflow']);
  });

  it("the scheduled issue scan skips a project whose scan is running and scans the others as child workflows", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const scanned: string[] = [];
    const { activities, ends } = stubActivities({
      listProjectIds: async () => ['busy', 'idle'],
      scanProjectIssues: async (projectId) => {
        scanned.push(projectId);
        if (projectId === 'busy') await held;
        return scanOf(projectId);
      },
    });
    await withWorker(activities, async (taskQueue) => {
      // A scan-now of `busy` holds its workflow id while the scheduled job runs.
      const busy = await env.client.workflow.start<typeof issueScanWorkflow>('issueScanWorkflow', {
        args: [{ projectId: 'busy' }],
        taskQueue,
        workflowId: issueScanWorkflowId('busy'),
      });
      while (!scanned.includes('busy')) await new Promise((resolve) => setTimeout(resolve, 20));
      const summary = await env.client.workflow.execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', {
        args: [{ job: 'issue_scan' }],
        taskQueue,
        workflowId: `issue-scan-${Date.now()}`,
      });
      assert.deepEqual(summary, { status: 'completed', projects: 1, errors: 1, created: 0, updated: 0, regressed: 0, newOccurrences: 1, skippedAlreadyRunning: ['busy'] });
      release();
      assert.deepEqual(await busy.result(), scanOf('busy'));
    });
    assert.deepEqual(scanned, ['busy', 'idle']);
    assert.deepEqual(ends.map((e) => e.status), ['completed']);
  });
});
