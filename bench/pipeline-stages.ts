/**
 * CPU cost per event of each stage between the HTTP body and the warehouse,
 * measured in this one process, so a change to one stage can be judged without
 * the noise of the end-to-end run (other work shares the cores).
 *
 *   node --import tsx bench/pipeline-stages.ts      (STAGES_EVENTS, STAGES_USERS_PER_REQUEST, STAGES_CHDB=0 to tune)
 *
 * The events are those of e2e-throughput.ts. The processor stages run the
 * pipeline's own declared steps (createRecordSteps) through its runner, all
 * records as one batch; the batch steps after them are the chDB stage.
 * The chDB stage inserts the prepared JSONEachRow at two batch sizes, because
 * the pipeline's batch size is counted in log records, not events.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestBody, type ConsumedRecord, type LogRecord } from '@strix/contracts';
import { EventDeduper, StepOutcomes, createRecordSteps, encodeFrame, kafkaPartitionOf, type EventSource } from '@strix/processors';
import { migrate, sqlDir } from '@strix/warehouse';
import { ChdbWarehouse } from '@strix/warehouse/chdb';
import { ChdbSql } from '@strix/warehouse/chdb-sql';
import { HotKeys, toLogRecords, validateEvents, type Partitioning } from '@strix/edge';
import { benchEvent } from './http-load.ts';
import { validateMetrics, validateTrack } from '@strix/edge';

const totalEvents = Number(process.env.STAGES_EVENTS ?? 200_000);
const usersPerRequest = Number(process.env.STAGES_USERS_PER_REQUEST ?? 100);
const withChdb = process.env.STAGES_CHDB !== '0';
const batchSize = 100;
const requests = Math.ceil(totalEvents / batchSize);

let seq = 0;
function body(request: number): string {
  const now = Date.now();
  const events = Array.from({ length: batchSize }, (_, i) => {
    const n = seq++;
    const user = usersPerRequest >= batchSize ? n % 20000 : (request * usersPerRequest + (i % usersPerRequest)) % 20000;
    return benchEvent(n, i, `b-${String(request).padStart(8, '0')}-${i}`, `u-${user}`, now);
  });
  return JSON.stringify({ events });
}

/** Runs `fn` over every item and prints µs per event; returns the outputs. */
function stage<I, O>(name: string, inputs: readonly I[], fn: (input: I) => O): O[] {
  const out: O[] = [];
  const started = performance.now();
  for (const input of inputs) out.push(fn(input));
  const ms = performance.now() - started;
  console.log(`${name.padEnd(44)} ${((ms * 1000) / totalEvents).toFixed(2).padStart(7)} µs/event`);
  return out;
}

const principal = { projectId: 'p-bench-project-0000', appId: 'a-bench-app-0000', retentionDays: 90 };
const bodies = Array.from({ length: requests }, (_, r) => body(r));
console.log(`${totalEvents} events, ${batchSize} per request, ${usersPerRequest} distinct users per request`);

// Warm the JIT on a slice so every stage is measured at steady state.
for (const b of bodies.slice(0, 200)) validateEvents(IngestBody.parse(JSON.parse(b)).events, Date.now());

const parsedBodies = stage('edge: JSON.parse body', bodies, (b) => JSON.parse(b) as unknown);
const validated = stage('edge: IngestBody + validateEvents', parsedBodies, (b) => {
  const receivedAt = Date.now();
  return { receivedAt, ...validateEvents(IngestBody.parse(b).events, receivedAt) };
});
// STAGES_PARTITIONS=6 measures the Kafka layout (one record per partition a request's users fall in) instead of the embedded one.
const partitions = Number(process.env.STAGES_PARTITIONS ?? 1);
const partitioning: Partitioning | undefined =
  partitions > 1 ? { partitionOf: (key) => kafkaPartitionOf(Buffer.from(key), partitions), hotKeys: new HotKeys({ recordsPerSecond: Infinity }) } : undefined;
const records = stage(`edge: log records (${partitioning ? `one per partition of ${partitions}` : 'one per request'}) + frames`, validated, (v) => {
  const recs = toLogRecords(principal, v.receivedAt, v.accepted, partitioning).events;
  for (const r of recs) encodeFrame(r);
  return recs;
}).flat();
console.log(`  ${records.length} log records, ${(records.reduce((s, r) => s + r.value.length, 0) / totalEvents).toFixed(0)} bytes per event`);

const consumed: ConsumedRecord[] = records.map((r: LogRecord, offset) => ({ ...r, topic: 'events', partition: 0, offset }));
const deduper = new EventDeduper();
const steps = createRecordSteps({ deduper });
const outcomes = new StepOutcomes();
const parsed = stage('processor: parse step', consumed, (r) => ({ record: r, result: steps.parse(r) }));
const lines = stage('processor: dedupe, normalize, group, row steps', parsed, ({ record, result }) => {
  if (result.kind !== 'ok') throw new Error(result.kind);
  const source: EventSource = { record, batch: result.value, outcomes };
  const out: string[] = [];
  for (const raw of result.value.events) {
    const row = steps.event.run(raw, source);
    if (row.kind === 'ok') out.push(JSON.stringify(row.value));
  }
  return out;
}).flat();

// The track and metrics endpoints' validation, on the same events reshaped as their items (not fed to the stages above).
type BenchItem = ReturnType<typeof benchEvent>;
const reshaped = (to: (e: BenchItem) => object) => parsedBodies.map((b) => JSON.parse(JSON.stringify((b as { events: BenchItem[] }).events.map(to))) as unknown[]);
const logOnly = { level: undefined, message: undefined, attributes: undefined };
const trackItems = reshaped((e) => ({ ...e, ...logOnly, props: e.attributes }));
const metricItems = reshaped((e) => ({ ...e, ...logOnly, value: 12.5, unit: 'ms', tags: e.attributes }));
for (let i = 0; i < 200; i++) {
  validateTrack(trackItems[i] ?? [], Date.now());
  validateMetrics(metricItems[i] ?? [], Date.now());
}
stage('edge: validateTrack', trackItems, (items) => validateTrack(items, Date.now()));
stage('edge: validateMetrics', metricItems, (items) => validateMetrics(items, Date.now()));

if (withChdb) {
  const dir = await mkdtemp(join(tmpdir(), 'strix-stages-'));
  const warehouse = new ChdbWarehouse(join(dir, 'chdb'));
  // The prepared JSONEachRow goes to the engine as bytes, with the settings ChdbWarehouse.insert uses.
  const engine = ChdbSql.open(join(dir, 'chdb'));
  try {
    await migrate(warehouse, sqlDir);
    for (const rowsPerInsert of [1_000, 50_000]) {
      const slice = lines.slice(0, Math.min(lines.length, 100_000));
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < slice.length; i += rowsPerInsert) {
        const rows = Buffer.from(slice.slice(i, i + rowsPerInsert).join('\n'));
        await engine.insert({
          table: 'events',
          format: 'JSONEachRow',
          data: rows,
          settings: { date_time_input_format: 'best_effort', deduplicate_blocks_in_dependent_materialized_views: 1, insert_deduplication_token: `bench-${rowsPerInsert}-${i}` },
        });
      }
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      console.log(
        `chDB insert, ${String(rowsPerInsert).padStart(6)} rows per insert       ${((ms * 1000) / slice.length).toFixed(2).padStart(7)} µs/event wall, ` +
          `${((used.user + used.system) / slice.length).toFixed(2)} µs/event CPU (all threads)`,
      );
    }
  } finally {
    engine.close();
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}
