/**
 * End-to-end throughput, ingest latency and memory of embedded Strix.
 *
 *   npm run bench            (BENCH_EVENTS, BENCH_CONCURRENCY, BENCH_LATENCY_SECONDS, BENCH_LATENCY_RATE to tune)
 *
 * Strix runs as its own process (server/main.ts); this process is the load
 * generator, sending batches of 100 ~300-byte events over keep-alive HTTP.
 * Phase 1 measures sustained events/s from the first request until every event
 * is queryable in chDB. Phase 2 sends at half that rate (open loop) and reports
 * request latency percentiles (BENCH_LATENCY_SECONDS=0 skips it). Last, with
 * the server stopped, the ceiling: chDB's own insert rate for the same rows with
 * every materialized view (warehouse-rows.ts), and end to end as a share of it.
 * BENCH_MIN_RATIO makes the run fail below that share (CI's throughput smoke). Peak RSS is the server's VmHWM (of a restart:
 * see below). Before the load, other tenants' projects and keys are added (BENCH_PROJECTS, BENCH_KEYS;
 * 0 for none), so every request authenticates against a registry of that size.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kill, spawnStrix } from '@strix/testkit/process';
import { HttpLoad, batchSize, cpuSeconds, logLag, peakRss, percentile, residentBytes } from './http-load.ts';
import { seedTenants } from './tenants.ts';
import { warehouseCeiling, warehouseRows } from './warehouse-rows.ts';

const totalEvents = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const latencySeconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
const tenantProjects = Number(process.env.BENCH_PROJECTS ?? 100);
const tenantKeys = Number(process.env.BENCH_KEYS ?? 1000);
const minRatio = Number(process.env.BENCH_MIN_RATIO ?? 0);
/** Phase 2's rate in events/s, instead of half of phase 1's: to compare latency across runs at one load. */
const latencyRate = Number(process.env.BENCH_LATENCY_RATE ?? 0);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-'));
  const env = { STRIX_DATA_DIR: dir, STRIX_RATE_LIMIT_DEVICE_RPS: '1000000', STRIX_RATE_LIMIT_KEY_RPS: '1000000' };
  // The first start creates the data directory (the control plane's initdb peaks at several hundred MiB) and
  // the tenants; the measured run is a restart, as a running install is.
  const first = await spawnStrix(env);
  if (tenantKeys > 0) {
    const tenants = await seedTenants(first.url, dir, tenantProjects, tenantKeys);
    console.log(`tenants: ${tenants.projects} projects and ${tenants.keys} keys, made through the API in ${tenants.seconds.toFixed(1)} s`);
  }
  await kill(first, 'SIGTERM');
  const server = await spawnStrix(env);
  const { clientKey } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { clientKey: string };
  const load = new HttpLoad(clientKey, concurrency);
  let throughput = 0;
  try {
    const url = new URL(server.url);

    // Phase 1: sustained throughput, closed loop.
    const idleRss = await residentBytes(server.child.pid!);
    const serverCpuBefore = await cpuSeconds(server.child.pid!);
    const benchCpuBefore = process.cpuUsage();
    const started = performance.now();
    const { sent, retried } = await load.sustain([url], totalEvents);
    const acked = performance.now();
    while ((await logLag(url)) > 0) await sleep(50);
    const done = performance.now();
    const serverCpu = await cpuSeconds(server.child.pid!);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const seconds = (done - started) / 1000;
    throughput = sent / seconds;
    console.log(`events: ${sent} of ~${load.bytesPerEvent.toFixed(0)} bytes, concurrency ${concurrency}, batches of ${batchSize}`);
    console.log(`ingest acknowledged: ${(sent / ((acked - started) / 1000)).toFixed(0)} events/s`);
    console.log(`end to end (queryable in chDB): ${throughput.toFixed(0)} events/s over ${seconds.toFixed(1)} s`);
    console.log(`requests retried after 429/503: ${retried}`);
    console.log(
      `CPU over phase 1: server ${(serverCpu.process - serverCpuBefore.process).toFixed(1)} s ` +
        `(JS main thread ${(serverCpu.mainThread - serverCpuBefore.mainThread).toFixed(1)} s), ` +
        `load generator ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s`,
    );

    // Phase 2: latency at half the sustained rate, open loop.
    if (latencySeconds > 0) {
      const rate = latencyRate > 0 ? latencyRate : throughput / 2;
      const latencies = await load.latencies([url], rate, latencySeconds);
      console.log(
        `ingest latency at ${rate.toFixed(0)} events/s: p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
          `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${percentile(latencies, 100).toFixed(1)} ms`,
      );
    }
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
    console.log(`server peak RSS: ${mib(await peakRss(server.child.pid!))} (idle before the load: ${mib(idleRss)})`);
  } finally {
    await kill(server, 'SIGTERM');
    load.close();
    await rm(dir, { recursive: true, force: true });
  }
  const rows = Math.min(totalEvents, 200_000);
  const ceiling = await warehouseCeiling(warehouseRows(rows));
  const ratio = throughput / ceiling;
  console.log(`ceiling (chDB insert of the same rows with every view, 50000 per insert, ${rows} rows): ${ceiling.toFixed(0)} rows/s`);
  console.log(`end to end / ceiling: ${ratio.toFixed(2)}`);
  if (ratio < minRatio) {
    console.error(`end to end is ${ratio.toFixed(2)} of the ceiling, below the floor of ${minRatio}`);
    process.exitCode = 1;
  }
}

await main();
