import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { errorRow } from '@strix/testkit/rows';
import { systemActor, updateProject, type ControlPlane } from '@strix/control';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { migrate, statsById } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { startTemporal, type TemporalEngine } from '@strix/testkit/temporal';
import { createActivities } from './activities.ts';
import { jobSpecs } from './job-specs.ts';
import { startJobRun } from './job-client.ts';
import { HOUR_MS, issueScanWorkflowId, jobRunWorkflowId } from './jobs.ts';
import { sqlDir } from '@strix/warehouse';
import { agedEventRow } from '@strix/testkit/rows';
import { runIssueScan } from './issue-scan-client.ts';
import { ensureSchedules, ensureSearchAttributes, scheduleIdFor } from './schedules.ts';
import { createWorker, runWorker } from './worker.ts';
import type { scheduledJobWorkflow } from './workflows.ts';

describe('job workflows on a real Temporal dev server and chDB', { timeout: 150_000 }, () => {
  let temporal: TemporalEngine;
  let connection: Connection;
  let client: Client;
  let workerConnection: NativeConnection;
  let dir: string;
  let wh: ChdbWarehouse;
  let control: ControlPlane;
  const taskQueue = `strix-test-${process.pid}`;
  const now = Date.now();

  before(async () => {
    // The worker's bundler and state changes log at INFO; only problems are worth reading here.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    temporal = await startTemporal();
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection, namespace: temporal.namespace });
    // Twice: registering attributes that exist already changes nothing.
    await ensureSearchAttributes(connection, temporal.namespace);
    await ensureSearchAttributes(connection, temporal.namespace);
    workerConnection = await NativeConnection.connect({ address: temporal.address });
    dir = await mkdtemp(join(tmpdir(), 'strix-temporal-wf-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
    await migrate(wh, sqlDir);
    control = await openTestControl();
  });

  after(async () => {
    await workerConnection?.close();
    await connection?.close();
    await temporal?.stop();
    await wh?.close();
    await control?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Waits until the store has the run ended. */
  async function ended(runId: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = await control.jobRuns().get(runId);
      if (run && run.status !== 'pending' && run.status !== 'running') return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not end: ${JSON.stringify(run)}`);
      await sleep(100);
    }
  }

  it('runs a triggered project run as its workflow (found by its search attributes) and the schedule\'s run, recording both', async () => {
    await seedProjects(control, { id: 'short', name: 'Shortened', retention_events_days: 90 }, { id: 'keep', name: 'Unchanged', retention_events_days: 90 });
    await wh.insert('events', [agedEventRow('short', 'old', 40, now), agedEventRow('short', 'new', 2, now), agedEventRow('keep', 'old', 40, now)]);
    await control.db.transaction((tx) => updateProject(tx, 'short', { retention_events_days: 30 }, systemActor('test')));

    const worker = await createWorker(workerConnection, {
      namespace: temporal.namespace,
      taskQueue,
      activities: createActivities({ warehouse: wh, directory: control }),
    });
    await worker.runUntil(async () => {
      const runId = `manual-${now}`;
      const opened = await control.jobRuns().open(
        { id: runId, job: 'retention_cleanup', project_id: 'short', trigger: 'manual', params: {}, triggered_by: null, notify: false, scheduled_at: now },
        'pending',
        Date.now(),
      );
      assert.ok('run' in opened);
      await startJobRun(client, opened.run, taskQueue);
      await startJobRun(client, opened.run, taskQueue); // a retried hand-over starts nothing more
      const run = await ended(runId);
      assert.equal(run.status, 'completed', run.error);
      assert.deepEqual(run.summary?.deleted, { short: 1 });
      assert.equal(run.summary?.projectsChecked, 1, 'a project run covers its project alone');
      const left = await wh.query<{ project_id: string; event_id: string }>('SELECT project_id, event_id FROM events ORDER BY project_id, event_id');
      assert.deepEqual(left, [
        { project_id: 'keep', event_id: 'old' },
        { project_id: 'short', event_id: 'new' },
      ]);
      // Operators find it in Temporal by job type and project (visibility is eventually consistent).
      const deadline = Date.now() + 20_000;
      let found: string[] = [];
      while (found.length === 0 && Date.now() < deadline) {
        found = [];
        for await (const w of client.workflow.list({ query: `StrixJobType = 'retention_cleanup' AND StrixProjectId = 'short'` })) found.push(w.workflowId);
        if (found.length === 0) await sleep(200);
      }
      assert.deepEqual(found, [jobRunWorkflowId(runId)]);

      // The schedule itself: created, then triggered rather than waiting an hour for its slot.
      const ensured = await ensureSchedules(client, jobSpecs(), { taskQueue, idPrefix: 'e2e-' });
      assert.ok(ensured.every((e) => e.action === 'created'));
      const before = Date.now();
      await client.schedule.getHandle(scheduleIdFor('retention_cleanup', 'e2e-')).trigger();
      const waitUntil = Date.now() + 30_000;
      for (;;) {
        const [scheduled] = await control.jobRuns().list({ job: 'retention_cleanup', systemOnly: true, status: 'completed', limit: 1 });
        if (scheduled) {
          // The server stamps the run's scheduled time; a re-run found nothing left to delete.
          assert.ok(scheduled.scheduled_at >= before - 5_000 && scheduled.scheduled_at <= Date.now());
          assert.deepEqual(scheduled.summary?.deleted, {});
          assert.equal(scheduled.trigger, 'schedule');
          assert.ok(scheduled.id.startsWith('temporal:'));
          break;
        }
        if (Date.now() > waitUntil) throw new Error('no scheduled run recorded');
        await sleep(100);
      }
    });
  });

  it('ensureSchedules is idempotent and moves an existing schedule to the current spec', async () => {
    const id = scheduleIdFor('retention_cleanup', 'idem-');
    const hourly = jobSpecs();
    const first = await ensureSchedules(client, hourly, { taskQueue, idPrefix: 'idem-' });
    const second = await ensureSchedules(client, hourly, { taskQueue, idPrefix: 'idem-' });
    const retention = (ensured: typeof first) => ensured.find((e) => e.job === 'retention_cleanup')?.action;
    assert.deepEqual([retention(first), retention(second)], ['created', 'unchanged']);
    const hourlyDescription = await client.schedule.getHandle(id).describe();
    assert.deepEqual(hourlyDescription.spec.intervals?.map((i) => i.every), [HOUR_MS]);

    const every15 = jobSpecs({ retention_cleanup: 15 * 60_000 });
    const changed = await ensureSchedules(client, every15, { taskQueue, idPrefix: 'idem-' });
    const settled = await ensureSchedules(client, every15, { taskQueue, idPrefix: 'idem-' });
    assert.deepEqual([retention(changed), retention(settled)], ['updated', 'unchanged']);

    const description = await client.schedule.getHandle(id).describe();
    assert.deepEqual(description.spec.intervals?.map((i) => i.every), [15 * 60_000]);
    assert.equal(description.policies.overlap, 'SKIP');
    assert.equal(description.action.workflowType, 'scheduledJobWorkflow');

    // Listing is eventually consistent: wait until it shows the schedule, then count.
    let ids: string[] = [];
    const deadline = Date.now() + 20_000;
    while (!ids.includes(id) && Date.now() < deadline) {
      ids = [];
      for await (const s of client.schedule.list()) ids.push(s.scheduleId);
      if (!ids.includes(id)) await sleep(200);
    }
    assert.equal(ids.filter((s) => s === id).length, 1);
  });

  it('runWorker (the worker role) serves workflows until its signal aborts', async () => {
    const queue = `${taskQueue}-role`;
    const abort = new AbortController();
    const running = runWorker({ address: temporal.address, namespace: temporal.namespace, taskQueue: queue, activities: createActivities({ warehouse: wh, directory: control }), signal: abort.signal });
    const summary = await client.workflow.execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', {
      args: [{ job: 'retention_cleanup' }],
      taskQueue: queue,
      workflowId: `retention-cleanup-role-${now}`,
    });
    assert.equal(summary.rowsDeleted, 0);
    abort.abort();
    await running;
  });

  it('scans issues as one workflow per project: scan-now, concurrent requests and the scheduled job', async () => {
    const queue = `${taskQueue}-issues`;
    await seedProjects(control, { id: 'errors-a', name: 'A' }, { id: 'errors-b', name: 'B' });
    await wh.insert('events', [
      errorRow({ project_id: 'errors-a', fingerprint: 'fa', session_id: 'sa1' }),
      errorRow({ project_id: 'errors-a', fingerprint: 'fa', session_id: 'sa2' }),
      errorRow({ project_id: 'errors-b', fingerprint: 'fb', session_id: 'sb1' }),
    ]);
    const worker = await createWorker(workerConnection, { namespace: temporal.namespace, taskQueue: queue, activities: createActivities({ warehouse: wh, directory: control }) });
    await worker.runUntil(async () => {
      const first = await runIssueScan(client, 'errors-a', queue);
      assert.equal(first.created.length, 1);
      assert.equal(first.newOccurrences, 2);

      // Two scan-now calls at once: the second waits for the first's workflow (one id per project), then runs its own.
      await wh.insert('events', [errorRow({ project_id: 'errors-a', fingerprint: 'fa', session_id: 'sa3' })]);
      const both = await Promise.all([runIssueScan(client, 'errors-a', queue), runIssueScan(client, 'errors-a', queue)]);
      assert.deepEqual(both.map((s) => s.created.length), [0, 0]);
      assert.equal(both.reduce((n, s) => n + s.newOccurrences, 0), 1, 'the new session is counted by exactly one of them');
      const runs: string[] = [];
      for await (const w of client.workflow.list({ query: `WorkflowId = '${issueScanWorkflowId('errors-a')}'` })) runs.push(w.runId);
      assert.ok(runs.length >= 2, `one workflow id, one run after another (${runs.length} runs)`);

      const summary = await client.workflow.execute<typeof scheduledJobWorkflow>('scheduledJobWorkflow', {
        args: [{ job: 'issue_scan' }],
        taskQueue: queue,
        workflowId: `issue-scan-manual-${now}`,
      });
      assert.ok(Number(summary.projects) >= 2);
      assert.equal(summary.created, 1, "project B's issue; A's already exists");
      const [statsA] = await statsById(wh, 'errors-a', [first.created[0]?.issue_id ?? '']);
      assert.equal(statsA?.occurrences, 3);
      const [recorded] = await control.jobRuns().list({ job: 'issue_scan', systemOnly: true, status: 'completed', limit: 1 });
      assert.ok(recorded, 'the job run is recorded');
    });
  });
});
