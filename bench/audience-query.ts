/**
 * Audience reads on a month of a busy app's events.
 *
 *   npm run bench:audience -w @strix/bench
 *     BENCH_EVENTS (10,000,000)   events inserted into `events`, spread over the 30 days up to now
 *     BENCH_PEOPLE (1,000,000)    distinct people (a fifth anonymous: one session each)
 *
 * Generates the events with ClickHouse SQL on a fresh chDB store in this
 * process (every materialized view of sql/ runs on the inserts), waits for
 * merges, then times each audience read (median of 5; the active reads
 * after the first answer their finished days from `audience_active_days`, as
 * a dashboard's repeated reads do, and two lines time the first read and one
 * after a late event) and checks the uniq states' people counts against
 * exact counts over the raw events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Warehouse } from '@strix/contracts';
import { activePeople, liveAudience, migrate, sqlDir, topScreens, upsertProject, utcDay, type AudienceScope } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { StatementTimer } from './statement-timer.ts';

const events = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const people = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const days = 30;
const runs = 5;
const perInsert = 1_000_000;
const dayMs = 86_400_000;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const thousands = (n: number) => n.toLocaleString('en-US');

/**
 * Rows of a synthetic app: each event a random person at a random time of the
 * month, 90% product events (60% of them pageviews), 5% logs, 5% metric points;
 * routes Zipf-like over 200, a few countries and OS versions, 2% debug builds.
 * Hashes of the row number make it the same data on every run.
 */
const insertSql = `
INSERT INTO events (project_id, app_id, is_dev, event_id, ts, received_at, name, level, message, session_id, user_id,
  screen_name, country, os_version, kind, retention_days)
SELECT 'bench', if(h % 3 = 0, 'ios', 'web'), h % 50 = 0, toString(number), at, at,
  if(kind = 'track', if(h % 10 < 6, '$pageview', 'tap'), 'work'), 'info', '',
  if(anonymous, concat('anon-', toString(person)), concat('s-', toString(person), '-', toString(intDiv(age, 14400000)))),
  if(anonymous, '', concat('user-', toString(person))),
  concat('/route/', toString(toUInt32(pow((h % 1000) / 1000, 3) * 200))),
  ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', ''][h % 8 + 1],
  ['iOS 17', 'iOS 16', 'Android 14', 'Android 13', 'macOS 14', 'Windows 11'][intDiv(h, 8) % 6 + 1],
  kind,
  90
FROM (
  SELECT number, cityHash64(number, 1) AS h, cityHash64(number, 2) % {people:UInt64} AS person, person % 5 = 0 AS anonymous,
    cityHash64(number, 3) % {span:UInt64} AS age, fromUnixTimestamp64Milli(toInt64({now:Int64} - age), 'UTC') AS at,
    multiIf(h % 20 = 0, 'metric', h % 20 = 1, 'log', 'track') AS kind
  FROM numbers({first:UInt64}, {count:UInt64})
)`;

/** One production event of a known person an hour into yesterday (UTC), as a client sending late would. */
const lateSql = `
INSERT INTO events (project_id, app_id, is_dev, event_id, ts, received_at, name, level, message, session_id, user_id, kind, retention_days)
SELECT 'bench', 'web', false, concat('late-', toString({n:UInt64})), at, at, 'tap', 'info', '', 's-late', 'user-1', 'track', 90
FROM (SELECT fromUnixTimestamp64Milli({at:Int64}, 'UTC') AS at)`;

async function settleMerges(wh: Warehouse): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < 120_000) {
    const [{ n } = { n: 0 }] = await wh.query<{ n: string }>(`SELECT count() AS n FROM system.merges`);
    if (Number(n) === 0) return;
    await sleep(200);
  }
}

async function sizes(wh: Warehouse): Promise<void> {
  const rows = await wh.query<{ table: string; rows: string; bytes: string; parts: string }>(
    `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, count() AS parts FROM system.parts
     WHERE active AND database = currentDatabase() AND (table = 'events' OR startsWith(table, 'audience_'))
     GROUP BY table ORDER BY table`,
  );
  for (const r of rows) console.log(`  ${r.table.padEnd(24)} ${thousands(Number(r.rows)).padStart(12)} rows ${mib(Number(r.bytes)).padStart(8)} in ${r.parts} parts`);
}

async function median(run: () => Promise<unknown>, prepare?: () => Promise<unknown>): Promise<{ ms: number; all: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    await prepare?.();
    const start = performance.now();
    await run();
    all.push(performance.now() - start);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(runs / 2)]!, all };
}

/** `prepare` runs before each run, untimed. */
async function timed(label: string, run: () => Promise<unknown>, prepare?: () => Promise<unknown>): Promise<void> {
  const { ms, all } = await median(run, prepare);
  console.log(`  ${label.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms   (${all.map((t) => t.toFixed(0)).join(', ')})`);
}

/** The rollups' DAU (last full day) and MAU (30 days) against exact counts over the raw events. */
async function accuracy(wh: Warehouse, now: number): Promise<void> {
  const range = { from: utcDay(now - (days - 1) * dayMs), to: utcDay(now - dayMs) };
  const [last] = (await activePeople(wh, { projectId: 'bench', isDev: false }, range)).slice(-1);
  const [exact] = await wh.query<{ dau: string; mau: string; fresh: string }>(
    `SELECT uniqExactIf(person, toDate(ts) = {day:Date}) AS dau, uniqExactIf(person, toDate(ts) BETWEEN {day:Date} - 29 AND {day:Date}) AS mau
     FROM (SELECT ts, if(user_id != '', user_id, concat('s:', session_id)) AS person FROM events
           WHERE project_id = 'bench' AND NOT is_dev AND kind != 'metric')`,
    { day: range.to },
  );
  const error = (approx: number, truth: number) => `${(((approx - truth) / truth) * 100).toFixed(2)}%`;
  console.log(
    `  uniq vs exact on ${range.to}: DAU ${thousands(last!.dau)} vs ${thousands(Number(exact!.dau))} (${error(last!.dau, Number(exact!.dau))}), ` +
      `MAU ${thousands(last!.mau)} vs ${thousands(Number(exact!.mau))} (${error(last!.mau, Number(exact!.mau))})`,
  );
}

const dir = await mkdtemp(join(tmpdir(), 'strix-bench-audience-'));
const chdb = new ChdbWarehouse(dir);
try {
  await migrate(chdb, sqlDir);
  await upsertProject(chdb, { project_id: 'bench', name: 'Audience bench', retention_days: 90 });
  const now = Date.now();
  let start = performance.now();
  for (let first = 0; first < events; first += perInsert) {
    await chdb.command(insertSql, { people, span: days * dayMs, now, first, count: Math.min(perInsert, events - first) });
  }
  console.log(`inserted ${thousands(events)} events of ${thousands(people)} people over ${days} days in ${seconds(performance.now() - start)} (every view of sql/ on)`);
  start = performance.now();
  await settleMerges(chdb);
  console.log(`merges settled in ${seconds(performance.now() - start)}`);
  await sizes(chdb);

  const wh = new StatementTimer(chdb);
  const month = { from: utcDay(now - (days - 1) * dayMs), to: utcDay(now) };
  const prod: AudienceScope = { projectId: 'bench', isDev: false };
  // Other work on the machine shows in every figure below; the 1-minute load average says how much.
  console.log(`\nmedian of ${runs} (each run's time in parentheses), 1-minute load average ${loadavg()[0]!.toFixed(1)}:`);
  // The first read of a scope computes and keeps its finished days (sql/016); the runs after it read them back.
  await timed('active, 30 days (DAU/WAU/MAU/new/returning)', () => activePeople(wh, prod, month));
  await timed(
    '  the same, first read (no day kept)',
    () => activePeople(wh, prod, month),
    () => chdb.command('TRUNCATE TABLE audience_active_days'),
  );
  // A late event for yesterday: yesterday is computed again (its 30 days), today then takes its unions.
  let late = 0;
  await timed(
    '  the same, after a late event for yesterday',
    () => activePeople(wh, prod, month),
    () => chdb.command(lateSql, { n: late++, at: Math.floor(now / dayMs) * dayMs - dayMs + 3_600_000 }),
  );
  await timed('active, 30 days, app_id=ios', () => activePeople(wh, { ...prod, appId: 'ios' }, month));
  await timed('active, 7 days', () => activePeople(wh, prod, { from: utcDay(now - 6 * dayMs), to: month.to }));
  await timed('screens, 30 days, top 50', () => topScreens(wh, prod, month, 50));
  await timed('screens, 1 day, top 50', () => topScreens(wh, prod, { from: month.to, to: month.to }, 50));
  await timed('live, last 5 minutes, top 10', () => liveAudience(wh, prod, Date.now(), 5 * 60_000, 10));
  await timed('for scale: exact DAU per day over raw events, 30 days', () =>
    chdb.query(
      `SELECT toDate(ts) AS day, uniqExact(if(user_id != '', user_id, concat('s:', session_id))) AS dau FROM events
       WHERE project_id = 'bench' AND NOT is_dev AND kind != 'metric' GROUP BY day`,
    ),
  );
  console.log(`\nmean time of each statement over the runs above (the active read runs some at once):`);
  for (const [statement, t] of [...wh.timings].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${(t.ms / t.calls).toFixed(0).padStart(6)} ms mean  ${t.calls}× ${statement}`);
  }
  console.log('');
  await accuracy(chdb, now);
  const live = await liveAudience(chdb, prod, Date.now(), 5 * 60_000, 3);
  console.log(`  live now: ${thousands(live.people)} people; top countries ${live.countries.map((c) => `${c.country || '(none)'} ${c.people}`).join(', ')}`);
} finally {
  await chdb.close();
  await rm(dir, { recursive: true, force: true });
}
