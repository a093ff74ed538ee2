/**
 * End-to-end throughput, ingest latency and memory of embedded Strix.
 *
 *   npm run bench            (BENCH_EVENTS, BENCH_CONCURRENCY, BENCH_LATENCY_SECONDS to tune)
 *
 * Strix runs as its own process (server/main.ts); this process is the load
 * generator, sending batches of 100 ~300-byte events over keep-alive HTTP.
 * Phase 1 measures sustained events/s from the first request until every event
 * is queryable in chDB. Phase 2 sends at half that rate (open loop) and reports
 * request latency percentiles. Peak RSS is the server's VmHWM.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kill, spawnStrix } from '@strix/test';

const totalEvents = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const latencySeconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 15);
const batchSize = 100;

const agent = new Agent({ keepAlive: true, maxSockets: concurrency * 2 });

function post(url: URL, key: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/v1/ingest',
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let seq = 0;
/** A batch template; `@@@@@@@@` becomes a per-request number so every event id is unique. */
function template(): string {
  const now = Date.now();
  const events = Array.from({ length: batchSize }, (_, i) => {
    const n = seq++;
    return {
      client_event_id: `b-@@@@@@@@-${i}`,
      session_id: `s-${n % 5000}`,
      user_id: `u-${n % 20000}`,
      level: n % 50 === 0 ? 'error' : 'info',
      name: ['screen_view', 'tap', 'purchase', 'signup'][i % 4],
      message: n % 50 === 0 ? `Request ${n} failed after ${n % 900}ms` : 'user navigated to a screen',
      screen_name: 'Home',
      app_version: '2.3.1',
      os_version: '17.4',
      device_model: 'iPhone15,3',
      environment: 'production',
      timestamp: now,
      attributes: { plan: 'pro', cohort: String(n % 7) },
    };
  });
  return JSON.stringify({ events });
}

let requestSeq = 0;
function body(templates: string[]): Buffer {
  const n = requestSeq++;
  return Buffer.from(templates[n % templates.length]!.replaceAll('@@@@@@@@', String(n).padStart(8, '0')));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function lag(url: URL): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return Number(/^strix_log_lag_records (\d+)/m.exec(text)?.[1] ?? NaN);
}

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** CPU seconds (user + system) of a process, and of its main (JS) thread alone. */
async function cpuSeconds(pid: number): Promise<{ process: number; mainThread: number }> {
  // Fields 14 and 15 of /proc/.../stat, counted after the parenthesised command name.
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return {
    process: ticks(await readFile(`/proc/${pid}/stat`, 'utf8')),
    mainThread: ticks(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8')),
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-'));
  const server = await spawnStrix({
    STRIX_DATA_DIR: dir,
    STRIX_RATE_LIMIT_DEVICE_RPS: '1000000',
    STRIX_RATE_LIMIT_KEY_RPS: '1000000',
  });
  try {
    const url = new URL(server.url);
    const { clientKey } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { clientKey: string };
    const templates = Array.from({ length: 64 }, template);
    const bytesPerEvent = (templates[0]?.length ?? 0) / batchSize;

    // Phase 1: sustained throughput, closed loop.
    let sent = 0;
    let retried = 0;
    const serverCpuBefore = await cpuSeconds(server.child.pid!);
    const benchCpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < totalEvents) {
          sent += batchSize;
          const payload = body(templates);
          for (;;) {
            const status = await post(url, clientKey, payload);
            if (status === 200) break;
            retried++;
            await sleep(50);
          }
        }
      }),
    );
    const acked = performance.now();
    while ((await lag(url)) > 0) await sleep(50);
    const done = performance.now();
    const serverCpu = await cpuSeconds(server.child.pid!);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const seconds = (done - started) / 1000;
    const throughput = sent / seconds;
    console.log(`events: ${sent} of ~${bytesPerEvent.toFixed(0)} bytes, concurrency ${concurrency}, batches of ${batchSize}`);
    console.log(`ingest acknowledged: ${(sent / ((acked - started) / 1000)).toFixed(0)} events/s`);
    console.log(`end to end (queryable in chDB): ${throughput.toFixed(0)} events/s over ${seconds.toFixed(1)} s`);
    console.log(`requests retried after 429/503: ${retried}`);
    console.log(
      `CPU over phase 1: server ${(serverCpu.process - serverCpuBefore.process).toFixed(1)} s ` +
        `(JS main thread ${(serverCpu.mainThread - serverCpuBefore.mainThread).toFixed(1)} s), ` +
        `load generator ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s`,
    );

    // Phase 2: latency at half the sustained rate, open loop.
    const rate = throughput / 2 / batchSize;
    const latencies: number[] = [];
    const inflight: Promise<void>[] = [];
    const phaseStart = performance.now();
    for (let n = 0; (performance.now() - phaseStart) / 1000 < latencySeconds; n++) {
      const due = phaseStart + (n / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const t0 = performance.now();
      inflight.push(
        post(url, clientKey, body(templates)).then(() => {
          latencies.push(performance.now() - t0);
        }),
      );
    }
    await Promise.all(inflight);
    latencies.sort((a, b) => a - b);
    console.log(
      `ingest latency at ${(rate * batchSize).toFixed(0)} events/s: p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${percentile(latencies, 100).toFixed(1)} ms`,
    );
    console.log(`server peak RSS: ${((await peakRss(server.child.pid!)) / 1024 / 1024).toFixed(0)} MiB`);
  } finally {
    await kill(server, 'SIGTERM');
    agent.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
