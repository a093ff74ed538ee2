/**
 * Append throughput of the embedded DurableLog, then read-back throughput.
 *
 *   node --import tsx bench/log-append.ts
 *   (LOG_BENCH_SECONDS, LOG_BENCH_CONCURRENCY, LOG_BENCH_RECORD_BYTES, LOG_BENCH_BATCH, LOG_BENCH_DIR to tune)
 *
 * `concurrency` callers each loop awaiting `append` of `batch` records, so the
 * figure is what group commit achieves when every append must be fsynced before
 * it resolves. Results depend mostly on the disk's fdatasync latency.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@strix/contracts';
import { openDurableLog } from '@strix/processors';

const seconds = Number(process.env.LOG_BENCH_SECONDS ?? 5);
const concurrency = Number(process.env.LOG_BENCH_CONCURRENCY ?? 64);
const recordBytes = Number(process.env.LOG_BENCH_RECORD_BYTES ?? 1024);
const batch = Number(process.env.LOG_BENCH_BATCH ?? 1);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env.LOG_BENCH_DIR ?? tmpdir(), 'strix-log-bench-'));
  try {
    const log = await openDurableLog({ dir });
    const value = Buffer.alloc(recordBytes, 'x');
    const records = Array.from({ length: batch }, (_, i) => ({ key: `project-${i % 16}`, value }));
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const caller = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await log.append(Topics.events, records);
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, caller));
    const elapsed = (performance.now() - started) / 1000;
    const { syncs, appends, appendedRecords } = log.metrics();
    latencies.sort((a, b) => a - b);
    console.log(`append: ${concurrency} callers, ${batch} x ${recordBytes} B records per append, ${elapsed.toFixed(1)} s, dir ${dir}`);
    console.log(`  ${Math.round(appends / elapsed)} appends/s, ${Math.round(appendedRecords / elapsed)} records/s, ` +
      `${((appendedRecords * recordBytes) / elapsed / 1024 / 1024).toFixed(1)} MiB/s`);
    console.log(`  ${syncs} fdatasyncs (${(appends / syncs).toFixed(1)} appends per fsync)`);
    console.log(`  latency ms p50 ${percentile(latencies, 0.5).toFixed(2)} p99 ${percentile(latencies, 0.99).toFixed(2)} ` +
      `max ${(latencies.at(-1) ?? 0).toFixed(2)}`);

    const consumer = await log.consumer(Topics.events, 'bench');
    const readStart = performance.now();
    let read = 0;
    for (;;) {
      const got = await consumer.poll({ maxRecords: 1000, maxWaitMs: 0 });
      if (got.length === 0) break;
      read += got.length;
    }
    const readElapsed = (performance.now() - readStart) / 1000;
    console.log(`poll: ${read} records in ${readElapsed.toFixed(2)} s, ${Math.round(read / readElapsed)} records/s`);
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
