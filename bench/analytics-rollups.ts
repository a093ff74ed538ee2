/**
 * Metric rollups on the embedded warehouse: what reading them costs, and what
 * keeping them costs every insert.
 *
 *   npm run bench:analytics-rollups -w @strix/bench
 *     BENCH_POINTS (10,000,000)     metric points in `events` for part 1, over the past week
 *     BENCH_INGEST_ROWS (1,000,000) mixed rows inserted for part 2
 *     BENCH_PART                    `query` or `ingest` to run one part only
 *
 * Part 1 fills `events` with metric points (operations and records over every
 * breakdown dimension) through the rollup views, then times `queryMetricSeries` —
 * the rollup reads behind `GET /v1/metrics/:name` — as the median of 5 runs after
 * a warm-up, and the metric-abandon job: its first run over the whole week, then
 * a steady-state run a minute later.
 * Part 2 inserts the same mixed rows (log, track with $set, metric) in batches of
 * 20,000 into `events`, with every materialized view the migrations attach, into
 * `events_bare` (same table, no views), and into `events` once more without the
 * two metric rollup views, for their own share. Data is generated inside the engine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Warehouse } from '@strix/contracts';
import { migrate, queryMetricSeries, sqlDir, upsertProject, type MetricSeriesQuery } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { defaultAbandonSettings, markAbandonedOperations } from '@strix/workflows';

const points = Number(process.env.BENCH_POINTS ?? 10_000_000);
const ingestRows = Number(process.env.BENCH_INGEST_ROWS ?? 1_000_000);
const part = process.env.BENCH_PART;
const batchRows = 20_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const project = 'bench-project';

const n = (v: number | string) => Number(v).toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number | string) => `${(Number(bytes) / 1024 / 1024).toFixed(0)} MiB`;

/**
 * Dimensions of a point from hashes of its user, as a fleet of apps sends them:
 * skewed versions after a rollout, a few dozen devices, tags per metric, two
 * experiments. `u` is the user's number (a bound column of the SELECT).
 */
const dimensions = `
  ['ios', 'android'][1 + cityHash64(u, 'app') % 2] AS app_id,
  cityHash64(u, 'dev') % 50 = 0 AS is_dev,
  ['2.4.1', '2.4.1', '2.4.1', '2.4.0', '2.4.0', '2.3.1', '2.3.0', '2.2.0'][1 + cityHash64(u, 'ver') % 8] AS app_version,
  if(cityHash64(u, 'env') % 10 = 0, 'staging', 'production') AS environment,
  concat('Device-', toString(cityHash64(u, 'device') % 40)) AS device_model,
  concat(toString(14 + cityHash64(u, 'os') % 5), '.', toString(cityHash64(u, 'osm') % 3)) AS os_version,
  if(cityHash64(u, 'anon') % 10 = 0, '', concat('user-', toString(u))) AS user_id,
  concat('s-', toString(u), '-', toString(intDiv(toUnixTimestamp(ts), 1800))) AS session_id,
  if(cityHash64(u, 'exp') % 2 = 0, map('paywall', ['control', 'annual-first'][1 + cityHash64(u, 'pw') % 2]),
     map('paywall', ['control', 'annual-first'][1 + cityHash64(u, 'pw') % 2], 'onboarding', ['v1', 'v2'][1 + cityHash64(u, 'ob') % 2])) AS experiments`;

const common = `project_id, app_id, is_dev, event_id, ts, received_at, name, level, message, session_id, user_id,
  environment, os_version, app_version, device_model, attributes, experiments, retention_days, kind, metric_phase,
  tracking_id, metric_value, metric_unit, duration_ms, user_set`;

const noMap = "CAST(map(), 'Map(String, String)')";

/** Rows per generating statement: the views aggregate one block per insert, as they do the processors' batches. */
const generateRows = 200_000;

/**
 * Inserts the rows a SELECT names by the `common` columns (plus `extra`), reading
 * `numbers({offset}, {count})` slice by slice up to `params.rows`.
 */
async function insertSelect(wh: Warehouse, table: string, select: string, params: Record<string, number> & { rows: number }, extra = ''): Promise<void> {
  const columns = extra ? `${common}, ${extra}` : common;
  for (let offset = 0; offset < params.rows; offset += generateRows) {
    const count = Math.min(generateRows, params.rows - offset);
    await wh.command(`INSERT INTO ${table} (${columns}) SETTINGS insert_deduplicate = 0 SELECT ${columns} FROM (${select})`, { ...params, offset, count });
  }
}

/** Operations (start, then mostly an end) and records, spread evenly over the week before `now`. */
async function fillMetricPoints(wh: Warehouse, total: number, now: number): Promise<void> {
  const ops = Math.floor((total * 0.6) / 2);
  const records = total - ops * 2;
  const week = 7 * DAY;
  // 3% of ends never come (abandoned); the rest complete, fail or cancel an exponential-ish time later.
  await insertSelect(
    wh,
    'events',
    `SELECT '${project}' AS project_id, ${dimensions},
       concat(if(row = 0, 'start-', 'end-'), toString(op)) AS event_id,
       start_ts + toIntervalMillisecond(if(row = 0, 0, toUInt64(dur))) AS ts, ts AS received_at,
       metric_name AS name, 'info' AS level, metric_name AS message,
       map('endpoint', concat('/v1/', ['items', 'cart', 'users', 'search', 'orders', 'feed'][1 + cityHash64(op, 'ep') % 6])) AS attributes,
       90 AS retention_days, 'metric' AS kind, if(row = 0, 'start', end_phase) AS metric_phase, concat('op-', toString(op)) AS tracking_id,
       CAST(NULL, 'Nullable(Float64)') AS metric_value, 'ms' AS metric_unit, if(row = 0, NULL, dur) AS duration_ms, ${noMap} AS user_set,
       ts AS inserted_at
     FROM (
       SELECT intDiv(number, 2) AS op, number % 2 AS row, cityHash64(op, 'user') % 50000 AS u,
         fromUnixTimestamp64Milli(toInt64({start:Int64} + op * {spacing:Float64}), 'UTC') AS start_ts,
         ['checkout', 'api.request', 'api.request', 'api.request', 'image.upload', 'sync', 'login'][1 + cityHash64(op, 'name') % 7] AS metric_name,
         cityHash64(op, 'end') % 100 AS e,
         multiIf(e < 80, 'complete', e < 92, 'fail', e < 97, 'cancel', '') AS end_phase,
         round(-log((cityHash64(op, 'dur') % 1000000 + 1) / 1000001) * 250 + 20) AS dur
       FROM numbers({offset:UInt64}, {count:UInt64})
     )
     WHERE row = 0 OR end_phase != ''`,
    { start: now - week, spacing: week / ops, rows: ops * 2 },
    // As if each point reached the warehouse when it happened: the abandon job's timeout runs from arrival.
    'inserted_at',
  );
  await insertSelect(
    wh,
    'events',
    `SELECT '${project}' AS project_id, ${dimensions}, concat('rec-', toString(r)) AS event_id, ts, ts AS received_at,
       metric_name AS name, 'info' AS level, metric_name AS message,
       map('screen', ['home', 'cart', 'search', 'profile', 'settings'][1 + cityHash64(r, 'sc') % 5]) AS attributes,
       90 AS retention_days, 'metric' AS kind, 'record' AS metric_phase, '' AS tracking_id,
       toNullable(round(-log((cityHash64(r, 'v') % 1000000 + 1) / 1000001) * 40, 1)) AS metric_value,
       if(metric_name = 'db.query.duration_ms', 'ms', '') AS metric_unit, CAST(NULL, 'Nullable(Float64)') AS duration_ms, ${noMap} AS user_set
     FROM (
       SELECT number AS r, cityHash64(r, 'user') % 50000 AS u,
         fromUnixTimestamp64Milli(toInt64({start:Int64} + r * {spacing:Float64}), 'UTC') AS ts,
         ['cart.size', 'db.query.duration_ms', 'db.query.duration_ms', 'image.bytes', 'frame.drops'][1 + cityHash64(r, 'name') % 5] AS metric_name
       FROM numbers({offset:UInt64}, {count:UInt64})
     )`,
    { start: now - week, spacing: week / records, rows: records },
  );
}

/** Background merges compete for the two cores: start each timing without them. */
async function settleMerges(wh: Warehouse): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < 180_000) {
    const [row] = await wh.query<{ n: string }>('SELECT count() AS n FROM system.merges');
    if (Number(row?.n ?? 0) === 0) return;
    await sleep(200);
  }
}

async function tableSizes(wh: Warehouse, tables: readonly string[]): Promise<void> {
  const rows = await wh.query<{ table: string; rows: string; bytes: string; parts: string }>(
    `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, count() AS parts FROM system.parts
     WHERE active AND table IN {tables:Array(String)} GROUP BY table ORDER BY table`,
    { tables },
  );
  for (const r of rows) console.log(`    ${r.table.padEnd(24)} ${n(r.rows).padStart(12)} rows  ${mib(r.bytes).padStart(8)}  ${r.parts} parts`);
}

async function median(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[2] ?? NaN;
}

async function queryPart(): Promise<void> {
  console.log(`\n== Part 1: rollup queries over ${n(points)} metric points (a week) ==`);
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-rollups-'));
  const wh = new ChdbWarehouse(dir);
  try {
    await migrate(wh, sqlDir);
    await upsertProject(wh, { project_id: project, name: 'Rollup bench', retention_days: 90 });
    // Only the views measured here: the others ignore metric points or are not what part 1 reads (part 2 keeps them all).
    const others = await wh.query<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' AND name NOT LIKE 'metric_rollup_%'`,
    );
    for (const view of others) await wh.command(`DROP VIEW ${view.name}`);
    const now = Date.now();
    let start = performance.now();
    await fillMetricPoints(wh, points, now);
    const [stored] = await wh.query<{ n: string }>(`SELECT count() AS n FROM events WHERE kind = 'metric'`);
    console.log(`inserted ${n(stored?.n ?? 0)} metric points (metric rollup views attached) in ${seconds(performance.now() - start)}`);
    start = performance.now();
    await settleMerges(wh);
    console.log(`merges settled in ${seconds(performance.now() - start)}`);
    await tableSizes(wh, ['events', 'metric_rollup_minutes', 'metric_rollup_hours']);

    const base = { projectId: project, isDev: false, toMs: now, maxGroups: 10 };
    const cases: [string, Omit<MetricSeriesQuery, 'projectId' | 'isDev' | 'toMs' | 'maxGroups'>][] = [
      ['minute, 1 day', { name: 'api.request', interval: 'minute', fromMs: now - DAY }],
      ['minute, 1 day, group_by=app_version', { name: 'api.request', interval: 'minute', fromMs: now - DAY, groupBy: { kind: 'dimension', dimension: 'app_version' } }],
      ['minute, 1 day, group_by=tag:endpoint', { name: 'api.request', interval: 'minute', fromMs: now - DAY, groupBy: { kind: 'tag', key: 'endpoint' } }],
      ['minute, 3 days', { name: 'api.request', interval: 'minute', fromMs: now - 3 * DAY }],
      ['hour, 1 day', { name: 'api.request', interval: 'hour', fromMs: now - DAY }],
      ['hour, 1 week', { name: 'api.request', interval: 'hour', fromMs: now - 7 * DAY }],
      ['hour, 1 week, group_by=device_model', { name: 'api.request', interval: 'hour', fromMs: now - 7 * DAY, groupBy: { kind: 'dimension', dimension: 'device_model' } }],
      ['hour, 1 week, group_by=experiment:paywall', { name: 'db.query.duration_ms', interval: 'hour', fromMs: now - 7 * DAY, groupBy: { kind: 'experiment', name: 'paywall' } }],
      ['day, 1 week', { name: 'api.request', interval: 'day', fromMs: now - 7 * DAY }],
    ];
    console.log('query (median of 5 after a warm-up)            ms   buckets  points in range');
    for (const [label, q] of cases) {
      const query = { ...base, ...q };
      const result = await queryMetricSeries(wh, query);
      const ms = await median(() => queryMetricSeries(wh, query));
      const buckets = result.series.reduce((sum, s) => sum + s.buckets.length, 0);
      console.log(`    ${label.padEnd(42)} ${ms.toFixed(1).padStart(7)} ${String(buckets).padStart(9)}  ${n(result.summary.count).padStart(14)}`);
    }

    // The job's work as the schedulers run it, at the default one-hour timeout.
    let clock = now;
    const job = { metricAbandon: () => markAbandonedOperations(wh, clock, defaultAbandonSettings) };
    start = performance.now();
    const first = await job.metricAbandon();
    console.log(`metric-abandon, first run over the week: ${seconds(performance.now() - start)} — ${n(first.starts)} starts read, ${n(first.abandoned)} abandoned${first.more ? ' (capped; more left)' : ''}`);
    let runs = 1;
    for (let more = first.more; more; runs++) more = (await job.metricAbandon()).more;
    clock = now + 60_000;
    start = performance.now();
    const steady = await job.metricAbandon();
    console.log(`metric-abandon, a steady-state run a minute later (after ${runs} catching-up runs): ${(performance.now() - start).toFixed(0)} ms — ${n(steady.starts)} starts read, ${n(steady.abandoned)} abandoned`);
  } finally {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Mixed rows: half logs, a third product events (a tenth of them setting user properties), the rest metric points. */
async function fillMixedRows(wh: Warehouse, total: number, now: number): Promise<void> {
  await wh.command(`CREATE TABLE bench_rows AS events ENGINE = MergeTree ORDER BY log_offset`);
  await insertSelect(
    wh,
    'bench_rows',
    `SELECT '${project}' AS project_id, ${dimensions}, concat('mixed-', toString(i)) AS event_id, ts, ts AS received_at,
       multiIf(k = 'log', ['request handled', 'cache miss', 'payment failed'][1 + cityHash64(i, 'm') % 3],
               k = 'track', ['$pageview', 'tap_buy', 'search', 'add_to_cart'][1 + cityHash64(i, 'n') % 4],
               ['checkout', 'api.request', 'cart.size'][1 + cityHash64(i, 'n') % 3]) AS name,
       if(k = 'log' AND cityHash64(i, 'lvl') % 10 = 0, 'error', 'info') AS level, name AS message,
       if(k = 'log', map('module', 'net'), map('screen', ['home', 'cart', 'search'][1 + cityHash64(i, 'sc') % 3])) AS attributes,
       90 AS retention_days, k AS kind, if(k = 'metric', phase, '') AS metric_phase,
       if(k = 'metric' AND phase != 'record', concat('op-', toString(intDiv(i, 2))), '') AS tracking_id,
       if(k = 'metric' AND phase = 'record', toNullable(toFloat64(cityHash64(i, 'v') % 20)), NULL) AS metric_value, '' AS metric_unit,
       if(k = 'metric' AND phase IN ('complete', 'fail', 'cancel'), toNullable(toFloat64(cityHash64(i, 'd') % 2000)), NULL) AS duration_ms,
       if(k = 'track' AND user_id != '' AND cityHash64(i, 'set') % 10 = 0,
          map('plan', ['free', 'pro'][1 + cityHash64(u, 'plan') % 2], 'country', 'DE'), ${noMap}) AS user_set,
       if(name = '$pageview', ['/', '/pricing', '/docs'][1 + cityHash64(i, 'p') % 3], '') AS screen_name, i AS log_offset
     FROM (
       SELECT number AS i, cityHash64(i, 'user') % 50000 AS u,
         fromUnixTimestamp64Milli(toInt64({start:Int64} + i * {spacing:Float64}), 'UTC') AS ts,
         multiIf(cityHash64(i, 'kind') % 100 < 50, 'log', cityHash64(i, 'kind') % 100 < 85, 'track', 'metric') AS k,
         ['record', 'record', 'start', 'start', 'complete', 'complete', 'fail', 'cancel'][1 + cityHash64(i, 'ph') % 8] AS phase
       FROM numbers({offset:UInt64}, {count:UInt64})
     )`,
    { start: now - HOUR, spacing: HOUR / total, rows: total },
    'screen_name, log_offset',
  );
}

async function timedBatches(wh: Warehouse, table: string, total: number): Promise<number> {
  const start = performance.now();
  for (let from = 0; from < total; from += batchRows) {
    // Deduplication off: an INSERT … SELECT may take a token from its source parts, and these batches share them.
    await wh.command(
      `INSERT INTO ${table} SETTINGS insert_deduplicate = 0 SELECT * FROM bench_rows WHERE log_offset >= {from:UInt64} AND log_offset < {to:UInt64}`,
      { from, to: from + batchRows },
    );
  }
  const ms = performance.now() - start;
  const [row] = await wh.query<{ n: string }>(`SELECT count() AS n FROM ${table}`);
  if (Number(row?.n) !== total) throw new Error(`${table} holds ${row?.n} rows, expected ${total}`);
  return ms;
}

async function ingestPart(): Promise<void> {
  console.log(`\n== Part 2: insert cost of the views, ${n(ingestRows)} mixed rows in batches of ${n(batchRows)} ==`);
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-rollup-ingest-'));
  const wh = new ChdbWarehouse(dir);
  try {
    await migrate(wh, sqlDir);
    await wh.command('CREATE TABLE events_bare AS events');
    const views = await wh.query<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name`,
    );
    console.log(`views on events: ${views.map((v) => v.name).join(', ')}`);
    await fillMixedRows(wh, ingestRows, Date.now());
    const [mix] = await wh.query<{ log: string; track: string; metric: string; sets: string }>(
      `SELECT countIf(kind = 'log') AS log, countIf(kind = 'track') AS track, countIf(kind = 'metric') AS metric, countIf(length(user_set) > 0) AS sets FROM bench_rows`,
    );
    console.log(`rows: ${n(mix?.log ?? 0)} log, ${n(mix?.track ?? 0)} track (${n(mix?.sets ?? 0)} with $set), ${n(mix?.metric ?? 0)} metric`);
    const results: [string, number][] = [];
    const time = async (table: string, label = table) => {
      await wh.command(`TRUNCATE TABLE ${table}`);
      await settleMerges(wh);
      results.push([label, await timedBatches(wh, table, ingestRows)]);
    };
    // Alternated, twice each, so neither table always runs on a warmer engine; the best run of each is compared.
    for (const table of ['events_bare', 'events', 'events', 'events_bare']) await time(table, table === 'events' ? 'events, every view' : table);
    // The metric rollups' own share: the same inserts once their two views are gone.
    await wh.command('DROP VIEW metric_rollup_minutes_mv');
    await wh.command('DROP VIEW metric_rollup_hours_mv');
    for (let i = 0; i < 2; i++) await time('events', 'events, no metric rollups');
    for (const [label, ms] of results) console.log(`    ${label.padEnd(28)} ${seconds(ms).padStart(9)}  ${n(Math.round(ingestRows / (ms / 1000))).padStart(10)} rows/s`);
    const best = (label: string) => Math.min(...results.filter(([l]) => l === label).map(([, ms]) => ms));
    const bare = best('events_bare');
    for (const label of ['events, every view', 'events, no metric rollups']) {
      const ms = best(label);
      console.log(`best of two, ${label}: ${n(Math.round(ingestRows / (ms / 1000)))} rows/s, ${((ms / bare - 1) * 100).toFixed(0)}% more insert time than events_bare (${n(Math.round(ingestRows / (bare / 1000)))} rows/s)`);
    }
  } finally {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (part !== 'ingest') await queryPart();
if (part !== 'query') await ingestPart();
