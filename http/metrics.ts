import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineObserver } from '@strix/contracts';

export interface PipelineGauges {
  logLag: () => number;
  /** Records held in the dead-letter topic, where the log can tell cheaply (the embedded one). */
  dlqRecords?: () => number;
}

/** Strix's Prometheus metrics; one instance per process, passed to whoever reports. */
export class StrixMetrics implements PipelineObserver {
  readonly registry = new Registry();
  private readonly ingested: Counter;
  private readonly rejects: Counter;
  private readonly requests: Counter;
  private readonly inserted: Counter;
  private readonly insertLatency: Histogram;
  private readonly duplicates: Counter;
  private readonly deadLetters: Counter;
  private readonly insertFailures: Counter;
  private readonly overflow: Counter;

  constructor(gauges?: PipelineGauges) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'strix_' });
    this.ingested = new Counter({ name: 'strix_ingest_events_total', help: 'Events accepted at the edge', registers });
    this.rejects = new Counter({
      name: 'strix_ingest_rejects_total',
      help: 'Events or requests rejected at the edge, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.requests = new Counter({
      name: 'strix_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.inserted = new Counter({ name: 'strix_warehouse_events_inserted_total', help: 'Events inserted', registers });
    this.insertLatency = new Histogram({
      name: 'strix_warehouse_insert_seconds',
      help: 'Warehouse insert latency per batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.duplicates = new Counter({ name: 'strix_dedupe_dropped_total', help: 'Duplicate events dropped', registers });
    this.deadLetters = new Counter({
      name: 'strix_dlq_records_total',
      help: 'Records sent to the dead-letter queue, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.insertFailures = new Counter({
      name: 'strix_warehouse_insert_failures_total',
      help: 'Failed warehouse inserts (retried)',
      registers,
    });
    this.overflow = new Counter({
      name: 'strix_ingest_overflow_records_total',
      help: 'Log records of hot keys redirected to the overflow topic',
      registers,
    });
    if (gauges) {
      new Gauge({
        name: 'strix_log_lag_records',
        help: 'Log records appended but not yet processed',
        registers,
        collect() {
          this.set(gauges.logLag());
        },
      });
      const dlqRecords = gauges.dlqRecords;
      if (dlqRecords) {
        new Gauge({
          name: 'strix_dlq_size_records',
          help: 'Records currently held in the dead-letter queue',
          registers,
          collect() {
            this.set(dlqRecords());
          },
        });
      }
    }
  }

  accepted(count: number): void {
    this.ingested.inc(count);
  }
  rejected(reason: string, count = 1): void {
    this.rejects.inc({ reason }, count);
  }
  request(route: string, status: number): void {
    this.requests.inc({ route, status: String(status) });
  }
  eventsInserted(count: number, seconds: number): void {
    this.inserted.inc(count);
    this.insertLatency.observe(seconds);
  }
  duplicatesDropped(count: number): void {
    this.duplicates.inc(count);
  }
  deadLettered(reason: string, count: number): void {
    this.deadLetters.inc({ reason }, count);
  }
  insertFailed(): void {
    this.insertFailures.inc();
  }
  overflowed(records: number): void {
    this.overflow.inc(records);
  }
}
