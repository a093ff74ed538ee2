import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { post, query, startHarness, type Harness } from '@strix/testkit/harness';

type Result = { accepted: number; rejected: number; errors: { index: number; message: string }[] };

describe('embedded Strix: track and metric signals', () => {
  let h: Harness;
  let run = 0;
  const id = (name: string) => `${name}-${process.pid}-${++run}`;
  const rows = <T>(sql: string, params: Record<string, string> = {}) => h.strix.warehouse.query<T>(sql, params);

  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('track:batch stores product events with their props as track rows', async () => {
    const user = id('u');
    const res = await post(h, '/v1/track:batch', {
      events: [
        { name: 'product.viewed', user_id: user, props: { sku: 'A-123', price: 99.99 }, experiments: { checkout: 'b' } },
        { name: 'cart.add', user_id: user, props: { sku: 'A-123', qty: 2 } },
        { props: { sku: 'nameless' } },
      ],
    });
    assert.equal(res.statusCode, 200);
    const body = res.json<Result>();
    assert.equal(body.accepted, 2);
    assert.deepEqual(body.errors.map((e) => e.message), ['events[2].name: is required']);
    await h.strix.drained();
    const stored = await rows<{ name: string; kind: string; message: string; attributes: Record<string, string>; experiments: Record<string, string> }>(
      `SELECT name, kind, message, attributes, experiments FROM events WHERE user_id = {user:String} ORDER BY name`,
      { user },
    );
    assert.deepEqual(stored, [
      { name: 'cart.add', kind: 'track', message: 'cart.add', attributes: { sku: 'A-123', qty: '2' }, experiments: {} },
      { name: 'product.viewed', kind: 'track', message: 'product.viewed', attributes: { sku: 'A-123', price: '99.99' }, experiments: { checkout: 'b' } },
    ]);
  });

  it('metrics:batch pairs an operation across requests and computes its duration', async () => {
    const user = id('u');
    const t0 = Date.now() - 60_000;
    const first = await post(h, '/v1/metrics:batch', {
      points: [
        { name: 'image.upload', phase: 'start', tracking_id: 'op-1', user_id: user, timestamp: t0 },
        { name: 'image.upload', phase: 'start', tracking_id: 'op-2', user_id: user, timestamp: t0 },
        { name: 'cart.size', value: 5, unit: 'items', user_id: user, tags: { type: 'avatar' }, trace_id: 'tr', span_id: 'sp' },
      ],
    });
    assert.deepEqual(first.json(), { accepted: 3, rejected: 0, errors: [] });
    await h.strix.drained();
    const second = await post(h, '/v1/metrics:batch', {
      points: [
        // Same request as its start: paired in the batch.
        { name: 'image.upload', phase: 'start', tracking_id: 'op-3', user_id: user, timestamp: t0 + 1000 },
        { name: 'image.upload', phase: 'fail', tracking_id: 'op-3', user_id: user, timestamp: t0 + 1500, error: 'timeout' },
        // Earlier request's start: paired through the warehouse.
        { name: 'image.upload', phase: 'complete', tracking_id: 'op-1', user_id: user, timestamp: t0 + 2500 },
        // The client's own duration wins.
        { name: 'image.upload', phase: 'complete', tracking_id: 'op-2', user_id: user, timestamp: t0 + 9000, duration_ms: 42 },
        // No start anywhere: counted, without a duration.
        { name: 'image.upload', phase: 'cancel', tracking_id: 'op-9', user_id: user, timestamp: t0 + 3000 },
        { name: 'image.upload', phase: 'complete', user_id: user },
        { name: 'cart.size', user_id: user },
        { name: 'cart.size', value: 1, phase: 'finish', user_id: user },
      ],
    });
    const result = second.json<Result>();
    assert.equal(result.accepted, 5);
    assert.deepEqual(result.errors.map((e) => e.message), [
      'points[5].tracking_id: is required for start, complete, fail and cancel',
      'points[6].value: is required for a record',
      'points[7].phase: must be one of record, start, complete, fail, cancel',
    ]);
    await h.strix.drained();
    const stored = await rows<{ tracking_id: string; metric_phase: string; duration_ms: number | null; message: string }>(
      `SELECT tracking_id, metric_phase, duration_ms, message FROM events
       WHERE user_id = {user:String} AND name = 'image.upload' AND metric_phase != 'start' ORDER BY tracking_id`,
      { user },
    );
    assert.deepEqual(stored, [
      { tracking_id: 'op-1', metric_phase: 'complete', duration_ms: 2500, message: 'image.upload complete' },
      { tracking_id: 'op-2', metric_phase: 'complete', duration_ms: 42, message: 'image.upload complete' },
      { tracking_id: 'op-3', metric_phase: 'fail', duration_ms: 500, message: 'timeout' },
      { tracking_id: 'op-9', metric_phase: 'cancel', duration_ms: null, message: 'image.upload cancel' },
    ]);
    const [record] = await rows<Record<string, unknown>>(
      `SELECT kind, metric_phase, metric_value, metric_unit, attributes, trace_id, span_id FROM events
       WHERE user_id = {user:String} AND name = 'cart.size'`,
      { user },
    );
    assert.deepEqual(record, {
      kind: 'metric', metric_phase: 'record', metric_value: 5, metric_unit: 'items', attributes: { type: 'avatar' }, trace_id: 'tr', span_id: 'sp',
    });
  });

  it('$set merges, $set_once keeps the first value, on every endpoint', async () => {
    const user = id('u');
    const t = Date.now() - 10_000;
    await post(h, '/v1/track:batch', {
      events: [{ name: 'signup', user_id: user, timestamp: t, $set: { plan: 'free', seats: 1 }, $set_once: { email: 'a@example.com', source: 'ad' } }],
    });
    await post(h, '/v1/ingest', {
      events: [{ message: 'upgraded', user_id: user, timestamp: t + 1000, $set: { plan: 'pro', trial: false }, $set_once: { email: 'b@example.com' } }],
    });
    await post(h, '/v1/metrics:batch', {
      points: [{ name: 'seats', value: 3, user_id: user, timestamp: t + 2000, $set: { seats: 3 }, $set_once: { plan: 'ignored', first_metric: 'seats' } }],
    });
    await h.strix.drained();
    const res = await query(h, `/v1/users/${user}`);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json<{ properties: object }>().properties, {
      email: 'a@example.com', first_metric: 'seats', plan: 'pro', seats: '3', source: 'ad', trial: 'false',
    });
    const byValue = (await query(h, '/v1/users?property=plan&value=pro')).json<{ users: { user_id: string }[] }>();
    assert.ok(byValue.users.some((u) => u.user_id === user));
    assert.equal((await query(h, `/v1/users/${id('nobody')}`)).statusCode, 404);
    assert.match((await query(h, '/v1/users?property=plan')).json<{ message: string }>().message, /query parameter value: /);
  });

  it('rejects, per event, what would give a user more than 50 property keys, and bad properties', async () => {
    const user = id('u');
    const keys = (from: number, count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${from + i}`, 'v']));
    const first = await post(h, '/v1/track:batch', { events: [{ name: 'a', user_id: user, $set: keys(0, 45) }] });
    assert.equal(first.json<Result>().accepted, 1);
    await h.strix.drained();
    const res = await post(h, '/v1/track:batch', {
      events: [
        { name: 'b', user_id: user, $set: keys(40, 8) }, // 3 new: 48 keys
        { name: 'c', user_id: user, $set: keys(48, 3) }, // 51: rejected whole
        { name: 'd', user_id: user, $set_once: keys(48, 2) }, // 50: accepted
        { name: 'e', user_id: user, $set: { k0: 'changed' } }, // an existing key is no new key
        { name: 'f', $set: { plan: 'x' } },
        { name: 'g', user_id: id('u'), $set: { ['k'.repeat(51)]: 'v' } },
        { name: 'h', user_id: id('u'), $set: { plan: 'v'.repeat(201) } },
        { name: 'i', user_id: id('u'), $set: { plan: { nested: true } } },
      ],
    });
    const result = res.json<Result>();
    assert.equal(result.accepted, 3);
    assert.deepEqual(result.errors.map((e) => e.index), [1, 4, 5, 6, 7]);
    assert.equal(result.errors[0]?.message, `events[1].$set: user ${user} would have 51 properties (48 stored, 3 new); at most 50 keys per user`);
    assert.equal(result.errors[1]?.message, 'events[4].$set: user properties need a user_id');
    assert.equal(result.errors[2]?.message, `events[5].$set.${'k'.repeat(51)}: must be at most 50 characters`);
    assert.equal(result.errors[3]?.message, 'events[6].$set.plan: must be at most 200 characters');
    assert.match(result.errors[4]?.message ?? '', /^events\[7\]\.\$set\.plan: /);
    await h.strix.drained();
    const stored = (await query(h, `/v1/users/${user}`)).json<{ properties: Record<string, string> }>().properties;
    assert.equal(Object.keys(stored).length, 50);
    assert.equal(stored.k0, 'changed');
    assert.equal(stored.k50, undefined);
  });

  it('normalizes pageviews to sections and drops a session\'s consecutive repeats', async () => {
    const session = id('s');
    let at = Date.now() - 60_000;
    const view = (path: string, props: Record<string, string> = {}) => ({ name: '$pageview', session_id: session, path, props, timestamp: (at += 1000) });
    const res = await post(h, '/v1/track:batch', {
      events: [
        view('/acme/issues/8d5c3a4e-1f2b-4c5d-8e9f-0a1b2c3d4e5f?tab=activity'),
        view('/acme/issues/MUL-12#comments'),
        view('/acme/settings', { $current_url: 'https://app.example.com/acme/settings?code=secret&state=x' }),
        view('/acme/issues'),
      ],
    });
    assert.deepEqual(res.json(), { accepted: 4, rejected: 0, errors: [] });
    await h.strix.drained();
    const stored = await rows<{ screen_name: string; url: string }>(
      `SELECT screen_name, attributes['$current_url'] AS url FROM events WHERE session_id = {session:String} ORDER BY ts, event_id`,
      { session },
    );
    assert.deepEqual(stored.map((r) => r.screen_name), ['/acme/issues', '/acme/settings', '/acme/issues']);
    assert.deepEqual(stored.map((r) => r.url), ['', 'https://app.example.com/acme/settings', '']);
  });

  it('batch bodies are checked like /v1/ingest', async () => {
    const empty = await post(h, '/v1/metrics:batch', { points: [] });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.json<{ message: string }>().message, /points: must contain at least one point/);
    const tooMany = await post(h, '/v1/track:batch', { events: Array.from({ length: 101 }, () => ({ name: 'x' })) });
    assert.match(tooMany.json<{ message: string }>().message, /events: must contain at most 100 events/);
    const allBad = await post(h, '/v1/track:batch', { events: [{ name: '' }] });
    assert.equal(allBad.statusCode, 400);
    const agent = await post(h, '/v1/track:batch', { events: [{ name: 'x' }] }, h.credentials.agentKey);
    assert.equal(agent.statusCode, 403);
  });

  it('signals flow through the pipeline into funnels, metric series and audience', async () => {
    const t = Date.now() - 30 * 60_000;
    const steps = ['e2e.view', 'e2e.cart', 'e2e.buy'];
    // Six users: control converts 1 of 3 (one reaches the cart only), variant b 2 of 3.
    const journeys: [string, string, number][] = [['c1', 'control', 3], ['c2', 'control', 2], ['c3', 'control', 1], ['b1', 'b', 3], ['b2', 'b', 3], ['b3', 'b', 1]];
    const events = journeys.flatMap(([user, variant, reached]) =>
      steps.slice(0, reached).map((name, i) => ({ name, user_id: `${user}-${process.pid}`, experiments: { e2e_checkout: variant }, timestamp: t + i * 60_000 })),
    );
    assert.equal((await post(h, '/v1/track:batch', { events })).statusCode, 200);
    const points = [
      { name: 'e2e.load', phase: 'start', tracking_id: 'l1', timestamp: t },
      { name: 'e2e.load', phase: 'complete', tracking_id: 'l1', timestamp: t + 200 },
      { name: 'e2e.load', phase: 'start', tracking_id: 'l2', timestamp: t },
      { name: 'e2e.load', phase: 'fail', tracking_id: 'l2', timestamp: t + 900 },
    ].map((p) => ({ ...p, user_id: `m-${process.pid}` }));
    assert.equal((await post(h, '/v1/metrics:batch', { points })).statusCode, 200);
    await h.strix.drained();

    const funnel = await post(
      h,
      '/v1/funnels/query',
      { steps: steps.map((event) => ({ event })), window_seconds: 3600, from: t - 60_000, to: Date.now() + 60_000, breakdown: { experiment: 'e2e_checkout' } },
      h.credentials.agentKey,
    );
    assert.equal(funnel.statusCode, 200, funnel.body);
    const report = funnel.json<{
      groups: { value: string | null; steps: { count: number; median_seconds_to_convert: number | null }[] }[];
      experiment?: { variants: { variant: string; users: number; conversions: number; sample_too_small: boolean }[]; verdict: string };
    }>();
    const byVariant = new Map(report.groups.map((g) => [g.value, g.steps.map((step) => step.count)]));
    assert.deepEqual(byVariant.get('control'), [3, 2, 1]);
    assert.deepEqual(byVariant.get('b'), [3, 2, 2]);
    assert.equal(report.groups.find((g) => g.value === 'b')?.steps[2]?.median_seconds_to_convert, 120);
    assert.deepEqual(report.experiment?.variants.map((v) => [v.variant, v.users, v.conversions, v.sample_too_small]), [['control', 3, 1, true], ['b', 3, 2, true]]);
    assert.match(report.experiment?.verdict ?? '', /too small/i);

    const series = await query(h, `/v1/metrics/e2e.load?interval=minute&from=${t - 60_000}&to=${Date.now() + 60_000}`);
    assert.equal(series.statusCode, 200, series.body);
    const summary = series.json<{ summary: { starts: number; completes: number; fails: number; success_rate: number; duration: { avg: number } } }>().summary;
    assert.deepEqual([summary.starts, summary.completes, summary.fails, summary.success_rate, summary.duration.avg], [2, 1, 1, 0.5, 200]);

    const active = await query(h, '/v1/audience/active');
    assert.equal(active.statusCode, 200, active.body);
    const day = new Date(t).toISOString().slice(0, 10);
    const thatDay = active.json<{ days: { day: string; dau: number }[] }>().days.find((d) => d.day.startsWith(day));
    assert.ok((thatDay?.dau ?? 0) >= 6, `DAU ${thatDay?.dau} on ${day} counts the six funnel users`);
  });
});
