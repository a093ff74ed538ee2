import type { PipelineObserver } from '@strix/contracts';
import type { EventDeduper } from './dedupe.ts';
import { noRowRefused, type BatchStep } from './step.ts';

/** Commit metadata naming the batch about to be inserted: `inflight:<first>-<last>`. */
export const IN_FLIGHT = /^inflight:(\d+)-(\d+)$/;

/**
 * Before anything of the batch is written, its offset range is committed as
 * metadata at the current offset: whoever next owns the partition re-forms
 * exactly this batch and redoes its writes under the same tokens. A batch
 * with nothing to write (every event a duplicate) needs no mark.
 */
export function createMarkInFlightStep(): BatchStep {
  return async ({ consumer, records, rows, outcomes }) => {
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last || (rows.length === 0 && outcomes.letters.length === 0)) return noRowRefused;
    await consumer.commit(first.partition, first.offset, `inflight:${first.offset}-${last.offset}`);
    return noRowRefused;
  };
}

/**
 * The batch's last step, once its rows and dead letters are stored: the deduper
 * learns the batch's events, its drops are counted, and the offset past the
 * batch is committed.
 */
export function createCommitOffsetsStep({ deduper, observer }: { deduper: EventDeduper; observer: PipelineObserver }): BatchStep {
  return async ({ consumer, records, outcomes }) => {
    const last = records[records.length - 1];
    if (!last) return noRowRefused;
    deduper.learn(outcomes.newEvents);
    outcomes.reportDrops(observer);
    await consumer.commit(last.partition, last.offset + 1);
    return noRowRefused;
  };
}
