import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JobName, JobRun } from '@strix/contracts';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import type { ControlPlane } from './control-plane.ts';
import { abandonedAfterMs, unstartedAfterMs } from './job-runs.ts';

describe('job runs in the control plane (PGlite)', () => {
  let control: ControlPlane;
  before(async () => {
    control = await openTestControl();
    await seedProjects(control, { id: 'p1', name: 'One' });
  });
  after(() => control.close());

  const open = async (job: JobName, status: 'pending' | 'running', at: number, params: Record<string, unknown> = {}) =>
    control.jobRuns().open({ id: randomUUID(), job, project_id: 'p1', trigger: 'manual', params, triggered_by: null, notify: false, scheduled_at: at }, status, at);
  const opened = (result: { run: JobRun } | { active: JobRun }): JobRun => {
    assert.ok('run' in result, `a run was opened: ${JSON.stringify(result)}`);
    return result.run;
  };

  it("a completed run's progress is whole; a failed one keeps where it got to", async () => {
    const at = 1_900_000_000_000;
    const runs = control.jobRuns();
    const done = opened(await open('issue_scan', 'running', at));
    await runs.progress(done.id, { processed: 2, total: 3, message: 'scanning project p3' }, at + 1);
    assert.deepEqual((await runs.finish(done.id, { status: 'completed', summary: {} }, at + 2))?.progress, { processed: 3, total: 3, message: 'scanning project p3' });
    const failed = opened(await open('issue_scan', 'running', at + 3));
    await runs.progress(failed.id, { processed: 1, total: 3 }, at + 4);
    assert.equal((await runs.finish(failed.id, { status: 'failed', error: 'x' }, at + 5))?.progress.processed, 1);
    const uncounted = opened(await open('issue_scan', 'running', at + 6));
    assert.equal((await runs.finish(uncounted.id, { status: 'completed', summary: {} }, at + 7))?.progress.processed, 0, 'no total, nothing to fill');
  });

  it('replaces a run never started after 10 minutes, a running one only after an hour unheard of', async () => {
    const t0 = 1_800_000_000_000;
    const pending = opened(await open('retention_cleanup', 'pending', t0));
    const blocked = await open('retention_cleanup', 'pending', t0 + unstartedAfterMs - 1);
    assert.ok('active' in blocked && blocked.active.id === pending.id, 'a second trigger names the pending run');
    const next = opened(await open('retention_cleanup', 'pending', t0 + unstartedAfterMs));
    const replaced = await control.jobRuns().get(pending.id);
    assert.equal(replaced?.status, 'failed');
    assert.match(replaced?.error ?? '', /^abandoned: not started in 10 minutes/);
    assert.equal(await control.jobRuns().start(pending.id, t0 + unstartedAfterMs + 1), undefined, 'a worker taking it late finds it ended');

    const t1 = t0 + unstartedAfterMs + 5;
    assert.ok(await control.jobRuns().start(next.id, t1));
    assert.ok('active' in (await open('retention_cleanup', 'pending', t1 + unstartedAfterMs * 2)), 'a running run is not replaced after 10 minutes');
    opened(await open('retention_cleanup', 'pending', t1 + abandonedAfterMs));
    assert.match((await control.jobRuns().get(next.id))?.error ?? '', /^abandoned: nothing heard of it for 60 minutes/);
  });

  it("keeps a person's id only while the run is active, however it ends", async () => {
    const digest = createHash('sha256').update('ada@example.com').digest('hex');
    const at = Date.now();
    const finished = opened(await open('person_delete', 'running', at, { user_id: 'ada@example.com' }));
    assert.deepEqual(finished.params, { user_id: 'ada@example.com' }, 'the job reads it while it runs');
    assert.deepEqual((await control.jobRuns().finish(finished.id, { status: 'completed', summary: {} }, at + 1))?.params, { user_id_sha256: digest });

    const cancelled = opened(await open('person_delete', 'pending', at + 2, { user_id: 'ada@example.com' }));
    assert.deepEqual((await control.jobRuns().requestCancel(cancelled.id, at + 3))?.params, { user_id_sha256: digest });

    const interrupted = opened(await open('person_delete', 'running', at + 4, { user_id: 'ada@example.com' }));
    await control.jobRuns().failRunning('interrupted', at + 5);
    assert.deepEqual((await control.jobRuns().get(interrupted.id))?.params, { user_id_sha256: digest });

    const other = opened(await open('app_version_sync', 'running', at + 6, {}));
    assert.deepEqual((await control.jobRuns().finish(other.id, { status: 'completed', summary: {} }, at + 7))?.params, {}, 'other jobs keep their parameters');
  });
});
