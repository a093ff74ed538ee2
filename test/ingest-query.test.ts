import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { event, ingest, ingestGzip, query, startHarness, type Harness } from '@strix/testkit/harness';

describe('embedded Strix: ingest → log → processors → chDB → query API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('accepts a batch and serves it back from the warehouse', async () => {
    const events = [
      event({ name: 'signup_started', user_id: 'u-rt', attributes: { plan: 'pro', seats: 3, trial: true } }),
      event({ name: 'signup_done', user_id: 'u-rt', level: 'WARNING', environment: 'Prod' }),
      event({ user_id: 'u-rt', name: undefined, message: 'Checkout failed for order 42', level: 'error' }),
    ];
    const res = await ingest(h, { events });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { accepted: 3, rejected: 0, errors: [] });
    await h.strix.drained();

    const list = await query(h, '/v1/events?user_id=u-rt');
    assert.equal(list.statusCode, 200);
    const body = list.json<{ events: Record<string, unknown>[]; next_cursor: string | null }>();
    assert.equal(body.events.length, 3);
    const byName = new Map(body.events.map((e) => [e.name, e]));
    assert.deepEqual(byName.get('signup_started')?.attributes, { plan: 'pro', seats: '3', trial: 'true' });
    assert.equal(byName.get('signup_done')?.level, 'warn');
    assert.equal(byName.get('signup_done')?.environment, 'production');
    const failure = byName.get('Checkout failed for order 42');
    assert.equal(failure?.level, 'error', 'name defaults to the message');
    assert.match(String(failure?.fingerprint), /^[0-9a-f]{64}$/);
    assert.equal(byName.get('signup_started')?.fingerprint, '', 'only errors get a fingerprint');
    assert.equal(byName.get('signup_started')?.app_id, h.credentials.appId);
  });

  it('filters by level, name, session and data mode, and paginates with a cursor', async () => {
    const session = `s-${Date.now()}`;
    const events = Array.from({ length: 7 }, (_, i) =>
      event({ session_id: session, name: 'page', timestamp: new Date(Date.now() - i * 1000).toISOString() }),
    );
    events.push(event({ session_id: session, name: 'page', is_dev: true }));
    assert.equal((await ingest(h, { events })).statusCode, 200);
    await h.strix.drained();

    const seen: string[] = [];
    let url = `/v1/events?session_id=${session}&limit=3`;
    for (let page = 0; page < 5; page++) {
      const body = (await query(h, url)).json<{ events: { event_id: string }[]; next_cursor: string | null }>();
      seen.push(...body.events.map((e) => e.event_id));
      if (!body.next_cursor) break;
      url = `/v1/events?session_id=${session}&limit=3&cursor=${body.next_cursor}`;
    }
    assert.equal(seen.length, 7, 'production only by default');
    assert.equal(new Set(seen).size, 7);
    const dev = (await query(h, `/v1/events?session_id=${session}&is_dev=true`)).json<{ events: unknown[] }>();
    assert.equal(dev.events.length, 1);
    const errors = (await query(h, `/v1/events?session_id=${session}&level=error`)).json<{ events: unknown[] }>();
    assert.equal(errors.events.length, 0);
  });

  it('serves hourly counts from the materialized view', async () => {
    const name = `counted-${Date.now()}`;
    const events = Array.from({ length: 5 }, () => event({ name, level: 'error', message: 'boom' }));
    assert.equal((await ingest(h, { events })).statusCode, 200);
    await h.strix.drained();
    const res = await query(h, `/v1/events/counts?name=${name}`);
    assert.equal(res.statusCode, 200);
    const { counts } = res.json<{ counts: { name: string; level: string; events: number; hour: string }[] }>();
    assert.equal(counts.length, 1);
    assert.equal(counts[0]?.events, 5);
    assert.equal(counts[0]?.level, 'error');
    assert.match(String(counts[0]?.hour), /^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
  });

  it('names the most frequent events first, and those containing a text in any case', async () => {
    const tag = `pick${Date.now()}`;
    const events = [
      ...Array.from({ length: 3 }, () => event({ name: `${tag}_Checkout` })),
      ...Array.from({ length: 2 }, () => event({ name: `${tag}_view` })),
      event({ name: `${tag}_checkout_failed`, level: 'error', message: 'declined' }),
    ];
    assert.equal((await ingest(h, { events })).statusCode, 200);
    await h.strix.drained();
    const names = async (q: string) => (await query(h, `/v1/events/names?${q}`)).json<{ names: { name: string; events: number }[] }>().names;
    assert.deepEqual(await names(`q=${tag}`), [{ name: `${tag}_Checkout`, events: 3 }, { name: `${tag}_view`, events: 2 }, { name: `${tag}_checkout_failed`, events: 1 }]);
    assert.deepEqual((await names(`q=${tag.toUpperCase()}_CHECKOUT&limit=5`)).map((n) => n.name), [`${tag}_Checkout`, `${tag}_checkout_failed`]);
    assert.deepEqual((await names(`q=${tag}&level=error`)).map((n) => n.name), [`${tag}_checkout_failed`]);
    assert.equal((await names('limit=1')).length, 1);
    const refused = await query(h, '/v1/events/names?limit=1001');
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json<{ message: string }>().message, 'query parameter limit: Too big: expected number to be <=1000');
  });

  it('stores a redelivered event once, in the table and in the counts', async () => {
    const name = `dup-${Date.now()}`;
    const e = event({ name, client_event_id: `dup-${Date.now()}` });
    for (let i = 0; i < 3; i++) assert.equal((await ingest(h, { events: [e, e] })).statusCode, 200);
    await h.strix.drained();
    const list = (await query(h, `/v1/events?name=${name}`)).json<{ events: unknown[] }>();
    assert.equal(list.events.length, 1);
    const { counts } = (await query(h, `/v1/events/counts?name=${name}`)).json<{ counts: { events: number }[] }>();
    assert.equal(counts[0]?.events, 1);
  });

  it('groups the seed examples by fingerprint and keeps source modules apart', async () => {
    const tag = `fp-${Date.now()}`;
    const events = [
      event({ level: 'error', message: 'User 123 not found', source_module: 'auth', session_id: tag }),
      event({ level: 'error', message: 'User 456 not found', source_module: 'auth', session_id: tag }),
      event({ level: 'error', message: 'User 789 not found', source_module: 'billing', session_id: tag }),
    ];
    assert.equal((await ingest(h, { events })).statusCode, 200);
    await h.strix.drained();
    const body = (await query(h, `/v1/events?session_id=${tag}&level=error`)).json<{
      events: { message: string; fingerprint: string }[];
    }>();
    const fp = new Map(body.events.map((e) => [e.message, e.fingerprint]));
    assert.equal(fp.get('User 123 not found'), fp.get('User 456 not found'));
    assert.notEqual(fp.get('User 123 not found'), fp.get('User 789 not found'));
  });

  it('accepts a gzip-compressed batch', async () => {
    const name = `gz-${Date.now()}`;
    const res = await ingestGzip(h, Buffer.from(JSON.stringify({ events: [event({ name })] })));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ accepted: number }>().accepted, 1);
  });

  it('exposes health, readiness and Prometheus metrics', async () => {
    assert.equal((await h.strix.app.inject('/healthz')).statusCode, 200);
    assert.equal((await h.strix.app.inject('/readyz')).json<{ status: string }>().status, 'ready');
    const metrics = (await h.strix.app.inject('/metrics')).body;
    for (const name of [
      'strix_ingest_events_total',
      'strix_ingest_rejects_total',
      'strix_log_lag_records',
      'strix_warehouse_insert_seconds',
      'strix_dlq_size_records',
    ]) {
      assert.match(metrics, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    assert.match(metrics, /^strix_dedupe_dropped_total [1-9]/m, 'duplicates were counted');
  });
});
