/**
 * What each materialized view on `events` adds to the warehouse insert.
 *
 *   npm run bench:view-costs -w @strix/bench     (VIEW_BENCH_ROWS, VIEW_BENCH_BATCH to tune)
 *
 * One fresh chDB store, every migration applied; the views are dropped, then
 * the end-to-end benchmark's rows are inserted as the pipeline inserts them
 * (ChdbWarehouse.insert) with no view, with each view
 * alone, and with all of them (recreated from their own definitions), each
 * configuration `VIEW_BENCH_ROUNDS` times in alternation so drift on the machine
 * shows; every table is emptied between runs. Each line prints the best run's
 * rows per second and the insert time it adds over the table alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, sqlDir } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { ChdbSql } from '@strix/warehouse/chdb-sql';
import { timeInserts, warehouseRows } from './warehouse-rows.ts';

const rows = Number(process.env.VIEW_BENCH_ROWS ?? 200_000);
const batch = Number(process.env.VIEW_BENCH_BATCH ?? 50_000);
const rounds = Number(process.env.VIEW_BENCH_ROUNDS ?? 3);

const dir = await mkdtemp(join(tmpdir(), 'strix-view-costs-'));
const warehouse = new ChdbWarehouse(join(dir, 'chdb'));
const engine = ChdbSql.open(join(dir, 'chdb'));
try {
  await migrate(warehouse, sqlDir);
  const views = await engine.rows<{ name: string; create_table_query: string }>(
    `SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name`,
  );
  const tables = await engine.rows<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'`,
  );
  // Every table emptied between runs, the views' own among them, so no run pays for the merges of another's rows.
  const truncateAll = async () => {
    for (const t of tables) await engine.run(`TRUNCATE TABLE ${t.name}`, { format: 'Null' });
  };
  const dropAll = async () => {
    for (const v of views) await engine.run(`DROP VIEW IF EXISTS ${v.name}`, { format: 'Null' });
  };
  const lines = warehouseRows(rows);
  console.log(`${rows} rows of the end-to-end benchmark's events, ${batch} per insert, ${views.length} views`);
  const configs: { label: string; views: typeof views }[] = [
    { label: 'no view', views: [] },
    ...views.map((v) => ({ label: v.name, views: [v] })),
    { label: 'all views', views },
  ];
  const rates = new Map<string, number[]>();
  let run = 0;
  await dropAll();
  await timeInserts(warehouse, lines.slice(0, batch), batch, 'warm');
  for (let round = 0; round < rounds; round++) {
    for (const config of configs) {
      for (const v of config.views) await engine.run(v.create_table_query, { format: 'Null' });
      const rate = await timeInserts(warehouse, lines, batch, `r${run++}`);
      rates.set(config.label, [...(rates.get(config.label) ?? []), rate]);
      await dropAll();
      await truncateAll();
    }
  }
  const best = (label: string) => Math.max(...(rates.get(label) ?? [NaN]));
  const base = best('no view');
  for (const { label } of configs) {
    const rate = best(label);
    const added = label === 'no view' ? '' : `  +${((base / rate - 1) * 100).toFixed(0)}% insert time`;
    console.log(`${label.padEnd(28)} ${rate.toFixed(0).padStart(8)} rows/s (runs: ${(rates.get(label) ?? []).map((r) => r.toFixed(0)).join(', ')})${added}`);
  }
} finally {
  engine.close();
  await warehouse.close();
  await rm(dir, { recursive: true, force: true });
}
