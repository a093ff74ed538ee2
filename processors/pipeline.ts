import { setTimeout as sleep } from 'node:timers/promises';
import {
  Topics,
  WarehouseError,
  type ConsumedRecord,
  type Log,
  type LogConsumer,
  type PipelineObserver,
  type Warehouse,
} from '@strix/contracts';
import { EventDeduper } from './steps/dedupe.ts';
import { fingerprintOf } from './steps/fingerprint.ts';
import { normalizeEvent } from './steps/normalize.ts';
import { seedDeduper } from './seed-deduper.ts';
import { parseRecord } from './steps/parse-record.ts';
import { toEventRow } from './steps/to-event-row.ts';

export interface PipelineDeps {
  log: Log;
  warehouse: Warehouse;
  deduper: EventDeduper;
  observer: PipelineObserver;
}

export interface PipelineOptions {
  group: string;
  /** Log records (ingest requests) per warehouse insert. */
  maxRecords: number;
  maxBytes: number;
  /** How long to wait for more records before inserting a small batch. */
  lingerMs: number;
}

export const defaultPipelineOptions: PipelineOptions = {
  group: 'events-processor',
  maxRecords: 1000,
  maxBytes: 16 * 1024 * 1024,
  lingerMs: 25,
};

interface PreparedBatch {
  rows: Buffer;
  rowCount: number;
  keys: { key: string; receivedAt: number }[];
  duplicates: number;
  deadLetters: { record: ConsumedRecord; reason: string }[];
}

/** Commit metadata naming the batch about to be inserted: `inflight:<first>-<last>`. */
const IN_FLIGHT = /^inflight:(\d+)-(\d+)$/;

/**
 * Log → steps → warehouse. Offsets are committed only after the insert
 * succeeded, and the insert's deduplication token is derived from the batch's
 * offset range, so a retried insert is a no-op for the table and for each of
 * its materialized views.
 *
 * A crash between the insert and the commit can leave it half done (the
 * table's part written, a view's not). Before inserting, the pipeline commits
 * the batch's range as metadata at the current offset; on restart it re-forms
 * exactly that batch (same records, same deduper state: see `seedDeduper`) and
 * re-inserts it with the same token, which fills in only what is missing.
 */
export class EventPipeline {
  private consumer?: LogConsumer;
  /** The batch that was in flight when the previous process stopped, to re-form first. */
  private replay?: { partition: number; first: number; last: number };
  private running?: Promise<void>;
  private readonly abort = new AbortController();
  private lastError?: { at: number; message: string };

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions = defaultPipelineOptions,
  ) {}

  async start(): Promise<void> {
    const consumer = await this.deps.log.consumer(Topics.events, this.options.group);
    // The embedded log has one partition; the Kafka adapter's assignment hooks generalise this.
    const partition = 0;
    const position = await consumer.committed(partition);
    const inFlight = IN_FLIGHT.exec(position.metadata);
    if (inFlight && Number(inFlight[1]) === position.offset) {
      this.replay = { partition, first: position.offset, last: Number(inFlight[2]) };
    }
    await seedDeduper(this.deps.warehouse, this.deps.deduper, new Map([[partition, position.offset]]));
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
        const replay = this.replay;
        const records = replay ? await this.pollRange(consumer, replay.first, replay.last) : await this.pollBatch(consumer, signal);
        if (records.length === 0) continue;
        await this.handleBatch(consumer, records);
        if (replay) {
          this.replay = undefined;
          await consumer.rewind(); // drop anything read past the re-formed batch
        }
        this.lastError = undefined;
      } catch (error) {
        if (signal.aborted) break;
        this.lastError = { at: Date.now(), message: String(error) };
        console.error('[strix] event batch failed, retrying from the last commit:', error);
        await consumer.rewind();
        await sleep(1000, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async pollBatch(consumer: LogConsumer, signal: AbortSignal): Promise<ConsumedRecord[]> {
    const records = await consumer.poll({ ...this.options, maxWaitMs: 500, signal });
    if (records.length > 0 && records.length < this.options.maxRecords && !signal.aborted) {
      await sleep(this.options.lingerMs);
      records.push(...(await consumer.poll({ ...this.options, maxRecords: this.options.maxRecords - records.length, maxWaitMs: 0 })));
    }
    return records;
  }

  /** Every record from `first` (the read position) up to `last` inclusive, whatever the size limits. */
  private async pollRange(consumer: LogConsumer, first: number, last: number): Promise<ConsumedRecord[]> {
    const records: ConsumedRecord[] = [];
    for (;;) {
      const end = records.at(-1)?.offset ?? first - 1;
      if (end >= last) break;
      const more = await consumer.poll({ maxRecords: last - end, maxBytes: Number.MAX_SAFE_INTEGER, maxWaitMs: 0 });
      if (more.length === 0) break;
      records.push(...more);
    }
    return records.filter((r) => r.offset <= last);
  }

  /** Processes one polled batch end to end, committing its offsets last. */
  private async handleBatch(consumer: LogConsumer, records: ConsumedRecord[]): Promise<void> {
    const first = records[0];
    const last = records[records.length - 1];
    if (!first || !last) return;
    const batch = this.prepare(records);
    if (batch.deadLetters.length > 0) await this.deadLetter(batch.deadLetters);
    if (batch.rowCount > 0) {
      await consumer.commit(first.partition, first.offset, `inflight:${first.offset}-${last.offset}`);
      const token = `${Topics.events}:${first.partition}:${first.offset}-${last.offset}`;
      await this.insertWithRetry(batch, token);
    }
    for (const { key, receivedAt } of batch.keys) this.deps.deduper.add(key, receivedAt);
    if (batch.duplicates > 0) this.deps.observer.duplicatesDropped(batch.duplicates);
    await consumer.commit(last.partition, last.offset + 1);
  }

  private prepare(records: ConsumedRecord[]): PreparedBatch {
    const lines: string[] = [];
    const keys: PreparedBatch['keys'] = [];
    const inBatch = new Set<string>();
    const deadLetters: PreparedBatch['deadLetters'] = [];
    let duplicates = 0;
    for (const record of records) {
      const parsed = parseRecord(record.value);
      if (parsed.kind !== 'ok') {
        deadLetters.push({ record, reason: parsed.reason });
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
        const fingerprint =
          event.level === 'error' ? fingerprintOf(batch.app_id, event.is_dev, event.source_module ?? '', event.message) : '';
        lines.push(JSON.stringify(toEventRow(record, batch, event, fingerprint)));
      }
    }
    return { rows: Buffer.from(lines.join('\n')), rowCount: lines.length, keys, duplicates, deadLetters };
  }

  private async insertWithRetry(batch: PreparedBatch, token: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        await this.deps.warehouse.insertRaw('events', batch.rows, { dedupToken: token });
        this.deps.observer.eventsInserted(batch.rowCount, (performance.now() - started) / 1000);
        return;
      } catch (error) {
        this.deps.observer.insertFailed();
        const retryable = !(error instanceof WarehouseError) || error.retry;
        if (!retryable || attempt >= 5 || this.abort.signal.aborted) throw error;
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  }

  private async deadLetter(items: PreparedBatch['deadLetters']): Promise<void> {
    await this.deps.log.append(
      Topics.dlq,
      items.map(({ record, reason }) => ({
        key: record.key,
        value: Buffer.from(
          JSON.stringify({
            reason,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            failed_at: Date.now(),
            value_base64: record.value.toString('base64'),
          }),
        ),
      })),
    );
    for (const { reason } of items) this.deps.observer.deadLettered(reason.split(':')[0] ?? reason, 1);
  }
}
