import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WarehouseError, type Warehouse } from '@strix/contracts';
import type { EventRow } from '@strix/warehouse';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { insertIsolatingPoison, type InsertRows } from './isolate-poison.ts';

/** A retention past UInt16: a value the warehouse refuses for what the row holds. */
const poison = (id: string) => eventRow({ project_id: 'p', event_id: id, retention_days: 70_000 });
const good = (id: string) => eventRow({ project_id: 'p', event_id: id });
const batchOf = (n: number, poisoned: readonly number[]) =>
  Array.from({ length: n }, (_, i) => (poisoned.includes(i) ? poison(`e${i}`) : good(`e${i}`)));

/** Rows in the table (every copy, not merged), and rows the hourly view counted. */
async function stored(wh: Warehouse): Promise<{ rows: number; distinct: number; counted: number }> {
  const [events] = await wh.query<{ rows: string; distinct: string }>('SELECT count() AS rows, uniqExact(event_id) AS distinct FROM events');
  const [view] = await wh.query<{ n: string }>('SELECT sum(events) AS n FROM event_counts_hourly');
  return { rows: Number(events?.rows), distinct: Number(events?.distinct), counted: Number(view?.n ?? 0) };
}

describe('insertIsolatingPoison on chDB', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  let inserts: string[];
  const insert: InsertRows<EventRow> = async (rows, token) => {
    inserts.push(token);
    await wh.insert('events', rows, { dedupToken: token });
  };
  before(async () => ({ wh, close } = await openStore('p')));
  after(async () => close());
  beforeEach(async () => {
    inserts = [];
    await wh.command('TRUNCATE TABLE events');
    await wh.command('TRUNCATE TABLE event_counts_hourly');
  });

  it('inserts a clean batch in one insert under the batch token', async () => {
    assert.deepEqual(await insertIsolatingPoison(insert, batchOf(50, []), 'events:0:0-9'), []);
    assert.deepEqual(inserts, ['events:0:0-9']);
    assert.deepEqual(await stored(wh), { rows: 50, distinct: 50, counted: 50 });
  });

  it('finds one poison row among many and stores every other row once', async () => {
    const refused = await insertIsolatingPoison(insert, batchOf(100, [37]), 'events:0:0-9');
    assert.deepEqual(refused.map((r) => [r.index, r.row.event_id]), [[37, 'e37']]);
    assert.match(refused[0]!.reason, /out of range for UInt16/);
    assert.ok(inserts.length <= 2 * Math.ceil(Math.log2(100)) + 1, `${inserts.length} inserts`);
    assert.deepEqual(await stored(wh), { rows: 99, distinct: 99, counted: 99 });
  });

  it('finds several, at the edges too', async () => {
    const refused = await insertIsolatingPoison(insert, batchOf(64, [0, 31, 32, 63]), 't');
    assert.deepEqual(refused.map((r) => r.index), [0, 31, 32, 63]);
    assert.deepEqual(await stored(wh), { rows: 60, distinct: 60, counted: 60 });
  });

  it('refuses every row of an all-poison batch and stores nothing', async () => {
    const refused = await insertIsolatingPoison(insert, batchOf(9, [0, 1, 2, 3, 4, 5, 6, 7, 8]), 't');
    assert.equal(refused.length, 9);
    assert.equal(inserts.length, 2 * 9 - 1);
    assert.deepEqual(await stored(wh), { rows: 0, distinct: 0, counted: 0 });
  });

  it('redone after a crash in the middle of a bisection, adds no second copy of any row', async () => {
    const rows = batchOf(40, [5, 29]);
    let budget = 6;
    const dying: InsertRows<EventRow> = async (part, token) => {
      if (budget-- === 0) throw new WarehouseError('simulated crash', true);
      await insert(part, token);
    };
    await assert.rejects(insertIsolatingPoison(dying, rows, 'events:0:100-140'), /simulated crash/);
    const partial = await stored(wh);
    assert.ok(partial.rows > 0 && partial.rows < 38, `the crash left part of the batch: ${partial.rows}`);

    const firstRun = inserts.length;
    const refused = await insertIsolatingPoison(insert, rows, 'events:0:100-140');
    assert.deepEqual(refused.map((r) => r.index), [5, 29]);
    assert.deepEqual(inserts.slice(firstRun, firstRun + 6), inserts.slice(0, 6), 'the redo splits the same way, under the same tokens');
    assert.deepEqual(await stored(wh), { rows: 38, distinct: 38, counted: 38 });
  });

  it('throws what is not a content error, without splitting', async () => {
    const failing: InsertRows<EventRow> = async () => {
      throw new WarehouseError('insert into events failed: table events does not exist', false, 60);
    };
    await assert.rejects(insertIsolatingPoison(failing, batchOf(10, [3]), 't'), /does not exist/);
  });

  it('a batch refused at its last row writes nothing to the table or its views (one block)', async () => {
    const rows = batchOf(60_000, [59_999]);
    await assert.rejects(wh.insert('events', rows, { dedupToken: 'whole' }), /out of range for UInt16/);
    assert.deepEqual(await stored(wh), { rows: 0, distinct: 0, counted: 0 });
  });
});
