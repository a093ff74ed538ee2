import type { ConsumedRecord, EventBatchRecord, LogEvent, PipelineObserver } from '@strix/contracts';
import type { EventRow } from '@strix/warehouse';
import { eventLetter, recordLetter, rowLetter, type DeadLetter } from '../dead-letter-sink.ts';
import { BatchKeys } from './dedupe-keys.ts';
import { dlq, type BatchInFlight, type BatchStep, type Dlq, type Drop, type DropReason, type EventSource, type EventStep, type RecordStep, type StepResult } from './step.ts';

/** How each drop reason is counted; a new reason fails to compile here until it has its metric. */
const dropMetrics: Record<DropReason, (observer: PipelineObserver, count: number) => void> = {
  duplicate: (observer, count) => observer.duplicatesDropped(count),
};

/**
 * What the steps decided for one batch beyond its rows, and the one place a
 * result that is not `ok` is handled: a drop is counted under its reason, a
 * dlq becomes a dead letter (parked by the dead-letter step).
 */
export class StepOutcomes {
  /** Keys of the events let through, with the batch's `received_at`; the deduper learns them once the batch is committed. */
  readonly newEvents = new BatchKeys();
  readonly drops = new Map<DropReason, number>();
  readonly letters: DeadLetter[] = [];

  /** `letter` is called for a dlq only, so a drop costs no letter. */
  settle(result: Drop<DropReason> | Dlq, letter: (reason: string) => DeadLetter): void {
    switch (result.kind) {
      case 'drop':
        this.drops.set(result.reason, (this.drops.get(result.reason) ?? 0) + 1);
        return;
      case 'dlq':
        this.letters.push(letter(result.reason));
        return;
      default: {
        const unreachable: never = result;
        throw new Error(`unknown step result ${JSON.stringify(unreachable)}`);
      }
    }
  }

  reportDrops(observer: PipelineObserver): void {
    for (const [reason, count] of this.drops) dropMetrics[reason](observer, count);
  }
}

type AnyEventStep = EventStep<unknown, unknown>;

/**
 * Per-event steps in order, each taking the previous one's `ok` value. Typed at
 * each `then`, so a step that does not take what the one before produces does
 * not compile.
 */
export class EventChain<I, O> {
  private constructor(private readonly steps: readonly [AnyEventStep, ...AnyEventStep[]]) {}

  static of<I, O>(step: EventStep<I, O>): EventChain<I, O> {
    return new EventChain<I, O>([step as unknown as AnyEventStep]);
  }

  then<N>(step: EventStep<O, N>): EventChain<I, N> {
    return new EventChain<I, N>([...this.steps, step as unknown as AnyEventStep]);
  }

  get length(): number {
    return this.steps.length;
  }

  /** Runs the steps until one does not return `ok`; that result, or the last step's, is the event's. */
  run(input: I, source: EventSource): StepResult<O, DropReason> {
    const steps = this.steps;
    let result = steps[0](input, source);
    for (let i = 1; i < steps.length && result.kind === 'ok'; i++) result = (steps[i] as AnyEventStep)(result.value, source);
    return result as StepResult<O, DropReason>;
  }
}

/** The steps every log record of a batch runs: the record's, then each of its events'. */
export interface RecordSteps {
  readonly parse: RecordStep<EventBatchRecord>;
  readonly event: EventChain<LogEvent, EventRow>;
}

/** Runs each record and each of its events through the steps; returns the rows, in record and event order. */
export function runRecordSteps(steps: RecordSteps, records: readonly ConsumedRecord[], outcomes: StepOutcomes): EventRow[] {
  const rows: EventRow[] = [];
  for (const record of records) {
    const parsed = steps.parse(record);
    if (parsed.kind !== 'ok') {
      settleRecord(outcomes, parsed, record);
      continue;
    }
    const batch = parsed.value;
    const source: EventSource = { record, batch, outcomes };
    for (const event of batch.events) {
      const result = runEvent(steps, event, source);
      if (result.kind === 'ok') rows.push(result.value);
      else settleEvent(outcomes, result, record, batch, event);
    }
  }
  return rows;
}

/** An event whose values break a step (a record the edge did not write) is parked, never allowed to stall its partition. */
function runEvent(steps: RecordSteps, event: LogEvent, source: EventSource): StepResult<EventRow, DropReason> {
  try {
    return steps.event.run(event, source);
  } catch (error) {
    return dlq(`event could not be processed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

// The letters' closures live in these functions, not in the loops above: a closure in
// a loop body would put the loop's variables in a context allocated per event.
function settleRecord(outcomes: StepOutcomes, result: Drop<DropReason> | Dlq, record: ConsumedRecord): void {
  outcomes.settle(result, (reason) => recordLetter(record, reason));
}

function settleEvent(outcomes: StepOutcomes, result: Drop<DropReason> | Dlq, record: ConsumedRecord, batch: EventBatchRecord, event: LogEvent): void {
  outcomes.settle(result, (reason) => eventLetter(record, batch, event, reason));
}

function settleRow(outcomes: StepOutcomes, result: Drop<DropReason> | Dlq, record: ConsumedRecord, row: EventRow): void {
  outcomes.settle(result, (reason) => rowLetter(record, row, reason));
}

/** Runs the batch steps in order; each refused row becomes its dead letter before the next step runs. */
export async function runBatchSteps(steps: readonly BatchStep[], batch: BatchInFlight): Promise<void> {
  let byOffset: Map<number, ConsumedRecord> | undefined;
  for (const step of steps) {
    for (const { row, result } of await step(batch)) {
      byOffset ??= new Map(batch.records.map((r) => [r.offset, r]));
      const record = byOffset.get(row.log_offset);
      // A row is built from one of the batch's records; one that is not has no place to be parked.
      if (record) settleRow(batch.outcomes, result, record, row);
    }
  }
}
