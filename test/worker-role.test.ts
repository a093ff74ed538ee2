/**
 * The worker role on the real Temporal dev server: it creates the job schedules
 * and runs their workflows, whose activities write through the ClickHouse
 * protocol to the store an api role hosts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startTemporal } from './engines/temporal.ts';
import { kill, spawnStrix, type StrixProcess } from './process.ts';
import { startWarehouseHost } from './warehouse-host.ts';

describe('worker role on Temporal', { timeout: 300_000 }, () => {
  let temporal: Awaited<ReturnType<typeof startTemporal>>;
  const processes: StrixProcess[] = [];
  const dirs: string[] = [];
  let sql: ClickHouseClient;
  let workerEnv: Record<string, string>;

  async function dir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'strix-worker-'));
    dirs.push(d);
    return d;
  }

  before(async () => {
    temporal = await startTemporal();
    const host = await startWarehouseHost(await dir());
    processes.push(host.api);
    sql = createClient({ url: host.api.url, pathname: '/clickhouse', username: 'admin', password: host.adminPassword });
    workerEnv = {
      STRIX_ROLE: 'worker',
      STRIX_SCHEDULER: 'temporal',
      STRIX_TEMPORAL_ADDRESS: temporal.address,
      ...host.warehouseEnv,
      STRIX_RETENTION_SWEEP_INTERVAL_SECONDS: '2',
    };
  });

  after(async () => {
    await sql?.close();
    for (const p of processes) await kill(p, 'SIGKILL');
    await temporal?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function succeededRuns(): Promise<number> {
    const result = await sql.query({
      query: "SELECT count() AS n FROM job_runs FINAL WHERE job = 'retention-sweep' AND status = 'succeeded' AND trigger = 'schedule'",
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string }>();
    return Number(row?.n ?? 0);
  }

  it('runs the retention sweep on its schedule, and a restarted worker carries on', async () => {
    const worker = await spawnStrix({ ...workerEnv, STRIX_DATA_DIR: await dir() }, 120_000);
    processes.push(worker);
    const deadline = Date.now() + 60_000;
    while ((await succeededRuns()) < 2 && Date.now() < deadline) await sleep(500);
    const before = await succeededRuns();
    assert.ok(before >= 2, `scheduled runs succeeded: ${before}`);

    await kill(worker, 'SIGTERM');
    const again = await spawnStrix({ ...workerEnv, STRIX_DATA_DIR: await dir() }, 120_000);
    processes.push(again);
    const later = Date.now() + 60_000;
    while ((await succeededRuns()) <= before && Date.now() < later) await sleep(500);
    assert.ok((await succeededRuns()) > before, 'the schedule (created once, reused) keeps running after the worker restarts');
  });
});
