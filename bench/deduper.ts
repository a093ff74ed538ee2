/**
 * The processor's duplicate check alone: memory per remembered key and time per
 * check, filled to its cap as a long-running processor is.
 *
 *   npm run bench:deduper -w @strix/bench      (DEDUPER_KEYS, default the 2M cap)
 *
 * Keys are those of the pipeline: three projects' apps and UUID event ids.
 * Memory is the process's heap and array buffers after a full GC, against an
 * empty deduper; time is per `checkAndAdd` of a new key, then of a duplicate.
 * Last, the pipeline's own use on another deduper: the dedupe step over batches
 * of 50,000 new events (checked against the batch and the one being stored),
 * then the commit's `learn`, per event.
 */
import { randomUUID } from 'node:crypto';
import { EventDeduper, StepOutcomes, createDedupeStep, type EventSource } from '@strix/processors';

const keys = Number(process.env.DEDUPER_KEYS ?? 2_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (see the header)');

const apps = [['proj_01JD8V3M4W7Q2Z5X9K6T1R0N8B', 'app_01JD8V3M4W7Q2Z5X9K6T1R0N8C'], ['proj_01JD8V3N0A', 'app_01JD8V3N0B'], ['proj_01JD8V3P7Z', 'app_01JD8V3P7Y']] as const;
// Made afresh for each call, as the pipeline makes them, so the deduper alone holds what it keeps.
const salt = randomUUID().slice(0, 23);
const keyOf = (i: number) => {
  const [project, app] = apps[i % 3]!;
  return EventDeduper.keyOf(project, app, `${salt}-${i.toString(16).padStart(12, '0')}`);
};

function memory(): number {
  gc!();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

let started = performance.now();
let length = 0;
for (let i = 0; i < keys; i += 1) length += keyOf(i).length;
const makeNs = ((performance.now() - started) * 1e6) / keys;

const before = memory();
const deduper = new EventDeduper({ maxKeys: keys });
const now = Date.now();
started = performance.now();
for (let i = 0; i < keys; i += 1) deduper.checkAndAdd(keyOf(i), now);
const addNs = ((performance.now() - started) * 1e6) / keys;
const bytes = memory() - before;
started = performance.now();
let duplicates = 0;
for (let i = 0; i < keys; i += 1) if (deduper.checkAndAdd(keyOf(i), now)) duplicates += 1;
const checkNs = ((performance.now() - started) * 1e6) / keys;
if (duplicates !== keys) throw new Error(`${keys - duplicates} duplicates were not recognised`);
console.log(`${keys} keys: ${(bytes / 2 ** 20).toFixed(0)} MiB, ${(bytes / keys).toFixed(0)} bytes per key`);
console.log(`checkAndAdd: ${(addNs - makeNs).toFixed(0)} ns per new key, ${(checkNs - makeNs).toFixed(0)} ns per duplicate (making a key of ${(length / keys).toFixed(0)} characters, ${makeNs.toFixed(0)} ns, not counted)`);

const pipelineDeduper = new EventDeduper();
let storing: StepOutcomes | undefined;
const step = createDedupeStep({ deduper: pipelineDeduper, storing: () => storing?.newEvents });
const batchSize = 50_000;
const batches = Math.max(1, Math.floor(Math.min(keys, 1_000_000) / batchSize));
let stepMs = 0;
let learnMs = 0;
for (let b = 0; b < batches; b += 1) {
  const [project, app] = apps[b % 3]!;
  const batch = { v: 1 as const, project_id: project, app_id: app, retention_days: 30, received_at: now, events: [] };
  const source: EventSource = { record: { topic: 'events', partition: 0, offset: b, key: project, value: Buffer.alloc(0) }, batch, outcomes: new StepOutcomes() };
  const events = Array.from({ length: batchSize }, (_, i) => ({ event_id: `${salt}-${(b * batchSize + i).toString(16).padStart(12, '0')}`, ts: now, level: 'info', message: '', is_dev: false }) as const);
  started = performance.now();
  for (const event of events) if (step(event, source).kind !== 'ok') throw new Error('a new event was taken for a duplicate');
  stepMs += performance.now() - started;
  started = performance.now();
  pipelineDeduper.learn(source.outcomes.newEvents);
  learnMs += performance.now() - started;
  storing = source.outcomes;
}
const events = batches * batchSize;
console.log(`pipeline use, ${events} new events in batches of ${batchSize}: dedupe step ${((stepMs * 1e6) / events).toFixed(0)} ns, commit ${((learnMs * 1e6) / events).toFixed(0)} ns per event`);
