/**
 * Sustained end-to-end throughput of the distributed deployment on a real
 * broker: ingest role(s) → Kafka (acks=all) → process role(s) → the warehouse
 * served over the ClickHouse protocol by an api role hosting chDB (the
 * topology test/distributed.test.ts runs). Every role is its own process.
 * Last, with the ingest and process roles stopped, the ceiling: the same
 * warehouse's own insert rate for the same rows over the same protocol, and
 * end to end as a share of it.
 *
 *   npm run bench:distributed --workspace @strix/bench
 *   (BENCH_EVENTS, BENCH_CONCURRENCY, BENCH_INGESTERS, BENCH_PROCESSORS, BENCH_PARTITIONS; STRIX_KAFKA_COMPRESSION reaches the roles)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';
import { startKafka } from '@strix/testkit/kafka';
import { startWarehouseHost, type WarehouseHost } from '@strix/testkit/warehouse-host';
import { ClickHouseWarehouse } from '@strix/warehouse/clickhouse';
import { HttpLoad, batchSize, cpuSeconds } from './http-load.ts';
import { timeInserts, warehouseRows } from './warehouse-rows.ts';

const totalEvents = Number(process.env.BENCH_EVENTS ?? 500_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ingesters = Number(process.env.BENCH_INGESTERS ?? 1);
const processors = Number(process.env.BENCH_PROCESSORS ?? 1);
const partitions = process.env.BENCH_PARTITIONS ?? '4';
const cores = availableParallelism();
/** As large as the pipeline's largest insert, as the embedded benchmark's ceiling (e2e-throughput.ts). */
const rowsPerInsert = 50_000;

async function main(): Promise<void> {
  const kafka = await startKafka();
  const dirs: string[] = [];
  const roles: { role: string; p: StrixProcess }[] = [];
  const start = async (role: string, env: Record<string, string>) => {
    const dir = await mkdtemp(join(tmpdir(), `strix-bench-${role}-`));
    dirs.push(dir);
    const p = await spawnStrix({ ...env, STRIX_ROLE: role, STRIX_DATA_DIR: dir }, 120_000);
    roles.push({ role, p });
    return p;
  };
  let host: WarehouseHost | undefined;
  try {
    const apiDir = await mkdtemp(join(tmpdir(), 'strix-bench-api-'));
    dirs.push(apiDir);
    host = await startWarehouseHost(apiDir);
    const api = host.api;
    roles.push({ role: 'api', p: api });
    const { clientKey } = host.credentials;
    const admin = host.adminPassword;
    const shared = {
      STRIX_LOG: 'kafka',
      STRIX_KAFKA_BROKERS: kafka.brokers.join(','),
      STRIX_KAFKA_PARTITIONS: partitions,
      ...host.warehouseEnv,
      ...host.controlEnv,
      STRIX_RATE_LIMIT_DEVICE_RPS: '1000000',
      STRIX_RATE_LIMIT_KEY_RPS: '1000000',
    };
    for (let i = 0; i < processors; i++) await start('process', shared);
    const ingest: URL[] = [];
    for (let i = 0; i < ingesters; i++) ingest.push(new URL((await start('ingest', shared)).url));

    const stored = async () => {
      const res = await fetch(`${api.url}/clickhouse/?default_format=TSV`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`admin:${admin}`).toString('base64')}` },
        body: 'SELECT count() FROM events',
      });
      return Number((await res.text()).trim());
    };
    const measured = [...roles.map(({ role, p }) => ({ role, pid: p.child.pid! })), { role: 'Kafka broker', pid: kafka.pid()! }];
    const cpuBefore = await Promise.all(measured.map(({ pid }) => cpuSeconds(pid)));
    const loadCpuBefore = process.cpuUsage();
    const load = new HttpLoad(clientKey, concurrency);
    const started = performance.now();
    const { sent, retried } = await load.sustain(ingest, totalEvents);
    const acked = performance.now();
    load.close();
    for (let last = 0, since = performance.now(); ; ) {
      const now = await stored();
      if (now >= sent) break;
      if (now > last) [last, since] = [now, performance.now()];
      // A stalled pipeline is a finding, not a hang: show what every role said.
      if (performance.now() - since > 60_000) {
        const outputs = roles.map(({ role, p }) => `--- ${role}\n${p.output().split('\n').slice(-15).join('\n')}`).join('\n');
        throw new Error(`${now} of ${sent} events stored, none more for 60 s\n${outputs}`);
      }
      await sleep(200);
    }
    const done = performance.now();
    const cpuAfter = await Promise.all(measured.map(({ pid }) => cpuSeconds(pid)));
    const loadCpu = process.cpuUsage(loadCpuBefore);

    const seconds = (done - started) / 1000;
    console.log(
      `events: ${sent} of ~${load.bytesPerEvent.toFixed(0)} bytes in batches of ${batchSize}, concurrency ${concurrency}; ` +
        `${ingesters} ingest, ${processors} process role(s), ${partitions} partitions, acks=all, compression ${process.env.STRIX_KAFKA_COMPRESSION ?? 'none'}`,
    );
    console.log(`ingest acknowledged (durable in Kafka): ${(sent / ((acked - started) / 1000)).toFixed(0)} events/s`);
    console.log(`end to end (queryable in the warehouse): ${(sent / seconds).toFixed(0)} events/s over ${seconds.toFixed(1)} s`);
    console.log(`requests retried after 429/503: ${retried}`);
    for (const { role, p } of roles.filter((r) => r.role === 'process')) {
      const text = await (await fetch(new URL('/metrics', p.url))).text();
      const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
      const inserts = metric('strix_warehouse_insert_seconds_count');
      console.log(
        `${role}: ${inserts} inserts, ${(metric('strix_warehouse_events_inserted_total') / inserts).toFixed(0)} events and ` +
          `${((1000 * metric('strix_warehouse_insert_seconds_sum')) / inserts).toFixed(0)} ms each on average`,
      );
    }
    console.log(
      `CPU seconds: ${measured.map(({ role }, i) => `${role} ${(cpuAfter[i]!.process - cpuBefore[i]!.process).toFixed(1)}`).join(', ')}, ` +
        `load generator ${((loadCpu.user + loadCpu.system) / 1e6).toFixed(1)} (of ${(cores * seconds).toFixed(1)} on ${cores} cores)`,
    );

    // The ceiling: the same warehouse's own insert rate over the same protocol, with the other roles stopped.
    for (const { role, p } of roles) if (role !== 'api') await kill(p, 'SIGTERM');
    const warehouse = new ClickHouseWarehouse({ url: api.url, pathname: '/clickhouse', username: 'admin', password: admin });
    try {
      const rows = warehouseRows(Math.min(sent, 200_000));
      await timeInserts(warehouse, rows.slice(0, 10_000), rowsPerInsert, 'warm');
      const ceiling = await timeInserts(warehouse, rows, rowsPerInsert, 'ceiling');
      console.log(
        `ceiling (the warehouse's insert of the same rows with every view, over the ClickHouse protocol as the process role sends them, ` +
          `${rowsPerInsert} per insert, ${rows.length} rows): ${ceiling.toFixed(0)} rows/s`,
      );
      console.log(`end to end / ceiling: ${(sent / seconds / ceiling).toFixed(2)}`);
    } finally {
      await warehouse.close();
    }
  } finally {
    for (const { p } of roles) await kill(p, 'SIGTERM');
    await kafka.cleanup();
    await host?.postgres.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

await main();
