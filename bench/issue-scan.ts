/**
 * Issue scan throughput on the embedded deployment, and what it does to ingest.
 *
 *   npm run bench:issue-scan -w @strix/bench
 *     BENCH_ERRORS (1,000,000)       errors inserted straight into chDB for part 1
 *     BENCH_E2E_ERRORS (1,000,000)   errors ingested over HTTP for part 2
 *     BENCH_RATE                     events/s of the fixed-rate load (default: half the measured error rate)
 *     BENCH_LATENCY_SECONDS (15)     length of the baseline load window
 *     BENCH_PART                     `engine` or `e2e` to run one part only
 *
 * Part 1 times `scanProject` alone on a fresh chDB store in this process, with the
 * time of every SQL statement it runs. Part 2 spawns Strix, ingests errors through
 * HTTP, then compares a fixed-rate ingest with and without `POST /v1/issues/scan`
 * running. chDB (scan and inserts) and the HTTP edge share this machine's cores.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IssueStateStore, Warehouse } from '@strix/contracts';
import { mirrorIssueState, scanProject } from '@strix/issues';
import { openTestControl, seedProjects } from '@strix/testkit/control';
import { kill, spawnStrix } from '@strix/testkit/process';
import { migrate, sqlDir, upsertProject } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { ErrorSampler, errorEvent, errorRow } from './error-rows.ts';
import { HttpLoad, batchSize, cpuSeconds, peakRss, percentile } from './http-load.ts';
import { StatementTimer } from './statement-timer.ts';

const engineErrors = Number(process.env.BENCH_ERRORS ?? 1_000_000);
const e2eErrors = Number(process.env.BENCH_E2E_ERRORS ?? 1_000_000);
const latencySeconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
const part = process.env.BENCH_PART;
const concurrency = 32;
const incrementalErrors = 100_000;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')}/s`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Inserts `count` errors in batches of 50,000. With `arrivedOverMs`, batch i is
 * stamped `inserted_at` as if it had reached the warehouse that long ago, spread
 * evenly up to now (one stamp per insert, as the engine stamps a block);
 * otherwise the engine stamps each batch itself.
 */
async function insertErrors(wh: Warehouse, sampler: ErrorSampler, first: number, count: number, scope: { projectId: string; appId: string }, arrivedOverMs = 0) {
  const perBatch = 50_000;
  const batches = Math.ceil(count / perBatch);
  const now = Date.now();
  for (let b = 0; b < batches; b++) {
    const arrived = now - Math.round((arrivedOverMs * (batches - 1 - b)) / batches);
    const rows: object[] = [];
    for (let n = first + b * perBatch; n < Math.min(first + count, first + (b + 1) * perBatch); n++) {
      const row = errorRow(sampler.next(), n, arrived - Math.floor(sampler.random() * 300_000), { ...scope, receivedAt: arrived });
      rows.push(arrivedOverMs > 0 ? { ...row, inserted_at: arrived } : row);
    }
    await wh.insert('events', rows);
  }
}

/** Background merges compete with a scan for the two cores: start each timing without them. */
async function settleMerges(wh: Warehouse): Promise<string> {
  const start = performance.now();
  while (performance.now() - start < 120_000) {
    const [{ n } = { n: 0 }] = await wh.query<{ n: string }>(`SELECT count() AS n FROM system.merges`);
    if (Number(n) === 0) break;
    await sleep(200);
  }
  const [parts] = await wh.query<{ parts: string; rows: string; bytes: string }>(
    `SELECT count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts WHERE table = 'events' AND active`,
  );
  return `${parts?.rows} rows in ${parts?.parts} parts, ${mib(Number(parts?.bytes))} on disk`;
}

async function timedScan(wh: StatementTimer, state: IssueStateStore, label: string, projectId: string): Promise<void> {
  wh.timings.clear();
  const start = performance.now();
  const s = await scanProject(wh, state, projectId, Date.now());
  const ms = performance.now() - start;
  console.log(
    `${label}: ${seconds(ms)} — ${s.errors.toLocaleString('en-US')} errors read (${rate(s.errors, ms)}), ${s.fingerprints} fingerprints, ` +
      `${s.created.length} issues created, ${s.updated.length} updated, ${s.newOccurrences.toLocaleString('en-US')} new occurrences`,
  );
  const sorted = [...wh.timings].sort((a, b) => b[1].ms - a[1].ms);
  for (const [statement, t] of sorted) console.log(`    ${t.ms.toFixed(0).padStart(7)} ms  ${t.calls}× ${statement}`);
  const inSql = sorted.reduce((sum, [, t]) => sum + t.ms, 0);
  console.log(`    ${(ms - inSql).toFixed(0).padStart(7)} ms  in JavaScript and the control plane (issue state, PGlite) between statements`);
  // As IssueService.scan does next: the issue state it changed, copied into the warehouse.
  const copyStart = performance.now();
  const copied = await mirrorIssueState(wh, state, projectId);
  console.log(`  then its copy to the warehouse: ${copied} rows in ${(performance.now() - copyStart).toFixed(0)} ms`);
}

async function engineScan(): Promise<void> {
  console.log(`\n== Part 1: scanProject on chDB in this process, ${engineErrors.toLocaleString('en-US')} errors ==`);
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-scan-'));
  const chdb = new ChdbWarehouse(dir);
  const scope = { projectId: 'bench-project', appId: 'bench-app' };
  const control = await openTestControl();
  await seedProjects(control, { id: scope.projectId, name: 'Issue scan bench' });
  const state = control.issueState();
  try {
    await migrate(chdb, sqlDir);
    await upsertProject(chdb, { project_id: scope.projectId, name: 'Issue scan bench', retention_days: 90 });
    const sampler = new ErrorSampler();
    let start = performance.now();
    // As an hourly scheduled scan finds them: an hour of arrivals, the last ten minutes in the overlap.
    await insertErrors(chdb, sampler, 0, engineErrors, scope, 3_600_000);
    console.log(`inserted ${engineErrors.toLocaleString('en-US')} errors (arrived over the past hour) in ${seconds(performance.now() - start)}`);
    start = performance.now();
    const parts = await settleMerges(chdb);
    console.log(`merges settled in ${seconds(performance.now() - start)}: ${parts}`);

    const wh = new StatementTimer(chdb);
    await timedScan(wh, state, 'first scan (all new)', scope.projectId);
    await settleMerges(chdb);
    await timedScan(wh, state, 'second scan (nothing new, overlap re-read)', scope.projectId);
    await insertErrors(chdb, sampler, engineErrors, incrementalErrors, scope);
    console.log(`+${incrementalErrors.toLocaleString('en-US')} errors, merges settled: ${await settleMerges(chdb)}`);
    await timedScan(wh, state, `incremental scan (+${incrementalErrors.toLocaleString('en-US')} new)`, scope.projectId);
    console.log(`peak RSS of this process (chDB in-process): ${mib(await peakRss(process.pid))}`);
  } finally {
    await control.close();
    await chdb.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One scrape of the server's /metrics: each series summed across its labels. */
async function scrape(url: URL): Promise<(name: string) => number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return (name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Waits until the log is fully written to chDB; returns how long that took. */
async function drained(url: URL): Promise<number> {
  const start = performance.now();
  while ((await scrape(url))('strix_log_lag_records') > 0) await sleep(50);
  return performance.now() - start;
}

/** Closed loop: `concurrency` clients send batches of 100 errors until `total`, retrying 429/503. */
async function sendErrors(url: URL, clientKey: string, total: number): Promise<void> {
  const sampler = new ErrorSampler(undefined, 2);
  let next = 0;
  const client = async () => {
    while (next < total) {
      const first = next;
      next += batchSize;
      const events = Array.from({ length: Math.min(batchSize, total - first) }, (_, i) => errorEvent(sampler.next(), first + i, Date.now()));
      const body = JSON.stringify({ events });
      for (;;) {
        const res = await fetch(new URL('/v1/ingest', url), {
          method: 'POST',
          headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (res.status !== 429 && res.status !== 503) throw new Error(`ingest answered ${res.status}`);
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
}

interface LoadWindow {
  latencies: number[];
  sent: number;
  acked: number;
  ms: number;
  serverCores: number;
  /** Largest backlog between the edge and chDB, in log records (requests). */
  peakLag: number;
  /** Longest event-loop delay of the server (prom-client resets it at every scrape). */
  peakStallMs: number;
  meanInsertMs: number;
}

/**
 * Open-loop load at `eventsPerSecond` until `until()` says stop, as 1 s slices
 * started back to back (a slice's slow tail never delays the next one's sends),
 * scraping the server's lag and event-loop delay every 250 ms.
 */
async function fixedRate(url: URL, load: HttpLoad, eventsPerSecond: number, until: () => boolean, pid: number): Promise<LoadWindow> {
  const before = await scrape(url);
  const cpuBefore = await cpuSeconds(pid);
  const slices: Promise<number[]>[] = [];
  let peakLag = 0;
  let peakStall = 0;
  const start = performance.now();
  while (!until()) {
    slices.push(load.latencies([url], eventsPerSecond, 1));
    const sliceEnd = start + slices.length * 1000;
    while (performance.now() < sliceEnd - 5) {
      await sleep(Math.min(250, sliceEnd - performance.now()));
      const m = await scrape(url);
      peakLag = Math.max(peakLag, m('strix_log_lag_records'));
      peakStall = Math.max(peakStall, m('strix_nodejs_eventloop_lag_max_seconds'));
    }
  }
  const ms = performance.now() - start;
  const latencies = (await Promise.all(slices)).flat().sort((a, b) => a - b);
  const after = await scrape(url);
  const delta = (name: string) => after(name) - before(name);
  return {
    latencies,
    sent: latencies.length * batchSize,
    acked: delta('strix_ingest_events_total'),
    ms,
    serverCores: ((await cpuSeconds(pid)).process - cpuBefore.process) / (ms / 1000),
    peakLag,
    peakStallMs: Math.max(peakStall, after('strix_nodejs_eventloop_lag_max_seconds')) * 1000,
    meanInsertMs: (delta('strix_warehouse_insert_seconds_sum') / delta('strix_warehouse_insert_seconds_count')) * 1000,
  };
}

function printWindow(label: string, w: LoadWindow, drainMs: number): void {
  console.log(
    `${label}: sent ${rate(w.sent, w.ms)}, acknowledged ${rate(w.acked, w.ms)} over ${seconds(w.ms)}; latency p50 ${percentile(w.latencies, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(w.latencies, 99).toFixed(1)} ms, max ${percentile(w.latencies, 100).toFixed(1)} ms`,
  );
  console.log(
    `    server CPU ${w.serverCores.toFixed(2)} cores, longest event-loop stall ${w.peakStallMs.toFixed(0)} ms, ` +
      `log lag peak ${w.peakLag} records, mean chDB insert ${w.meanInsertMs.toFixed(0)} ms, drained ${seconds(drainMs)} after`,
  );
}

async function e2eScan(): Promise<void> {
  console.log(`\n== Part 2: embedded Strix over HTTP, ${e2eErrors.toLocaleString('en-US')} errors, ${availableParallelism()} cores ==`);
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-scan-e2e-'));
  const server = await spawnStrix({
    STRIX_DATA_DIR: dir,
    STRIX_RATE_LIMIT_DEVICE_RPS: '1000000',
    STRIX_RATE_LIMIT_KEY_RPS: '1000000',
    // Only the scan this benchmark triggers may run: no scheduled slot comes due for years.
    STRIX_ISSUE_SCAN_INTERVAL_SECONDS: String(10 * 365 * 86_400),
  });
  const { clientKey, agentKey } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { clientKey: string; agentKey: string };
  const load = new HttpLoad(clientKey, concurrency);
  const pid = server.child.pid!;
  try {
    const url = new URL(server.url);
    const start = performance.now();
    await sendErrors(url, clientKey, e2eErrors);
    const acked = performance.now() - start;
    await drained(url);
    const stored = performance.now() - start;
    console.log(`errors ingested: acknowledged ${rate(e2eErrors, acked)}, stored in chDB ${rate(e2eErrors, stored)} (${seconds(stored)})`);

    const eventsPerSecond = Number(process.env.BENCH_RATE ?? Math.round(e2eErrors / (stored / 1000) / 2));
    console.log(`fixed-rate load: ${eventsPerSecond.toLocaleString('en-US')} events/s of benchEvent (2% errors), batches of ${batchSize}`);
    const baselineEnd = performance.now() + latencySeconds * 1000;
    const baseline = await fixedRate(url, load, eventsPerSecond, () => performance.now() >= baselineEnd, pid);
    printWindow('  without scan', baseline, await drained(url));

    let scanMs: number | undefined;
    const scanStart = performance.now();
    const scan = fetch(new URL('/v1/issues/scan', url), { method: 'POST', headers: { authorization: `Bearer ${agentKey}` } }).then(async (res) => {
      const body = (await res.json()) as { errors: number; fingerprints: number; created: unknown[]; new_occurrences: number };
      scanMs = performance.now() - scanStart;
      if (res.status !== 200) throw new Error(`scan answered ${res.status}: ${JSON.stringify(body)}`);
      return body;
    });
    const during = await fixedRate(url, load, eventsPerSecond, () => scanMs !== undefined, pid);
    const summary = await scan;
    printWindow('  during scan ', during, await drained(url));
    console.log(
      `scan (POST /v1/issues/scan, under load): ${seconds(scanMs!)} — ${summary.errors.toLocaleString('en-US')} errors (${rate(summary.errors, scanMs!)}), ` +
        `${summary.fingerprints} fingerprints, ${summary.created.length} issues created, ${summary.new_occurrences.toLocaleString('en-US')} new occurrences`,
    );
    console.log(`server peak RSS: ${mib(await peakRss(pid))}`);
  } finally {
    await kill(server, 'SIGTERM');
    load.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (part !== 'e2e') await engineScan();
if (part !== 'engine') await e2eScan();
