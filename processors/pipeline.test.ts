import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Topics, WarehouseError, silentObserver, type EventBatchRecord, type InsertOptions, type OutputFormat, type QueryParams, type Warehouse } from '@strix/contracts';
import { migrate, sqlDir } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { openDurableLog } from './log/durable-log.ts';
import { tempDir } from '@strix/testkit/temp-dir';
import { EventPipeline, defaultPipelineOptions } from './pipeline.ts';
import { EventDeduper } from './steps/dedupe.ts';

function batchRecord(n: number, events: number): { key: string; value: Buffer } {
  const now = Date.now();
  const record: EventBatchRecord = {
    v: 1,
    project_id: 'p1',
    app_id: 'a1',
    retention_days: 30,
    received_at: now,
    events: Array.from({ length: events }, (_, i) => ({
      event_id: `r${n}-e${i}`, ts: now, level: 'info' as const, message: 'opened', name: 'app_open', is_dev: false,
    })),
  };
  return { key: 'p1', value: Buffer.from(JSON.stringify(record)) };
}

/** The store itself, but for what a subclass does to inserts. */
class DelegatingWarehouse implements Warehouse {
  constructor(protected readonly inner: ChdbWarehouse) {}
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    return this.inner.insert(table, rows, options);
  }
  query<Row>(sql: string, params?: QueryParams): Promise<Row[]> {
    return this.inner.query<Row>(sql, params);
  }
  command(sql: string, params?: QueryParams): Promise<void> {
    return this.inner.command(sql, params);
  }
  stream(sql: string, params: QueryParams, format: OutputFormat): AsyncIterable<Uint8Array> {
    return this.inner.stream(sql, params, format);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Writes the batch to `events` with the hourly view detached, then fails for good:
 * what a process killed between the table's part and the view's part leaves behind.
 */
class TornInsertWarehouse extends DelegatingWarehouse {
  attempted = false;
  override async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    await this.inner.command('DETACH TABLE event_counts_hourly_mv');
    try {
      await this.inner.insert(table, rows, options);
    } finally {
      await this.inner.command('ATTACH TABLE event_counts_hourly_mv');
    }
    this.attempted = true;
    throw new WarehouseError('simulated death after the table part', false);
  }
}

async function totals(wh: Warehouse): Promise<{ stored: number; counted: number }> {
  const [events] = await wh.query<{ n: string }>('SELECT count() AS n FROM events FINAL');
  const [view] = await wh.query<{ n: string }>('SELECT sum(events) AS n FROM event_counts_hourly');
  return { stored: Number(events?.n), counted: Number(view?.n ?? 0) };
}

test('a batch torn by a crash between the table and its view is completed on restart, never doubled', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const warehouse = new ChdbWarehouse(join(dir, 'chdb'));
  await migrate(warehouse, sqlDir);
  const log = await openDurableLog({ dir: join(dir, 'log') });
  await log.append(Topics.events, [batchRecord(0, 40), batchRecord(1, 40), batchRecord(2, 20)]);

  const options = { ...defaultPipelineOptions, lingerMs: 0 };
  const torn = new TornInsertWarehouse(warehouse);
  const crashed = new EventPipeline({ log, warehouse: torn, deduper: new EventDeduper(), observer: silentObserver }, options);
  await crashed.start();
  while (!torn.attempted) await sleep(10);
  await crashed.stop();
  assert.deepEqual(await totals(warehouse), { stored: 100, counted: 0 }, 'the crash left the view behind the table');

  // A record that arrived after the crash must not be folded into the torn batch.
  await log.append(Topics.events, [batchRecord(3, 10), batchRecord(0, 5)]);
  const restarted = new EventPipeline({ log, warehouse, deduper: new EventDeduper(), observer: silentObserver }, options);
  await restarted.start();
  t.after(async () => {
    await restarted.stop();
    await log.close();
    await warehouse.close();
  });
  while (restarted.lag() > 0) await sleep(10);

  assert.deepEqual(await totals(warehouse), { stored: 110, counted: 110 });
  const [raw] = await warehouse.query<{ n: string }>('SELECT count() AS n FROM events');
  assert.equal(Number(raw?.n), 110, 'the re-formed batch was deduplicated by its token, not stored twice');
});

/** Holds every insert into `events` until released: a batch stays "being stored" as long as the test wants. */
class GatedWarehouse extends DelegatingWarehouse {
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  inserts = 0;
  override async insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void> {
    if (table === 'events') {
      this.inserts += 1;
      await this.gate;
    }
    await this.inner.insert(table, rows, options);
  }
  open(): void {
    this.release();
  }
}

test('an event repeated in the batch after the one being stored is dropped as a duplicate, not stored twice', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const warehouse = new ChdbWarehouse(join(dir, 'chdb'));
  await migrate(warehouse, sqlDir);
  const log = await openDurableLog({ dir: join(dir, 'log') });
  const gated = new GatedWarehouse(warehouse);
  let duplicates = 0;
  const observer = { ...silentObserver, duplicatesDropped: (n: number) => void (duplicates += n) };
  const pipeline = new EventPipeline({ log, warehouse: gated, deduper: new EventDeduper(), observer }, { ...defaultPipelineOptions, lingerMs: 0 });
  await pipeline.start();
  t.after(async () => {
    await pipeline.stop();
    await log.close();
    await warehouse.close();
  });

  await log.append(Topics.events, [batchRecord(0, 3)]);
  while (gated.inserts === 0) await sleep(10);
  // The first batch is being stored; the next one (r0-e1 again, and a new event) runs its record steps meanwhile.
  const again = batchRecord(0, 3);
  const record = JSON.parse(again.value.toString()) as EventBatchRecord;
  await log.append(Topics.events, [{ key: 'p1', value: Buffer.from(JSON.stringify({ ...record, events: [record.events[1], { ...record.events[1]!, event_id: 'new' }] })) }]);
  await sleep(300);
  gated.open();
  while (pipeline.lag() > 0) await sleep(10);

  const [raw] = await warehouse.query<{ n: string }>('SELECT count() AS n FROM events');
  assert.equal(Number(raw?.n), 4, 'r0-e0..2 once each, and the new event');
  assert.equal((await totals(warehouse)).counted, 4);
  assert.equal(duplicates, 1);
});
