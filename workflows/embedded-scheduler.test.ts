import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { lastScheduledSuccess, listJobRuns, migrate } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { createActivities } from './activities.ts';
import { EmbeddedScheduler } from './embedded-scheduler.ts';
import { sqlDir } from '@strix/warehouse';
import { HOUR_MS, jobSpec, jobSpecs, type JobOutcome } from './jobs.ts';
import type { ProjectDirectory } from '@strix/contracts';
import { sharedTestControl } from '@strix/testkit/control';

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('EmbeddedScheduler on chDB', () => {
  let dir: string;
  let wh: ChdbWarehouse;
  let directory: ProjectDirectory;
  // An injected clock: slots are hours, so the test moves time instead of waiting for it.
  const firstSlot = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  let clock = firstSlot + 20 * 60_000;
  let sweeps = 0;
  let gate: Promise<void> | undefined;
  let failWith: Error | undefined;
  const outcomes: JobOutcome[] = [];
  // The sweep alone: its runs are the ones counted here.
  const jobs = [jobSpec(jobSpecs(), 'retention-sweep')];

  /** The real activities; the sweep also counts its calls and can be held open. */
  function scheduler(): EmbeddedScheduler {
    const real = createActivities({ warehouse: wh, directory });
    const activities = {
      ...real,
      async retentionSweep() {
        sweeps += 1;
        await gate;
        if (failWith) throw failWith;
        return real.retentionSweep();
      },
    };
    return new EmbeddedScheduler({ warehouse: wh, activities, jobs, now: () => clock, pollMs: 20, onOutcome: (_job, o) => outcomes.push(o) });
  }

  before(async () => {
    directory = await sharedTestControl();
    dir = await mkdtemp(join(tmpdir(), 'strix-scheduler-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
    await migrate(wh, sqlDir);
  });

  after(async () => {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a due job once, and a restart within the interval does not run it again', async () => {
    const first = scheduler();
    await first.start();
    await waitFor('the first run', () => outcomes.length === 1);
    await sleep(200); // ten polls
    await first.stop();
    assert.equal(sweeps, 1);
    assert.equal(outcomes[0]?.status, 'succeeded');
    assert.equal((await lastScheduledSuccess(wh, 'retention-sweep'))?.scheduled_at, firstSlot);

    clock += 30 * 60_000; // still inside the same hour
    const restarted = scheduler();
    await restarted.start();
    await sleep(200);
    assert.equal(sweeps, 1, 'the slot already succeeded before the restart');

    clock = firstSlot + HOUR_MS + 1_000; // the next slot comes due
    await waitFor('the next slot', () => outcomes.length === 2);
    await restarted.stop();
    assert.equal(sweeps, 2);
    assert.equal((await lastScheduledSuccess(wh, 'retention-sweep'))?.scheduled_at, firstSlot + HOUR_MS);
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
    assert.equal((await lastScheduledSuccess(wh, 'retention-sweep'))?.scheduled_at, firstSlot + 4 * HOUR_MS);
  });

  it('runNow runs at once, is recorded as manual, and leaves the schedule where it was', async () => {
    const s = scheduler();
    await s.start();
    await sleep(100);
    const before = sweeps;
    const outcome = await s.runNow('retention-sweep');
    await s.stop();
    assert.equal(outcome.status, 'succeeded');
    assert.equal(sweeps, before + 1);
    const [newest] = await listJobRuns(wh, { job: 'retention-sweep', limit: 1 });
    assert.equal(newest?.trigger, 'manual');
    assert.equal(newest?.run_id, outcome.runId);
    assert.equal((await lastScheduledSuccess(wh, 'retention-sweep'))?.scheduled_at, firstSlot + 4 * HOUR_MS);
  });

  it('runs one at a time per job, and stop waits for the run in progress', async () => {
    const s = scheduler();
    await s.start();
    let release = () => {};
    gate = new Promise<void>((resolve) => (release = resolve));
    const before = sweeps;
    const firstRun = s.runNow('retention-sweep');
    const secondRun = s.runNow('retention-sweep');
    await waitFor('the first manual run to start', () => sweeps === before + 1);
    await sleep(100);
    assert.equal(sweeps, before + 1, 'the second run waits for the first');

    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await sleep(100);
    assert.equal(stopped, false, 'stop waits for the job');
    release();
    gate = undefined;
    await stopping;
    assert.equal((await firstRun).status, 'succeeded');
    assert.equal((await secondRun).status, 'succeeded');
    assert.equal(sweeps, before + 2);
    const runs = await listJobRuns(wh, { job: 'retention-sweep' });
    assert.ok(runs.every((r) => r.status === 'succeeded'), 'no run left in `running` after stop');
    await assert.rejects(() => s.runNow('retention-sweep'), /scheduler stopped/);
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
    const [failed] = await listJobRuns(wh, { job: 'retention-sweep', limit: 1 });
    assert.deepEqual([failed?.status, failed?.error, failed?.scheduled_at], ['failed', 'warehouse unavailable', firstSlot + 6 * HOUR_MS]);

    failWith = undefined;
    const restarted = scheduler();
    await restarted.start();
    await waitFor('the retried slot', () => outcomes.at(-1)?.status === 'succeeded');
    await restarted.stop();
    assert.equal((await lastScheduledSuccess(wh, 'retention-sweep'))?.scheduled_at, firstSlot + 6 * HOUR_MS);
  });
});
