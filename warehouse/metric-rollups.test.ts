import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChdbWarehouse } from './chdb-warehouse.ts';
import type { EventRow } from './events.ts';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { listMetricNames, queryMetricSeries, type MetricGroupBy, type MetricInterval, type MetricSeriesResult, type MetricStats } from './metric-rollups.ts';

const HOUR = 3_600_000;
// Whole hours shortly before now: inside every TTL, and the day buckets split across midnight only by chance.
const start = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
const range = { projectId: 'p', fromMs: start, toMs: start + 6 * HOUR };

/** A small seeded generator, so a failure reproduces. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick };
}

/** Operations (start, then complete / fail / cancel / nothing) and records, spread over six hours and every dimension. */
function metricRows(count: number): EventRow[] {
  const r = random(42);
  const rows: EventRow[] = [];
  for (let i = 0; rows.length < count; i++) {
    const user = r.next() < 0.2 ? '' : `u${Math.floor(r.next() * 300)}`;
    const screen = r.pick(['home', 'cart', 'settings', undefined]);
    const variant = r.pick(['A', 'B', undefined]);
    const dims = {
      project_id: 'p',
      kind: 'metric' as const,
      is_dev: r.next() < 0.1,
      app_id: r.pick(['ios', 'android']),
      app_version: r.pick(['1.0.0', '1.1.0', '2.0.0']),
      environment: r.pick(['production', 'staging']),
      device_model: r.pick(['iPhone15,2', 'Pixel 8', 'SM-S918B']),
      os_version: r.pick(['17.4', '14', '13']),
      user_id: user,
      session_id: `s${Math.floor(r.next() * 500)}`,
      attributes: { ...(screen && { screen }), ...(r.next() < 0.5 && { network: 'wifi' }) },
      experiments: variant ? { paywall: variant } : ({} as Record<string, string>),
    };
    const ts = start + Math.floor(r.next() * 6 * HOUR - 1);
    if (r.next() < 0.4) {
      rows.push(eventRow({ ...dims, name: 'cart.size', ts, metric_phase: 'record', metric_value: Math.round(r.next() ** 3 * 4000) / 10, metric_unit: 'items' }));
      continue;
    }
    const tracking_id = `op${i}`;
    rows.push(eventRow({ ...dims, name: 'checkout', ts, metric_phase: 'start', tracking_id }));
    const end = r.next();
    const duration = Math.round(20 + (r.next() * 30) ** 2.2);
    const phase = end < 0.7 ? 'complete' : end < 0.88 ? 'fail' : end < 0.95 ? 'cancel' : undefined;
    if (!phase) continue;
    // A few ends without a duration: counted, but out of the duration statistics.
    const duration_ms = r.next() < 0.03 ? null : duration;
    rows.push(eventRow({ ...dims, name: 'checkout', ts: Math.min(ts + duration, start + 6 * HOUR - 1), metric_phase: phase, tracking_id, duration_ms }));
  }
  return rows;
}

const bucketFunction: Record<MetricInterval, string> = { minute: 'toStartOfMinute', hour: 'toStartOfHour', day: 'toStartOfDay' };

/** The group's expression over raw events, and which points it holds: a tag or experiment groups only the points that carry it. */
function rawGroup(groupBy: MetricGroupBy | undefined): { group: string; having: string } {
  if (!groupBy) return { group: "''", having: '1' };
  if (groupBy.kind === 'dimension') return { group: groupBy.dimension, having: '1' };
  const [map, key] = groupBy.kind === 'tag' ? ['attributes', groupBy.key] : ['experiments', groupBy.name];
  return { group: `${map}['${key}']`, having: `mapContains(${map}, '${key}')` };
}

interface RawStats {
  grp: string;
  b: number;
  records: number;
  starts: number;
  completes: number;
  fails: number;
  cancels: number;
  users: number;
  d_avg: number | null;
  d_values: number[];
  v_sum: number;
  v_values: number[];
}

/** The same statistics recomputed from raw events, exactly (uniqExact, sorted values for quantileExact). */
async function rawStats(wh: ChdbWarehouse, name: string, interval: MetricInterval | null, groupBy?: MetricGroupBy, where = 'is_dev = false'): Promise<RawStats[]> {
  const bucket = interval ? `toUnixTimestamp(${bucketFunction[interval]}(ts)) * 1000` : '0';
  const { group, having } = rawGroup(groupBy);
  const rows = await wh.query<RawStats>(
    `SELECT ${group} AS grp, ${bucket} AS b,
       countIf(metric_phase = 'record') AS records, countIf(metric_phase = 'start') AS starts,
       countIf(metric_phase = 'complete') AS completes, countIf(metric_phase = 'fail') AS fails, countIf(metric_phase = 'cancel') AS cancels,
       uniqExact(if(user_id != '', concat('u:', user_id), concat('s:', session_id))) AS users,
       avgIf(duration_ms, metric_phase = 'complete') AS d_avg,
       arraySort(groupArrayIf(assumeNotNull(duration_ms), metric_phase = 'complete' AND duration_ms IS NOT NULL)) AS d_values,
       sumIf(assumeNotNull(metric_value), metric_phase = 'record') AS v_sum,
       arraySort(groupArrayIf(assumeNotNull(metric_value), metric_phase = 'record')) AS v_values
     FROM events WHERE project_id = 'p' AND kind = 'metric' AND name = {name:String} AND ${where} AND ${having}
     GROUP BY grp, b ORDER BY grp, b`,
    { name },
  );
  return rows.map((r) => ({ ...r, records: Number(r.records), starts: Number(r.starts), completes: Number(r.completes), fails: Number(r.fails), cancels: Number(r.cancels), users: Number(r.users) }));
}

/** quantileExact's pick: the value at rank floor(q·n), over sorted values. */
const exactQuantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * A t-digest quantile is right when its value sits among the raw values ranked
 * within ±3 percentage points of q (a few centroids at these sizes); exact
 * values are only equal when a bucket holds a handful of points.
 */
function assertQuantile(sorted: number[], q: number, actual: number, what: string): void {
  const n = sorted.length;
  const low = sorted[Math.max(0, Math.floor((q - 0.03) * n) - 1)] ?? NaN;
  const high = sorted[Math.min(n - 1, Math.ceil((q + 0.03) * n))] ?? NaN;
  const slack = 1e-6 * Math.max(1, Math.abs(actual)); // t-digest centroids are Float32
  assert.ok(actual >= low - slack && actual <= high + slack, `${what}: p${q * 100} = ${actual}, quantileExact = ${exactQuantile(sorted, q)}, allowed [${low}, ${high}] over ${n} values`);
}

function assertMatches(actual: MetricStats, raw: RawStats, what: string): void {
  assert.deepEqual(
    [actual.records, actual.starts, actual.completes, actual.fails, actual.cancels, actual.abandoned, actual.unique_users],
    [raw.records, raw.starts, raw.completes, raw.fails, raw.cancels, 0, raw.users],
    `${what}: records, starts, completes, fails, cancels, abandoned, unique users`,
  );
  assert.equal(actual.count, raw.records + raw.starts + raw.completes + raw.fails + raw.cancels, `${what}: count`);
  const ended = raw.completes + raw.fails;
  assert.equal(actual.success_rate, ended > 0 ? raw.completes / ended : null, `${what}: success rate`);
  if (raw.d_values.length === 0) assert.equal(actual.duration, null, `${what}: no durations`);
  else {
    assert.ok(actual.duration, `${what}: durations`);
    assert.ok(Math.abs(actual.duration.avg - (raw.d_avg ?? NaN)) < 1e-9 * (raw.d_avg ?? 1), `${what}: avg duration`);
    for (const [q, v] of [[0.5, actual.duration.p50], [0.95, actual.duration.p95], [0.99, actual.duration.p99]] as const) assertQuantile(raw.d_values, q, v, `${what} duration`);
  }
  if (raw.v_values.length === 0) assert.equal(actual.value, null, `${what}: no values`);
  else {
    assert.ok(actual.value, `${what}: values`);
    assert.ok(Math.abs(actual.value.sum - raw.v_sum) < 1e-6, `${what}: value sum`);
    for (const [q, v] of [[0.5, actual.value.p50], [0.95, actual.value.p95], [0.99, actual.value.p99]] as const) assertQuantile(raw.v_values, q, v, `${what} value`);
  }
}

/** Every (group, bucket) of the rollup result against the raw recomputation, and each summary. */
function assertSeries(result: MetricSeriesResult, buckets: RawStats[], totals: RawStats[], overall: RawStats): void {
  assertMatches(result.summary, overall, 'summary');
  assert.deepEqual(result.series.map((s) => s.group ?? '').sort(), totals.map((t) => t.grp).sort(), 'groups');
  for (const series of result.series) {
    const group = series.group ?? '';
    const total = totals.find((t) => t.grp === group);
    assert.ok(total, `group ${group}`);
    assertMatches(series.summary, total, `group ${group}`);
    const expected = buckets.filter((b) => b.grp === group);
    assert.deepEqual(series.buckets.map((b) => b.bucket), expected.map((b) => Number(b.b)), `group ${group}: buckets`);
    series.buckets.forEach((b, i) => assertMatches(b, expected[i] as RawStats, `group ${group} bucket ${new Date(b.bucket).toISOString()}`));
  }
}

describe('metric rollups on chDB', () => {
  let wh: ChdbWarehouse;
  let close: () => Promise<void>;
  const rows = metricRows(4000);

  before(async () => {
    ({ wh, close } = await openStore('p'));
    // Batches as the processors send them, one of them delivered twice under its token.
    for (let i = 0; i < rows.length; i += 500) await wh.insert('events', rows.slice(i, i + 500), { dedupToken: `batch-${i}` });
    await wh.insert('events', rows.slice(0, 500), { dedupToken: 'batch-0' });
    await wh.insert('events', [eventRow({ project_id: 'p', name: 'tap', kind: 'track', ts: start + 60_000 })]);
  });
  after(async () => close());

  for (const [interval, name] of [['minute', 'checkout'], ['hour', 'cart.size'], ['day', 'checkout']] as const) {
    it(`${name} by ${interval} equals the raw recomputation`, async () => {
      const result = await queryMetricSeries(wh, { ...range, isDev: false, name, interval, maxGroups: 10 });
      const [overall] = await rawStats(wh, name, null);
      assert.ok(overall && overall.starts + overall.records > 100);
      assertSeries(result, await rawStats(wh, name, interval), [overall], overall);
      assert.equal(result.moreGroups, false);
    });
  }

  const groupings: [MetricGroupBy, string][] = [
    [{ kind: 'dimension', dimension: 'app_id' }, 'checkout'],
    [{ kind: 'dimension', dimension: 'app_version' }, 'checkout'],
    [{ kind: 'dimension', dimension: 'device_model' }, 'cart.size'],
    [{ kind: 'tag', key: 'screen' }, 'checkout'],
    [{ kind: 'experiment', name: 'paywall' }, 'cart.size'],
  ];
  for (const [groupBy, name] of groupings) {
    it(`${name} per hour grouped by ${JSON.stringify(groupBy)} equals the raw recomputation`, async () => {
      const result = await queryMetricSeries(wh, { ...range, isDev: false, name, interval: 'hour', groupBy, maxGroups: 10 });
      const [overall] = await rawStats(wh, name, null);
      assert.ok(overall);
      assertSeries(result, await rawStats(wh, name, 'hour', groupBy), await rawStats(wh, name, null, groupBy), overall);
    });
  }

  it('keeps the groups with the most points, says more exist, and still summarises all of them', async () => {
    const groupBy = { kind: 'dimension', dimension: 'device_model' } as const;
    const result = await queryMetricSeries(wh, { ...range, isDev: false, name: 'checkout', interval: 'hour', groupBy, maxGroups: 2 });
    const totals = (await rawStats(wh, 'checkout', null, groupBy)).sort((a, b) => b.starts + b.completes + b.fails + b.cancels - (a.starts + a.completes + a.fails + a.cancels));
    assert.equal(result.moreGroups, true);
    assert.deepEqual(result.series.map((s) => s.group), totals.slice(0, 2).map((t) => t.grp));
    const [overall] = await rawStats(wh, 'checkout', null);
    assert.ok(overall);
    assertMatches(result.summary, overall, 'summary');
  });

  it('counts a batch delivered twice under its token once', async () => {
    let points = 0;
    for (const name of ['checkout', 'cart.size']) points += (await queryMetricSeries(wh, { ...range, name, interval: 'hour', maxGroups: 1 })).summary.count;
    assert.equal(points, rows.length);
  });

  it('filters by data mode and app', async () => {
    for (const [isDev, where] of [[true, 'is_dev = true'], [undefined, '1']] as const) {
      const result = await queryMetricSeries(wh, { ...range, isDev, name: 'checkout', interval: 'day', maxGroups: 10 });
      const [raw] = await rawStats(wh, 'checkout', null, undefined, where);
      assert.ok(raw);
      assertMatches(result.summary, raw, `is_dev ${String(isDev)}`);
    }
    const ios = await queryMetricSeries(wh, { ...range, isDev: false, appId: 'ios', name: 'checkout', interval: 'hour', maxGroups: 10 });
    const [raw] = await rawStats(wh, 'checkout', null, undefined, "is_dev = false AND app_id = 'ios'");
    assert.ok(raw);
    assertMatches(ios.summary, raw, 'app ios');
  });

  it('reads only whole buckets in the range and nothing for an unknown metric', async () => {
    const second = await queryMetricSeries(wh, { ...range, fromMs: start + HOUR + 1, toMs: start + 2 * HOUR, isDev: false, name: 'checkout', interval: 'hour', maxGroups: 10 });
    assert.deepEqual(second.series[0]?.buckets.map((b) => b.bucket), [start + HOUR]);
    const none = await queryMetricSeries(wh, { ...range, name: 'nope', interval: 'minute', maxGroups: 10 });
    assert.deepEqual(none.series, []);
    assert.equal(none.summary.count, 0);
    assert.equal(none.summary.success_rate, null);
  });

  it('lists metric names with their counts', async () => {
    const names = await listMetricNames(wh, { ...range, isDev: false }, 100);
    const [checkout] = await rawStats(wh, 'checkout', null);
    const [cart] = await rawStats(wh, 'cart.size', null);
    assert.deepEqual(names.map((n) => [n.name, n.unit, n.count]), [
      ['cart.size', 'items', cart?.records],
      ['checkout', '', (checkout?.starts ?? 0) + (checkout?.completes ?? 0) + (checkout?.fails ?? 0) + (checkout?.cancels ?? 0)],
    ]);
    assert.deepEqual((await listMetricNames(wh, { ...range, isDev: false }, 1)).map((n) => n.name), ['cart.size']);
  });
});
