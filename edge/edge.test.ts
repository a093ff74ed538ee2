import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashKey, type Warehouse } from '@strix/contracts';
import type { FastifyInstance } from 'fastify';
import { testApp } from '@strix/testkit/apps';
import { RecordingLog } from '@strix/testkit/recording-log';

describe('ingest edge back-pressure and key checks', () => {
  const log = new RecordingLog();
  let overloaded: string | undefined;
  let app: FastifyInstance;
  before(async () => {
    ({ app } = await testApp({
      principals: [
        { keyHash: hashKey('client-1'), keyType: 'client', projectId: 'p', appId: 'a', permissions: ['events:write'], revoked: false, retentionDays: 30 },
        { keyHash: hashKey('revoked-1'), keyType: 'client', projectId: 'p', appId: 'a', permissions: ['events:write'], revoked: true, retentionDays: 30 },
      ],
      edge: {
        log,
        warehouse: {} as Warehouse,
        rateLimits: { perKeyPerSecond: 1000, perDevicePerSecond: 1000, burstSeconds: 1 },
        overloaded: () => overloaded,
      },
    }));
  });
  after(async () => app.close());

  const send = (key = 'client-1') =>
    app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: { events: [{ message: 'hello', client_event_id: 'e1' }] },
    });

  it('answers 503 with Retry-After while the pipeline is behind, and appends nothing', async () => {
    overloaded = 'processors behind';
    const res = await send();
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '2');
    assert.match(res.json<{ message: string }>().message, /processors behind/);
    assert.equal(log.appended.length, 0);

    overloaded = undefined;
    assert.equal((await send()).statusCode, 200);
    assert.equal(log.appended.length, 1);
    const record = JSON.parse(log.appended[0]!.records[0]!.value.toString()) as { project_id: string; events: { event_id: string }[] };
    assert.equal(record.project_id, 'p');
    assert.equal(record.events[0]?.event_id, 'e1');
  });

  it('rejects a revoked key with 401', async () => {
    const res = await send('revoked-1');
    assert.equal(res.statusCode, 401);
    assert.match(res.json<{ message: string }>().message, /revoked/);
  });

  it('serves the batch endpoints at their literal paths only', async () => {
    const post = (url: string) =>
      app.inject({ method: 'POST', url, headers: { authorization: 'Bearer client-1', 'content-type': 'application/json' }, payload: { events: [] } });
    // `:batch` is part of the path, not a parameter: a near miss is not the endpoint.
    for (const url of ['/v1/trackfoo', '/v1/track:', '/v1/metricsx', '/v1/track:batchx']) assert.equal((await post(url)).statusCode, 404, url);
    assert.equal((await post('/v1/track:batch')).statusCode, 400, 'an empty batch is refused by the endpoint itself');
  });

  it('answers browsers on other origins on the client-key routes only, refusals and preflights included', async () => {
    const origin = { origin: 'https://shop.example' };
    const preflight = (url: string) =>
      app.inject({ method: 'OPTIONS', url, headers: { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    const allowed = await preflight('/v1/track:batch?x=1');
    assert.equal(allowed.statusCode, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], '*');
    assert.equal(allowed.headers['access-control-allow-methods'], 'POST');
    assert.match(String(allowed.headers['access-control-allow-headers']), /^authorization, content-type, content-encoding/);
    // Import keys are server-side: their route, like every other non-client route, gets no CORS answer.
    for (const url of ['/v1/import', '/v1/trackfoo', '/v1/events']) {
      const refused = await preflight(url);
      assert.equal(refused.statusCode, 404, url);
      assert.equal(refused.headers['access-control-allow-origin'], undefined, url);
    }
    const unauthorized = await app.inject({ method: 'POST', url: '/v1/ingest', headers: { ...origin, authorization: 'Bearer revoked-1', 'content-type': 'application/json' }, payload: { events: [] } });
    assert.equal(unauthorized.statusCode, 401);
    assert.equal(unauthorized.headers['access-control-allow-origin'], '*', 'a page can read why it was refused');
    assert.equal(unauthorized.headers['access-control-expose-headers'], 'retry-after');
    const imported = await app.inject({ method: 'POST', url: '/v1/import', headers: { ...origin, authorization: 'Bearer client-1', 'content-type': 'application/json' }, payload: {} });
    assert.equal(imported.headers['access-control-allow-origin'], undefined);
  });

  it('takes a beacon: JSON typed text/plain, its key in the strix_key query parameter', async () => {
    const before = log.appended.length;
    const beacon = (url: string, payload: string) => app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain;charset=UTF-8' }, payload });
    const sent = await beacon('/v1/track:batch?strix_key=client-1', JSON.stringify({ events: [{ name: 'page_hidden', client_event_id: 'b1' }] }));
    assert.equal(sent.statusCode, 200, sent.body);
    assert.equal(log.appended.length, before + 1);
    assert.equal((await beacon('/v1/track:batch?strix_key=revoked-1', '{"events":[]}')).statusCode, 401);
    assert.equal((await beacon('/v1/track:batch', '{"events":[]}')).statusCode, 401);
    const garbled = await beacon('/v1/track:batch?strix_key=client-1', '{"events": [');
    assert.equal(garbled.statusCode, 400);
    assert.match(garbled.json<{ message: string }>().message, /^body: not valid JSON/);
    // A header key still wins over the query's, as everywhere.
    const both = await app.inject({ method: 'POST', url: '/v1/ingest?strix_key=revoked-1', headers: { authorization: 'Bearer client-1', 'content-type': 'application/json' }, payload: { events: [{ message: 'x', client_event_id: 'b2' }] } });
    assert.equal(both.statusCode, 200, both.body);
  });

  it("drops a session's repeated pageview whichever route sent each view: Strix's track batch or PostHog's capture", async () => {
    const before = log.appended.length;
    const track = await app.inject({
      method: 'POST',
      url: '/v1/track:batch',
      headers: { authorization: 'Bearer client-1', 'content-type': 'application/json' },
      payload: { events: [{ name: '$pageview', session_id: 'sv', path: '/pricing', client_event_id: 'v1' }] },
    });
    assert.equal(track.statusCode, 200, track.body);
    const capture = (url: string) =>
      app.inject({
        method: 'POST',
        url: '/capture/',
        headers: { 'content-type': 'application/json' },
        payload: { api_key: 'client-1', event: '$pageview', distinct_id: 'u', uuid: crypto.randomUUID(), properties: { $session_id: 'sv', $current_url: url } },
      });
    assert.equal((await capture('https://shop.test/pricing?ref=mail')).statusCode, 200);
    assert.equal((await capture('https://shop.test/checkout')).statusCode, 200);
    const views = log.appended.slice(before).flatMap((append) =>
      append.records.flatMap((r) => (JSON.parse(r.value.toString()) as { events: { screen_name?: string }[] }).events.map((e) => e.screen_name)),
    );
    assert.deepEqual(views, ['/pricing', '/checkout'], 'the repeat of /pricing sent through PostHog is dropped');
  });
});
