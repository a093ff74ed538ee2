import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteProject, getProject, projectDeletionGraceMs, systemActor, updateProject, type ControlPlane } from '@strix/control';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { listJobRuns, migrate } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { createActivities } from './activities.ts';
import { sqlDir } from '@strix/warehouse';
import { agedEventRow } from '@strix/testkit/rows';
import { executeJob, jobSpec, jobSpecs } from './jobs.ts';

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
    const activities = createActivities({ warehouse: wh, directory: control, now: () => now });
    const untouched = await activities.retentionSweep();
    assert.deepEqual(untouched.deleted, {});
    assert.equal(untouched.projectsChecked, 2);

    await control.db.transaction((tx) => updateProject(tx, 'short', { retention_events_days: 30 }, systemActor('test')));
    const first = await activities.retentionSweep();
    assert.deepEqual(first.deleted, { short: 3 });
    assert.equal(first.rowsDeleted, 3);
    assert.deepEqual(await eventIds(wh, 'short'), ['e05', 'e29']);
    assert.deepEqual(await eventIds(wh, 'keep'), ['e05', 'e29', 'e31', 'e45', 'e80']);

    const mutationsBefore = await wh.query<{ n: string }>("SELECT count() AS n FROM system.mutations WHERE table = 'events'");
    const again = await activities.retentionSweep();
    assert.deepEqual(again.deleted, {});
    assert.equal(again.rowsDeleted, 0);
    assert.deepEqual(await eventIds(wh, 'short'), ['e05', 'e29']);
    const mutationsAfter = await wh.query<{ n: string }>("SELECT count() AS n FROM system.mutations WHERE table = 'events'");
    assert.deepEqual(mutationsAfter, mutationsBefore, 'a re-run with nothing to delete issues no DELETE');
  });

  it('records a run with its summary in job_runs, once per run id', async () => {
    const activities = createActivities({ warehouse: wh, directory: control, now: () => now });
    const spec = jobSpec(jobSpecs(), 'retention-sweep');
    let clock = now;
    const outcome = await executeJob(
      activities,
      spec,
      { job: 'retention-sweep', runId: 'test-run-1', trigger: 'manual', scheduledAt: now },
      () => (clock += 1),
    );
    assert.equal(outcome.status, 'succeeded');
    const runs = await listJobRuns(wh, { job: 'retention-sweep' });
    assert.equal(runs.length, 1, 'the running record and the final one collapse into one row');
    const [run] = runs;
    assert.equal(run?.status, 'succeeded');
    assert.equal(run?.trigger, 'manual');
    assert.equal(run?.scheduled_at, now);
    assert.ok((run?.finished_at ?? 0) > (run?.started_at ?? Infinity));
    assert.deepEqual(JSON.parse(run?.summary ?? '{}'), { deleted: {}, rowsDeleted: 0, projectsChecked: 2, asOf: now });
  });

  it('purges a deleted project once its grace has ended: its warehouse rows first, then its control-plane rows', async () => {
    await control.db.transaction((tx) => deleteProject(tx, 'short', systemActor('test')));
    const during = await createActivities({ warehouse: wh, directory: control, now: () => Date.now() + projectDeletionGraceMs - 60_000 }).projectPurge();
    assert.deepEqual(during.purged, [], 'kept during the grace');
    assert.equal((await eventIds(wh, 'short')).length, 2);

    const activities = createActivities({ warehouse: wh, directory: control, now: () => Date.now() + projectDeletionGraceMs + 60_000 });
    const purged = await activities.projectPurge();
    assert.deepEqual(purged.purged, ['short']);
    assert.deepEqual(await eventIds(wh, 'short'), []);
    assert.equal(await getProject(control.db, 'short', { includeDeleted: true }), undefined);
    assert.deepEqual(await eventIds(wh, 'keep'), ['e05', 'e29', 'e31', 'e45', 'e80'], 'the other project keeps its rows');
    assert.deepEqual((await activities.projectPurge()).purged, [], 'a re-run purges nothing');
  });
});
