import type { Warehouse } from '@strix/contracts';
import { recentEventKeys } from '@strix/warehouse';
import { EventDeduper } from './steps/dedupe.ts';

/**
 * Refills the deduper from the warehouse after a restart: events inserted just
 * before a crash (whose offsets were not yet committed) are replayed from the
 * log and must be recognised as already stored.
 */
export async function seedDeduper(
  warehouse: Warehouse,
  deduper: EventDeduper,
  windowMs: number,
  maxKeys: number,
): Promise<number> {
  const rows = await recentEventKeys(warehouse, Date.now() - windowMs, maxKeys);
  for (const row of rows) {
    deduper.add(EventDeduper.keyOf(row.project_id, row.app_id, row.event_id), Number(row.received_ms));
  }
  return rows.length;
}
