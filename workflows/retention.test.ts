import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteProject, getProject, projectDeletionGraceMs, systemActor, updateProject, type ControlPlane } from '@strix/control';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { migrate } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { createActivities, createJobBodies } from './activities.ts';
import { runBody, unattended } from './job-context.fixture.ts';
import { sqlDir } from '@strix/warehouse';
import { DAY_MS, agedEventRow, eventRow } from '@strix/testkit/rows';
import { executeScheduledRun } from './jobs.ts';
import type { RetentionSweepSummary } from './retention-sweep.ts';

async function eventIds(wh: ChdbWarehouse, project: string): Promise<string[]> {
  const rows = await wh.query<{ event_id: string }>(
    'SELECT event_id FROM events WHERE project_id = {p:String} ORDER BY event_id',
    { p: project },
  );
  return rows.map((r) => r.event_id);
}

describe('retention sweep on chDB', () => {
  let dir: string;
  let wh: ChdbWarehouse;
  let control: ControlPlane;
  // The real clock: the table TTL runs on it too, and would drop rows dated from a fixed past day.
  const now = Date.now();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-retention-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
    await migrate(wh, sqlDir);
    control = await openTestControl();
    await seedProjects(control, { id: 'short', name: 'Shortened', retention_events_days: 90 }, { id: 'keep', name: 'Unchanged', retention_events_days: 90 });
    // Ages straddle the new 30-day cutoff; all are inside the 90 days the rows (and their TTL) carry.
    const ages = { e05: 5, e29: 29, e31: 31, e45: 45, e80: 80 };
    const rows = Object.entries(ages).flatMap(([id, age]) => [agedEventRow('short', id, age, now), agedEventRow('keep', id, age, now)]);
    await wh.insert('events', rows);
  });

  after(async () => {
    await wh.close();
    await control.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('deletes exactly the rows older than the shortened retention of that project, and a re-run is a no-op', async () => {
    const bodies = createJobBodies({ warehouse: wh, directory: control, now: () => now });
    const sweep = () => runBody<RetentionSweepSummary>(bodies.retention_cleanup, unattended('retention_cleanup'));
    const untouched = await sweep();
    assert.deepEqual(untouched.deleted, {});
    assert.equal(untouched.projectsChecked, 2);

    await control.db.transaction((tx) => updateProject(tx, 'short', { retention_events_days: 30 }, systemActor('test')));
    const first = await sweep();
    assert.deepEqual(first.deleted, { short: 3 });
    assert.equal(first.rowsDeleted, 3);
    assert.deepEqual(await eventIds(wh, 'short'), ['e05', 'e29']);
    assert.deepEqual(await eventIds(wh, 'keep'), ['e05', 'e29', 'e31', 'e45', 'e80']);

    const mutationsBefore = await wh.query<{ n: string }>("SELECT count() AS n FROM system.mutations WHERE table = 'events'");
    const again = await sweep();
    assert.deepEqual(again.deleted, {});
    assert.equal(again.rowsDeleted, 0);
    assert.deepEqual(await eventIds(wh, 'short'), ['e05', 'e29']);
    const mutationsAfter = await wh.query<{ n: string }>("SELECT count() AS n FROM system.mutations WHERE table = 'events'");
    assert.deepEqual(mutationsAfter, mutationsBefore, 'a re-run with nothing to delete issues no DELETE');
  });

  it('records a scheduled run with its summary and progress in the control plane, and a project run covers that project alone', async () => {
    let clock = now;
    const activities = createActivities({ warehouse: wh, directory: control, now: () => (clock += 1) });
    const outcome = await executeScheduledRun(activities, { job: 'retention_cleanup', runId: 'test-run-1', scheduledAt: now });
    assert.equal(outcome.status, 'completed');
    const run = await control.jobRuns().get('test-run-1');
    assert.deepEqual([run?.status, run?.trigger, run?.scheduled_at, run?.project_id], ['completed', 'schedule', now, null]);
    assert.ok((run?.finished_at ?? 0) > (run?.started_at ?? Infinity));
    assert.deepEqual(run?.summary, { deleted: {}, deletedByKind: { events: 0, funnels: 0, metrics: 0 }, rowsDeleted: 0, projectsChecked: 2, asOf: run?.summary?.asOf });
    assert.deepEqual(run?.progress, { processed: 2, total: 2, message: '' }, 'both projects counted, the run complete');
    assert.equal(await control.jobRuns().lastScheduledSuccess('retention_cleanup'), now);

    const one = await runBody<RetentionSweepSummary>(createJobBodies({ warehouse: wh, directory: control, now: () => now }).retention_cleanup, unattended('retention_cleanup', 'keep'));
    assert.equal(one.projectsChecked, 1);
  });

  it('purges a deleted project once its grace has ended: its warehouse rows first, then its control-plane rows', async () => {
    await control.db.transaction((tx) => deleteProject(tx, 'short', systemActor('test')));
    const purge = (at: number) =>
      runBody<{ purgedProjects: string[] }>(createJobBodies({ warehouse: wh, directory: control, now: () => at }).soft_delete_cleanup, unattended('soft_delete_cleanup'));
    const during = await purge(Date.now() + projectDeletionGraceMs - 60_000);
    assert.deepEqual(during.purgedProjects, [], 'kept during the grace');
    assert.equal((await eventIds(wh, 'short')).length, 2);

    const purged = await purge(Date.now() + projectDeletionGraceMs + 60_000);
    assert.deepEqual(purged.purgedProjects, ['short']);
    assert.deepEqual(await eventIds(wh, 'short'), []);
    assert.equal(await getProject(control.db, 'short', { includeDeleted: true }), undefined);
    assert.deepEqual(await eventIds(wh, 'keep'), ['e05', 'e29', 'e31', 'e45', 'e80'], 'the other project keeps its rows');
    assert.deepEqual((await purge(Date.now() + projectDeletionGraceMs + 60_000)).purgedProjects, [], 'a re-run purges nothing');
  });

  it('deletes each kind of data by its own retention: funnel steps and metric series apart from events', async () => {
    await seedProjects(control, { id: 'kinds', name: 'Kinds', retention_events_days: 90, retention_funnels_days: 365, retention_metrics_days: 365 });
    const metric = (id: string, ageDays: number) =>
      eventRow({ project_id: 'kinds', event_id: id, ts: now - ageDays * DAY_MS, kind: 'metric', name: 'load_time', metric_phase: 'record', metric_value: 120, user_id: 'u1', retention_days: 90 });
    await wh.insert('events', [...['f05', 'f20', 'f40', 'f60'].map((id) => agedEventRow('kinds', id, Number(id.slice(1)), now)), metric('m05', 5), metric('m40', 40)]);
    const count = async (sql: string) => Number((await wh.query<{ n: string }>(sql, { p: 'kinds' }))[0]?.n);
    const funnelRows = () => count('SELECT count() AS n FROM funnel_events WHERE project_id = {p:String}');
    const oldMetricHours = () => count(`SELECT count() AS n FROM metric_rollup_hours WHERE project_id = {p:String} AND bucket < now() - INTERVAL 30 DAY`);
    const recentMetricHours = () => count(`SELECT count() AS n FROM metric_rollup_hours WHERE project_id = {p:String} AND bucket >= now() - INTERVAL 30 DAY`);
    assert.equal(await funnelRows(), 4);
    assert.ok((await oldMetricHours()) > 0 && (await recentMetricHours()) > 0);

    await control.db.transaction((tx) => updateProject(tx, 'kinds', { retention_funnels_days: 30, retention_metrics_days: 30 }, systemActor('test')));
    const swept = await runBody<RetentionSweepSummary>(createJobBodies({ warehouse: wh, directory: control, now: () => now }).retention_cleanup, unattended('retention_cleanup', 'kinds'));
    assert.equal(swept.deletedByKind.events, 0, 'events keep their own 90 days');
    assert.equal(swept.deletedByKind.funnels, 2);
    assert.ok(swept.deletedByKind.metrics > 0);
    assert.equal(await funnelRows(), 2);
    assert.equal(await oldMetricHours(), 0);
    assert.ok((await recentMetricHours()) > 0, 'the recent series stays');
    assert.deepEqual(await eventIds(wh, 'kinds'), ['f05', 'f20', 'f40', 'f60', 'm05', 'm40']);
  });
});
