import type { PipelineObserver, Warehouse } from '@strix/contracts';
import type { DeadLetterSink } from './dead-letter-sink.ts';
import { createDeadLetterStep } from './steps/dead-letters.ts';
import { createDedupeStep, type EventDeduper } from './steps/dedupe.ts';
import type { BatchKeys } from './steps/dedupe-keys.ts';
import { createGroupStep } from './steps/group.ts';
import { createInsertStep } from './steps/insert.ts';
import { createMetricDurationsStep } from './steps/metric-durations.ts';
import { createNormalizeStep } from './steps/normalize.ts';
import { createCommitOffsetsStep, createMarkInFlightStep } from './steps/offsets.ts';
import { createParseStep } from './steps/parse-record.ts';
import { EventChain, type RecordSteps } from './steps/runner.ts';
import type { BatchStep } from './steps/step.ts';
import { createToRowStep } from './steps/to-event-row.ts';

export interface EventStepsDeps {
  warehouse: Warehouse;
  deduper: EventDeduper;
  /** The new events of the batch being stored while the next one runs its record steps (see EventPipeline). */
  storing?: () => BatchKeys | undefined;
  observer: PipelineObserver;
  deadLetters: DeadLetterSink;
  /** Aborted when the pipeline stops. */
  signal: AbortSignal;
}

export interface EventSteps extends RecordSteps {
  readonly batch: readonly BatchStep[];
}

/**
 * The processor's steps, in the order they run: this is the one list.
 *
 * Each log record is parsed, then each of its events is deduplicated,
 * normalized, grouped and made a row. Every step returns `ok(value)` (the next
 * step takes the value), `drop(reason)` (the event goes no further; counted
 * under its reason) or `dlq(reason)` (parked as a dead letter); `StepOutcomes`
 * in steps/runner.ts handles the last two.
 *
 * Then, once per partition batch: operation durations are filled in, the batch
 * is marked in flight in the commit, its rows are inserted (a refused row comes
 * back as `dlq`), the dead letters are parked, and the offsets are committed.
 * The order of the batch steps is what makes a crash at any point safe: see
 * EventPipeline.
 */
export function createEventSteps(deps: EventStepsDeps): EventSteps {
  return { ...createRecordSteps(deps), batch: createBatchSteps(deps) };
}

/** Once per log record, then once per event of it. */
export function createRecordSteps(deps: Pick<EventStepsDeps, 'deduper' | 'storing'>): RecordSteps {
  return {
    parse: createParseStep(),
    event: EventChain.of(createDedupeStep(deps)).then(createNormalizeStep()).then(createGroupStep()).then(createToRowStep()),
  };
}

/** Once per partition batch, after every record ran its steps. */
export function createBatchSteps(deps: EventStepsDeps): readonly BatchStep[] {
  return [
    createMetricDurationsStep(deps),
    createMarkInFlightStep(),
    createInsertStep(deps),
    createDeadLetterStep(deps),
    createCommitOffsetsStep(deps),
  ];
}
