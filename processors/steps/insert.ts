import { setTimeout as sleep } from 'node:timers/promises';
import { WarehouseError, type PipelineObserver, type Warehouse } from '@strix/contracts';
import type { EventRow } from '@strix/warehouse';
import { insertIsolatingPoison } from '../isolate-poison.ts';
import { dlq, noRowRefused, type BatchStep } from './step.ts';

export interface InsertStepDeps {
  warehouse: Warehouse;
  observer: PipelineObserver;
  /** Aborted when the pipeline stops: no more retries. */
  signal: AbortSignal;
}

/**
 * Inserts the batch's rows under its token. A row the warehouse refuses for what
 * it holds (a poison event) is isolated by bisection and handed back as `dlq`
 * with the engine's reason; every other row is inserted exactly once. Failures a
 * retry may cure are retried, then thrown: the pipeline redoes the batch.
 */
export function createInsertStep(deps: InsertStepDeps): BatchStep {
  const insert = (rows: readonly EventRow[], token: string) => insertWithRetry(deps, rows, token);
  return async ({ rows, token }) => {
    if (rows.length === 0) return noRowRefused;
    const refused = await insertIsolatingPoison(insert, rows, token);
    if (refused.length === 0) return noRowRefused;
    return refused.map(({ row, reason }) => ({ row, result: dlq(`warehouse refused the event: ${reason}`) }));
  };
}

/** One insert, retried while the warehouse says a retry may pass; anything else is thrown. */
async function insertWithRetry({ warehouse, observer, signal }: InsertStepDeps, rows: readonly EventRow[], token: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    try {
      await warehouse.insert('events', rows, { dedupToken: token });
      observer.eventsInserted(rows.length, (performance.now() - started) / 1000);
      return;
    } catch (error) {
      observer.insertFailed();
      const retryable = !(error instanceof WarehouseError) || error.retry;
      if (!retryable || attempt >= 5 || signal.aborted) throw error;
      await sleep(Math.min(5000, 100 * 2 ** attempt));
    }
  }
}
