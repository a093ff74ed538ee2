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
import type { JobRunRow } from '@strix/warehouse';
import { ensureTemporalCli } from '@strix/testkit/temporal';
import { issueScanWorkflowId, type JobActivities, type ProjectScanSummary } from './jobs.ts';
import { workflowsPath } from './worker.ts';
import type { issueScanWorkflow, scheduledJobWorkflow } from './workflows.ts';

const scanOf = (projectId: string): ProjectScanSummary => ({ projectId, errors: 1, created: [], updated: [], regressed: [], newOccurrences: 1 });

/** Activities that answer from memory and keep every job run record; `overrides` replace single ones. */
function stubActivities(overrides: Partial<JobActivities> = {}): { activities: JobActivities; runs: JobRunRow[] } {
  const runs: JobRunRow[] = [];
  const activities: JobActivities = {
    retentionSweep: async () => ({ deleted: {} }),
    issueScan: async () => ({}),
    issueNotify: async () => ({}),
    commentPurge: async () => ({ purged: 0 }),
    metricAbandon: async () => ({}),
    projectPurge: async () => ({ purged: [] }),
    listProjectIds: async () => [],
    scanProjectIssues: async (projectId) => scanOf(projectId),
    recordJobRun: async (run) => {
      runs.push(run);
    },
    ...overrides,
  };
  return { activities, runs };
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
    let sweeps = 0;
    const { activities, runs } = stubActivities({
      retentionSweep: async () => {
        sweeps += 1;
        throw ApplicationFailure.nonRetryable('disk full', 'SweepFailed');
      },
    });
    const error = await withWorker(activities, (taskQueue) =>
      env.client.workflow.execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', {
        args: [{ job: 'retention-sweep', trigger: 'manual' }],
        taskQueue,
        workflowId: `sweep-fails-${Date.now()}`,
      }).then(() => undefined, (e: unknown) => e),
    );
    assert.ok(error instanceof WorkflowFailedError, `the workflow fails: ${String(error)}`);
    assert.ok(error.cause instanceof ApplicationFailure);
    assert.equal(error.cause.type, 'JobFailed');
    assert.equal(error.cause.nonRetryable, true);
    assert.match(error.cause.message, /^retention-sweep failed: disk full$/);
    assert.equal(sweeps, 1);
    assert.deepEqual(runs.map((r) => [r.status, r.error]), [['running', ''], ['failed', 'disk full']]);
    const [running, failed] = runs;
    assert.ok(running && failed && running.run_id === failed.run_id && running.run_id.startsWith('temporal:'));
    assert.equal(failed.trigger, 'manual');
    assert.ok(failed.finished_at !== null && failed.finished_at >= failed.started_at && failed.started_at >= failed.scheduled_at);
  });

  it('retries a transient activity error inside the same run (the policy waits 5 s)', async () => {
    let sweeps = 0;
    const { activities, runs } = stubActivities({
      retentionSweep: async () => {
        sweeps += 1;
        if (sweeps === 1) throw new Error('connection reset');
        return { deleted: { p1: 3 } };
      },
    });
    const summary = await withWorker(activities, (taskQueue) =>
      env.client.workflow.execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', {
        args: [{ job: 'retention-sweep' }],
        taskQueue,
        workflowId: `sweep-retries-${Date.now()}`,
      }),
    );
    assert.deepEqual(summary, { deleted: { p1: 3 } });
    assert.equal(sweeps, 2);
    // One run, recorded once as running and once as succeeded; started without a schedule, it is stamped with its start.
    assert.deepEqual(runs.map((r) => [r.status, r.trigger, r.summary]), [['running', 'schedule', ''], ['succeeded', 'schedule', '{"deleted":{"p1":3}}']]);
  });

  it("the scheduled issue scan skips a project whose scan is running and scans the others as child workflows", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const scanned: string[] = [];
    const { activities, runs } = stubActivities({
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
        args: [{ job: 'issue-scan', trigger: 'manual' }],
        taskQueue,
        workflowId: `issue-scan-${Date.now()}`,
      });
      assert.deepEqual(summary, { projects: 1, errors: 1, created: 0, updated: 0, regressed: 0, newOccurrences: 1, skippedAlreadyRunning: ['busy'] });
      release();
      assert.deepEqual(await busy.result(), scanOf('busy'));
    });
    assert.deepEqual(scanned, ['busy', 'idle']);
    assert.deepEqual(runs.map((r) => r.status), ['running', 'succeeded']);
  });
});
