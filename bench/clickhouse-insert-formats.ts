/**
 * Insert throughput of `events` rows through @clickhouse/client → Strix's
 * ClickHouse-HTTP endpoint → chDB: JSONEachRow against RowBinary (columnar-free
 * but binary, hand-encoded below), same rows, same batches.
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
import { clickhouseRoutes } from '@strix/ingest';
import { migrate, type EventRow } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { ChdbSql } from '@strix/warehouse/chdb-sql';

const totalRows = Number(process.env.INSERT_BENCH_ROWS ?? 200_000);
const batchRows = Number(process.env.INSERT_BENCH_BATCH ?? 10_000);
const columns = [
  'project_id', 'app_id', 'is_dev', 'event_id', 'ts', 'received_at', 'name', 'level', 'message', 'session_id', 'user_id',
  'source_module', 'screen_name', 'environment', 'os_version', 'app_version', 'build_number', 'device_model', 'locale',
  'country', 'fingerprint', 'attributes', 'experiments', 'retention_days', 'log_topic', 'log_partition', 'log_offset',
] as const satisfies readonly (keyof EventRow)[];
const levels = { debug: 1, info: 2, warn: 3, error: 4 } as const;
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

/** RowBinary writer: little-endian fixed-width numbers, LEB128-prefixed strings. */
class RowBinaryWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.uvarint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeUInt16LE(v, this.pos);
  }
  u32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(v, this.pos);
  }
  i64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64LE(BigInt(v), this.pos);
  }
  map(m: Record<string, string>): void {
    const entries = Object.entries(m);
    this.uvarint(entries.length);
    for (const [k, v] of entries) {
      this.string(k);
      this.string(v);
    }
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function encodeRowBinary(rows: readonly EventRow[]): Buffer {
  const w = new RowBinaryWriter();
  for (const r of rows) {
    w.string(r.project_id); w.string(r.app_id); w.u8(r.is_dev ? 1 : 0); w.string(r.event_id);
    w.i64(r.ts); w.i64(r.received_at); w.string(r.name); w.u8(levels[r.level]); w.string(r.message);
    w.string(r.session_id); w.string(r.user_id); w.string(r.source_module); w.string(r.screen_name);
    w.string(r.environment); w.string(r.os_version); w.string(r.app_version); w.string(r.build_number);
    w.string(r.device_model); w.string(r.locale); w.string(r.country); w.string(r.fingerprint);
    w.map(r.attributes); w.map(r.experiments); w.u16(r.retention_days); w.string(r.log_topic); w.u32(r.log_partition); w.i64(r.log_offset);
  }
  return w.done();
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
  readonly format: 'JSONEachRow' | 'RowBinary';
  readonly encode: (rows: readonly EventRow[]) => Buffer;
}

async function measure(client: ClickHouseClient, variant: Variant, rows: readonly EventRow[]) {
  const table = `bench_${variant.format.toLowerCase()}`;
  await client.command({ query: `CREATE TABLE IF NOT EXISTS ${table} AS events` });
  await client.command({ query: `TRUNCATE TABLE ${table}` });
  await insertBody(client, table, variant.format, variant.encode(rows.slice(0, 100))); // warm-up
  await client.command({ query: `TRUNCATE TABLE ${table}` });
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += batchRows) {
    const body = variant.encode(rows.slice(i, i + batchRows));
    bytes += body.length;
    await insertBody(client, table, variant.format, body);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored = await (await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>();
  if (Number(stored[0]?.n) !== rows.length) throw new Error(`${variant.format}: stored ${stored[0]?.n} of ${rows.length} rows`);
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
    await migrate(wh, join(import.meta.dirname, '..', 'sql'));
    await app.register(clickhouseRoutes, { engine, authenticate: (u, p) => (u === 'bench' && p === 'bench' ? { kind: 'admin' } : undefined) });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = createClient({ url, pathname: '/clickhouse', username: 'bench', password: 'bench' });
    const rows = makeRows(totalRows);
    console.log(`inserting ${totalRows} events rows in batches of ${batchRows} through @clickhouse/client → Strix endpoint → chDB`);
    const variants: Variant[] = [
      { format: 'JSONEachRow', encode: encodeJsonEachRow },
      { format: 'RowBinary', encode: encodeRowBinary },
    ];
    const results = new Map<string, Awaited<ReturnType<typeof measure>>>();
    for (const variant of variants) {
      const r = await measure(client, variant, rows);
      results.set(variant.format, r);
      console.log(`${variant.format.padEnd(12)} ${Math.round(r.rowsPerSecond).toLocaleString('en-US').padStart(10)} rows/s  ${r.bytesPerRow.toFixed(1).padStart(7)} bytes/row  (${r.seconds.toFixed(2)} s)`);
    }
    const json = results.get('JSONEachRow');
    const binary = results.get('RowBinary');
    if (json?.digest !== binary?.digest) throw new Error('JSONEachRow and RowBinary stored different rows');
    if (json && binary) console.log(`RowBinary / JSONEachRow throughput: ${(binary.rowsPerSecond / json.rowsPerSecond).toFixed(2)}x`);
    await client.close();
  } finally {
    await app.close();
    engine.close();
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
