import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChdbWarehouse } from './chdb-warehouse.ts';
import { type EventRow, queryEvents, queryHourlyCounts } from './events.ts';
import { migrate, splitStatements } from './migrate.ts';

const sqlDir = join(import.meta.dirname, '..', 'sql');
const hour = 3_600_000;
const base = Math.floor(Date.now() / hour) * hour - 2 * hour;

function row(i: number, over: Partial<EventRow> = {}): EventRow {
  return {
    project_id: 'p1', app_id: 'a1', is_dev: false, event_id: `e${i}`, ts: base + i * 1000,
    received_at: Date.now(), name: i % 2 ? 'tap' : 'view', level: 'info', message: `m${i}`,
    session_id: 's1', user_id: `u${i % 3}`, source_module: '', screen_name: '', environment: 'production',
    os_version: '', app_version: '1.0.0', build_number: '', device_model: '', locale: '', country: '',
    fingerprint: '', attributes: { k: String(i) }, experiments: {}, retention_days: 90, log_topic: 'events', log_partition: 0, log_offset: i, ...over,
  };
}

describe('ChdbWarehouse on the real chDB engine', () => {
  let dir: string;
  let wh: ChdbWarehouse;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strix-wh-'));
    wh = new ChdbWarehouse(join(dir, 'chdb'));
  });
  after(async () => {
    await wh.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies migrations once and records them', async () => {
    const first = await migrate(wh, sqlDir);
    assert.ok(first.includes('002_create_events.sql'));
    assert.deepEqual(await migrate(wh, sqlDir), []);
    const recorded = await wh.query<{ n: number }>('SELECT count() AS n FROM schema_migrations FINAL');
    assert.equal(Number(recorded[0]?.n), first.length);
  });

  it('drops a retried insert with the same token from the table and its views', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(i));
    await wh.insert('events', rows, { dedupToken: 'events:0:0-9' });
    await wh.insert('events', rows, { dedupToken: 'events:0:0-9' });
    const [raw] = await wh.query<{ n: string }>('SELECT count() AS n FROM events');
    assert.equal(Number(raw?.n), 10);
    const counts = await queryHourlyCounts(wh, { projectId: 'p1', fromMs: base, toMs: base + hour, isDev: false });
    assert.equal(counts.reduce((s, c) => s + c.events, 0), 10);
    assert.deepEqual(new Set(counts.map((c) => c.name)), new Set(['tap', 'view']));
  });

  it('pages events newest first without skipping or repeating', async () => {
    const filter = { projectId: 'p1', fromMs: base, toMs: base + hour, isDev: false };
    const seen: string[] = [];
    let cursor: { ts: number; eventId: string } | undefined;
    for (;;) {
      const page = await queryEvents(wh, filter, 3, cursor);
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.event_id));
      const last = page[page.length - 1]!;
      cursor = { ts: last.ts, eventId: last.event_id };
    }
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `e${9 - i}`));
    const byUser = await queryEvents(wh, { ...filter, userId: 'u1' }, 100);
    assert.deepEqual(byUser.map((e) => e.event_id), ['e7', 'e4', 'e1']);
    assert.deepEqual(await queryEvents(wh, { ...filter, isDev: true }, 100), []);
  });

  it('splits statements on semicolons that end a line', () => {
    assert.deepEqual(splitStatements('-- c\nCREATE A;\nCREATE B\n  (x);\n'), ['CREATE A', 'CREATE B\n  (x)']);
  });
});
