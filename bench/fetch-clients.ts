/**
 * End to end with a heavier client: Node's `fetch` (undici), as apps' servers
 * and SDKs send, instead of the raw keep-alive `http` of e2e-throughput.ts.
 *
 *   npm run bench:fetch-clients -w @strix/bench
 *     BENCH_EVENTS (300,000)  BENCH_CONNECTIONS (16)  BENCH_DEVICES (2,000)  BENCH_BATCH (50)
 *
 * `BENCH_CONNECTIONS` loops send in a closed loop, each request from the next of
 * `BENCH_DEVICES` devices (its own `x-strix-device-id`, user and session, so the
 * per-device rate limit applies as in production; the per-key one is lifted),
 * `BENCH_BATCH` events of about 300 bytes per request, a 429 or 503 retried
 * after its Retry-After. Prints events/s acknowledged and queryable, and the
 * warehouse ceiling measured in the same run, as `npm run bench` does.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kill, spawnStrix } from '@strix/testkit/process';
import { benchEvent, cpuSeconds, logLag, peakRss } from './http-load.ts';
import { warehouseCeiling, warehouseRows } from './warehouse-rows.ts';

const totalEvents = Number(process.env.BENCH_EVENTS ?? 300_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const devices = Number(process.env.BENCH_DEVICES ?? 2_000);
const batch = Number(process.env.BENCH_BATCH ?? 50);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-bench-fetch-'));
  const env = { STRIX_DATA_DIR: dir, STRIX_RATE_LIMIT_KEY_RPS: '1000000' };
  // The first start creates the data directory; the measured run is a restart, as a running install is.
  await kill(await spawnStrix(env), 'SIGTERM');
  const server = await spawnStrix(env);
  const { clientKey } = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { clientKey: string };
  const url = new URL('/v1/ingest', server.url);
  let throughput = 0;
  try {
    let sent = 0;
    let requests = 0;
    let retried = 0;
    const cpuBefore = await cpuSeconds(server.child.pid!);
    const clientCpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (sent < totalEvents) {
          const n = requests++;
          const device = n % devices;
          sent += batch;
          const now = Date.now();
          const events = Array.from({ length: batch }, (_, i) => ({
            ...benchEvent(n * batch + i, i, `f-${n}-${i}`, `u-${device}`, now),
            session_id: `s-${device}`,
          }));
          const body = JSON.stringify({ events });
          for (;;) {
            const res = await fetch(url, {
              method: 'POST',
              headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json', 'x-strix-device-id': `d-${device}` },
              body,
            });
            await res.arrayBuffer();
            if (res.status === 200) break;
            if (res.status !== 429 && res.status !== 503) throw new Error(`ingest answered ${res.status}`);
            retried++;
            await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
          }
        }
      }),
    );
    const acked = performance.now();
    while ((await logLag(server.url)) > 0) await sleep(50);
    const seconds = (performance.now() - started) / 1000;
    throughput = sent / seconds;
    const cpu = await cpuSeconds(server.child.pid!);
    const client = process.cpuUsage(clientCpu);
    console.log(`events: ${sent} in requests of ${batch} from ${devices} devices over ${connections} fetch connections`);
    console.log(`ingest acknowledged: ${(sent / ((acked - started) / 1000)).toFixed(0)} events/s`);
    console.log(`end to end (queryable in chDB): ${throughput.toFixed(0)} events/s over ${seconds.toFixed(1)} s`);
    console.log(`requests retried after 429/503: ${retried}`);
    console.log(
      `CPU: server ${(cpu.process - cpuBefore.process).toFixed(1)} s (JS main thread ${(cpu.mainThread - cpuBefore.mainThread).toFixed(1)} s), ` +
        `fetch clients ${((client.user + client.system) / 1e6).toFixed(1)} s`,
    );
    console.log(`server peak RSS: ${((await peakRss(server.child.pid!)) / 1024 / 1024).toFixed(0)} MiB`);
  } finally {
    await kill(server, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
  const ceiling = await warehouseCeiling(warehouseRows(Math.min(totalEvents, 200_000)));
  console.log(`ceiling (chDB insert of the same rows with every view): ${ceiling.toFixed(0)} rows/s; end to end / ceiling: ${(throughput / ceiling).toFixed(2)}`);
}

await main();
