/**
 * How the SDK delivers when Strix pushes back or is away: a real Strix edge (rate limits,
 * back-pressure, key checks) over real HTTP, its log recording what it accepted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { principal, testApp } from '@strix/testkit/apps';
import { closedPortUrl } from '@strix/testkit/closed-port';
import { RecordingLog } from '@strix/testkit/recording-log';
import { fileStorage, init, type StrixClient, type StrixOptions } from './index.ts';

const key = 'strix_client_delivery';
/** The edge reads the warehouse only for user-property limits, which these tests never reach. */
const noWarehouse = {} as NonNullable<Parameters<typeof testApp>[0]['edge']>['warehouse'];

interface Seen {
  device: string;
  status: number;
  at: number;
}

/** Edges still listening, closed after the suite (a test that fails half way must not keep the process alive). */
const edges: { close(): Promise<unknown> }[] = [];

/** A Strix edge on a port: `overloaded` and the device rate limit as a test sets them. */
async function startEdge(perDevicePerSecond = 1000, burstSeconds = 1) {
  const log = new RecordingLog();
  const seen: Seen[] = [];
  const state = { overloaded: undefined as string | undefined };
  const { app } = await testApp({
    principals: [principal(key, 'client', ['events:write'])],
    edge: { log, warehouse: noWarehouse, rateLimits: { perKeyPerSecond: 10_000, perDevicePerSecond, burstSeconds }, overloaded: () => state.overloaded },
    configure: (a) =>
      a.addHook('onResponse', async (request, reply) => {
        seen.push({ device: String(request.headers['x-strix-device-id']), status: reply.statusCode, at: Date.now() });
      }),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  edges.push(app);
  /** The ids of the events the edge appended, in order. */
  const accepted = () => log.appended.flatMap((a) => a.records.flatMap((r) => (JSON.parse(r.value.toString()) as { events: { event_id: string; name: string }[] }).events));
  return { app, url, seen, state, accepted };
}


async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await sleep(25);
  }
}

describe('@strix/sdk delivery against a Strix edge', { timeout: 120_000 }, () => {
  let dir: string;
  const clients: StrixClient[] = [];
  const start = (options: StrixOptions) => {
    const client = init(options);
    clients.push(client);
    return client;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-sdk-delivery-'));
  });
  after(async () => {
    for (const client of clients) await client.shutdown();
    for (const edge of edges) await edge.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('waits out a 503’s Retry-After, then delivers', async () => {
    const edge = await startEdge();
    edge.state.overloaded = 'processors behind';
    const client = start({ key, endpoint: edge.url });
    for (let i = 0; i < 3; i++) client.track(`busy.${i}`);
    void client.flush();
    await until(() => edge.seen.length === 1, 'the first request was answered');
    edge.state.overloaded = undefined;
    await until(() => edge.accepted().length === 3, 'the events were delivered');
    const [refused, retried] = edge.seen;
    assert.deepEqual([refused?.status, retried?.status], [503, 200]);
    assert.ok(retried!.at - refused!.at >= 2_000, `retried ${retried!.at - refused!.at} ms after a Retry-After of 2 s`);
    assert.equal(client.stats().failedRequests, 1);
  });

  it('honours 429s from the per-device rate limit and delivers everything', async () => {
    // One request every 2 s for this device: the three batches cannot all go at once.
    const edge = await startEdge(0.5, 2);
    const client = start({ key, endpoint: edge.url });
    for (let i = 0; i < 250; i++) client.track(`burst.${i}`);
    void client.flush();
    await until(() => edge.accepted().length === 250, 'the three batches were delivered', 30_000);
    const statuses = edge.seen.map((s) => s.status);
    assert.equal(statuses.filter((s) => s === 200).length, 3, statuses.join());
    assert.ok(statuses.includes(429), statuses.join());
    for (let i = 1; i < edge.seen.length; i++) {
      if (edge.seen[i - 1]!.status === 429) assert.ok(edge.seen[i]!.at - edge.seen[i - 1]!.at >= 2_000, 'the retry waited the Retry-After');
    }
    assert.equal(new Set(edge.accepted().map((e) => e.name)).size, 250, 'none twice, none lost');
  });

  it('opens the circuit after consecutive failures, probes after the cooldown, and closes on success', async () => {
    const edge = await startEdge();
    edge.state.overloaded = 'log behind';
    const client = start({ key, endpoint: edge.url, retry: { baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 20, breakerThreshold: 3, cooldownMs: 3_000 } });
    client.track('through.the.breaker');
    void client.flush();
    await until(() => edge.seen.length === 3, 'three failures');
    await sleep(1_000);
    assert.deepEqual(edge.seen.map((s) => s.status), [503, 503, 503], 'nothing while the circuit is open');
    edge.state.overloaded = undefined;
    await until(() => edge.accepted().length === 1, 'the probe delivered');
    assert.deepEqual(edge.seen.map((s) => s.status), [503, 503, 503, 200]);
    assert.ok(edge.seen[3]!.at - edge.seen[2]!.at >= 2_900, 'the probe came after the cooldown');
  });

  it('drops a batch the server refuses for good, without retrying it', async () => {
    const edge = await startEdge();
    const client = start({ key: 'strix_client_revoked_or_unknown', endpoint: edge.url });
    client.track('never.accepted');
    client.track('never.accepted.either');
    await client.flush();
    await sleep(100);
    const stats = client.stats();
    assert.deepEqual([stats.rejected, stats.failedRequests, stats.pending.track], [2, 0, 0]);
    assert.match(stats.lastError ?? '', /HTTP 401/);
    assert.deepEqual(edge.seen.map((s) => s.status), [401]);
  });

  it('keeps events through an outage and a restart, and delivers them once Strix is back', async () => {
    const path = join(dir, 'outage.json');
    const down = await closedPortUrl();
    const first = start({ key, endpoint: down, storage: fileStorage(path) });
    for (let i = 0; i < 5; i++) first.track(`outage.${i}`);
    await first.flush();
    assert.equal(first.stats().failedRequests, 1, first.stats().lastError);
    assert.equal(first.stats().pending.track, 5);
    await first.shutdown();

    const edge = await startEdge();
    const second = start({ key, endpoint: edge.url, storage: fileStorage(path) });
    await until(() => edge.accepted().length === 5, 'the stored queue was delivered');
    assert.deepEqual(edge.accepted().map((e) => e.name), [0, 1, 2, 3, 4].map((i) => `outage.${i}`));
    await second.flush();
    assert.deepEqual(second.stats().pending, { log: 0, track: 0, metric: 0 });
  });

  it('flushes on its own at the threshold and on the interval', async () => {
    const edge = await startEdge();
    start({ key, endpoint: edge.url, flushThreshold: 10, flushIntervalMs: 60_000 });
    const client = clients.at(-1)!;
    for (let i = 0; i < 10; i++) client.track(`threshold.${i}`);
    await until(() => edge.accepted().length === 10, 'the threshold flushed');
    const timed = start({ key, endpoint: edge.url, flushIntervalMs: 300 });
    timed.track('interval');
    await until(() => edge.accepted().length === 11, 'the interval flushed');
  });

  it('holds at most 500 items per signal, evicting the oldest', async () => {
    const client = start({ key, endpoint: await closedPortUrl(), consent: 'pending' });
    for (let i = 0; i < 600; i++) client.track(`bounded.${i}`);
    for (let i = 0; i < 10; i++) client.recordMetric('bounded', i);
    const stats = client.stats();
    assert.deepEqual(stats.pending, { log: 0, track: 500, metric: 10 });
    assert.equal(stats.dropped, 100);
  });

  it('delivers what a Node program queued when it simply ends, and never keeps it alive', async () => {
    const edge = await startEdge();
    const run = (url: string) =>
      new Promise<{ code: number | null; ms: number }>((resolve) => {
        const started = Date.now();
        const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'exit.fixture.ts')], {
          env: { ...process.env, STRIX_KEY: key, STRIX_URL: url },
          stdio: 'inherit',
        });
        child.on('exit', (code) => resolve({ code, ms: Date.now() - started }));
      });
    const delivered = await run(edge.url);
    assert.equal(delivered.code, 0);
    assert.deepEqual(edge.accepted().map((e) => e.name), ['exit.0', 'exit.1', 'exit.2']);
    const unreachable = await run(await closedPortUrl());
    assert.equal(unreachable.code, 0, 'Strix away: the program still ends');
  });
});
