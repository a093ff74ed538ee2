import type { Warehouse } from '@strix/contracts';
import { recentEventKeys } from '@strix/warehouse';
import { EventDeduper } from './steps/dedupe.ts';

/**
 * Refills the deduper from the warehouse after a restart with the events of
 * committed batches: what the deduper held before the process died.
 *
 * Rows at or past a partition's committed offset belong to the batch that was
 * in flight; they stay out so that batch is re-formed exactly as before and its
 * re-insert (same token) completes whatever the crash interrupted, such as a
 * materialized view's block. Partitions absent from `committed` count as done.
 */
export async function seedDeduper(
  warehouse: Warehouse,
  deduper: EventDeduper,
  committed: ReadonlyMap<number, number>,
): Promise<number> {
  const rows = await recentEventKeys(warehouse, Date.now() - deduper.windowMs, deduper.maxKeys);
  let seeded = 0;
  for (const row of rows) {
    const next = committed.get(Number(row.log_partition));
    if (next !== undefined && Number(row.log_offset) >= next) continue;
    deduper.add(EventDeduper.keyOf(row.project_id, row.app_id, row.event_id), Number(row.received_ms));
    seeded++;
  }
  return seeded;
}
