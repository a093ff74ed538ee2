import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { event, ingest, query, startHarness, type Harness } from '@strix/testkit/harness';

interface Rejection {
  accepted: number;
  rejected: number;
  errors: { index: number; message: string }[];
}

describe('ingest limits, auth and errors', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STRIX_RATE_LIMIT_DEVICE_RPS: '5', STRIX_RATE_LIMIT_BURST_SECONDS: '1' });
  });
  after(async () => h.close());

  // Each test sends from its own device so the low per-device rate limit of this suite stays out of the way.
  let device = 0;
  const send = (body: unknown, headers: Record<string, string> = {}) =>
    ingest(h, body, { 'x-strix-device-id': `dev-${++device}`, ...headers });

  it('rejects missing, unknown and wrong-type keys', async () => {
    const body = JSON.stringify({ events: [event()] });
    const noKey = await h.strix.app.inject({ method: 'POST', url: '/v1/ingest', payload: body, headers: { 'content-type': 'application/json' } });
    assert.equal(noKey.statusCode, 401);
    assert.match(noKey.json<{ message: string }>().message, /Authorization: Bearer/);
    const unknown = await send(body, { authorization: 'Bearer strix_c_nope' });
    assert.equal(unknown.statusCode, 401);
    assert.deepEqual(unknown.json(), { error: 'unauthorized', message: 'unknown API key' });
    const agentOnIngest = await send(body, { authorization: `Bearer ${h.credentials.agentKey}` });
    assert.equal(agentOnIngest.statusCode, 403);
    assert.match(agentOnIngest.json<{ message: string }>().message, /needs a client key/);
    const clientOnQuery = await query(h, '/v1/events', h.credentials.clientKey);
    assert.equal(clientOnQuery.statusCode, 403);
  });

  it('rejects a batch over 100 events, naming the limit', async () => {
    const res = await send({ events: Array.from({ length: 101 }, () => event()) });
    assert.equal(res.statusCode, 400);
    assert.match(res.json<{ message: string }>().message, /events: .*at most 100/);
  });

  it('rejects bodies that are not a batch', async () => {
    for (const body of ['{"events": "x"}', '{}', '[]', '{"events": []}']) {
      const res = await send(body);
      assert.equal(res.statusCode, 400, body);
      assert.equal(res.json<{ error: string }>().error, 'bad_request');
    }
    const broken = await send('{"events": [');
    assert.equal(broken.statusCode, 400);
    assert.match(broken.json<{ message: string }>().message, /not valid JSON/);
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const big = event({ message: 'x'.repeat(16_000) });
    const res = await send({ events: Array.from({ length: 70 }, () => big) });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json<{ error: string }>().error, 'payload_too_large');
  });

  it('cuts a gzip bomb off at the limit with 413', async () => {
    // 64 MiB of zeros compress to ~64 KiB; it must never be inflated whole.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 1024 * 1024);
    const before = process.memoryUsage().rss;
    const res = await send(bomb, { 'content-encoding': 'gzip' });
    assert.equal(res.statusCode, 413);
    assert.ok(process.memoryUsage().rss - before < 48 * 1024 * 1024, 'the bomb was not inflated into memory');
    const bad = await send(Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
    assert.equal(bad.statusCode, 400);
    const unsupported = await send('{}', { 'content-encoding': 'br' });
    assert.equal(unsupported.statusCode, 415);
  });

  it('rejects bad events one by one and keeps the good ones', async () => {
    const now = Date.now();
    const res = await send({
      events: [
        event(),
        event({ timestamp: new Date(now + 10 * 60_000).toISOString() }),
        event({ timestamp: now - 31 * 24 * 3_600_000 }),
        event({ level: 'loud' }),
        event({ message: '' }),
        event({ message: 'm'.repeat(16 * 1024 + 1) }),
        event({ attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }),
        event({ attributes: { nested: { no: 1 } } }),
        'not an object',
        event({ timestamp: 'yesterday' }),
      ],
    });
    assert.equal(res.statusCode, 200);
    const body = res.json<Rejection>();
    assert.equal(body.accepted, 1);
    assert.equal(body.rejected, 9);
    const messages = new Map(body.errors.map((e) => [e.index, e.message]));
    assert.match(messages.get(1)!, /events\[1\]\.timestamp: more than 5 minutes in the future/);
    assert.match(messages.get(2)!, /events\[2\]\.timestamp: more than 30 days in the past/);
    assert.match(messages.get(3)!, /events\[3\]\.level: must be one of debug, info, warn, error/);
    assert.match(messages.get(4)!, /events\[4\]\.message: is required/);
    assert.match(messages.get(5)!, /events\[5\]\.message: must be at most 16384 characters/);
    assert.match(messages.get(6)!, /events\[6\]\.attributes: must have at most 50 keys/);
    assert.match(messages.get(7)!, /events\[7\]\.attributes\.nested/);
    assert.match(messages.get(8)!, /events\[8\]/);
    assert.match(messages.get(9)!, /events\[9\]\.timestamp/);
  });

  it('answers 400 with the same shape when every event is rejected', async () => {
    const res = await send({ events: [event({ level: 'nope' })] });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<Rejection>().accepted, 0);
  });

  it('rate-limits a noisy device with 429 and Retry-After without starving other devices', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 12; i++) {
      const res = await ingest(h, { events: [event()] }, { 'x-strix-device-id': 'noisy' });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) retryAfter = String(res.headers['retry-after']);
    }
    assert.ok(statuses.includes(429), `statuses: ${statuses.join(',')}`);
    assert.match(retryAfter ?? '', /^\d+$/);
    const other = await ingest(h, { events: [event()] }, { 'x-strix-device-id': 'quiet' });
    assert.equal(other.statusCode, 200);
  });

  it('validates query parameters with specific messages', async () => {
    const badLevel = await query(h, '/v1/events?level=loud');
    assert.equal(badLevel.statusCode, 400);
    assert.match(badLevel.json<{ message: string }>().message, /level: must be one of/);
    const badCursor = await query(h, '/v1/events?cursor=zzz');
    assert.equal(badCursor.statusCode, 400);
    assert.match(badCursor.json<{ message: string }>().message, /cursor/);
    const badRange = await query(h, '/v1/events?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z');
    assert.equal(badRange.statusCode, 400);
    const badLimit = await query(h, '/v1/events?limit=100000');
    assert.equal(badLimit.statusCode, 400);
    assert.match(badLimit.json<{ message: string }>().message, /limit/);
  });
});
