import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Topics, type EventBatchRecord, type PipelineObserver, type Warehouse } from '@strix/contracts';
import { openStore } from '@strix/testkit/stores';
import { tempDir } from '@strix/testkit/temp-dir';
import { openDurableLog } from '../log/durable-log.ts';
import { defaultPipelineOptions } from '../pipeline.ts';
import { PipelineThread } from './pipeline-thread.ts';

function batchRecord(name: string, ids: readonly string[], retentionDays = 30): { key: string; value: Buffer } {
  const now = Date.now();
  const record: EventBatchRecord = {
    v: 1,
    project_id: 'p1',
    app_id: 'a1',
    retention_days: retentionDays,
    received_at: now,
    events: ids.map((event_id) => ({ event_id, ts: now, level: 'info' as const, message: name, name, is_dev: false })),
  };
  return { key: 'p1', value: Buffer.from(JSON.stringify(record)) };
}

class CountingObserver implements PipelineObserver {
  inserted = 0;
  readonly letters: string[] = [];
  eventsInserted(count: number): void {
    this.inserted += count;
  }
  duplicatesDropped(): void {}
  deadLettered(reason: string): void {
    this.letters.push(reason);
  }
  insertFailed(): void {}
}

async function count(wh: Warehouse, sql: string): Promise<number> {
  const [row] = await wh.query<{ n: string }>(sql);
  return Number(row?.n);
}

async function until(what: string, done: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('the pipeline thread stores the log through the engines of this thread, refused rows and observer included', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const { wh, close } = await openStore('p1');
  const log = await openDurableLog({ dir: join(dir, 'log') });
  const observer = new CountingObserver();
  await log.append(Topics.events, [batchRecord('app_open', ['e1', 'e2', 'e3']), batchRecord('poison', ['bad'], 70_000), batchRecord('app_open', ['e4'])]);

  const thread = await PipelineThread.start(
    { log, warehouse: wh, observer },
    { pipelines: [{ ...defaultPipelineOptions, lingerMs: 0 }], dedupe: {} },
  );
  t.after(async () => {
    await thread.stop();
    await log.close();
    await close();
  });
  await until('the log to drain', () => thread.lag() === 0);

  assert.equal(await count(wh, 'SELECT count() AS n FROM events'), 4);
  // The engine's refusal crossed as a content error: the poison row alone was bisected out and parked.
  assert.equal(await count(wh, "SELECT count() AS n FROM dead_letters WHERE event_id = 'bad'"), 1);
  assert.equal(observer.inserted, 4);
  assert.equal(observer.letters.length, 1);
  assert.ok(thread.isHealthy());
});

test('a pipeline thread that dies is started again and resumes from the last commit, storing nothing twice', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const { wh, close } = await openStore('p1');
  const log = await openDurableLog({ dir: join(dir, 'log') });
  const thread = await PipelineThread.start(
    { log, warehouse: wh, observer: new CountingObserver() },
    { pipelines: [{ ...defaultPipelineOptions, lingerMs: 0 }], dedupe: {} },
  );
  t.after(async () => {
    await thread.stop();
    await log.close();
    await close();
  });
  await log.append(Topics.events, [batchRecord('app_open', ['e1', 'e2'])]);
  await until('the first records', () => thread.lag() === 0);

  // What a crash of the thread alone looks like from here (a bug in it, say): it exits.
  const worker = (thread as unknown as { worker: { terminate(): Promise<number> } }).worker;
  await worker.terminate();
  await log.append(Topics.events, [batchRecord('app_open', ['e3']), batchRecord('app_open', ['e1'])]);
  await until('the records after the restart', async () => thread.lag() === 0 && (await count(wh, 'SELECT count() AS n FROM events')) >= 3);

  assert.equal(await count(wh, 'SELECT count() AS n FROM events'), 3, 'e1 was stored once: the new thread seeded its deduper from the warehouse');
  assert.ok(thread.isHealthy());
});

test('a pipeline thread whose pipelines cannot start fails its start and leaves no thread behind', { timeout: 30_000 }, async (t) => {
  const dir = await tempDir(t);
  const { wh, close } = await openStore('p1');
  t.after(close);
  const log = await openDurableLog({ dir: join(dir, 'log') });
  await log.close();
  const thread = PipelineThread.start(
    { log, warehouse: wh, observer: new CountingObserver() },
    { pipelines: [defaultPipelineOptions], dedupe: {} },
  );
  await assert.rejects(thread, /closed/);
  // A thread left running would keep this file's process alive past its timeout.
});
