import { setTimeout as sleep } from 'node:timers/promises';
import {
  Topics,
  WarehouseError,
  type ConsumedRecord,
  type Log,
  type LogConsumer,
  type PipelineObserver,
  type Topic,
  type Warehouse,
} from '@strix/contracts';
import { DeadLetterSink, recordOwner, type DeadLetter } from './dead-letter-sink.ts';
import { insertIsolatingPoison, type RefusedRow } from './isolate-poison.ts';
import { EventDeduper } from './steps/dedupe.ts';
import { groupEvent } from '@strix/grouping';
import { fillDurations } from './steps/metric-durations.ts';
import { normalizeEvent } from './steps/normalize.ts';
import { PartitionBatches } from './partition-batches.ts';
import { seedDeduper } from './seed-deduper.ts';
import { parseRecord } from './steps/parse-record.ts';
import { toEventRow } from './steps/to-event-row.ts';
import type { EventRow } from '@strix/warehouse';

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

interface PreparedBatch {
  /** Rows for the warehouse; each adapter picks its wire format (JSONEachRow for chDB, RowBinary for a server). */
  rows: EventRow[];
  keys: { key: string; receivedAt: number }[];
  duplicates: number;
  /** Records that are not event batches. */
  unreadable: { record: ConsumedRecord; reason: string }[];
}

/** Commit metadata naming the batch about to be inserted: `inflight:<first>-<last>`. */
const IN_FLIGHT = /^inflight:(\d+)-(\d+)$/;

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
  private readonly deadLetters: DeadLetterSink;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions = defaultPipelineOptions,
  ) {
    this.deadLetters = new DeadLetterSink(deps);
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

  /** Processes one partition's batch end to end, committing its offsets last. */
  private async handleBatch(consumer: LogConsumer, records: ConsumedRecord[]): Promise<void> {
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last) return;
    const batch = this.prepare(records);
    if (batch.rows.length > 0 || batch.unreadable.length > 0) {
      if (batch.rows.length > 0) await fillDurations(this.deps.warehouse, batch.rows);
      await consumer.commit(first.partition, first.offset, `inflight:${first.offset}-${last.offset}`);
      const token = `${first.topic}:${first.partition}:${first.offset}-${last.offset}`;
      const refused = await insertIsolatingPoison((rows, t) => this.insertWithRetry(rows, t), batch.rows, token);
      await this.deadLetters.park([...batch.unreadable.map(unreadableLetter), ...refusedLetters(records, refused)], token);
    }
    for (const { key, receivedAt } of batch.keys) this.deps.deduper.add(key, receivedAt);
    if (batch.duplicates > 0) this.deps.observer.duplicatesDropped(batch.duplicates);
    await consumer.commit(last.partition, last.offset + 1);
  }

  private prepare(records: ConsumedRecord[]): PreparedBatch {
    const rows: EventRow[] = [];
    const keys: PreparedBatch['keys'] = [];
    const inBatch = new Set<string>();
    const unreadable: PreparedBatch['unreadable'] = [];
    let duplicates = 0;
    for (const record of records) {
      const parsed = parseRecord(record.value);
      if (parsed.kind !== 'ok') {
        unreadable.push({ record, reason: parsed.reason });
        continue;
      }
      const batch = parsed.value;
      for (const raw of batch.events) {
        const key = EventDeduper.keyOf(batch.project_id, batch.app_id, raw.event_id);
        if (inBatch.has(key) || this.deps.deduper.seen(key)) {
          duplicates++;
          continue;
        }
        inBatch.add(key);
        keys.push({ key, receivedAt: batch.received_at });
        const event = normalizeEvent(raw);
        const { is_dev, level, source_module, message, fingerprint, exception } = event;
        const grouping = groupEvent({ app_id: batch.app_id, is_dev, level, source_module, message, fingerprint, exception });
        rows.push(toEventRow(record, batch, event, grouping));
      }
    }
    return { rows, keys, duplicates, unreadable };
  }

  /** One insert, retried while the warehouse says a retry may pass; anything else is thrown. */
  private async insertWithRetry(rows: readonly EventRow[], token: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        await this.deps.warehouse.insert('events', rows, { dedupToken: token });
        this.deps.observer.eventsInserted(rows.length, (performance.now() - started) / 1000);
        return;
      } catch (error) {
        this.deps.observer.insertFailed();
        const retryable = !(error instanceof WarehouseError) || error.retry;
        if (!retryable || attempt >= 5 || this.abort.signal.aborted) throw error;
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  }
}

function unreadableLetter({ record, reason }: PreparedBatch['unreadable'][number]): DeadLetter {
  return { record, reason, ...recordOwner(record.value), eventId: '', payload: record.value };
}

/** A refused row's letter carries the row itself: the record's other events were stored. */
function refusedLetters(records: readonly ConsumedRecord[], refused: readonly RefusedRow<EventRow>[]): DeadLetter[] {
  if (refused.length === 0) return [];
  const byOffset = new Map(records.map((r) => [r.offset, r]));
  return refused.flatMap(({ row, reason }) => {
    const record = byOffset.get(row.log_offset);
    if (!record) return [];
    return [{
      record,
      reason: `warehouse refused the event: ${reason}`,
      projectId: row.project_id,
      appId: row.app_id,
      eventId: row.event_id,
      payload: Buffer.from(JSON.stringify(row)),
    }];
  });
}
