import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { engineCaches } from './chdb-engine.ts';
import { ChdbWarehouse } from './chdb-warehouse.ts';
import { migrate, sqlDir } from './migrate.ts';
import { contractRow, describeWarehouseContract } from './warehouse-contract.ts';

describeWarehouseContract('ChdbWarehouse (embedded chDB)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strix-wh-'));
  return {
    warehouse: new ChdbWarehouse(join(dir, 'chdb')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('ChdbWarehouse engine', () => {
  it('runs with its caches held to Strix\'s sizes, not the engine\'s server defaults', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-wh-'));
    const wh = new ChdbWarehouse(join(dir, 'chdb'));
    t.after(async () => {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    });
    const rows = await wh.query<{ name: string; value: string }>('SELECT name, value FROM system.server_settings WHERE name IN ({names:Array(String)})', {
      names: Object.keys(engineCaches),
    });
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.name, Number(r.value)])), { ...engineCaches });
  });

  it('leaves no RowBinary payload file behind; one left by a dead process is removed at open, a live one\'s stays', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'strix-wh-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const payloads = join(dir, 'chdb', 'strix-inserts');
    await mkdir(payloads, { recursive: true });
    // No process has pid 2^31 − 1 (Linux caps pids at 2^22); this process is alive.
    await writeFile(join(payloads, '2147483647-dead-0.bin'), 'left by a crash');
    await writeFile(join(payloads, `${process.pid}-live-0.bin`), 'another instance, mid-insert');
    const wh = new ChdbWarehouse(join(dir, 'chdb'));
    t.after(() => wh.close());
    assert.deepEqual(await readdir(payloads), [`${process.pid}-live-0.bin`]);
    await migrate(wh, sqlDir);
    await wh.insert('events', [contractRow(1)], { dedupToken: 't' });
    const [stored] = await wh.query<{ n: string }>('SELECT count() AS n FROM events');
    assert.equal(Number(stored?.n), 1);
    assert.deepEqual(await readdir(payloads), [`${process.pid}-live-0.bin`]);
  });
});
