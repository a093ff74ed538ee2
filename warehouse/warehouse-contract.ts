import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WarehouseError, type OutputFormat, type Warehouse } from '@strix/contracts';
import { type EventRow, exportEvents, queryEvents, queryHourlyCounts } from './events.ts';
import { migrate, sqlDir } from './migrate.ts';
import { writeUserProperties } from './user-properties.ts';
import { eventRow } from '@strix/testkit/rows';

export interface WarehouseUnderTest {
  readonly warehouse: Warehouse;
  /** A warehouse of the same kind that cannot reach its engine, when the adapter has a network. */
  readonly unreachable?: () => Warehouse;
  cleanup(): Promise<void>;
}

const hour = 3_600_000;
const base = Math.floor(Date.now() / hour) * hour - 2 * hour;

/** The contract's rows: ten events of project p1 a second apart, alternating names, three users. */
export function contractRow(i: number, over: Partial<EventRow> = {}): EventRow {
  return eventRow({
    project_id: 'p1', app_id: 'a1', event_id: `e${i}`, ts: base + i * 1000, name: i % 2 ? 'tap' : 'view', message: `m${i}`,
    session_id: 's1', user_id: `u${i % 3}`, app_version: '1.0.0', attributes: { k: String(i) }, log_offset: i, ...over,
  });
}

async function rejection(p: Promise<unknown>): Promise<WarehouseError> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof WarehouseError, `expected a WarehouseError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

/** The behaviour every `Warehouse` adapter must show, run against a real engine. */
export function describeWarehouseContract(name: string, factory: () => Promise<WarehouseUnderTest>): void {
  describe(`Warehouse contract: ${name}`, () => {
    let under: WarehouseUnderTest;
    let wh: Warehouse;
    before(async () => {
      under = await factory();
      wh = under.warehouse;
    });
    after(async () => {
      await wh.close();
      await under.cleanup();
    });

    it('applies migrations once and records them', async () => {
      const first = await migrate(wh, sqlDir);
      assert.ok(first.includes('002_create_events.sql'));
      assert.deepEqual(await migrate(wh, sqlDir), []);
      const recorded = await wh.query<{ n: number }>('SELECT count() AS n FROM schema_migrations FINAL');
      assert.equal(Number(recorded[0]?.n), first.length);
    });

    it('drops a retried insert with the same token from the table and its views', async () => {
      const rows = Array.from({ length: 10 }, (_, i) => contractRow(i));
      await wh.insert('events', rows, { dedupToken: 'events:0:0-9' });
      await wh.insert('events', rows, { dedupToken: 'events:0:0-9' });
      const [raw] = await wh.query<{ n: string }>('SELECT count() AS n FROM events');
      assert.equal(Number(raw?.n), 10);
      const counts = await queryHourlyCounts(wh, { projectId: 'p1', fromMs: base, toMs: base + hour, isDev: false });
      assert.equal(counts.reduce((s, c) => s + c.events, 0), 10);
      assert.deepEqual(new Set(counts.map((c) => c.name)), new Set(['tap', 'view']));
    });

    it('binds {name:Type} parameters server-side, including arrays and hostile strings', async () => {
      const rows = await wh.query<{ n: string; s: string }>(
        'SELECT count() AS n, {s:String} AS s FROM events WHERE project_id = {p:String} AND event_id IN {ids:Array(String)} AND log_offset >= {min:UInt64}',
        { p: 'p1', ids: ['e1', 'e2', 'e3'], min: 2, s: "it's \\ 'quoted'" },
      );
      assert.equal(Number(rows[0]?.n), 2);
      assert.equal(rows[0]?.s, "it's \\ 'quoted'");
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
    });

    it('streams an export in the engine’s format, parameters bound, and names no format outside its list', async () => {
      const filter = { projectId: 'p1', fromMs: base, toMs: base + hour, isDev: false, userId: 'u1' };
      let csv = '';
      for await (const chunk of exportEvents(wh, filter, 100, 'CSVWithNames')) csv += Buffer.from(chunk).toString('utf8');
      const lines = csv.trim().split('\n');
      assert.match(lines[0] ?? '', /^"event_id","timestamp","received_at",/);
      assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), ['"e1"', '"e4"', '"e7"']);
      const parquet: Uint8Array[] = [];
      for await (const chunk of exportEvents(wh, filter, 2, 'Parquet')) parquet.push(chunk);
      const file = Buffer.concat(parquet);
      assert.equal(file.subarray(0, 4).toString(), 'PAR1');
      assert.equal(file.subarray(-4).toString(), 'PAR1');
      const refused = wh.stream('SELECT 1', {}, 'TSV; DROP TABLE events' as OutputFormat)[Symbol.asyncIterator]().next();
      await assert.rejects(refused, /unknown output format/);
    });

    it('writes properties of many users in one call, a later state winning, a retried write stored once', async () => {
      const long = 'x'.repeat(200);
      const writes = Array.from({ length: 1_200 }, (_, i) => ({ userId: `w${i}`, properties: { plan: `plan-${i}`, note: `${long}'\\"${i}` }, at: base }));
      await writeUserProperties(wh, 'p-writes', writes);
      await writeUserProperties(wh, 'p-writes', writes);
      await writeUserProperties(wh, 'p-writes', [{ userId: 'w7', properties: { plan: 'newer' }, at: base + 1 }, { userId: 'w8', properties: { plan: 'older' }, at: base - 1 }]);
      const values = await wh.query<{ user_id: string; key: string; value: string }>(
        "SELECT user_id, key, value FROM user_property_values WHERE project_id = 'p-writes' AND user_id IN ('w7', 'w8', 'w1199') ORDER BY user_id, key",
      );
      assert.deepEqual(values, [
        { user_id: 'w1199', key: 'note', value: `${long}'\\"1199` },
        { user_id: 'w1199', key: 'plan', value: 'plan-1199' },
        { user_id: 'w7', key: 'note', value: `${long}'\\"7` },
        { user_id: 'w7', key: 'plan', value: 'newer' },
        { user_id: 'w8', key: 'note', value: `${long}'\\"8` },
        { user_id: 'w8', key: 'plan', value: 'plan-8' },
      ]);
      const [raw] = await wh.query<{ n: string }>("SELECT count() AS n FROM user_properties WHERE project_id = 'p-writes'");
      assert.equal(Number(raw?.n), 2_400 + 2, 'the retried writes were dropped by their token');
    });

    it('fails a bad statement without a retry and a timeout with one', async () => {
      const syntax = await rejection(wh.query('SELEC 1'));
      assert.equal(syntax.retry, false);
      assert.equal(syntax.code, 62);
      const timeout = await rejection(wh.query('SELECT count() FROM system.numbers SETTINGS max_execution_time = 1'));
      assert.equal(timeout.retry, true);
      assert.equal(timeout.code, 159);
    });

    it('keeps row data out of insert error messages', async () => {
      const bad = { ...contractRow(99), ts: 'SECRET-VALUE-not-a-time' } as unknown as EventRow;
      const error = await rejection(wh.insert('events', [bad]));
      assert.equal(error.retry, false);
      assert.doesNotMatch(error.message, /SECRET-VALUE/);
    });

    it('marks an unreachable engine as retryable', async (t) => {
      if (!under.unreachable) return t.skip('this adapter has no network');
      const down = under.unreachable();
      try {
        const error = await rejection(down.query('SELECT 1'));
        assert.equal(error.retry, true);
      } finally {
        await down.close();
      }
    });
  });
}
