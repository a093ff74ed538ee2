/**
 * Project jobs on Temporal across processes: an api role (hosting chDB, handing triggered runs to
 * Temporal) and worker roles on the real Temporal dev server, with RevenueCat and the App Store as
 * local stand-ins. A worker is killed with SIGKILL half-way through a 5,000-customer backfill.
 * Attachments go to the api role over HTTP and into the directory every role shares, which
 * `attachment_cleanup` on a worker purges.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { DirectoryBlobStore } from '@strix/blobs';
import type { JobName, JobRun } from '@strix/contracts';
import { JobRuns, createApp, openPostgres, systemActor, type ControlDb } from '@strix/control';
import { writeUserProperties } from '@strix/warehouse';
import { ClickHouseWarehouse } from '@strix/warehouse/clickhouse';
import { scheduleIdFor } from '@strix/workflows/temporal';
import { isAnonymousId } from '@strix/workflows/revenuecat';
import { standinExpectation } from '@strix/workflows/revenuecat/standin-expected';
import { startITunesStandin, type ITunesStandin } from '@strix/testkit/itunes-standin';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';
import { maxRequestsInWindow, startRevenueCatStandin, type RevenueCatStandin } from '@strix/testkit/revenuecat-standin';
import { errorRow, eventRow } from '@strix/testkit/rows';
import { startTemporal, type TemporalEngine } from '@strix/testkit/temporal';
import { startWarehouseHost, type WarehouseHost } from '@strix/testkit/warehouse-host';
import {
  DAY,
  addProject,
  checkCutUpload,
  checkQuotaEdges,
  filesUnder,
  idleCleanup,
  leaveCrashDebris,
  reserveAttachment,
  storeAttachment,
  type ApiSend,
  type AttachmentJson,
} from './attachments.fixture.ts';

const rcProject = 'proj_temporal';
const rcKey = 'sk_standin_temporal_4242';
const customers = 5_000;
// RevenueCat's 480 a minute shrunk to a second, so the limit binds within the test's time; each worker holds
// itself to half of it (STRIX_REVENUECAT_RATE_LIMIT), as it holds to 240 a minute by default.
const keyLimit = { requests: 400, windowMs: 1_000 };
const perProcess = '200/1s';

interface RunJson {
  id: string;
  status: string;
  progress: { processed: number; total: number | null; message: string };
  summary: Record<string, unknown> | null;
  error: string;
}

describe('project jobs on Temporal: api and worker roles in their own processes', { timeout: 900_000 }, () => {
  let temporal: TemporalEngine;
  let revenuecat: RevenueCatStandin;
  let appStore: ITunesStandin;
  let host: WarehouseHost;
  let warehouse: ClickHouseWarehouse;
  let connection: Connection;
  let control: ControlDb;
  let blobDir: string;
  let workerEnv: Record<string, string>;
  const processes: StrixProcess[] = [];
  const dirs: string[] = [];

  async function dir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'strix-jobs-temporal-'));
    dirs.push(d);
    return d;
  }

  async function startWorker(): Promise<StrixProcess> {
    const worker = await spawnStrix({ ...workerEnv, STRIX_DATA_DIR: await dir() }, 120_000);
    processes.push(worker);
    return worker;
  }

  before(async () => {
    temporal = await startTemporal();
    revenuecat = await startRevenueCatStandin({ apiKey: rcKey, projectId: rcProject, customers, seed: 11 });
    appStore = await startITunesStandin({ apps: [{ bundleId: 'com.strix.temporal', version: '3.4.1' }] });
    // Every role of a deployment shares the attachments' directory (and the master key: the host's controlEnv has it).
    blobDir = await dir();
    const shared = {
      STRIX_SCHEDULER: 'temporal',
      STRIX_TEMPORAL_ADDRESS: temporal.address,
      STRIX_TEMPORAL_NAMESPACE: temporal.namespace,
      STRIX_BLOB_DIR: blobDir,
      STRIX_REVENUECAT_URL: revenuecat.url,
      STRIX_REVENUECAT_RATE_LIMIT: perProcess,
      STRIX_ITUNES_URL: appStore.baseUrl,
    };
    host = await startWarehouseHost(await dir(), shared);
    processes.push(host.api);
    workerEnv = { ...shared, STRIX_ROLE: 'worker', ...host.warehouseEnv, ...host.controlEnv };
    warehouse = new ClickHouseWarehouse({ url: host.api.url, pathname: '/clickhouse', username: 'admin', password: host.adminPassword });
    connection = await Connection.connect({ address: temporal.address });
    control = await openPostgres(host.controlEnv.STRIX_POSTGRES_URL!);
  });

  after(async () => {
    await connection?.close();
    await control?.close();
    await warehouse?.close();
    for (const p of processes) await kill(p, 'SIGKILL');
    await temporal?.stop();
    await host?.postgres.stop();
    await revenuecat?.close();
    await appStore?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function api(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, key = host.credentials.agentKey) {
    const res = await fetch(`${host.api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, json: <T>() => JSON.parse(text) as T };
  }

  async function run(id: string): Promise<RunJson> {
    const res = await api('GET', `/v1/jobs/${id}`);
    assert.equal(res.status, 200, res.text);
    return res.json<{ run: RunJson }>().run;
  }

  async function until(id: string, done: (r: RunJson) => boolean, timeoutMs: number): Promise<RunJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await run(id);
      if (done(r)) return r;
      if (Date.now() > deadline) throw new Error(`run ${id} is still ${JSON.stringify(r)} after ${timeoutMs} ms`);
      await sleep(200);
    }
  }
  const ended = (id: string, timeoutMs = 120_000) => until(id, (r) => r.status !== 'pending' && r.status !== 'running', timeoutMs);

  /** The API over HTTP, as the attachment scenarios shared with the embedded suite call it. */
  const send: ApiSend = async (method, path, key, payload) => {
    const bytes = Buffer.isBuffer(payload);
    const res = await fetch(`${host.api.url}${path}`, {
      method,
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(payload !== undefined && { 'content-type': bytes ? 'application/octet-stream' : 'application/json' }) },
      ...(payload !== undefined && { body: bytes ? new Uint8Array(payload) : JSON.stringify(payload) }),
    });
    const body = await res.text();
    return { statusCode: res.status, body, json: <T>() => JSON.parse(body) as T };
  };

  /** A live worker role: the backfill's successor, or a new one when a test runs alone. */
  async function aWorker(): Promise<void> {
    if (!processes.some((p) => p !== host.api && p.child.exitCode === null && p.child.signalCode === null)) await startWorker();
  }

  /**
   * Triggers a system job's Schedule as an operator does in Temporal's UI or CLI (its next slot may be a day away, and
   * the API starts project jobs alone), waits for the workflow it started, and returns the run as recorded.
   */
  async function runSchedule(job: JobName): Promise<JobRun> {
    const client = new Client({ connection, namespace: temporal.namespace });
    const schedule = client.schedule.getHandle(scheduleIdFor(job));
    const taken = (await schedule.describe()).info.numActionsTaken;
    await schedule.trigger();
    const deadline = Date.now() + 30_000;
    let described = await schedule.describe();
    while (described.info.numActionsTaken === taken) {
      assert.ok(Date.now() < deadline, `the ${job} schedule started nothing`);
      await sleep(100);
      described = await schedule.describe();
    }
    const started = described.info.recentActions.at(-1)!.action.workflow;
    await client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result();
    const run = await new JobRuns(control).get(`temporal:${started.firstExecutionRunId}`);
    assert.equal(run?.status, 'completed', run?.error ?? `no run recorded for workflow ${started.workflowId}`);
    assert.equal(run.trigger, 'schedule');
    return run;
  }

  async function trigger(job: string): Promise<string> {
    const res = await api('POST', `/v1/jobs/${job}`, {});
    assert.equal(res.status, 202, res.text);
    return res.json<{ run: RunJson }>().run.id;
  }

  /** Every user's rc_* properties, as the read API's view has them. */
  async function rcProperties(): Promise<Map<string, Record<string, string>>> {
    const rows = await warehouse.query<{ user_id: string; key: string; value: string }>(
      `SELECT user_id, key, value FROM user_property_values WHERE project_id = {p:String} AND startsWith(key, 'rc_')`,
      { p: host.credentials.projectId },
    );
    const users = new Map<string, Record<string, string>>();
    for (const r of rows) users.set(r.user_id, { ...users.get(r.user_id), [r.key]: r.value });
    return users;
  }

  it('backfills 5,000 customers under injected 429s and 5xx across a worker killed half-way, never above the limit in any second', async () => {
    const first = await startWorker();
    const linked = await api('PUT', '/v1/integrations/revenuecat', { revenuecat_project_id: rcProject, api_key: rcKey });
    assert.equal(linked.status, 201, linked.text);
    revenuecat.faults = { limit: keyLimit, rateLimitEvery: 499, retryAfterSeconds: 1, serverErrorEvery: 293 };
    revenuecat.requests.length = 0;

    const runId = await trigger('revenuecat_backfill');
    const overlap = await api('POST', '/v1/jobs/revenuecat_backfill', {});
    assert.equal(overlap.status, 409, overlap.text);
    assert.equal(overlap.json<{ active_run_id: string }>().active_run_id, runId);

    const half = await until(runId, (r) => r.progress.processed >= customers / 2 || r.status !== 'running' && r.status !== 'pending', 300_000);
    assert.equal(half.status, 'running', `the run was still going when its worker was killed: ${JSON.stringify(half)}`);
    await kill(first, 'SIGKILL');
    const killedAt = Date.now();
    await startWorker();

    const done = await ended(runId, 420_000);
    assert.equal(done.status, 'completed', done.error);
    const identified = revenuecat.customers.filter((c) => !isAnonymousId(c.id));
    assert.deepEqual(done.summary, { customers, usersWritten: identified.length });
    assert.equal(done.progress.processed, customers);

    const expected = standinExpectation(rcProject);
    const stored = await rcProperties();
    assert.equal(stored.size, identified.length, 'a property set for every identified customer, none for anonymous ones');
    for (const c of identified) assert.deepEqual(stored.get(c.id), expected(c), c.id);
    // A state written twice (the step the killed worker had begun was done again) is still one value per key.
    const [{ rows } = { rows: 0 }] = await warehouse.query<{ rows: number }>(
      `SELECT toUInt32(count()) AS rows FROM user_property_values WHERE project_id = {p:String} AND startsWith(key, 'rc_')`,
      { p: host.credentials.projectId },
    );
    assert.equal(Number(rows), identified.length * 8);

    const sent = revenuecat.requests;
    const faults = (kind: string) => sent.filter((r) => r.fault === kind).length;
    assert.ok(faults('injected_429') > 10 && faults('injected_5xx') > 10, `faults were injected: ${faults('injected_429')} 429s, ${faults('injected_5xx')} 5xx`);
    assert.equal(faults('rate_limited'), 0, 'RevenueCat never had to enforce its limit');
    assert.ok(maxRequestsInWindow(sent, keyLimit.windowMs) <= keyLimit.requests, 'the key stayed within its limit in every second, the kill included');
    const beforeKill = sent.filter((r) => r.at < killedAt);
    const afterRestart = sent.filter((r) => r.at > killedAt + keyLimit.windowMs);
    for (const [which, requests] of [['the killed worker', beforeKill], ['its successor', afterRestart]] as const) {
      assert.ok(requests.length > 1_000, `${which} sent ${requests.length} requests`);
      assert.ok(maxRequestsInWindow(requests, keyLimit.windowMs) <= 200, `${which} held to its half of the limit`);
    }
  });

  it('cancels a backfill at its next progress report; a second cancel is refused', async () => {
    revenuecat.faults = { limit: keyLimit, delayMs: 20 };
    const runId = await trigger('revenuecat_backfill');
    await until(runId, (r) => r.progress.processed > 0, 60_000);
    const cancel = await api('POST', `/v1/jobs/${runId}/cancel`);
    assert.equal(cancel.status, 200, cancel.text);
    const done = await ended(runId);
    assert.equal(done.status, 'cancelled');
    assert.ok(done.progress.processed < customers, JSON.stringify(done.progress));
    assert.equal((await api('POST', `/v1/jobs/${runId}/cancel`)).status, 409);
  });

  it('stores a redelivered webhook event once, and the minute drain on Temporal writes its customer', async () => {
    revenuecat.faults = { limit: keyLimit };
    const setup = await api('GET', '/v1/integrations/revenuecat');
    assert.equal(setup.status, 200, setup.text);
    const { authorization } = setup.json<{ webhook_setup: { authorization: string } }>().webhook_setup;
    const customer = revenuecat.customers.find((c) => !isAnonymousId(c.id) && c.state === 'expired')!;
    const at = Date.now() + 60_000;
    const body = {
      api_version: '1.0',
      event: { id: 'evt_temporal_purchase', type: 'INITIAL_PURCHASE', app_user_id: customer.id, event_timestamp_ms: at, product_id: 'strix_yearly', period_type: 'NORMAL', purchased_at_ms: at - 1000, expiration_at_ms: at + 365 * 86_400_000, entitlement_ids: ['pro'], store: 'APP_STORE', environment: 'PRODUCTION' },
    };
    const post = () =>
      fetch(`${host.api.url}/v1/webhooks/revenuecat/${host.credentials.projectId}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    assert.deepEqual(await post(), { status: 200, body: { stored: true } });
    assert.deepEqual(await post(), { status: 200, body: { stored: false } });

    // The drain runs every minute; its schedule is triggered rather than waited for.
    const client = new Client({ connection, namespace: temporal.namespace });
    await client.schedule.getHandle(scheduleIdFor('revenuecat_webhooks')).trigger();
    const deadline = Date.now() + 90_000;
    let properties: Record<string, string> | undefined;
    while (Date.now() < deadline) {
      properties = (await rcProperties()).get(customer.id);
      if (properties?.rc_product === 'strix_yearly') break;
      await sleep(500);
    }
    assert.deepEqual(
      { status: properties?.rc_status, product: properties?.rc_product, period: properties?.rc_billing_period, entitlements: properties?.rc_entitlements },
      { status: 'active', product: 'strix_yearly', period: 'yearly', entitlements: 'pro' },
    );
  });

  it("finds an Apple app's latest version in the App Store", async () => {
    // Apps are created by signed-in admins (the embedded suites do so); here the control plane is written directly.
    const control = await openPostgres(host.controlEnv.STRIX_POSTGRES_URL!);
    const { id: appId } = await control.transaction((tx) => createApp(tx, host.credentials.projectId, { name: 'Temporal shop', platform: 'apple', bundle_id: 'com.strix.temporal' }, systemActor('test')));
    await control.close();
    const done = await ended(await trigger('app_version_sync'));
    assert.equal(done.status, 'completed', done.error);
    interface AppJson {
      id: string;
      latest_app_version: string | null;
      latest_app_version_source: string | null;
    }
    const app = (await api('GET', '/v1/apps')).json<{ apps: AppJson[] }>().apps.find((a) => a.id === appId);
    assert.deepEqual({ version: app?.latest_app_version, source: app?.latest_app_version_source }, { version: '3.4.1', source: 'app_store' });
    assert.ok(appStore.requests.some((r) => r.bundleId === 'com.strix.temporal'));
  });

  it('deletes a person from every table and their attachment on a worker; others keep theirs', async () => {
    const project = host.credentials.projectId;
    const now = Date.now();
    await warehouse.insert('events', [
      eventRow({ project_id: project, event_id: 'erin-1', user_id: 'erin', session_id: 'erin-s', ts: now - 60_000 }),
      eventRow({ project_id: project, event_id: 'erin-2', user_id: 'erin', session_id: 'erin-s', ts: now - 30_000 }),
      eventRow({ project_id: project, event_id: 'finn-1', user_id: 'finn', session_id: 'finn-s', ts: now - 30_000 }),
    ]);
    await writeUserProperties(warehouse, project, [
      { userId: 'erin', properties: { plan: 'pro' }, at: now },
      { userId: 'finn', properties: { plan: 'free' }, at: now },
    ]);
    const file = 'erin screenshot';
    const reserved = await api('POST', '/v1/ingest/attachment', { file_name: 'shot.txt', size: file.length, sha256: createHash('sha256').update(file).digest('hex'), client_event_id: 'erin-1', user_id: 'erin' }, host.credentials.clientKey);
    assert.equal(reserved.status, 200, reserved.text);
    const attachmentId = reserved.json<{ attachment: { id: string } }>().attachment.id;
    const upload = await fetch(`${host.api.url}/v1/ingest/attachment/${attachmentId}`, { method: 'PUT', headers: { authorization: `Bearer ${host.credentials.clientKey}`, 'content-type': 'application/octet-stream' }, body: file });
    assert.equal(upload.status, 200, await upload.text());

    const exported = async (user: string) => (await api('POST', `/v1/people/${user}/export`)).text.split('\n').filter((l) => l !== '');
    assert.ok((await exported('erin')).length >= 3, 'the person has rows before');
    const deleting = await api('POST', '/v1/people/erin/delete');
    assert.equal(deleting.status, 202, deleting.text);
    const done = await ended(deleting.json<{ run: RunJson }>().run.id);
    assert.equal(done.status, 'completed', done.error);
    assert.deepEqual(await exported('erin'), [], 'no table returns a row of the person');
    assert.equal((await api('GET', `/v1/attachments/${attachmentId}`)).status, 404, 'their attachment is gone');
    assert.ok((await exported('finn')).length >= 2, 'another person keeps their rows');
  });

  it("refuses attachments over the end user's or the project's quota on the api role before any byte: exactly the limit fits, one byte over is a 413", async () => {
    const project = await addProject(control, send, host.credentials.projectId, 'Quota project');
    await checkQuotaEdges(control, send, project);
  });

  it('keeps nothing in the shared directory of an upload to the api role whose client dies half way, and takes the same reservation again', async () => {
    const { clientKey, agentKey } = host.credentials;
    await checkCutUpload(send, { baseUrl: host.api.url, blobDir, clientKey, agentKey });
  });

  it('attachment_cleanup on a worker, started by its schedule: purges deleted, never uploaded, event-less and orphaned files, keeps the rest, and is idempotent', async () => {
    await aWorker();
    const { projectId, clientKey, agentKey } = host.credentials;
    const attachment = async (id: string) => (await send('GET', `/v1/attachments/${id}`, agentKey)).json<{ attachment: AttachmentJson }>().attachment;
    const rows = async (where = 'true') => new Set((await control.query<{ id: string }>(`SELECT id FROM attachments WHERE ${where}`)).map((r) => r.id));
    // A worker's clock cannot be moved: the rows are aged in the control plane instead.
    const age = (id: string, column: 'created_at' | 'deleted_at', days: number) => control.query(`UPDATE attachments SET ${column} = $2 WHERE id = $1`, [id, Date.now() - days * DAY]);

    // Kept: an error's attachment, linked to its issue by a scan on the worker, and the attachment of a stored event.
    const crash = `crash-${randomUUID()}`;
    const info = `info-${randomUUID()}`;
    const issueLinked = await storeAttachment(send, clientKey, Buffer.from('crash log'), { client_event_id: crash });
    const eventKept = await storeAttachment(send, clientKey, Buffer.from('info log'), { client_event_id: info });
    const appId = (await attachment(issueLinked)).app_id;
    await warehouse.insert('events', [
      errorRow({ project_id: projectId, app_id: appId, event_id: crash, fingerprint: 'temporal-attachment-crash' }),
      eventRow({ project_id: projectId, app_id: appId, event_id: info }),
    ]);
    const scan = await ended(await trigger('issue_scan'));
    assert.equal(scan.status, 'completed', scan.error);
    assert.ok((await attachment(issueLinked)).issue_id, 'the error attachment belongs to its issue');

    const deleted = await storeAttachment(send, clientKey, Buffer.from('deleted soon'));
    assert.equal((await send('DELETE', `/v1/attachments/${deleted}`, agentKey)).statusCode, 204);
    const neverUploaded = (await reserveAttachment(send, clientKey)).json<{ attachment: AttachmentJson }>().attachment.id;
    const eventless = await storeAttachment(send, clientKey, Buffer.from('its event never came'));
    // Two days: past a reservation's lifetime, within a deletion's grace.
    for (const id of [issueLinked, eventKept, neverUploaded, eventless]) await age(id, 'created_at', 2);
    await age(deleted, 'deleted_at', 2);
    const { orphan } = await leaveCrashDebris(await DirectoryBlobStore.open(blobDir));

    const first = await runSchedule('attachment_cleanup');
    assert.deepEqual(first.summary, { ...idleCleanup, softDeletedEventGone: 1, purgedNeverUploaded: 1, incompleteUploads: 1, orphanFiles: 1 });
    const live = await rows('deleted_at IS NULL');
    assert.ok(!live.has(eventless) && !live.has(neverUploaded));
    assert.ok(live.has(issueLinked) && live.has(eventKept), 'an attachment of an issue, or of a stored event, stays');
    assert.ok((await rows()).has(deleted), 'deleted 2 days ago: kept for its grace');
    const afterFirst = await filesUnder(blobDir);
    assert.ok(afterFirst.includes(deleted) && afterFirst.includes(eventless), 'a file stays as long as its row');
    assert.ok(!afterFirst.includes(orphan) && !afterFirst.some((f) => f.endsWith('.upload')), 'the orphan and the stray upload are gone');

    // A week after their deletion.
    for (const id of [deleted, eventless]) await age(id, 'deleted_at', 8);
    const second = await runSchedule('attachment_cleanup');
    assert.deepEqual(second.summary, { ...idleCleanup, purgedDeleted: 2 });
    const left = await rows();
    for (const gone of [deleted, eventless, neverUploaded]) assert.ok(!left.has(gone), `${gone} purged`);
    const files = await filesUnder(blobDir);
    for (const gone of [deleted, eventless]) assert.ok(!files.includes(gone), `the file of ${gone} deleted`);
    assert.ok(files.includes(issueLinked) && files.includes(eventKept));

    const third = await runSchedule('attachment_cleanup');
    assert.deepEqual(third.summary, idleCleanup);
    // The API lists the schedule's runs with the system jobs (their summaries span projects; GET /v1/jobs/:id shows a project's own runs).
    interface JobTypeJson {
      type: string;
      scope: string;
      last_run: { status: string; created_at: string; finished_at: string | null } | null;
    }
    const listed = (await api('GET', '/v1/jobs')).json<{ jobs: JobTypeJson[] }>().jobs.find((j) => j.type === 'attachment_cleanup');
    assert.deepEqual(
      { scope: listed?.scope, last_run: listed?.last_run },
      { scope: 'system', last_run: { status: 'completed', created_at: new Date(third.created_at).toISOString(), finished_at: new Date(third.finished_at!).toISOString() } },
    );
  });
});
