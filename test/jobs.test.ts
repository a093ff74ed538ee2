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
    assert.deepEqual(done.progress, { processed: 0, total: 1, message: `scanning project ${h.credentials.projectId}` });

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

  it('refuses what a client may not do, naming the field, and changes nothing', async () => {
    const unknown = await call('POST', '/v1/jobs/drop_everything', {});
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json<{ message: string }>().message, /^type: no project job named "drop_everything"; project jobs: issue_scan, retention_cleanup$/);
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
    assert.equal(runs.length, 2, 'only the two runs of the tests above');
  });
});
