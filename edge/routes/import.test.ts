import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { EventBatchRecord, hashKey, IngestLimits, type LogEvent } from '@strix/contracts';
import type { Principal } from '@strix/http';
import { testApp } from '@strix/testkit/apps';
import { DAY_MS, eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { RecordingLog } from '@strix/testkit/recording-log';

const key = (name: string, keyType: Principal['keyType'], fields: Partial<Principal> = {}): Principal => ({
  keyHash: hashKey(name), keyType, projectId: 'p', appId: keyType === 'agent' ? '' : 'web-app', platform: 'web',
  permissions: keyType === 'agent' ? ['events:read'] : ['events:write'], revoked: false, retentionDays: 3650, ...fields,
});

const YEAR_MS = 365 * DAY_MS;
let sequence = 0;
/** A log event to import: an id and a time, as every imported item needs. */
const item = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  client_event_id: `imp-${++sequence}`, timestamp: new Date(Date.now() - YEAR_MS).toISOString(), message: 'checkout failed', ...fields,
});

interface ImportAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: { index: number; message: string }[];
}

describe('POST /v1/import', () => {
  const log = new RecordingLog();
  let store: Awaited<ReturnType<typeof openStore>>;
  let app: FastifyInstance;
  let overloaded: string | undefined;

  before(async () => {
    store = await openStore('p', 'q');
    ({ app } = await testApp({
      principals: [
        key('import-1', 'import'),
        key('import-90d', 'import', { retentionDays: 90 }),
        key('import-other-app', 'import', { appId: 'other-app' }),
        key('import-other-project', 'import', { projectId: 'q' }),
        key('client-1', 'client'),
        key('agent-1', 'agent'),
      ],
      edge: {
        log,
        warehouse: store.wh,
        rateLimits: { perKeyPerSecond: 5, perDevicePerSecond: 5, burstSeconds: 1 },
        overloaded: () => overloaded,
      },
    }));
  });
  after(async () => {
    await app.close();
    await store.close();
  });
  beforeEach(() => {
    log.appended.length = 0;
    overloaded = undefined;
  });

  const post = (url: string, keyName: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${keyName}`, 'content-type': 'application/json', ...headers },
      payload: Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });
  const importEvents = (events: unknown[], keyName = 'import-1') => post('/v1/import', keyName, { events });
  /** The events appended since the test began, in order. */
  const appended = (): (LogEvent & { project: string; app: string })[] =>
    log.appended.flatMap(({ records }) =>
      records.flatMap((r) => {
        const record = EventBatchRecord.parse(JSON.parse(r.value.toString()));
        return record.events.map((e) => ({ ...e, project: record.project_id, app: record.app_id }));
      }),
    );

  it('accepts 1,000 events in one request, appended at once', async () => {
    const res = await importEvents(Array.from({ length: 1000 }, () => item()));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { accepted: 1000, duplicates: 0, rejected: 0, errors: [] });
    assert.equal(log.appended.length, 1);
    assert.equal(appended().length, 1000);
  });

  it('refuses 1,001 events, naming the limit', async () => {
    const res = await importEvents(Array.from({ length: 1001 }, () => item()));
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ message: string }>().message, 'events: must contain at most 1000 events');
    assert.equal(log.appended.length, 0);
  });

  it('requires an id and a time on each item, refusing the others one by one', async () => {
    const res = await importEvents([item(), { ...item(), client_event_id: undefined }, { ...item(), timestamp: undefined }, item({ kind: 'trace' }), 'text']);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json<ImportAnswer>().errors, [
      { index: 1, message: 'events[1].client_event_id: is required for an import' },
      { index: 2, message: 'events[2].timestamp: is required for an import' },
      { index: 3, message: 'events[3].kind: must be one of log, track, metric' },
      { index: 4, message: 'events[4]: must be an object' },
    ]);
    assert.equal(appended().length, 1);

    const none = await importEvents([{ message: 'no id, no time' }]);
    assert.equal(none.statusCode, 400, 'nothing valid');
    assert.deepEqual(none.json<ImportAnswer>(), { accepted: 0, duplicates: 0, rejected: 1, errors: [{ index: 0, message: 'events[0].client_event_id: is required for an import' }] });
  });

  it('takes timestamps of any age the project keeps, and refuses older ones naming its retention', async () => {
    const twoYears = item({ timestamp: Date.now() - 2 * YEAR_MS });
    const kept = await importEvents([twoYears]);
    assert.deepEqual(kept.json<ImportAnswer>(), { accepted: 1, duplicates: 0, rejected: 0, errors: [] }, 'retention 3,650 days');

    const short = await importEvents([item({ timestamp: Date.now() - 2 * YEAR_MS }), item({ timestamp: Date.now() - 60 * DAY_MS }), item({ timestamp: Date.now() + DAY_MS })], 'import-90d');
    assert.equal(short.statusCode, 200);
    assert.deepEqual(short.json<ImportAnswer>().errors, [
      { index: 0, message: "events[0].timestamp: older than the project's retention of 90 days" },
      { index: 2, message: 'events[2].timestamp: more than 5 minutes in the future' },
    ]);
    // 60 days: past live ingest's 30-day window, inside the project's retention.
    assert.deepEqual(appended().map((e) => Math.round((Date.now() - e.ts) / DAY_MS)), [730, 60]);
  });

  it('answers only import keys, and import keys only here', async () => {
    for (const other of ['client-1', 'agent-1']) {
      const res = await importEvents([item()], other);
      assert.equal(res.statusCode, 403, other);
      assert.match(res.json<{ message: string }>().message, /needs an? import key/);
    }
    const live = await post('/v1/ingest', 'import-1', { events: [{ message: 'live', client_event_id: 'x' }] });
    assert.equal(live.statusCode, 403);
    assert.match(live.json<{ message: string }>().message, /needs a client key; an import key was sent/);
    assert.equal(log.appended.length, 0);
  });

  it('imports log, track and metric items exactly as their batch endpoints ingest them, pageviews normalized but none dropped as repeats', async () => {
    const at = new Date(Date.now() - 60_000).toISOString();
    const common = { session_id: 's1', user_id: 'u1', timestamp: at, environment: 'web' };
    const log_ = { ...common, client_event_id: 'k-log', level: 'fatal', message: 'boom', attributes: { a: 1 } };
    const view = { ...common, client_event_id: 'k-view', name: '$pageview', path: '/users/123/settings?tab=2', props: { $current_url: 'https://x.test/users/123/settings?tab=2' } };
    const again = { ...view, client_event_id: 'k-view-2' };
    const metric = { ...common, client_event_id: 'k-metric', name: 'checkout', phase: 'complete', tracking_id: 't1', duration_ms: 120, tags: { step: 'pay' } };

    const res = await importEvents([{ ...log_, kind: 'log' }, { ...view, kind: 'track' }, { ...again, kind: 'track' }, { ...metric, kind: 'metric' }]);
    assert.deepEqual(res.json(), { accepted: 4, duplicates: 0, rejected: 0, errors: [] });
    const imported = appended().map(({ project: _p, app: _a, ...event }) => event);
    assert.equal(imported[1]?.screen_name, '/users/:id/settings');
    assert.equal(imported[2]?.screen_name, '/users/:id/settings', 'a repeated section is kept: history is not deduplicated by arrival order');

    log.appended.length = 0;
    for (const [url, body] of [
      ['/v1/ingest', { events: [log_] }],
      ['/v1/track:batch', { events: [view] }],
      ['/v1/metrics:batch', { points: [metric] }],
    ] as const) {
      assert.equal((await post(url, 'client-1', body)).statusCode, 200, url);
    }
    const live = appended().map(({ project: _p, app: _a, ...event }) => event);
    assert.deepEqual([imported[0], imported[1], imported[3]], live, 'an imported row cannot be told from a live one');
    assert.equal(live[0]?.kind, undefined);
  });

  it('refuses an event whose environment is another platform’s', async () => {
    const res = await importEvents([item(), item({ environment: 'ios' })]);
    assert.equal(res.statusCode, 200);
    assert.match(res.json<ImportAnswer>().errors[0]?.message ?? '', /^events\[1\]\.environment: "ios" is a apple environment; app web-app is a web app/);
  });

  it('skips ids repeated within a request, and ids the app already has stored, however old', async () => {
    const first = item();
    const twice = await importEvents([first, { ...first, message: 'same id, other text' }, item()]);
    assert.deepEqual(twice.json(), { accepted: 2, duplicates: 1, rejected: 0, errors: [] });

    // The appended events reach the warehouse as the processors store them.
    const batch = Array.from({ length: 20 }, (_, i) => item({ timestamp: Date.now() - (i + 1) * 30 * DAY_MS }));
    assert.equal((await importEvents(batch)).json<ImportAnswer>().accepted, 20);
    await store.wh.insert(
      'events',
      appended()
        .slice(-20)
        .map((e) => eventRow({ project_id: e.project, app_id: e.app, event_id: e.event_id, ts: e.ts, message: e.message, retention_days: 3650 })),
    );
    log.appended.length = 0;

    const again = await importEvents([...batch, item()]);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { accepted: 1, duplicates: 20, rejected: 0, errors: [] });
    assert.equal(appended().length, 1, 'only the new event is appended');

    const stored = await importEvents(batch);
    assert.deepEqual(stored.json(), { accepted: 0, duplicates: 20, rejected: 0, errors: [] }, 'a re-import adds nothing and is not an error');

    // Ids are the app's own: another app or project importing them is not deduplicated against these rows.
    log.appended.length = 0;
    for (const other of ['import-other-app', 'import-other-project']) {
      assert.deepEqual((await importEvents(batch.slice(0, 3), other)).json<ImportAnswer>().accepted, 3, other);
    }
  });

  it('takes a gzip body over the live 1 MiB up to the import limit, and cuts a larger one off', async () => {
    const events = Array.from({ length: 1000 }, () => item({ message: 'x'.repeat(2000) }));
    const raw = Buffer.from(JSON.stringify({ events }));
    assert.ok(raw.length > IngestLimits.maxBodyBytes);
    const zipped = await post('/v1/import', 'import-1', gzipSync(raw), { 'content-encoding': 'gzip' });
    assert.equal(zipped.statusCode, 200, zipped.body);
    assert.equal(zipped.json<ImportAnswer>().accepted, 1000);
    const plain = await post('/v1/import', 'import-1', { events: events.map((e) => ({ ...e, client_event_id: `${String(e.client_event_id)}-plain` })) });
    assert.equal(plain.json<ImportAnswer>().accepted, 1000);

    // Inflates to 17 MiB from about 17 KiB: refused at the limit, never inflated whole.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"events":['), Buffer.alloc(17 * 1024 * 1024, 0x20), Buffer.from(']}')]));
    const res = await post('/v1/import', 'import-1', bomb, { 'content-encoding': 'gzip' });
    assert.equal(res.statusCode, 413);
    assert.deepEqual(res.json(), { error: 'payload_too_large', message: `request body exceeds the import limit of ${IngestLimits.maxImportBodyBytes} bytes (after decompression)` });

    const live = await post('/v1/ingest', 'client-1', gzipSync(raw), { 'content-encoding': 'gzip' });
    assert.equal(live.statusCode, 413, 'the live endpoints keep their 1 MiB');
    assert.match(live.json<{ message: string }>().message, /limit of 1048576 bytes/);
  });

  it('is not rate-limited like a device, but pushes back with 503 while the pipeline is behind', async () => {
    // The rate limit here is 5 requests a second: live ingest would be refused before the eighth.
    for (let i = 0; i < 8; i++) assert.equal((await importEvents([item()])).statusCode, 200);
    overloaded = 'processors behind';
    const res = await importEvents([item()]);
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '2');
    assert.match(res.json<{ message: string }>().message, /processors behind/);
    assert.equal(log.appended.length, 8);
  });
});
