import { setTimeout as sleep } from 'node:timers/promises';
import { Topics, type ConsumedRecord, type Log, type LogConsumer, type PipelineObserver, type Topic, type Warehouse } from '@strix/contracts';
import { DeadLetterSink } from './dead-letter-sink.ts';
import { createEventSteps, type EventSteps } from './event-steps.ts';
import { PartitionBatches } from './partition-batches.ts';
import { seedDeduper } from './seed-deduper.ts';
import type { EventDeduper } from './steps/dedupe.ts';
import { IN_FLIGHT } from './steps/offsets.ts';
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
 * Log → steps → warehouse, one batch per partition at a time. Offsets are
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

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions = defaultPipelineOptions,
  ) {
    this.steps = createEventSteps({ ...deps, deadLetters: new DeadLetterSink(deps), signal: this.abort.signal });
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
    while (!signal.aborted) {
      try {
        const records = await this.pollBatch(consumer, signal);
        // After the poll: a rebalance during it may have moved partitions.
        await this.adoptAssignment(consumer);
        this.batches.add(records);
        for (const batch of this.batches.take()) await this.handleBatch(consumer, batch);
        this.lastError = undefined;
      } catch (error) {
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
  }

  /**
   * Takes on partitions assigned since the last call: reads each one's commit
   * for an interrupted batch to re-form, and seeds the deduper with its events.
   */
  private async adoptAssignment(consumer: LogConsumer): Promise<void> {
    const fresh = this.batches.reconcile(consumer.assignment());
    if (fresh.length === 0) return;
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

  private async pollBatch(consumer: LogConsumer, signal: AbortSignal): Promise<ConsumedRecord[]> {
    const records = await consumer.poll({ ...this.options, maxWaitMs: 500, signal });
    if (records.length > 0 && records.length < this.options.maxRecords && !signal.aborted) {
      await sleep(this.options.lingerMs);
      records.push(...(await consumer.poll({ ...this.options, maxRecords: this.options.maxRecords - records.length, maxWaitMs: 0 })));
    }
    return records;
  }

  /** Processes one partition's batch end to end (the steps of event-steps.ts), committing its offsets last. */
  private async handleBatch(consumer: LogConsumer, records: ConsumedRecord[]): Promise<void> {
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last) return;
    const outcomes = new StepOutcomes();
    const rows = runRecordSteps(this.steps, records, outcomes);
    const token = `${first.topic}:${first.partition}:${first.offset}-${last.offset}`;
    await runBatchSteps(this.steps.batch, { consumer, records, token, rows, outcomes });
  }
}
