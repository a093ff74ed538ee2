/**
 * Background jobs through the API of embedded Strix: trigger a project job, watch it run on the
 * in-process scheduler to its end, the catalogue with the system jobs' next runs, and the errors a
 * client gets for what it may not do.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { event, ingest, startHarness, type Harness } from '@strix/testkit/harness';

interface RunJson {
  id: string;
  type: string;
  status: string;
  trigger: string;
  triggered_by: { type: string; label: string } | null;
  progress: { processed: number; total: number | null; message: string };
  summary: Record<string, unknown> | null;
  error: string;
  finished_at: string | null;
}

describe('embedded Strix: jobs API on the in-process scheduler', { timeout: 120_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  const call = (method: 'GET' | 'POST', url: string, payload?: object, key = h.credentials.agentKey) =>
    h.strix.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });

  async function ended(id: string): Promise<RunJson> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await call('GET', `/v1/jobs/${id}`);
      assert.equal(res.statusCode, 200, res.body);
      const { run } = res.json<{ run: RunJson }>();
      if (run.status !== 'pending' && run.status !== 'running') return run;
      if (Date.now() > deadline) throw new Error(`run ${id} did not end: ${res.body}`);
      await sleep(50);
    }
  }

  it("runs a triggered issue scan of the project to its end and lists it with the project's runs", async () => {
    const sent = await ingest(h, { events: [event({ level: 'error', message: 'jobs test failure', source_module: 'jobsmod', session_id: 'jobs-1', name: undefined })] });
    assert.equal(sent.statusCode, 200, sent.body);
    await h.strix.drained();

    const res = await call('POST', '/v1/jobs/issue_scan', {});
    assert.equal(res.statusCode, 202, res.body);
    const { run } = res.json<{ run: RunJson }>();
    assert.equal(run.type, 'issue_scan');
    assert.equal(run.trigger, 'manual');
    assert.equal(run.triggered_by?.type, 'key');
    const done = await ended(run.id);
    assert.equal(done.status, 'completed', done.error);
    assert.equal(done.summary?.projects, 1);
    assert.equal(done.summary?.created, 1, 'the error became an issue');
    assert.deepEqual(done.progress, { processed: 1, total: 1, message: `scanning project ${h.credentials.projectId}` });

    const list = await call('GET', '/v1/jobs?type=issue_scan');
    assert.equal(list.statusCode, 200, list.body);
    const body = list.json<{ jobs: { type: string; scope: string; next_run_at: string | null; triggerable: boolean }[]; runs: RunJson[] }>();
    assert.deepEqual(body.runs.map((r) => r.id), [run.id]);
    const scan = body.jobs.find((j) => j.type === 'issue_scan');
    assert.equal(scan?.scope, 'system');
    assert.equal(scan?.triggerable, true);
    assert.ok(scan?.next_run_at && Date.parse(scan.next_run_at) > Date.now(), 'system jobs show their next run');
    assert.equal(body.jobs.find((j) => j.type === 'soft_delete_cleanup')?.triggerable, false);
  });

  it('a retention cleanup run of the project completes, and cancelling an ended run is a conflict', async () => {
    const res = await call('POST', '/v1/jobs/retention_cleanup', { params: {} });
    assert.equal(res.statusCode, 202, res.body);
    const done = await ended(res.json<{ run: RunJson }>().run.id);
    assert.equal(done.status, 'completed', done.error);
    assert.equal(done.summary?.projectsChecked, 1);
    const cancel = await call('POST', `/v1/jobs/${done.id}/cancel`);
    assert.equal(cancel.statusCode, 409, cancel.body);
    assert.match(cancel.json<{ message: string }>().message, /already ended: completed/);
  });

  it("app_version_sync finds the app's latest version from production events; events and issues say whether theirs is it", async () => {
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const crash = (version: string, minutesAgo: number) =>
      event({ level: 'error', message: 'version test crash', source_module: 'versionmod', session_id: `v-${version}`, name: undefined, app_version: version, timestamp: at(minutesAgo) });
    const person = (user: string, version: string, minutesAgo: number) => event({ user_id: user, app_version: version, $set: { cohort: 'versions' }, timestamp: at(minutesAgo) });
    const sent = await ingest(h, { events: [crash('1.2.0', 30), crash('1.10.0', 10), event({ app_version: '1.9.0', timestamp: at(20) }), person('v-old', '1.9.0', 20), person('v-new', '1.10.0', 12)] });
    assert.equal(sent.statusCode, 200, sent.body);
    await h.strix.drained();

    const res = await call('POST', '/v1/jobs/app_version_sync', {});
    assert.equal(res.statusCode, 202, res.body);
    const done = await ended(res.json<{ run: RunJson }>().run.id);
    assert.equal(done.status, 'completed', done.error);
    assert.deepEqual(done.summary?.changed, [{ project_id: h.credentials.projectId, app_id: (done.summary?.changed as { app_id: string }[])[0]?.app_id, version: '1.10.0', source: 'events' }]);

    const events = (await call('GET', '/v1/events?limit=100')).json<{ events: { app_version: string; is_latest_app_version: boolean | null }[] }>().events;
    const flags = Object.fromEntries(events.filter((e) => e.app_version).map((e) => [e.app_version, e.is_latest_app_version]));
    assert.deepEqual(flags, { '1.2.0': false, '1.9.0': false, '1.10.0': true }, 'semver order: 1.10.0 is above 1.9.0');
    const users = (await call('GET', '/v1/users?property=cohort&value=versions')).json<{ users: { user_id: string; app_version: string | null; is_latest_app_version: boolean | null }[] }>().users;
    assert.deepEqual(users.map((u) => [u.user_id, u.app_version, u.is_latest_app_version]), [['v-new', '1.10.0', true], ['v-old', '1.9.0', false]]);
    const one = (await call('GET', '/v1/users/v-old')).json<{ app_version: string | null; is_latest_app_version: boolean | null }>();
    assert.deepEqual([one.app_version, one.is_latest_app_version], ['1.9.0', false], 'users say whether the version they last used is the latest');

    const scan = await call('POST', '/v1/issues/scan');
    assert.equal(scan.statusCode, 200, scan.body);
    const issues = (await call('GET', '/v1/issues?q=versionmod')).json<{ issues: { first_app_version: string; last_app_version: string; is_latest_app_version: boolean | null }[] }>().issues;
    assert.deepEqual(
      issues.map((i) => [i.first_app_version, i.last_app_version, i.is_latest_app_version]),
      [['1.2.0', '1.10.0', true]],
    );
  });

  it('refuses what a client may not do, naming the field, and changes nothing', async () => {
    const unknown = await call('POST', '/v1/jobs/drop_everything', {});
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json<{ message: string }>().message, /^type: no project job named "drop_everything"; project jobs: issue_scan, retention_cleanup, app_version_sync, /);
    const erase = await call('POST', '/v1/jobs/person_delete', { params: { user_id: 'u' } });
    assert.equal(erase.statusCode, 403, 'erasing a person takes projects:write, through its own route');
    const system = await call('POST', '/v1/jobs/soft_delete_cleanup', {});
    assert.equal(system.statusCode, 404, 'system jobs are not triggered by projects');
    const param = await call('POST', '/v1/jobs/issue_scan', { params: { project_id: 'other' } });
    assert.equal(param.statusCode, 400);
    assert.equal(param.json<{ message: string }>().message, 'params.project_id: is not a parameter of issue_scan');
    const notify = await call('POST', '/v1/jobs/issue_scan', { notify: true });
    assert.equal(notify.statusCode, 400);
    assert.match(notify.json<{ message: string }>().message, /^notify: only a signed-in person/);
    const client = await call('POST', '/v1/jobs/issue_scan', {}, h.credentials.clientKey);
    assert.equal(client.statusCode, 403, client.body);
    assert.equal((await call('GET', '/v1/jobs/not-a-run')).statusCode, 404);
    assert.equal((await call('GET', '/v1/jobs?limit=101')).statusCode, 400);
    const runs = (await call('GET', '/v1/jobs')).json<{ runs: RunJson[] }>().runs;
    assert.equal(runs.length, 3, 'only the three runs of the tests above');
  });
});
