import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topics, type Topic } from '@strix/contracts';
import { openDurableLog, type DurableLog } from './durable-log.ts';
import { drain, record, tempDir } from '@strix/testkit/temp-dir';

/** Appends `count` records of ~100 bytes, a few per call. */
async function fill(log: DurableLog, count: number, topic: Topic = Topics.events): Promise<void> {
  for (let i = 0; i < count; i += 4) {
    const n = Math.min(4, count - i);
    await log.append(topic, Array.from({ length: n }, (_, j) => record(`k${i + j}`, `${i + j}:`.padEnd(90, 'x'))));
  }
}

test('segments roll at segmentBytes and polls cross their boundaries', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir, segmentBytes: 1024 });
  await fill(log, 100);
  const files = (await readdir(join(dir, Topics.events))).filter((name) => name.endsWith('.seg')).sort();
  assert.equal(files.length, log.stats(Topics.events).segments);
  assert.ok(files.length >= 10, `expected many segments, got ${files.length}`);
  assert.equal(files[0], '00000000000000000000.seg');
  assert.match(files[1] ?? '', /^0{19}[1-9]\.seg$|^0{18}\d\d\.seg$/);

  const consumer = await log.consumer(Topics.events, 'g');
  const seen: number[] = [];
  for (;;) {
    const batch = await consumer.poll({ maxRecords: 7, maxWaitMs: 0 });
    if (batch.length === 0) break;
    assert.ok(batch.length <= 7);
    for (const r of batch) assert.equal(r.value.toString().split(':')[0], String(r.offset));
    seen.push(...batch.map((r) => r.offset));
  }
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));

  // A group resuming mid-log starts exactly at its commit, from the sparse index.
  const other = await log.consumer(Topics.events, 'mid');
  await other.commit(0, 57);
  await other.rewind();
  assert.deepEqual((await other.poll({ maxRecords: 3, maxWaitMs: 0 })).map((r) => r.offset), [57, 58, 59]);
  await log.close();

  const reopened = await openDurableLog({ dir, segmentBytes: 1024 });
  assert.equal((await drain(await reopened.consumer(Topics.events, 'again'))).length, 100);
  await reopened.close();
});

test('maxBytes bounds a poll but one oversize record is still returned', async (t) => {
  const log = await openDurableLog({ dir: await tempDir(t) });
  await log.append(Topics.events, [record('a', 'x'.repeat(100)), record('b', 'y'.repeat(100)), record('c', 'z'.repeat(5000))]);
  const consumer = await log.consumer(Topics.events, 'g');
  assert.deepEqual((await consumer.poll({ maxRecords: 10, maxBytes: 250, maxWaitMs: 0 })).map((r) => r.key), ['a', 'b']);
  assert.deepEqual((await consumer.poll({ maxRecords: 10, maxBytes: 10, maxWaitMs: 0 })).map((r) => r.key), ['c']);
  await log.close();
});

test('retention deletes only segments every group has committed past', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir, segmentBytes: 1024, retainBytes: 0 });
  const fast = await log.consumer(Topics.events, 'fast');
  const slow = await log.consumer(Topics.events, 'slow');
  await fill(log, 60);
  const before = log.stats(Topics.events);

  await log.retain();
  assert.deepEqual(log.stats(Topics.events), before, 'nothing is deleted before any commit');

  await fast.commit(0, 60);
  await slow.commit(0, 25);
  await log.retain();
  const partial = log.stats(Topics.events);
  assert.ok(partial.segments < before.segments, 'consumed segments were deleted');
  assert.ok(partial.firstOffset > 0 && partial.firstOffset <= 25, `firstOffset ${partial.firstOffset}`);
  await slow.rewind();
  const rest = await drain(slow);
  assert.deepEqual(rest.map((r) => r.offset), Array.from({ length: 35 }, (_, i) => 25 + i), 'unconsumed records remain');

  await slow.commit(0, 60);
  await log.retain();
  const after = log.stats(Topics.events);
  assert.equal(after.segments, 1, 'the active segment is never deleted');
  assert.equal(after.nextOffset, 60);
  await log.close();
});

test('a group that never commits, or no group at all, keeps every segment', async (t) => {
  const log = await openDurableLog({ dir: await tempDir(t), segmentBytes: 1024, retainBytes: 0, retainMs: 0 });
  await fill(log, 40, Topics.dlq);
  await log.retain();
  assert.equal(log.stats(Topics.dlq).firstOffset, 0, 'no group registered yet');
  await fill(log, 40);
  const done = await log.consumer(Topics.events, 'done');
  await log.consumer(Topics.events, 'idle');
  await done.commit(0, 40);
  await log.retain();
  assert.equal(log.stats(Topics.events).firstOffset, 0, 'the idle group has consumed nothing');
  await log.close();
});

test('age alone makes consumed segments eligible', async (t) => {
  const log = await openDurableLog({ dir: await tempDir(t), segmentBytes: 1024, retainMs: 1 });
  const consumer = await log.consumer(Topics.events, 'g');
  await fill(log, 40);
  await consumer.commit(0, 40);
  await sleep(5);
  await log.retain();
  assert.equal(log.stats(Topics.events).segments, 1);
  await log.close();
});

test('retention runs by itself after a commit', { timeout: 10_000 }, async (t) => {
  const log = await openDurableLog({ dir: await tempDir(t), segmentBytes: 1024, retainBytes: 0 });
  const consumer = await log.consumer(Topics.events, 'g');
  await fill(log, 40);
  await consumer.commit(0, 40);
  while (log.stats(Topics.events).segments > 1) await sleep(50);
  assert.ok(log.stats(Topics.events).firstOffset > 0);
  await log.close();
});

test('maxTopicBytes bounds the DLQ by dropping its oldest segments, consumed or not', async (t) => {
  const warnings: string[] = [];
  const log = await openDurableLog({
    dir: await tempDir(t),
    segmentBytes: 1024,
    maxTopicBytes: { [Topics.dlq]: 3000 },
    onWarning: (m) => warnings.push(m),
  });
  const reader = await log.consumer(Topics.dlq, 'inspector');
  await fill(log, 100, Topics.dlq);
  await fill(log, 100, Topics.events);
  await log.retain();
  const dlq = log.stats(Topics.dlq);
  assert.ok(dlq.bytes <= 3000, `dlq holds ${dlq.bytes} bytes`);
  assert.ok(dlq.firstOffset > 0);
  assert.equal(dlq.nextOffset, 100);
  assert.equal(log.stats(Topics.events).firstOffset, 0, 'topics without a cap are untouched');
  assert.match(warnings.join('\n'), /deleted \d+ records not yet consumed/);

  const remaining = await drain(reader);
  assert.equal(remaining[0]?.offset, dlq.firstOffset, 'the consumer skips what was dropped');
  assert.equal(remaining.at(-1)?.offset, 99);
  assert.match(warnings.join('\n'), /group inspector was at offset 0/);
  await log.close();
});
