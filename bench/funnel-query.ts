/**
 * Funnel query latency on the embedded deployment.
 *
 *   cd bench && node --import tsx funnel-query.ts
 *     BENCH_EVENTS (10,000,000)   track events inserted into `events` (the view fills `funnel_events`)
 *     BENCH_PEOPLE (1,000,000)    people they belong to, 30% anonymous (one session each)
 *     BENCH_RUNS (5)              timed runs per query, after one warm-up
 *
 * Events span the last 30 days; each person's come within a few days, mostly
 * down the funnel app_open → view_product → add_to_cart → checkout → purchase
 * with noise events in between, and carry an experiment variant. Every query
 * reads the whole 30 days through `runFunnel`, as the API runs it, but one that
 * reads the last 7 (its events/s counts the events of its own range). "cpu" is
 * this process's CPU time per query (chDB runs in it), which tells a busy
 * machine from a slow query. The baseline is the engine's own funnel aggregate
 * (windowFunnel) over the same rows and window: levels only, so its counts
 * should equal the first query's, and the ratio says how far that query is
 * from what the engine does natively on this machine. It reads the table
 * itself, sorted by person, as the first query does (the by_day projection
 * serves short ranges only).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FunnelBreakdown, FunnelDefinition, runFunnel, type FunnelReport } from '@strix/analytics';
import type { Warehouse } from '@strix/contracts';
import { migrate, sqlDir, upsertProject } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';

const events = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const people = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const project = 'bench-funnels';
const dayMs = 86_400_000;
const to = Math.floor(Date.now() / dayMs) * dayMs;
const from = to - 30 * dayMs;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Event i belongs to person i % people and is their (i / people)-th event, a few hours after the previous one. */
async function generate(wh: Warehouse): Promise<void> {
  const batch = 2_000_000;
  for (let offset = 0; offset < events; offset += batch) {
    await wh.command(`
      INSERT INTO events (project_id, app_id, is_dev, event_id, ts, received_at, name, level, message, session_id, user_id,
        environment, app_version, country, os_version, device_model, attributes, experiments, retention_days, kind)
      SELECT {project:String}, 'app', person % 50 = 0, toString(number), ts, ts, name, 'info', '', session_id, user_id, 'production',
        ['1.0.0', '1.1.0', '2.0.0'][1 + person % 3], ['US', 'DE', 'FR', 'BR'][1 + person % 4], '17.0', 'iPhone',
        map('plan', ['free', 'pro'][1 + (person % 7 = 0)], 'amount', toString(cityHash64(number, 3) % 200)),
        map('checkout_flow', if(person % 2 = 0, 'control', 'b')), 90, 'track'
      FROM (
        SELECT number, number % {people:UInt64} AS person, intDiv(number, {people:UInt64}) AS nth, person % 10 < 7 AS identified,
          if(identified, concat('u', toString(person)), '') AS user_id,
          concat('s', toString(person), '-', toString(if(identified, intDiv(nth, 4), 0))) AS session_id,
          fromUnixTimestamp64Milli(toInt64({from:Int64} + cityHash64(person) % (27 * 86400000) + nth * (cityHash64(number, 1) % 7200000)), 'UTC') AS ts,
          if(nth <= cityHash64(person, 2) % 5 AND cityHash64(number, 4) % 10 < 8,
            ['app_open', 'view_product', 'add_to_cart', 'checkout', 'purchase'][1 + nth],
            ['search', 'screen_view', 'settings', 'app_open', 'view_product'][1 + cityHash64(number, 5) % 5]) AS name
        FROM numbers({offset:UInt64}, {count:UInt64})
      )`,
      { project, people, from, offset, count: Math.min(batch, events - offset) },
    );
  }
}

/** Background merges compete for the two cores: start the timings without them. */
async function settle(wh: Warehouse): Promise<string> {
  await wh.command('OPTIMIZE TABLE funnel_events FINAL');
  for (;;) {
    const [{ n } = { n: '0' }] = await wh.query<{ n: string }>('SELECT count() AS n FROM system.merges');
    if (Number(n) === 0) break;
    await sleep(200);
  }
  const [p] = await wh.query<{ parts: string; rows: string }>(
    `SELECT count() AS parts, sum(rows) AS rows FROM system.parts WHERE table = 'funnel_events' AND active`,
  );
  return `funnel_events: ${Number(p?.rows).toLocaleString('en-US')} rows in ${p?.parts} parts`;
}

const steps = ['app_open', 'view_product', 'add_to_cart', 'checkout'].map((event) => ({ event }));
/** `days`: the range ends at `to` and spans this many days (30 unless given). */
const queries: { label: string; definition: object; breakdown?: object; days?: number }[] = [
  { label: 'closed, 4 steps, 7-day window', definition: { steps } },
  { label: '  over the last 7 days only', definition: { steps }, days: 7 },
  { label: '  + breakdown by experiment', definition: { steps }, breakdown: { experiment: 'checkout_flow' } },
  { label: 'open', definition: { steps, mode: 'open' } },
  { label: 'closed, by session', definition: { steps, by: 'session' } },
  { label: 'closed, strict order', definition: { steps, strict_order: true } },
  { label: 'closed, exclusion (search, 2→4)', definition: { steps, exclusions: [{ event: 'search', from_step: 2, to_step: 4 }] } },
];

/**
 * The engine's own funnel aggregate over the first query's rows and window, timed the same way: what
 * the engine does natively here. It answers levels only (no time to convert, exclusions or
 * breakdowns), so it is a baseline, not an alternative.
 */
async function engineFunnel(wh: Warehouse): Promise<{ ms: number; min: number; counts: string }> {
  const names = steps.map((s) => s.event);
  const times: number[] = [];
  let counts = '';
  for (let i = 0; i <= runs; i++) {
    const t = performance.now();
    const [levels] = await wh.query<{ c1: string; c2: string; c3: string; c4: string }>(
      `SELECT countIf(level >= 1) AS c1, countIf(level >= 2) AS c2, countIf(level >= 3) AS c3, countIf(level >= 4) AS c4
       FROM (SELECT windowFunnel({window:UInt64}, 'strict_increase')(toUInt64(toUnixTimestamp64Milli(ts)), ${names.map((_, k) => `name = {s${k}:String}`).join(', ')}) AS level
             FROM funnel_events
             WHERE project_id = {project:String} AND is_dev = false AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
               AND name IN {names:Array(String)}
             GROUP BY person_id)
       SETTINGS optimize_use_projections = 0`,
      { project, from, to, window: 7 * dayMs, names, ...Object.fromEntries(names.map((name, k) => [`s${k}`, name])) },
    );
    if (i > 0) times.push(performance.now() - t);
    counts = levels ? [levels.c1, levels.c2, levels.c3, levels.c4].join(' → ') : '';
  }
  return { ms: median(times), min: Math.min(...times), counts };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-funnels-'));
  const wh = new ChdbWarehouse(dir);
  try {
    await migrate(wh, sqlDir);
    await upsertProject(wh, { project_id: project, name: 'Funnel bench', retention_days: 90 });
    let start = performance.now();
    await generate(wh);
    const insertMs = performance.now() - start;
    console.log(`inserted ${events.toLocaleString('en-US')} events of ${people.toLocaleString('en-US')} people into events in ${seconds(insertMs)} (${Math.round(events / (insertMs / 1000)).toLocaleString('en-US')} rows/s, with every view)`);
    start = performance.now();
    console.log(`${await settle(wh)}, merged in ${seconds(performance.now() - start)}`);
    const inRange = async (fromMs: number) => {
      const [scanned] = await wh.query<{ n: string }>(
        `SELECT count() AS n FROM funnel_events WHERE project_id = {project:String} AND is_dev = false AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`,
        { project, from: fromMs },
      );
      return Number(scanned?.n);
    };
    const rows = await inRange(from);

    console.log(`\nmedian of ${runs} after a warm-up, production data mode, ${rows.toLocaleString('en-US')} events in range`);
    console.log(`${'query'.padEnd(34)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'cpu'.padStart(8)} ${'events/s'.padStart(14)}   step counts`);
    let first: number | undefined;
    for (const q of queries) {
      const definition = FunnelDefinition.parse(q.definition);
      const breakdown = q.breakdown ? FunnelBreakdown.parse(q.breakdown) : undefined;
      const fromMs = q.days === undefined ? from : to - q.days * dayMs;
      const scope = { projectId: project, fromMs, toMs: to, isDev: false };
      const rangeRows = fromMs === from ? rows : await inRange(fromMs);
      const times: number[] = [];
      const cpu: number[] = [];
      let report: FunnelReport | undefined;
      for (let i = 0; i <= runs; i++) {
        const c = process.cpuUsage();
        const t = performance.now();
        report = await runFunnel(wh, scope, definition, breakdown);
        if (i === 0) continue;
        times.push(performance.now() - t);
        const used = process.cpuUsage(c);
        cpu.push((used.user + used.system) / 1000);
      }
      const ms = median(times);
      first ??= ms;
      const counts = report!.groups.map((g) => `${g.value ? `${g.value}: ` : ''}${g.steps.map((s) => s.count).join(' → ')}`).join('; ');
      console.log(
        `${q.label.padEnd(34)} ${`${ms.toFixed(0)} ms`.padStart(8)} ${`${Math.min(...times).toFixed(0)} ms`.padStart(8)} ${`${median(cpu).toFixed(0)} ms`.padStart(8)} ` +
          `${Math.round(rangeRows / (ms / 1000)).toLocaleString('en-US').padStart(14)}   ${counts}`,
      );
    }
    const engine = await engineFunnel(wh);
    console.log(
      `\nbaseline, the engine's windowFunnel on the same rows (levels only): ${engine.ms.toFixed(0)} ms (min ${engine.min.toFixed(0)} ms), ` +
        `${Math.round(rows / (engine.ms / 1000)).toLocaleString('en-US')} events/s   ${engine.counts}`,
    );
    console.log(`closed, 4 steps, 7-day window / baseline: ${(first! / engine.ms).toFixed(2)}`);
    // The table sorts a month's rows by person; its by_day projection lets a range read only its days.
    const estimate = async (fromMs: number) => {
      const parts = await wh.query<{ rows: string }>(
        `EXPLAIN ESTIMATE SELECT person_id, count() FROM funnel_events
         WHERE project_id = {project:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         GROUP BY person_id`,
        { project, from: fromMs, to },
      );
      return parts.reduce((n, p) => n + Number(p.rows), 0).toLocaleString('en-US');
    };
    console.log(`\nrows a range reads (EXPLAIN ESTIMATE): 30 days ${await estimate(from)}, last 7 days ${await estimate(to - 7 * dayMs)}`);
  } finally {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
