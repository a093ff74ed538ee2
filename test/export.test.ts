// GET /v1/events/export on chDB: each format read back by the tools analysts use — DuckDB for CSV,
// NDJSON and Parquet, Apache Arrow's own reader for the Arrow IPC file (DuckDB reads Arrow only
// through an extension it would download) — with the same rows and columns, scoped to the key's project.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { defaultPermissions } from '@strix/contracts';
import { principal, queryApp } from '@strix/testkit/apps';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';

const columns = [
  'event_id', 'timestamp', 'received_at', 'app_id', 'is_dev', 'name', 'level', 'message', 'session_id', 'user_id', 'source_module', 'screen_name',
  'environment', 'os_version', 'app_version', 'build_number', 'device_model', 'locale', 'country', 'fingerprint', 'attributes', 'experiments', 'kind',
];

describe('exporting events', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let dir: string;
  let duck: DuckDBConnection;
  const now = Date.now();
  const get = (query: string, key = 'agent') => app.inject({ url: `/v1/events/export?from=${now - 3_600_000}&to=${now + 60_000}&${query}`, headers: { authorization: `Bearer ${key}` } });

  before(async () => {
    const store = await openStore('p', 'other');
    close = store.close;
    dir = await mkdtemp(join(tmpdir(), 'strix-export-'));
    // Text that trips naive writers: quotes, commas, a newline, non-Latin letters, an empty map.
    const rows = Array.from({ length: 250 }, (_, i) =>
      eventRow({
        project_id: 'p', event_id: `e${String(i).padStart(4, '0')}`, ts: now - 60_000 + i, name: i % 2 ? 'checkout' : 'view',
        message: i === 7 ? 'said "hi", then\nleft — 東京' : `m${i}`, user_id: `u${i % 9}`, attributes: i % 3 ? { plan: 'pro', 'a,b': 'x"y' } : {},
      }),
    );
    await store.wh.insert('events', [...rows, eventRow({ project_id: 'other', event_id: 'foreign', ts: now - 1_000, name: 'view' })]);
    app = await queryApp(store.wh, [principal('agent', 'agent', defaultPermissions.agent), principal('agent-other', 'agent', defaultPermissions.agent, 'other')]);
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  after(async () => {
    duck?.closeSync();
    await app?.close();
    await close?.();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes an export to a file and asks DuckDB for its row count and column names. */
  async function throughDuckDb(format: string, reader: string): Promise<{ rows: number; columns: string[] }> {
    const res = await get(`format=${format}`);
    assert.equal(res.statusCode, 200, res.body);
    const path = join(dir, `events.${format}`);
    await writeFile(path, res.rawPayload);
    const counted = await duck.runAndReadAll(`SELECT count(*) AS n FROM ${reader}('${path}')`);
    const described = await duck.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}('${path}')`);
    return { rows: Number(counted.getRows()[0]?.[0]), columns: described.getRows().map((r) => String(r[0])) };
  }

  it('streams CSV, NDJSON and Parquet that DuckDB reads back whole', async () => {
    for (const [format, reader] of [['csv', 'read_csv_auto'], ['ndjson', 'read_json_auto'], ['parquet', 'read_parquet']] as const) {
      assert.deepEqual(await throughDuckDb(format, reader), { rows: 250, columns }, format);
    }
    const message = await duck.runAndReadAll(`SELECT message FROM read_parquet('${join(dir, 'events.parquet')}') WHERE event_id = 'e0007'`);
    assert.equal(message.getRows()[0]?.[0], 'said "hi", then\nleft — 東京');
    const csv = await duck.runAndReadAll(`SELECT message FROM read_csv_auto('${join(dir, 'events.csv')}') WHERE event_id = 'e0007'`);
    assert.equal(csv.getRows()[0]?.[0], 'said "hi", then\nleft — 東京');
  });

  it('writes an Arrow IPC file with the same rows and columns, typed', async () => {
    const res = await get('format=arrow');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.apache.arrow.file');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="events-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.arrow"$/);
    const table = tableFromIPC(res.rawPayload);
    assert.equal(table.numRows, 250);
    assert.deepEqual(table.schema.fields.map((f) => f.name), columns);
    assert.equal(String(table.getChild('message')?.get(7)), 'said "hi", then\nleft — 東京');
    // Enums leave as their names, not as bare integers.
    assert.deepEqual([String(table.getChild('level')?.get(0)), String(table.getChild('kind')?.get(0))], ['info', 'log']);
  });

  it('keeps to the filters, the limit, oldest first, and the key’s project', async () => {
    const lines = (await get('format=ndjson&name=checkout&limit=5')).body.trim().split('\n').map((l) => JSON.parse(l) as { event_id: string; name: string });
    assert.deepEqual(lines.map((l) => l.event_id), ['e0001', 'e0003', 'e0005', 'e0007', 'e0009']);
    const theirs = (await get('format=ndjson', 'agent-other')).body.trim().split('\n').map((l) => (JSON.parse(l) as { event_id: string }).event_id);
    assert.deepEqual(theirs, ['foreign']);
    // A key acts on its own project only: naming another in the download link's project parameter changes nothing.
    const named = (await get('format=ndjson&project=p', 'agent-other')).body.trim().split('\n').map((l) => (JSON.parse(l) as { event_id: string }).event_id);
    assert.deepEqual(named, ['foreign']);
  });

  it('refuses an unknown format or limit, naming what it takes', async () => {
    const bad = await get('format=xlsx');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json<{ message: string }>().message, /query parameter format: must be one of csv, ndjson, arrow, parquet/);
    assert.equal((await get('format=csv&limit=1000001')).statusCode, 400);
    assert.equal((await get('format=csv', 'nobody')).statusCode, 401);
  });
});
