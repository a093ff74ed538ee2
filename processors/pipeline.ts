import { setTimeout as sleep } from 'node:timers/promises';
import { Topics, type ConsumedRecord, type Log, type LogConsumer, type PipelineObserver, type Topic, type Warehouse } from '@strix/contracts';
import { DeadLetterSink } from './dead-letter-sink.ts';
import { createEventSteps, type EventSteps } from './event-steps.ts';
import { bytesOf, PartitionBatches } from './partition-batches.ts';
import { seedDeduper } from './seed-deduper.ts';
import type { EventDeduper } from './steps/dedupe.ts';
import type { BatchKeys } from './steps/dedupe-keys.ts';
import { IN_FLIGHT } from './steps/offsets.ts';
import type { EventRow } from '@strix/warehouse';
import { runBatchSteps, runRecordSteps, StepOutcomes } from './steps/runner.ts';

export interface PipelineDeps {
  log: Log;
  warehouse: Warehouse;
  deduper: EventDeduper;
  observer: PipelineObserver;
}

export interface PipelineOptions {
  /** `Topics.events`, or `Topics.overflow` for a second pipeline draining hot keys. */
  topic: Topic;
  group: string;
  /** Log records (ingest requests) per warehouse insert. */
  maxRecords: number;
  maxBytes: number;
  /** How long to wait for more records before inserting a small batch. */
  lingerMs: number;
}

export const defaultPipelineOptions: PipelineOptions = {
  topic: Topics.events,
  group: 'events-processor',
  // A record is one request (or one user's events of it): 1 to 100 events. The
  // byte cap is what bounds memory and sizes inserts; chDB's cost per row falls
  // steeply up to tens of thousands of rows per insert.
  maxRecords: 50_000,
  maxBytes: 16 * 1024 * 1024,
  lingerMs: 25,
};

/**
 * Log → steps → warehouse, one batch of one partition at a time. Offsets are
 * committed only after the insert succeeded, and the insert's deduplication
 * token is derived from the batch's topic, partition and offset range, so a
 * retried insert is a no-op for the table and for each materialized view.
 *
 * A crash (or a failed attempt, or a rebalance) between the insert and the
 * commit can leave it half done: the table's part written, a view's not.
 * Before inserting, the pipeline commits the batch's range as metadata at the
 * current offset; whoever next owns the partition re-forms exactly that batch
 * (same records, same deduper state: see `seedDeduper`) and re-inserts it with
 * the same token, which fills in only what is missing.
 *
 * Rows the warehouse refuses for what they hold (a poison event: see
 * `insertIsolatingPoison`) are isolated by bisection and dead-lettered with
 * the engine's reason; every other row of the batch is inserted exactly once,
 * and the partition moves on. Unreadable records are dead-lettered too. Both
 * happen after the `inflight` commit, so a redone batch redoes them the same way.
 *
 * While one batch is being stored (its batch steps: insert, dead letters,
 * commit), the next one is polled and runs its record steps, so the engine and
 * the pipeline's own work overlap. Batch steps still run one batch at a time,
 * in offset order; the next batch's dedupe also checks the keys of the one
 * being stored, which the deduper learns only at its commit. If the stored
 * batch fails, the prepared one is dropped with it and both are re-formed
 * from the commits.
 */
export class EventPipeline {
  private consumer?: LogConsumer;
  private readonly batches = new PartitionBatches();
  /** Partitions whose committed events are in the deduper. */
  private readonly seeded = new Set<number>();
  private running?: Promise<void>;
  private readonly abort = new AbortController();
  private lastError?: { at: number; message: string };
  private readonly steps: EventSteps;
  /** The batch whose batch steps are running, if any. */
  private storing?: Storing;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions = defaultPipelineOptions,
  ) {
    this.steps = createEventSteps({
      ...deps,
      storing: () => this.storing?.newEvents,
      deadLetters: new DeadLetterSink(deps),
      signal: this.abort.signal,
    });
  }

  async start(): Promise<void> {
    const consumer = await this.deps.log.consumer(this.options.topic, this.options.group);
    await this.adoptAssignment(consumer);
    this.consumer = consumer;
    this.running = this.loop(consumer);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await this.consumer?.close();
  }

  lag(): number {
    return this.consumer?.lag() ?? 0;
  }

  /** Unhealthy while inserts keep failing. */
  isHealthy(): boolean {
    return !this.lastError || Date.now() - this.lastError.at > 30_000;
  }

  private async loop(consumer: LogConsumer): Promise<void> {
    const { signal } = this.abort;
    let ready = false;
    while (!signal.aborted) {
      try {
        const records = await this.pollBatch(consumer, signal, ready);
        // A batch that failed while this one polled is retried before anything else.
        if (this.storing?.failed) await this.storing.done;
        // After the poll: a rebalance during it may have moved partitions.
        await this.adoptAssignment(consumer);
        this.batches.add(records);
        const batch = this.batches.take(this.options);
        ready = batch !== undefined && this.batches.size > 0;
        if (!batch) continue;
        const prepared = this.prepare(batch);
        await this.storing?.done;
        this.storing = this.store(consumer, prepared);
      } catch (error) {
        // The batch being stored failed (or this one did): neither is kept.
        await this.storing?.done.catch(() => undefined);
        this.storing = undefined;
        if (signal.aborted) break;
        this.lastError = { at: Date.now(), message: String(error) };
        console.error('[strix] event batch failed, retrying from the last commit:', error);
        // Forget what was buffered; re-adopting reads each commit again, so a
        // failed batch whose range was recorded is re-formed exactly.
        this.batches.clear();
        await consumer.rewind().catch(() => undefined);
        await sleep(1000, undefined, { signal }).catch(() => undefined);
      }
    }
    // Stopping: the batch being stored finishes (or fails and is redone by the next start).
    await this.storing?.done.catch(() => undefined);
  }

  /**
   * Takes on partitions assigned since the last call: reads each one's commit
   * for an interrupted batch to re-form, and seeds the deduper with its events.
   */
  private async adoptAssignment(consumer: LogConsumer): Promise<void> {
    const fresh = this.batches.reconcile(consumer.assignment());
    if (fresh.length === 0) return;
    // Their commits are read once the batch being stored has committed (a partition may come back to us).
    await this.storing?.done;
    const commits = new Map<number, number>();
    for (const partition of fresh) {
      const position = await consumer.committed(partition);
      const inFlight = IN_FLIGHT.exec(position.metadata);
      const replay = inFlight && Number(inFlight[1]) === position.offset ? { first: position.offset, last: Number(inFlight[2]) } : undefined;
      this.batches.adopt(partition, replay);
      if (!this.seeded.has(partition)) commits.set(partition, position.offset);
    }
    await seedDeduper(this.deps.warehouse, this.deps.deduper, this.options.topic, commits);
    for (const partition of commits.keys()) this.seeded.add(partition);
  }

  /**
   * Records for the next batches, bounded so that what is buffered stays within one batch's limits.
   * While other partitions' records already wait (`ready`), it takes only what has arrived, so the
   * next insert starts as soon as the last one ends; otherwise it waits for a first record, then
   * lingers briefly for more.
   */
  private async pollBatch(consumer: LogConsumer, signal: AbortSignal, ready: boolean): Promise<ConsumedRecord[]> {
    const maxRecords = this.options.maxRecords - this.batches.size;
    const maxBytes = this.options.maxBytes - this.batches.bytes;
    if (ready) return maxRecords > 0 && maxBytes > 0 ? consumer.poll({ maxRecords, maxBytes, maxWaitMs: 0, signal }) : [];
    // Nothing ready (a replayed range may wait for its last records): at least one record more, however full.
    const records = await consumer.poll({ maxRecords: Math.max(1, maxRecords), maxBytes: Math.max(1, maxBytes), maxWaitMs: 500, signal });
    const more = { maxRecords: maxRecords - records.length, maxBytes: maxBytes - bytesOf(records) };
    if (records.length > 0 && more.maxRecords > 0 && more.maxBytes > 0 && !signal.aborted) {
      await sleep(this.options.lingerMs);
      records.push(...(await consumer.poll({ ...more, maxWaitMs: 0 })));
    }
    return records;
  }

  /** A partition's batch through the record steps (event-steps.ts): its rows and what was dropped or parked. */
  private prepare(records: ConsumedRecord[]): Prepared {
    const outcomes = new StepOutcomes();
    return { records, outcomes, rows: runRecordSteps(this.steps, records, outcomes) };
  }

  /** Starts the batch steps of a prepared batch, which commit its offsets last. */
  private store(consumer: LogConsumer, { records, rows, outcomes }: Prepared): Storing | undefined {
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last) return undefined;
    const token = `${first.topic}:${first.partition}:${first.offset}-${last.offset}`;
    const storing: Storing = {
      newEvents: outcomes.newEvents,
      failed: false,
      done: runBatchSteps(this.steps.batch, { consumer, records, token, rows, outcomes }).then(
        () => {
          this.lastError = undefined;
        },
        (error: unknown) => {
          storing.failed = true;
          throw error;
        },
      ),
    };
    // Awaited by the loop (before the next batch, after a poll, on stop); until then a failure is only noted.
    storing.done.catch(() => undefined);
    return storing;
  }
}

interface Prepared {
  readonly records: ConsumedRecord[];
  readonly rows: EventRow[];
  readonly outcomes: StepOutcomes;
}

interface Storing {
  readonly done: Promise<void>;
  readonly newEvents: BatchKeys;
  failed: boolean;
}
