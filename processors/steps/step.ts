import type { ConsumedRecord, EventBatchRecord, LogConsumer } from '@strix/contracts';
import type { EventRow } from '@strix/warehouse';
import type { StepOutcomes } from './runner.ts';

/**
 * What every processor step hands back. Expected outcomes — an event filtered out, a
 * record that can never be processed — are values rather than exceptions, so the
 * consumer decides in one place (`StepOutcomes`) how each outcome is committed,
 * counted and routed. Only failures that a retry of the whole batch may cure (the
 * warehouse or the log being unavailable) are thrown.
 */
export type StepResult<T, Reason extends string = string> = Ok<T> | Drop<Reason> | Dlq;

export interface Ok<T> {
  readonly kind: 'ok';
  readonly value: T;
}

export interface Drop<Reason extends string = string> {
  readonly kind: 'drop';
  readonly reason: Reason;
}

export interface Dlq {
  readonly kind: 'dlq';
  readonly reason: string;
  readonly error?: unknown;
}

export function ok<T>(value: T): Ok<T> {
  return { kind: 'ok', value };
}

/** The input is fine but intentionally not processed further (e.g. a duplicate). */
export function drop<Reason extends string>(reason: Reason): Drop<Reason> {
  return { kind: 'drop', reason };
}

/** The input can never be processed; park it on the dead-letter topic with the reason. */
export function dlq(reason: string, error?: unknown): Dlq {
  return error === undefined ? { kind: 'dlq', reason } : { kind: 'dlq', reason, error };
}

/**
 * Every reason a step may drop an event for. A closed list, so that a new reason
 * fails to compile where drops are reported until someone names its metric.
 */
export const DropReasons = {
  /** Its (project, app, event id) was already stored, or came earlier in the same batch. */
  duplicate: 'duplicate',
} as const;
export type DropReason = (typeof DropReasons)[keyof typeof DropReasons];

/** The log record an event came in, read once per record by every per-event step. */
export interface EventSource {
  readonly record: ConsumedRecord;
  readonly batch: EventBatchRecord;
  /** What the batch has decided so far: the keys of its new events, its drops and dead letters. */
  readonly outcomes: StepOutcomes;
}

/** A log record's first step: the record's bytes to a batch of events. */
export type RecordStep<O> = (record: ConsumedRecord) => StepResult<O, DropReason>;

/** One step of one event; the first result that is not `ok` ends that event's run. */
export type EventStep<I, O> = (input: I, source: EventSource) => StepResult<O, DropReason>;

/** One partition's batch once every event ran its steps, as the batch steps see it. */
export interface BatchInFlight {
  readonly consumer: LogConsumer;
  /** The batch's records in offset order; never empty. */
  readonly records: readonly ConsumedRecord[];
  /** The insert's deduplication token: topic, partition and offset range. */
  readonly token: string;
  readonly rows: EventRow[];
  readonly outcomes: StepOutcomes;
}

/** A row a batch step could not take; the rest of the batch goes on without it. */
export interface RowDlq {
  readonly row: EventRow;
  readonly result: Dlq;
}

/**
 * One step of a whole batch: it resolves to the rows it refused, each with its `dlq`
 * (none when all went well). It throws only for what a retry of the batch may cure.
 */
export type BatchStep = (batch: BatchInFlight) => Promise<readonly RowDlq[]>;

/** What a batch step that refuses no row resolves to. */
export const noRowRefused: readonly RowDlq[] = Object.freeze([]);
