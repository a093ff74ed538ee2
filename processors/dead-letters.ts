import type { Warehouse } from '@strix/contracts';
import { DeadLetterLimits, listDeadLetters, type StoredDeadLetter } from '@strix/warehouse';

export { DeadLetterLimits, type StoredDeadLetter };

/**
 * What the processors could not store, read back for a project (newest first,
 * kept 14 days): unreadable log records and events the warehouse refused, each
 * with its reason and log position. The sink that writes them is beside the
 * pipeline (dead-letter-sink.ts).
 */
export class DeadLetters {
  constructor(private readonly deps: { warehouse: Warehouse }) {}

  /** At most `limit` (capped at `DeadLetterLimits.maxListed`). */
  list(projectId: string, limit: number): Promise<StoredDeadLetter[]> {
    return listDeadLetters(this.deps.warehouse, projectId, limit);
  }
}
