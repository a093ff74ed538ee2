import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentObserver, WarehouseError, type InsertOptions, type LogConsumer, type PipelineObserver, type Warehouse } from '@strix/contracts';
import type { EventRow } from '@strix/warehouse';
import { eventRow } from '@strix/testkit/rows';
import { openStore } from '@strix/testkit/stores';
import { createInsertStep } from './insert.ts';
import { StepOutcomes } from './runner.ts';
import type { BatchInFlight } from './step.ts';

/** A retention past UInt16: a value the warehouse refuses for what the row holds. */
const poison = (id: string) => eventRow({ project_id: 'p1', event_id: id, retention_days: 70_000 });
const good = (id: string) => eventRow({ project_id: 'p1', event_id: id });

/** The insert step reads only rows and token; the consumer is never touched. */
const batchOf = (rows: EventRow[], token: string): BatchInFlight => ({
  consumer: undefined as unknown as LogConsumer,
  records: [],
  token,
  rows,
  outcomes: new StepOutcomes(),
});

/** An observer that notes what the insert step reports. */
function countingObserver(): PipelineObserver & { inserted: number[]; failed: number } {
  const seen = {
    ...silentObserver,
    inserted: [] as number[],
    failed: 0,
    eventsInserted: (count: number) => void seen.inserted.push(count),
    insertFailed: () => void (seen.failed += 1),
  };
  return seen;
}

/**
 * The real store behind an insert that the test scripts: `attempt` runs before each
 * insert (it may throw, as an unavailable warehouse does) and `stored` after it
 * (it may throw too: the rows are in, the answer was lost).
 */
function scripted(wh: Warehouse, script: { attempt?: (n: number) => void; stored?: (n: number) => void }): Warehouse & { attempts: number } {
  const scriptedWh = {
    attempts: 0,
    async insert(table: string, rows: readonly object[], options?: InsertOptions) {
      const n = ++scriptedWh.attempts;
      script.attempt?.(n);
      await wh.insert(table, rows, options);
      script.stored?.(n);
    },
    query: wh.query.bind(wh),
    command: wh.command.bind(wh),
    stream: wh.stream.bind(wh),
    close: async () => undefined,
  };
  return scriptedWh;
}

describe('createInsertStep on chDB', () => {
  let wh: Warehouse;
  let close: () => Promise<void>;
  const live = new AbortController().signal;
  before(async () => ({ wh, close } = await openStore('p1')));
  after(async () => close());
  beforeEach(async () => {
    await wh.command('TRUNCATE TABLE events');
  });

  /** Every stored copy (the table is not merged), and the ids among them. */
  async function stored(): Promise<{ rows: number; ids: string[] }> {
    const found = await wh.query<{ event_id: string }>('SELECT event_id FROM events ORDER BY event_id');
    return { rows: found.length, ids: [...new Set(found.map((r) => r.event_id))] };
  }

  test('a batch without rows refuses none and never asks the warehouse', async () => {
    const never = new Proxy({}, { get: () => assert.fail('the warehouse was used') }) as Warehouse;
    assert.deepEqual(await createInsertStep({ warehouse: never, observer: silentObserver, signal: live })(batchOf([], 't')), []);
  });

  test('stores the rows under the batch token once, even when a redelivered batch runs the step again', async () => {
    const observer = countingObserver();
    const step = createInsertStep({ warehouse: wh, observer, signal: live });
    const rows = ['a', 'b', 'c', 'd'].map(good);
    assert.deepEqual(await step(batchOf(rows, 'events:0:0-3')), []);
    assert.deepEqual(observer.inserted, [4]);
    assert.deepEqual(await step(batchOf(rows.map((row) => ({ ...row })), 'events:0:0-3')), []);
    assert.deepEqual(await stored(), { rows: 4, ids: ['a', 'b', 'c', 'd'] });
  });

  test('a row refused for its content comes back as a dlq with the engine\'s reason; the others are stored once', async () => {
    const observer = countingObserver();
    const step = createInsertStep({ warehouse: wh, observer, signal: live });
    const bad = poison('c');
    const rows = [good('a'), good('b'), bad, good('d'), good('e')];

    const refused = await step(batchOf(rows, 'events:0:10-14'));
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.row, bad, 'the refused row itself, so its letter carries it');
    assert.equal(refused[0]?.result.kind, 'dlq');
    assert.match(refused[0]?.result.reason ?? '', /^warehouse refused the event: .*out of range for UInt16/);
    assert.deepEqual(await stored(), { rows: 4, ids: ['a', 'b', 'd', 'e'] });
    assert.equal(observer.inserted.reduce((a, b) => a + b, 0), 4, 'only stored rows are counted as inserted');

    const redone = await step(batchOf(rows, 'events:0:10-14'));
    assert.deepEqual(redone.map((r) => r.row.event_id), ['c'], 'a redone batch refuses the same row');
    assert.deepEqual(await stored(), { rows: 4, ids: ['a', 'b', 'd', 'e'] }, 'and adds no second copy');
  });

  test('a failure a retry may cure is retried under the same token until the rows are in', async () => {
    const observer = countingObserver();
    const flaky = scripted(wh, {
      attempt: (n) => {
        if (n <= 2) throw new WarehouseError('insert into events failed: timeout exceeded', true, 159);
      },
      // The third insert lands but its answer is lost: the retry must not add a copy.
      stored: (n) => {
        if (n === 3) throw new WarehouseError('insert into events failed: network error ECONNRESET', true);
      },
    });
    const rows = ['a', 'b', 'c'].map(good);
    assert.deepEqual(await createInsertStep({ warehouse: flaky, observer, signal: live })(batchOf(rows, 'events:0:20-22')), []);
    assert.equal(flaky.attempts, 4);
    assert.equal(observer.failed, 3);
    assert.deepEqual(observer.inserted, [3]);
    assert.deepEqual(await stored(), { rows: 3, ids: ['a', 'b', 'c'] });
  });

  test('an unavailable warehouse makes the step throw (the batch is redone), after retries, dead-lettering nothing', async () => {
    const observer = countingObserver();
    const down = scripted(wh, {
      attempt: () => {
        throw new WarehouseError('insert into events failed: network error ECONNREFUSED', true);
      },
    });
    const rows = [good('a'), poison('b')];
    await assert.rejects(createInsertStep({ warehouse: down, observer, signal: live })(batchOf(rows, 'events:0:30-31')), /ECONNREFUSED/);
    assert.ok(down.attempts > 1, `retried: ${down.attempts} attempts`);
    assert.equal(observer.failed, down.attempts);
    assert.deepEqual(await stored(), { rows: 0, ids: [] });
  });

  test('once the pipeline stops, a failed insert is thrown without another retry', async () => {
    const stopping = new AbortController();
    const down = scripted(wh, {
      attempt: () => {
        stopping.abort();
        throw new WarehouseError('insert into events failed: network error ECONNREFUSED', true);
      },
    });
    const step = createInsertStep({ warehouse: down, observer: silentObserver, signal: stopping.signal });
    await assert.rejects(step(batchOf([good('a')], 'events:0:40-40')), /ECONNREFUSED/);
    assert.equal(down.attempts, 1);
  });

  test('a refusal that is not about the rows is thrown at once, without retrying or splitting the batch', async () => {
    const observer = countingObserver();
    const broken = scripted(wh, {
      attempt: () => {
        throw new WarehouseError('insert into events failed: table events does not exist', false, 60);
      },
    });
    const rows = [good('a'), poison('b'), good('c')];
    await assert.rejects(createInsertStep({ warehouse: broken, observer, signal: live })(batchOf(rows, 'events:0:50-52')), /does not exist/);
    assert.equal(broken.attempts, 1);
    assert.equal(observer.failed, 1);
  });
});
