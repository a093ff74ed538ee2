import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { JobRun } from '@strix/contracts';
import type { ControlPlane } from '@strix/control';
import { migrate, sqlDir } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { createActivities, type ActivityDeps } from './activities.ts';
import { EmbeddedScheduler, interruptedReason, suspendedMessage } from './embedded-scheduler.ts';
import { jobSpec, jobSpecs } from './job-specs.ts';
import { HOUR_MS, type JobBody, type RunOutcome } from './jobs.ts';

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('EmbeddedScheduler on chDB and the control plane', () => {
  let dir: string;
  let wh: ChdbWarehouse;
  let control: ControlPlane;
  // An injected clock: slots are hours, so the test moves time instead of waiting for it.
  const firstSlot = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  let clock = firstSlot + 20 * 60_000;
  let sweeps = 0;
  let gate: Promise<void> | undefined;
  let failWith: Error | undefined;
  const outcomes: { runId: string; status: string }[] = [];
  // The sweep alone: its runs are the ones counted here.
  const jobs = [jobSpec(jobSpecs(), 'retention_cleanup')];

  /** A sweep that counts its calls and can be held open or made to fail. */
  const sweep: JobBody = async () => {
    sweeps += 1;
    await gate;
    if (failWith) throw failWith;
    return { swept: true };
  };

  function scheduler(bodies: ActivityDeps['bodies'] = {}): EmbeddedScheduler {
    const activities = createActivities({ warehouse: wh, directory: control, now: () => clock, bodies: { retention_cleanup: sweep, ...bodies } });
    return new EmbeddedScheduler({
      runs: control.jobRuns(),
      activities,
      jobs,
      now: () => clock,
      pollMs: 20,
      onOutcome: (_job, runId, o: RunOutcome | { status: 'skipped' }) => outcomes.push({ runId, status: o.status }),
    });
  }

  before(async () => {
    control = await openTestControl();
    await seedProjects(control, { id: 'p1', name: 'One' });
    dir = await mkdtemp(join(tmpdir(), 'strix-scheduler-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
    await migrate(wh, sqlDir);
  });

  after(async () => {
    await wh.close();
    await control.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a due job once, and a restart within the interval does not run it again', async () => {
    const first = scheduler();
    await first.start();
    await waitFor('the first run', () => outcomes.length === 1);
    await sleep(200); // ten polls
    await first.stop();
    assert.equal(sweeps, 1);
    assert.equal(outcomes[0]?.status, 'completed');
    assert.equal(await control.jobRuns().lastScheduledSuccess('retention_cleanup'), firstSlot);

    clock += 30 * 60_000; // still inside the same hour
    const restarted = scheduler();
    await restarted.start();
    await sleep(200);
    assert.equal(sweeps, 1, 'the slot already succeeded before the restart');

    clock = firstSlot + HOUR_MS + 1_000; // the next slot comes due
    await waitFor('the next slot', () => outcomes.length === 2);
    await restarted.stop();
    assert.equal(sweeps, 2);
    assert.equal(await control.jobRuns().lastScheduledSuccess('retention_cleanup'), firstSlot + HOUR_MS);
  });

  it('runs a slot missed while stopped once at start, not once per missed slot', async () => {
    clock = firstSlot + 4 * HOUR_MS + 5 * 60_000;
    const before = sweeps;
    const restarted = scheduler();
    await restarted.start();
    await waitFor('the missed slot', () => sweeps === before + 1);
    await sleep(200);
    await restarted.stop();
    assert.equal(sweeps, before + 1);
    assert.equal(await control.jobRuns().lastScheduledSuccess('retention_cleanup'), firstSlot + 4 * HOUR_MS);
  });

  it('records a failed run with its error and tries that slot again after a restart', async () => {
    clock = firstSlot + 6 * HOUR_MS + 60_000;
    failWith = new Error('warehouse unavailable');
    const before = sweeps;
    const failing = scheduler();
    await failing.start();
    await waitFor('the failed run', () => outcomes.at(-1)?.status === 'failed');
    await sleep(200);
    await failing.stop();
    assert.equal(sweeps, before + 1, 'a failed slot is not retried in a tight loop');
    const failed = await control.jobRuns().get(outcomes.at(-1)?.runId ?? '');
    assert.deepEqual([failed?.status, failed?.error, failed?.scheduled_at], ['failed', 'warehouse unavailable', firstSlot + 6 * HOUR_MS]);

    failWith = undefined;
    const restarted = scheduler();
    await restarted.start();
    await waitFor('the retried slot', () => outcomes.at(-1)?.status === 'completed');
    await restarted.stop();
    assert.equal(await control.jobRuns().lastScheduledSuccess('retention_cleanup'), firstSlot + 6 * HOUR_MS);
  });

  it('runs triggered runs with progress, one per job and project, cancelled cooperatively; a restart fails what a dead process left running', async () => {
    const runs = control.jobRuns();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // A long project job: reports progress per item and stops when asked.
    const slow: JobBody = async (ctx) => {
      for (let i = 0; i < 1_000; i++) {
        await ctx.progress({ processed: i, total: 1_000, message: `item ${i}` });
        if (i === 3) await held;
      }
      return { items: 1_000 };
    };
    const s = scheduler({ issue_scan: slow });
    await s.start();
    const newRun = (id: string) => ({ id, job: 'issue_scan' as const, project_id: 'p1', trigger: 'manual' as const, params: {}, triggered_by: null, notify: false, scheduled_at: clock });
    const opened = await runs.open(newRun('t1'), 'pending', clock);
    assert.ok('run' in opened && opened.run.status === 'pending');
    const second = await runs.open(newRun('t2'), 'pending', clock);
    assert.ok('active' in second && second.active.id === 't1', 'one active run per job and project');

    const ending = s.runTriggered('t1');
    await waitFor('progress', async () => (await runs.get('t1'))?.progress.processed === 3);
    const running = await runs.get('t1');
    assert.deepEqual([running?.status, running?.progress], ['running', { processed: 3, total: 1_000, message: 'item 3' }]);
    await runs.requestCancel('t1', clock);
    release();
    const outcome = await ending;
    assert.equal(outcome?.status, 'cancelled');
    const cancelled = await runs.get('t1');
    assert.equal(cancelled?.status, 'cancelled');
    assert.equal(cancelled?.progress.processed, 4, 'stopped at the first progress report after the request');

    // Cancelled while pending: never starts.
    assert.ok('run' in (await runs.open(newRun('t3'), 'pending', clock)));
    assert.equal((await runs.requestCancel('t3', clock))?.status, 'cancelled');
    assert.equal(await s.runTriggered('t3'), undefined);
    await s.stop();

    // A run left running by a process that died is failed, with the reason, when the next one starts.
    assert.ok('run' in (await runs.open(newRun('t4'), 'running', clock)));
    const next = scheduler({ issue_scan: slow });
    await next.start();
    const interrupted: JobRun | undefined = await runs.get('t4');
    assert.deepEqual([interrupted?.status, interrupted?.error], ['failed', interruptedReason]);
    await next.stop();
  });

  it('sets a long run aside when it stops, between steps or at a progress report, and the next start goes on from its cursor', async () => {
    const runs = control.jobRuns();
    const steps: number[] = [];
    let waiting = false;
    // A run of ten steps, each one page: step 3 waits (reporting progress) until the process stops.
    const paged: JobBody = async (ctx) => {
      const page = typeof ctx.run.cursor === 'number' ? ctx.run.cursor : 0;
      steps.push(page);
      if (page === 3 && steps.filter((p) => p === 3).length === 1) {
        waiting = true;
        for (;;) {
          await ctx.progress({ processed: page, message: 'waiting for a rate limit' });
          await sleep(10);
        }
      }
      return page === 9 ? { pages: 10 } : { continueFrom: page + 1 };
    };
    const first = scheduler({ revenuecat_backfill: paged });
    await first.start();
    const newRun = { id: 'long-1', job: 'revenuecat_backfill' as const, project_id: 'p1', trigger: 'manual' as const, params: {}, triggered_by: null, notify: false, scheduled_at: clock };
    assert.ok('run' in (await runs.open(newRun, 'pending', clock)));
    const ending = first.runTriggered('long-1');
    await waitFor('the step that waits', () => waiting);
    const stopped = Date.now();
    await first.stop();
    assert.ok(Date.now() - stopped < 2_000, 'stopping does not wait for the run to end');
    assert.equal((await ending)?.status, 'suspended');
    const aside = await runs.get('long-1');
    assert.deepEqual([aside?.status, aside?.cursor, aside?.progress.message], ['pending', 3, suspendedMessage]);

    const next = scheduler({ revenuecat_backfill: paged });
    await next.start();
    await waitFor('the run to end', async () => (await runs.get('long-1'))?.status === 'completed');
    await next.stop();
    assert.deepEqual(steps, [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9], 'the step given up is done again, the ones before are not');
    assert.deepEqual((await runs.get('long-1'))?.summary, { pages: 10 });
  });
});
