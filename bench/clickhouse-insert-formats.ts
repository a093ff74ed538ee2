/**
 * Insert throughput of `events` rows through @clickhouse/client → Strix's
 * ClickHouse-HTTP endpoint → chDB: JSONEachRow against RowBinary (rows encoded
 * by the warehouse's type-driven encoder, as RowBinaryWithNamesAndTypes), same
 * rows, same batches; and the RowBinary path through `ClickHouseWarehouse.insert`.
 *
 *   npm run bench:insert-formats --workspace @strix/bench
 *   (INSERT_BENCH_ROWS, INSERT_BENCH_BATCH to tune)
 *
 * Each figure includes encoding the batch in JS, the HTTP round trip and the
 * engine's parse and write, because that is what the server adapter would pay.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import Fastify from 'fastify';
import { clickhouseRoutes } from '@strix/sql-gateway';
import { migrate, sqlDir, type EventRow } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { ChdbSql } from '@strix/warehouse/chdb-sql';
import { ClickHouseWarehouse } from '@strix/warehouse/clickhouse';
// The server adapter's own encoder, exported for this comparison.
import { RowBinaryTableEncoder } from '@strix/warehouse/row-binary';

const totalRows = Number(process.env.INSERT_BENCH_ROWS ?? 200_000);
const batchRows = Number(process.env.INSERT_BENCH_BATCH ?? 10_000);
const columns = [
  'project_id', 'app_id', 'is_dev', 'event_id', 'ts', 'received_at', 'name', 'level', 'message', 'session_id', 'user_id',
  'source_module', 'screen_name', 'environment', 'os_version', 'app_version', 'build_number', 'device_model', 'locale',
  'country', 'fingerprint', 'attributes', 'experiments', 'retention_days', 'log_topic', 'log_partition', 'log_offset',
] as const satisfies readonly (keyof EventRow)[];
const noExperiments: Record<string, string> = {};

function makeRows(n: number): EventRow[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    project_id: `p${i % 4}`, app_id: `app${i % 8}`, is_dev: i % 10 === 0, event_id: `evt-${i}-${(i * 2654435761) % 1e9}`,
    ts: now - i * 37, received_at: now, name: ['screen_view', 'tap', 'purchase', 'error'][i % 4]!, level: i % 50 === 0 ? 'error' : 'info',
    message: i % 50 === 0 ? `TypeError: cannot read property 'x' of undefined at line ${i % 300}` : '',
    session_id: `s-${Math.floor(i / 40)}`, user_id: `u-${i % 5000}`, source_module: 'App.tsx', screen_name: `Screen${i % 12}`,
    environment: 'production', os_version: '17.4', app_version: '2.3.1', build_number: '231', device_model: 'iPhone15,2',
    locale: 'en_US', country: ['US', 'DE', 'FR', 'BR'][i % 4]!, fingerprint: i % 50 === 0 ? `fp${i % 7}` : '',
    attributes: { plan: i % 3 ? 'free' : 'pro', button: `b${i % 20}` }, experiments: i % 2 ? { checkout: 'B' } : noExperiments,
    retention_days: 90, log_topic: 'events', log_partition: 0, log_offset: i,
  }));
}

function encodeJsonEachRow(rows: readonly EventRow[]): Buffer {
  return Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
}

async function insertBody(client: ClickHouseClient, table: string, format: string, body: Buffer): Promise<void> {
  const result = await client.exec({
    query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT ${format}`,
    values: Readable.from([body], { objectMode: false }),
    clickhouse_settings: format === 'JSONEachRow' ? { date_time_input_format: 'best_effort' } : {},
  });
  result.stream.resume();
  await finished(result.stream);
}

interface Variant {
  readonly label: string;
  /** Encodes and sends one batch; returns the bytes sent (0 when the path does not expose them). */
  readonly insert: (table: string, rows: readonly EventRow[]) => Promise<number>;
}

/** A body-encoding variant over the raw client. */
function bodyVariant(client: ClickHouseClient, label: string, format: string, encode: (rows: readonly EventRow[]) => Buffer): Variant {
  return {
    label,
    insert: async (table, rows) => {
      const body = encode(rows);
      await insertBody(client, table, format, body);
      return body.length;
    },
  };
}

async function measure(client: ClickHouseClient, variant: Variant, rows: readonly EventRow[]) {
  const table = `bench_${variant.label.toLowerCase().replace(/\W+/g, '_')}`;
  await client.command({ query: `CREATE TABLE IF NOT EXISTS ${table} AS events` });
  await client.command({ query: `TRUNCATE TABLE ${table}` });
  await variant.insert(table, rows.slice(0, 100)); // warm-up
  await client.command({ query: `TRUNCATE TABLE ${table}` });
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += batchRows) bytes += await variant.insert(table, rows.slice(i, i + batchRows));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored = await (await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(stored[0]?.n) !== rows.length) throw new Error(`${variant.label}: stored ${stored[0]?.n} of ${rows.length} rows`);
  // The same rows must arrive whatever the format: compare a digest of every column.
  const [digest] = await (await client.query({ query: `SELECT groupBitXor(cityHash64(${columns.join(', ')})) AS h FROM ${table}`, format: 'JSONEachRow' })).json<{ h: string }>();
  return { rowsPerSecond: rows.length / seconds, bytesPerRow: bytes / rows.length, seconds, digest: digest?.h };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-insert-bench-'));
  const wh = new ChdbWarehouse(join(dir, 'chdb'));
  const engine = ChdbSql.open(join(dir, 'chdb'));
  const app = Fastify({ logger: false });
  try {
    await migrate(wh, sqlDir);
    await app.register(clickhouseRoutes, { engine, authenticate: (u, p) => (u === 'bench' && p === 'bench' ? { kind: 'admin' } : undefined) });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = createClient({ url, pathname: '/clickhouse', username: 'bench', password: 'bench' });
    const rows = makeRows(totalRows);
    const described = await (await client.query({ query: 'DESCRIBE TABLE events', format: 'JSONEachRow' })).json<{ name: string; type: string }>();
    const encoder = new RowBinaryTableEncoder(described);
    const warehouse = new ClickHouseWarehouse({ url, pathname: '/clickhouse', username: 'bench', password: 'bench' });
    console.log(`inserting ${totalRows} events rows in batches of ${batchRows} through @clickhouse/client → Strix endpoint → chDB`);
    const variants: Variant[] = [
      bodyVariant(client, 'JSONEachRow', 'JSONEachRow', encodeJsonEachRow),
      bodyVariant(client, 'RowBinary', encoder.format, (batch) => encoder.encode(columns, batch)),
      { label: 'ClickHouseWarehouse.insert', insert: async (table, batch) => (await warehouse.insert(table, batch), 0) },
    ];
    const results = new Map<string, Awaited<ReturnType<typeof measure>>>();
    for (const variant of variants) {
      const r = await measure(client, variant, rows);
      results.set(variant.label, r);
      const size = r.bytesPerRow > 0 ? `${r.bytesPerRow.toFixed(1).padStart(7)} bytes/row` : '      – bytes/row';
      console.log(`${variant.label.padEnd(27)} ${Math.round(r.rowsPerSecond).toLocaleString('en-US').padStart(10)} rows/s  ${size}  (${r.seconds.toFixed(2)} s)`);
    }
    const json = results.get('JSONEachRow');
    for (const [label, r] of results) {
      if (r.digest !== json?.digest) throw new Error(`JSONEachRow and ${label} stored different rows`);
      if (json && r !== json) console.log(`${label} / JSONEachRow throughput: ${(r.rowsPerSecond / json.rowsPerSecond).toFixed(2)}x`);
    }
    await warehouse.close();
    await client.close();
  } finally {
    await app.close();
    engine.close();
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
