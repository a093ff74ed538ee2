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
import { openPostgres, type ControlDb } from '@strix/control';
import { startTemporal } from '@strix/testkit/temporal';
import { kill, spawnStrix, type StrixProcess } from '@strix/testkit/process';
import { startWarehouseHost } from '@strix/testkit/warehouse-host';

describe('worker role on Temporal', { timeout: 300_000 }, () => {
  let temporal: Awaited<ReturnType<typeof startTemporal>>;
  const processes: StrixProcess[] = [];
  const dirs: string[] = [];
  let sql: ClickHouseClient;
  let controlDb: ControlDb | undefined;
  let workerEnv: Record<string, string>;
  let host: Awaited<ReturnType<typeof startWarehouseHost>>;

  async function dir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'strix-worker-'));
    dirs.push(d);
    return d;
  }

  before(async () => {
    temporal = await startTemporal();
    host = await startWarehouseHost(await dir());
    processes.push(host.api);
    sql = createClient({ url: host.api.url, pathname: '/clickhouse', username: 'admin', password: host.adminPassword });
    workerEnv = {
      STRIX_ROLE: 'worker',
      STRIX_SCHEDULER: 'temporal',
      STRIX_TEMPORAL_ADDRESS: temporal.address,
      ...host.warehouseEnv,
      ...host.controlEnv,
      STRIX_RETENTION_SWEEP_INTERVAL_SECONDS: '2',
    };
  });

  after(async () => {
    await sql?.close();
    await controlDb?.close();
    for (const p of processes) await kill(p, 'SIGKILL');
    await temporal?.stop();
    await host?.postgres.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** Completed runs of the retention schedule, as the control plane (where runs are kept) has them. */
  async function succeededRuns(): Promise<number> {
    controlDb ??= await openPostgres(host.controlEnv.STRIX_POSTGRES_URL ?? '');
    const [row] = await controlDb.query<{ n: number }>(
      "SELECT count(*)::int8 AS n FROM job_runs WHERE job = 'retention_cleanup' AND status = 'completed' AND trigger = 'schedule'",
    );
    return row?.n ?? 0;
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

  it('scan-now on an api role runs the project\'s issue scan as a Temporal workflow on the worker', async () => {
    // An api role of the distributed deployment: Temporal for jobs, the host's store as its ClickHouse.
    const api = await spawnStrix({ STRIX_ROLE: 'api', STRIX_DATA_DIR: await dir(), STRIX_SCHEDULER: 'temporal', STRIX_TEMPORAL_ADDRESS: temporal.address, ...host.warehouseEnv, ...host.controlEnv }, 120_000);
    processes.push(api);
    const projectId = host.credentials.projectId;
    const row = (session: string) => ({
      project_id: projectId, app_id: 'app', is_dev: false, event_id: `e-${session}`, ts: Date.now(), received_at: Date.now(),
      name: 'error', level: 'error', message: 'Worker crashed', session_id: session, fingerprint: 'f'.repeat(64), retention_days: 90,
    });
    await sql.insert({ table: 'events', values: [row('w1'), row('w2')], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    const res = await fetch(`${api.url}/v1/issues/scan`, { method: 'POST', headers: { authorization: `Bearer ${host.credentials.agentKey}` } });
    assert.equal(res.status, 200, await res.clone().text());
    const summary = (await res.json()) as { created: { title: string }[]; new_occurrences: number };
    assert.deepEqual(summary.created.map((c) => c.title), ['Worker crashed']);
    assert.equal(summary.new_occurrences, 2);
    const listed = await fetch(`${api.url}/v1/issues`, { headers: { authorization: `Bearer ${host.credentials.agentKey}` } });
    const body = (await listed.json()) as { issues: { title: string; occurrences: number }[] };
    assert.deepEqual(body.issues.map((i) => [i.title, i.occurrences]), [['Worker crashed', 2]]);
  });
});
