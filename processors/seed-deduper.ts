import type { Topic, Warehouse } from '@strix/contracts';
import { recentEventKeys } from '@strix/warehouse';
import type { EventDeduper } from './steps/dedupe.ts';

/**
 * Fills the deduper, for partitions a processor was just assigned, with the
 * events of their committed batches: what the previous owner's deduper held.
 *
 * Rows at or past a partition's committed offset belong to the batch that was
 * in flight when the previous owner stopped; they stay out so that batch is
 * re-formed exactly as before and its re-insert (same token) completes
 * whatever was interrupted, such as a materialized view's block.
 */
export async function seedDeduper(
  warehouse: Warehouse,
  deduper: EventDeduper,
  topic: Topic,
  committed: ReadonlyMap<number, number>,
): Promise<number> {
  if (committed.size === 0) return 0;
  const from = { topic, partitions: [...committed.keys()] };
  const rows = await recentEventKeys(warehouse, from, Date.now() - deduper.windowMs, deduper.maxKeys);
  let seeded = 0;
  // Newest first from the warehouse; the deduper is given the oldest first, so past its cap it forgets those first.
  for (let i = rows.length - 1; i >= 0; i -= 1) {
    const row = rows[i]!;
    const next = committed.get(row.log_partition);
    if (next === undefined || row.log_offset >= next) continue;
    deduper.addEvent(row.project_id, row.app_id, row.event_id, row.received_ms);
    seeded++;
  }
  return seeded;
}
