/**
 * Project jobs on Temporal across processes: an api role (hosting chDB, handing triggered runs to
 * Temporal) and worker roles on the real Temporal dev server, with RevenueCat and the App Store as
 * local stand-ins. A worker is killed with SIGKILL half-way through a 5,000-customer backfill.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createApp, openPostgres, systemActor } from '@strix/control';
import { writeUserProperties } from '@strix/warehouse';
import { ClickHouseWarehouse } from '@strix/warehouse/clickhouse';
import { scheduleIdFor } from '@strix/workflows/temporal';
import { isAnonymousId } from '@strix/workflows/revenuecat';
import { standinExpectation } from '@strix/workflows/revenuecat/standin-expected';
import { startITunesStandin, type ITunesStandin } from '@strix/testkit/itunes-standin';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';
import { maxRequestsInWindow, startRevenueCatStandin, type RevenueCatStandin } from '@strix/testkit/revenuecat-standin';
import { eventRow } from '@strix/testkit/rows';
import { startTemporal, type TemporalEngine } from '@strix/testkit/temporal';
import { startWarehouseHost, type WarehouseHost } from '@strix/testkit/warehouse-host';

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
    const shared = {
      STRIX_SCHEDULER: 'temporal',
      STRIX_TEMPORAL_ADDRESS: temporal.address,
      STRIX_TEMPORAL_NAMESPACE: temporal.namespace,
      STRIX_BLOB_DIR: await dir(),
      STRIX_REVENUECAT_URL: revenuecat.url,
      STRIX_REVENUECAT_RATE_LIMIT: perProcess,
      STRIX_ITUNES_URL: appStore.baseUrl,
    };
    host = await startWarehouseHost(await dir(), shared);
    processes.push(host.api);
    workerEnv = { ...shared, STRIX_ROLE: 'worker', ...host.warehouseEnv, ...host.controlEnv };
    warehouse = new ClickHouseWarehouse({ url: host.api.url, pathname: '/clickhouse', username: 'admin', password: host.adminPassword });
    connection = await Connection.connect({ address: temporal.address });
  });

  after(async () => {
    await connection?.close();
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
});
