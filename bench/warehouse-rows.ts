/**
 * The end-to-end benchmark's events as the pipeline hands them to the warehouse,
 * and the warehouse's own insert rate for them: the ceiling the end-to-end
 * figures are compared with, measured in the same run on the same machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestBody, type ConsumedRecord, type Warehouse } from '@strix/contracts';
import { toLogRecords, validateEvents } from '@strix/edge';
import { EventDeduper, StepOutcomes, createRecordSteps, type EventSource } from '@strix/processors';
import { migrate, sqlDir, type EventRow } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { batchSize, benchEvent } from './http-load.ts';

const principal = { projectId: 'p-bench-project-0000', appId: 'a-bench-app-0000', retentionDays: 90 };

/** `count` events of e2e-throughput.ts through the edge's validation and the processor's record steps: the rows the pipeline inserts. */
export function warehouseRows(count: number, offset = 0): EventRow[] {
  const lines: EventRow[] = [];
  const steps = createRecordSteps({ deduper: new EventDeduper() });
  const outcomes = new StepOutcomes();
  for (let request = 0; lines.length < count; request++) {
    const now = Date.now();
    const events = Array.from({ length: batchSize }, (_, i) => {
      const n = offset + request * batchSize + i;
      return benchEvent(n, i, `w-${offset}-${request}-${i}`, `u-${n % 20000}`, now);
    });
    const { accepted } = validateEvents(IngestBody.parse({ events }).events, now);
    for (const [k, r] of toLogRecords(principal, now, accepted).events.entries()) {
      const record: ConsumedRecord = { ...r, topic: 'events', partition: 0, offset: request * 1000 + k };
      const parsed = steps.parse(record);
      if (parsed.kind !== 'ok') throw new Error(`bench record refused: ${parsed.kind}`);
      const source: EventSource = { record, batch: parsed.value, outcomes };
      for (const raw of parsed.value.events) {
        const row = steps.event.run(raw, source);
        if (row.kind === 'ok') lines.push(row.value);
      }
    }
  }
  return lines.slice(0, count);
}

/** Inserts `rows` into `events` as the pipeline does (the adapter's own encoding included), `rowsPerInsert` at a time; rows per second of wall time. */
export async function timeInserts(warehouse: Warehouse, rows: readonly EventRow[], rowsPerInsert: number, tag: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < rows.length; i += rowsPerInsert) await warehouse.insert('events', rows.slice(i, i + rowsPerInsert), { dedupToken: `${tag}-${i}` });
  return rows.length / ((performance.now() - started) / 1000);
}

/**
 * The ceiling: a fresh chDB store with every migration (so every materialized
 * view), the rows inserted in inserts as large as the pipeline's. One warm-up
 * insert first, so the figure is the steady state.
 */
export async function warehouseCeiling(rows: readonly EventRow[], rowsPerInsert = 50_000): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-ceiling-'));
  const warehouse = new ChdbWarehouse(join(dir, 'chdb'));
  try {
    await migrate(warehouse, sqlDir);
    await timeInserts(warehouse, rows.slice(0, Math.min(rows.length, 10_000)), rowsPerInsert, 'warm');
    return await timeInserts(warehouse, rows, rowsPerInsert, 'ceiling');
  } finally {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}
