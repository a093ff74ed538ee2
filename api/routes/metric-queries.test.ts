import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Warehouse } from '@strix/contracts';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { principal, queryApp } from '@strix/testkit/apps';


const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
// Two whole minutes inside the hour before the current one.
const hour = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
const m1 = hour + 10 * MINUTE;
const m2 = hour + 11 * MINUTE;

interface Stats {
  count: number;
  starts: number;
  completes: number;
  fails: number;
  cancels: number;
  abandoned: number;
  records: number;
  success_rate: number | null;
  duration: { avg: number; p50: number; p95: number; p99: number } | null;
  value: { avg: number; p50: number; p95: number; p99: number; sum: number } | null;
  unique_users: number;
}
interface Series {
  name: string;
  from: string;
  group_by: string | null;
  summary: Stats;
  series: { group: string | null; summary: Stats; buckets: (Stats & { bucket: string })[] }[];
  more_groups: boolean;
}

describe('metric query API', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  let app: Awaited<ReturnType<typeof queryApp>>;

  const get = (url: string, key = 'agent-read') => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const ok = async <T>(url: string, key?: string) => {
    const res = await get(url, key);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<T>();
  };
  const rejected = async (url: string, message: string | RegExp, status = 400, key?: string) => {
    const res = await get(url, key);
    assert.equal(res.statusCode, status, res.body);
    const body = res.json<{ message: string }>();
    if (typeof message === 'string') assert.equal(body.message, message);
    else assert.match(body.message, message);
  };
  const range = `from=${hour}&to=${hour + HOUR}`;

  before(async () => {
    ({ wh, close } = await openStore('p', 'other'));
    app = await queryApp(wh, [
      principal('agent-read', 'agent', ['metrics:read']),
      principal('agent-issues', 'agent', ['issues:read']),
      principal('agent-other', 'agent', ['metrics:read'], 'other'),
      principal('client-1', 'client', ['events:write']),
    ]);
    const point = (fields: Parameters<typeof eventRow>[0]) => eventRow({ kind: 'metric', name: 'checkout', app_id: 'ios', app_version: '1.0.0', ...fields });
    await wh.insert('events', [
      point({ project_id: 'p', ts: m1, metric_phase: 'start', tracking_id: 'a', user_id: 'u1', attributes: { screen: 'cart' } }),
      point({ project_id: 'p', ts: m1 + 120, metric_phase: 'complete', tracking_id: 'a', duration_ms: 120, user_id: 'u1', attributes: { screen: 'cart' } }),
      point({ project_id: 'p', ts: m1 + 500, metric_phase: 'start', tracking_id: 'b', user_id: 'u2', app_version: '2.0.0' }),
      point({ project_id: 'p', ts: m2, metric_phase: 'fail', tracking_id: 'b', duration_ms: 60_000, user_id: 'u2', app_version: '2.0.0' }),
      point({ project_id: 'p', ts: m2 + 1, metric_phase: 'start', tracking_id: 'c', session_id: 'anon' }),
      point({ project_id: 'p', ts: m2 + 1, metric_phase: 'abandoned', tracking_id: 'c', session_id: 'anon' }),
      point({ project_id: 'p', ts: m2 + 2, metric_phase: 'cancel', tracking_id: 'd', user_id: 'u1' }),
      point({ project_id: 'p', ts: m1, name: 'cart.size', metric_phase: 'record', metric_value: 5, metric_unit: 'items', user_id: 'u1' }),
      point({ project_id: 'p', ts: m1, metric_phase: 'start', tracking_id: 'dev', is_dev: true }),
      point({ project_id: 'other', ts: m1, metric_phase: 'start', tracking_id: 'x' }),
      point({ project_id: 'other', ts: m1, name: 'GET /users/:id', metric_phase: 'record', metric_value: 1 }),
      point({ project_id: 'other', ts: m1, name: 'n'.repeat(200), metric_phase: 'record', metric_value: 2 }),
    ]);
  });
  after(async () => {
    await app.close();
    await close();
  });

  it('lists the metric names of the range with their counts', async () => {
    const body = await ok<{ metrics: { name: string; unit: string; count: number; starts: number; abandoned: number; last_seen_hour: string }[] }>(`/v1/metrics?${range}`);
    assert.deepEqual(
      body.metrics.map((m) => [m.name, m.unit, m.count, m.starts, m.abandoned, m.last_seen_hour]),
      [
        ['cart.size', 'items', 1, 0, 0, new Date(hour).toISOString()],
        ['checkout', '', 6, 3, 1, new Date(hour).toISOString()],
      ],
    );
    const dev = await ok<{ metrics: { name: string; count: number }[] }>(`/v1/metrics?${range}&data_mode=development`);
    assert.deepEqual(dev.metrics.map((m) => [m.name, m.count]), [['checkout', 1]]);
    const other = await ok<{ metrics: { name: string; count: number }[] }>(`/v1/metrics?${range}`, 'agent-other');
    assert.deepEqual(other.metrics.map((m) => [m.name, m.count]), [['GET /users/:id', 1], ['checkout', 1], ['n'.repeat(200), 1]], 'another project sees its own points only');
  });

  it('reads names with slashes and names of the longest length', async () => {
    for (const [name, sum] of [['GET /users/:id', 1], ['n'.repeat(200), 2]] as const) {
      const body = await ok<Series>(`/v1/metrics/${encodeURIComponent(name)}?${range}`, 'agent-other');
      assert.deepEqual([body.name, body.summary.value?.sum], [name, sum]);
    }
  });

  it("returns a metric's minute buckets and summary", async () => {
    const body = await ok<Series>(`/v1/metrics/checkout?${range}&interval=minute`);
    assert.equal(body.group_by, null);
    assert.equal(body.from, new Date(hour).toISOString());
    const s = body.summary;
    assert.deepEqual([s.count, s.starts, s.completes, s.fails, s.cancels, s.abandoned, s.records, s.unique_users], [6, 3, 1, 1, 1, 1, 0, 3]);
    assert.equal(s.success_rate, 0.5);
    assert.deepEqual(s.duration, { avg: 120, p50: 120, p95: 120, p99: 120 });
    assert.equal(s.value, null);
    const [series] = body.series;
    assert.equal(series?.group, null);
    assert.deepEqual(series?.buckets.map((b) => [b.bucket, b.count, b.completes, b.fails, b.abandoned, b.success_rate]), [
      [new Date(m1).toISOString(), 3, 1, 0, 0, 1],
      [new Date(m2).toISOString(), 3, 0, 1, 1, 0],
    ]);

    const records = await ok<Series>(`/v1/metrics/cart.size?${range}&interval=day`);
    assert.equal(records.name, 'cart.size');
    assert.deepEqual(records.summary.value, { avg: 5, p50: 5, p95: 5, p99: 5, sum: 5 });
    assert.deepEqual([records.summary.duration, records.summary.success_rate], [null, null]);
  });

  it('groups by a dimension or a tag, and filters by app', async () => {
    const versions = await ok<Series>(`/v1/metrics/checkout?${range}&group_by=app_version`);
    assert.equal(versions.group_by, 'app_version');
    assert.deepEqual(versions.series.map((g) => [g.group, g.summary.count, g.buckets.length]), [['1.0.0', 4, 1], ['2.0.0', 2, 1]]);
    const top = await ok<Series>(`/v1/metrics/checkout?${range}&group_by=app_version&limit=1`);
    assert.deepEqual([top.series.map((g) => [g.group, g.summary.count]), top.more_groups, top.summary.count], [[['1.0.0', 4]], true, 6]);
    // Only the points that carry the tag are in its groups; the summary counts every point.
    const screens = await ok<Series>(`/v1/metrics/checkout?${range}&group_by=tag:screen`);
    assert.deepEqual([screens.series.map((g) => [g.group, g.summary.count]), screens.more_groups, screens.summary.count], [[['cart', 2]], false, 6]);
    const android = await ok<Series>(`/v1/metrics/checkout?${range}&app_id=android`);
    assert.deepEqual([android.summary.count, android.series], [0, []]);
  });

  it('answers a client mistake with a 400 naming the parameter and its limit', async () => {
    await rejected(`/v1/metrics/checkout?interval=week`, 'query parameter interval: must be one of minute, hour, day');
    await rejected(`/v1/metrics/checkout?interval=minute&from=${Date.now() - 4 * DAY}`, /^query parameter from: interval=minute allows a range of at most 3 days, got 4\.0$/);
    await rejected(`/v1/metrics/checkout?interval=hour&from=${Date.now() - 91 * DAY}`, /^query parameter from: interval=hour allows a range of at most 90 days/);
    await rejected(
      `/v1/metrics/checkout?interval=minute&from=${Date.now() - 15 * DAY}&to=${Date.now() - 14.5 * DAY}`,
      'query parameter from: minute buckets are kept 14 days; use interval=hour or day for older ranges',
    );
    await rejected(`/v1/metrics/checkout?from=${hour + HOUR}&to=${hour}`, 'query parameter from: must be before to');
    await rejected(`/v1/metrics/checkout?from=yesterday`, /^query parameter from: must be an ISO-8601 time .* or epoch milliseconds, between 1970/);
    await rejected(`/v1/metrics/checkout?group_by=browser`, /^query parameter group_by: must be one of app_id, app_version, environment, device_model, os_version, tag:<key> or experiment:<name>/);
    await rejected(`/v1/metrics/checkout?group_by=tag:`, /^query parameter group_by: must be one of/);
    await rejected(`/v1/metrics/checkout?limit=51`, 'query parameter limit: must be between 1 and 50');
    await rejected(`/v1/metrics/checkout?data_mode=prod`, 'query parameter data_mode: must be one of production, development, all');
    await rejected(`/v1/metrics/checkout?groupby=app_id`, /^query parameter groupby: not a known field/);
    await rejected(`/v1/metrics/${'x'.repeat(201)}`, 'path parameter name: must be at most 200 characters');
    await rejected(`/v1/metrics/`, 'path parameter name: is required');
    await rejected(`/v1/metrics?from=${Date.now() - 401 * DAY}`, /^query parameter from: the metric list allows a range of at most 400 days/);
    await rejected(`/v1/metrics?limit=0`, 'query parameter limit: must be between 1 and 1000');
  });

  it('needs an agent key with metrics:read', async () => {
    await rejected('/v1/metrics/checkout', 'API key lacks the "metrics:read" permission', 403, 'agent-issues');
    await rejected('/v1/metrics', 'this endpoint needs an agent key; a client key was sent', 403, 'client-1');
  });
});
