/** A fresh temporary directory per test, removed when the test ends. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ConsumedRecord, LogConsumer } from '@strix/contracts';

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strix-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Everything the consumer can read right now, in as many polls as it takes. */
export async function drain(consumer: LogConsumer, maxRecords = 1000): Promise<ConsumedRecord[]> {
  const all: ConsumedRecord[] = [];
  for (;;) {
    const batch = await consumer.poll({ maxRecords, maxWaitMs: 0 });
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

export function record(key: string, value: string): { key: string; value: Buffer } {
  return { key, value: Buffer.from(value) };
}
