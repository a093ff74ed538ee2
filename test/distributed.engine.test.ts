/**
 * The distributed deployment on real engines: Apache Kafka, and a ClickHouse
 * HTTP endpoint (the api role hosting chDB serves other roles' warehouse
 * adapter over the ClickHouse protocol). Every role is its own process.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Topics } from '@strix/contracts';
import { createKey, listApps, openPostgres, revokeKey, systemActor, type ControlDb } from '@strix/control';
import { KafkaLog } from '@strix/processors';
import { startKafka, type KafkaEngine } from '@strix/testkit/kafka';
import { assertExactlyOnce, sendUntil, storedEvents } from './load.ts';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';
import { startWarehouseHost, type WarehouseHost } from '@strix/testkit/warehouse-host';

/** How often the revocation test asks a process whether it still takes a key. */
const revocationProbeMs = 25;

/**
 * Revokes a key in the control plane and asks `probe` until it answers 401;
 * returns how long after the revocation's commit that was.
 */
async function revocationDelay(db: ControlDb, projectId: string, keyId: string, probe: () => Promise<number>): Promise<number> {
  await db.transaction((tx) => revokeKey(tx, projectId, keyId, systemActor('revocation test')));
  const committed = performance.now();
  for (;;) {
    const status = await probe();
    const elapsed = performance.now() - committed;
    if (status === 401) return elapsed;
    assert.equal(status, 200, `before it is refused, the key works (${Math.round(elapsed)} ms after the revocation)`);
    if (elapsed > 10_000) assert.fail(`the key still works ${Math.round(elapsed)} ms after its revocation`);
    await sleep(revocationProbeMs);
  }
}

/** Asks `probe` until it answers 200 (a key just made reaches a process within a poll). */
async function untilAccepted(probe: () => Promise<number>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let status = await probe();
  while (status !== 200 && Date.now() < deadline) {
    await sleep(100);
    status = await probe();
  }
  assert.equal(status, 200, `${what} is accepted`);
}

/** Waits until `count()` reaches `expected` (or `timeoutMs` passes); returns the last count. */
async function waitFor(count: () => Promise<number>, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await count();
  while (last < expected && Date.now() < deadline) {
    await sleep(250);
    last = await count();
  }
  return last;
}

describe('distributed Strix: separate roles on Kafka and the ClickHouse protocol', { timeout: 900_000 }, () => {
  let kafka: KafkaEngine;
  let api: StrixProcess;
  let creds: WarehouseHost['credentials'];
  let roleEnv: Record<string, string>;
  let host: WarehouseHost | undefined;
  const dirs: string[] = [];
  const running: StrixProcess[] = [];

  async function startRole(role: string, env: Record<string, string> = {}): Promise<StrixProcess> {
    const dir = await mkdtemp(join(tmpdir(), `strix-${role}-`));
    dirs.push(dir);
    const p = await spawnStrix({ ...roleEnv, STRIX_ROLE: role, STRIX_DATA_DIR: dir, ...env }, 120_000);
    running.push(p);
    return p;
  }

  before(async () => {
    kafka = await startKafka();
    const apiDir = await mkdtemp(join(tmpdir(), 'strix-api-'));
    dirs.push(apiDir);
    host = await startWarehouseHost(apiDir);
    api = host.api;
    running.push(api);
    creds = host.credentials;
    roleEnv = {
      STRIX_LOG: 'kafka',
      STRIX_KAFKA_BROKERS: kafka.brokers.join(','),
      STRIX_KAFKA_PARTITIONS: '4',
      ...host.warehouseEnv,
      ...host.controlEnv,
      STRIX_RATE_LIMIT_DEVICE_RPS: '100000',
    };
  });

  after(async () => {
    for (const p of running) await kill(p, 'SIGKILL');
    await kafka?.cleanup();
    await host?.postgres.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('ingest role → Kafka → process role → warehouse → api role, exactly once', async () => {
    const ingest = await startRole('ingest');
    const processor = await startRole('process');
    const stop = { done: false };
    const sending = sendUntil(ingest.url, creds.clientKey, 'e2e', stop, { session: 'e2e', name: 'e2e_test' });
    await sleep(3000);
    stop.done = true;
    const acked = await sending;
    assert.ok(acked.length >= 200, `only ${acked.length} events were acknowledged`);
    const stored = await waitFor(async () => (await storedEvents(api.url, creds.agentKey, 'e2e')).size, acked.length, 60_000);
    assert.equal(stored, acked.length);
    await assertExactlyOnce(api.url, creds.agentKey, acked, 'e2e', 'e2e_test');
    await kill(ingest, 'SIGTERM');
    await kill(processor, 'SIGTERM');
  });

  it("a hot user's excess goes through the overflow topic and its own pipeline, still exactly once", async () => {
    const ingest = await startRole('ingest', { STRIX_HOT_KEY_RECORDS_PER_SECOND: '20' });
    const processor = await startRole('process');
    const stop = { done: false };
    const sending = sendUntil(ingest.url, creds.clientKey, 'hot', stop, { session: 'hot', name: 'hot_test' });
    await sleep(3000);
    stop.done = true;
    const acked = await sending;
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    const overflowed = Number(/^strix_ingest_overflow_records_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    // Each request carries seven users, each far past 20 appends a second: most of their events overflow.
    assert.ok(overflowed > 20, `only ${overflowed} records overflowed`);
    const stored = await waitFor(async () => (await storedEvents(api.url, creds.agentKey, 'hot')).size, acked.length, 60_000);
    assert.equal(stored, acked.length);
    await assertExactlyOnce(api.url, creds.agentKey, acked, 'hot', 'hot_test');
    await kill(ingest, 'SIGTERM');
    await kill(processor, 'SIGTERM');
  });

  it('SIGKILL of the process role mid-batch, then restarts: no loss, no double count', async () => {
    const ingest = await startRole('ingest');
    const stop = { done: false };
    // A steady, bounded flow (about 2,000 events/s) so batches are in flight at every kill.
    const sending = sendUntil(ingest.url, creds.clientKey, 'kill', stop, { session: 'kill', name: 'kill_test', workers: 2, batchSize: 20, pauseMs: 20 });
    for (let round = 0; round < 3; round++) {
      const processor = await startRole('process');
      await sleep(1500 + round * 500);
      await kill(processor, 'SIGKILL');
    }
    stop.done = true;
    const acked = await sending;
    const beforeRestart = (await storedEvents(api.url, creds.agentKey, 'kill')).size;
    assert.ok(beforeRestart > 0, 'the killed processors were inserting when they died');
    const processor = await startRole('process');
    const stored = await waitFor(async () => (await storedEvents(api.url, creds.agentKey, 'kill')).size, acked.length, 120_000);
    assert.equal(stored, acked.length, 'every acknowledged event arrives');
    await assertExactlyOnce(api.url, creds.agentKey, acked, 'kill', 'kill_test');
    await kill(ingest, 'SIGTERM');
    await kill(processor, 'SIGTERM');
  });

  it('a poison record lands in the DLQ with its reason and processing continues', async () => {
    const processor = await startRole('process');
    const log = await KafkaLog.open({ brokers: kafka.brokers, clientId: 'poison-test', partitions: 4 });
    try {
      await log.append(Topics.events, [{ key: 'poison', value: Buffer.from('{"v":1,"not":"a batch"') }]);
      const ingest = await startRole('ingest');
      const stop = { done: false };
      const sending = sendUntil(ingest.url, creds.clientKey, 'after-poison', stop, { session: 'poison', name: 'poison_test', pauseMs: 20 });
      await sleep(1000);
      stop.done = true;
      const acked = await sending;
      const stored = await waitFor(async () => (await storedEvents(api.url, creds.agentKey, 'poison')).size, acked.length, 60_000);
      assert.equal(stored, acked.length, 'records after the poison are processed');

      const dlq = await log.consumer(Topics.dlq, 'poison-test-reader');
      const parked: { reason: string; value_base64: string }[] = [];
      const deadline = Date.now() + 30_000;
      while (parked.length === 0 && Date.now() < deadline) {
        for (const r of await dlq.poll({ maxRecords: 100, maxWaitMs: 1000 })) {
          parked.push(JSON.parse(r.value.toString()) as { reason: string; value_base64: string });
        }
      }
      const poison = parked.find((p) => Buffer.from(p.value_base64, 'base64').toString() === '{"v":1,"not":"a batch"');
      assert.ok(poison, `the poison record is in the DLQ (found ${parked.length} records)`);
      assert.match(poison.reason, /json|schema|invalid/i);
      await dlq.close();
      await kill(ingest, 'SIGTERM');
    } finally {
      await log.close();
      await kill(processor, 'SIGTERM');
    }
  });

  it('an event the warehouse refuses, written past the edge, is dead-lettered alone; the rest is stored once', async () => {
    const processor = await startRole('process');
    const log = await KafkaLog.open({ brokers: kafka.brokers, clientId: 'refused-test', partitions: 4 });
    try {
      // Both records share a key, so one partition and, most likely, one batch. A
      // retention past UInt16 is refused by the RowBinary encoder; the server
      // deployment has no JSON parser to refuse a lone surrogate (it is sent as
      // U+FFFD), so that record must simply not stall anything.
      const now = Date.now();
      const record = (retention: number, events: Record<string, unknown>[]) => ({
        key: `${creds.projectId}:`,
        value: Buffer.from(JSON.stringify({ v: 1, project_id: creds.projectId, app_id: 'direct', retention_days: retention, received_at: now, events })),
      });
      const ev = (id: string, extra: Record<string, unknown> = {}) => ({ event_id: id, ts: now, level: 'info', is_dev: false, message: id, session_id: 'refused', ...extra });
      await log.append(Topics.events, [
        record(30, [ev('ok-1'), ev('odd-text', { message: 'lone \ud800 surrogate' })]),
        record(70_000, [ev('refused-1'), ev('refused-2')]),
        record(30, [ev('ok-2')]),
      ]);
      const ingest = await startRole('ingest');
      const stop = { done: false };
      const sending = sendUntil(ingest.url, creds.clientKey, 'after-refused', stop, { session: 'after-refused', name: 'after_refused', pauseMs: 20 });
      await sleep(1000);
      stop.done = true;
      const acked = await sending;
      const after = await waitFor(async () => (await storedEvents(api.url, creds.agentKey, 'after-refused')).size, acked.length, 60_000);
      assert.equal(after, acked.length, 'events after the refused ones are processed');
      await assertExactlyOnce(api.url, creds.agentKey, acked, 'after-refused', 'after_refused');

      const stored = await storedEvents(api.url, creds.agentKey, 'refused');
      assert.deepEqual([...stored].sort(), [['odd-text', 1], ['ok-1', 1], ['ok-2', 1]]);
      const letters = await fetch(`${api.url}/v1/dead-letters?limit=100`, { headers: { authorization: `Bearer ${creds.agentKey}` } });
      const { dead_letters } = (await letters.json()) as { dead_letters: { event_id: string; reason: string }[] };
      const refused = dead_letters.filter((d) => d.event_id.startsWith('refused-'));
      assert.deepEqual(refused.map((d) => d.event_id).sort(), ['refused-1', 'refused-2']);
      assert.ok(refused.every((d) => /warehouse refused the event: .*out of range for UInt16/.test(d.reason)), JSON.stringify(refused));
      const ready = (await (await fetch(`${processor.url}/readyz`)).json()) as { status: string };
      assert.equal(ready.status, 'ready');
      await kill(ingest, 'SIGTERM');
    } finally {
      await log.close();
      await kill(processor, 'SIGTERM');
    }
  });

  it('broker down for 30 s: ingest answers 503 with Retry-After once its buffer is full, then recovers', async () => {
    // A small buffer (about four requests) so eight concurrent clients fill it during the outage.
    const ingest = await startRole('ingest', { STRIX_MAX_PENDING_LOG_MB: '0.02', STRIX_KAFKA_APPEND_TIMEOUT_MS: '120000' });
    const processor = await startRole('process');
    const pushBack: { status: number; retryAfter: string | null }[] = [];
    let ackedSoFar = 0;
    const stop = { done: false };
    const sending = sendUntil(ingest.url, creds.clientKey, 'outage', stop, {
      session: 'outage',
      name: 'outage_test',
      workers: 8,
      batchSize: 20,
      pauseMs: 20,
      onStatus: (status, retryAfter) => pushBack.push({ status, retryAfter }),
      onAck: (ids) => (ackedSoFar += ids.length),
    });
    await sleep(1000);
    await kafka.stop();
    await sleep(30_000);
    const duringOutage = pushBack.length;
    await kafka.restart();
    // Appends pending through the outage complete first; then new requests are accepted again.
    await sleep(10_000);
    const ackedBeforeRecovery = ackedSoFar;
    await sleep(5000);
    stop.done = true;
    const acked = await sending;

    assert.ok(duringOutage > 0, 'ingest pushed back while the broker was down');
    assert.ok(pushBack.every((p) => p.status === 503 && Number(p.retryAfter) > 0), JSON.stringify(pushBack.slice(0, 3)));
    assert.ok(acked.length > ackedBeforeRecovery, 'requests are acknowledged again after the broker is back');
    const stored = await waitFor(async () => (await storedEvents(api.url, creds.agentKey, 'outage')).size, acked.length, 180_000);
    assert.equal(stored, acked.length, 'every event acknowledged around the outage arrives');
    await assertExactlyOnce(api.url, creds.agentKey, acked, 'outage', 'outage_test');
    await kill(ingest, 'SIGTERM');
    await kill(processor, 'SIGTERM');
  });

  it('a revoked key is refused by the ingest and api processes within 2 s of the commit', async () => {
    const ingest = await startRole('ingest');
    const db = await openPostgres(host!.postgres.url);
    const actor = systemActor('revocation test');
    try {
      const [app] = await listApps(db, creds.projectId);
      assert.ok(app, 'the default project has its app');
      let sent = 0;
      const ingestWith = (key: string) => async () => {
        const res = await fetch(`${ingest.url}/v1/ingest`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: [{ client_event_id: `revocation-${sent++}`, session_id: 'revocation', message: 'revocation probe' }] }),
        });
        await res.arrayBuffer();
        return res.status;
      };
      const readWith = (key: string) => async () => {
        const res = await fetch(`${api.url}/v1/events?from=0&limit=1`, { headers: { authorization: `Bearer ${key}` } });
        await res.arrayBuffer();
        return res.status;
      };
      const delays: Record<'client' | 'agent', number[]> = { client: [], agent: [] };
      for (let round = 0; round < 3; round++) {
        const client = await db.transaction((tx) => createKey(tx, creds.projectId, { type: 'client', appId: app.id, name: `revoked ${round}` }, actor));
        await untilAccepted(ingestWith(client.secret), 'a new client key on the ingest role');
        delays.client.push(await revocationDelay(db, creds.projectId, client.key.id, ingestWith(client.secret)));

        const agent = await db.transaction((tx) => createKey(tx, creds.projectId, { type: 'agent', name: `revoked ${round}` }, actor));
        await untilAccepted(readWith(agent.secret), 'a new agent key on the api role');
        delays.agent.push(await revocationDelay(db, creds.projectId, agent.key.id, readWith(agent.secret)));
      }
      const shown = (ms: number[]) => ms.map((d) => `${Math.round(d)} ms`).join(', ');
      console.log(`revocation reached the ingest role after ${shown(delays.client)}; the api role after ${shown(delays.agent)}`);
      for (const [type, measured] of Object.entries(delays)) {
        assert.ok(measured.every((d) => d <= 2000), `a revoked ${type} key was refused only after ${shown(measured)}`);
      }
    } finally {
      await db.close();
      await kill(ingest, 'SIGTERM');
    }
  });
});
