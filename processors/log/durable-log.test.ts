import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Topics } from '@strix/contracts';
import { openDurableLog } from './durable-log.ts';
import { drain, record, tempDir } from '@strix/testkit/temp-dir';

test('append then poll returns records in order with keys and values', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir });
  await log.append(Topics.events, [record('p1', 'a'), record('p2', 'b')]);
  await log.append(Topics.events, [{ key: 'ключ', value: Buffer.from([0, 255, 1]) }, record('', '')]);
  const consumer = await log.consumer(Topics.events, 'proc');
  const got = await consumer.poll({ maxRecords: 10, maxWaitMs: 0 });
  assert.deepEqual(
    got.map((r) => [r.topic, r.partition, r.offset, r.key, [...r.value]]),
    [
      ['events', 0, 0, 'p1', [...Buffer.from('a')]],
      ['events', 0, 1, 'p2', [...Buffer.from('b')]],
      ['events', 0, 2, 'ключ', [0, 255, 1]],
      ['events', 0, 3, '', []],
    ],
  );
  assert.deepEqual(await drain(await log.consumer(Topics.dlq, 'proc')), [], 'topics are separate');
  await log.close();
});

test('offsets continue across reopen', async (t) => {
  const dir = await tempDir(t);
  const first = await openDurableLog({ dir });
  await first.append(Topics.events, [record('k', '0'), record('k', '1')]);
  await first.close();
  const second = await openDurableLog({ dir });
  assert.equal(second.stats(Topics.events).nextOffset, 2);
  await second.append(Topics.events, [record('k', '2')]);
  const all = await drain(await second.consumer(Topics.events, 'g'));
  assert.deepEqual(all.map((r) => [r.offset, r.value.toString()]), [[0, '0'], [1, '1'], [2, '2']]);
  await second.close();
});

test('committed offset survives reopen; rewind, lag and forward-only commits', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir });
  await log.append(Topics.events, ['0', '1', '2', '3', '4'].map((v) => record('k', v)));
  const consumer = await log.consumer(Topics.events, 'proc');
  assert.equal(consumer.lag(), 5);
  const batch = await consumer.poll({ maxRecords: 3, maxWaitMs: 0 });
  assert.deepEqual(batch.map((r) => r.offset), [0, 1, 2]);
  await consumer.commit(0, 3);
  assert.equal(consumer.lag(), 2);
  assert.deepEqual((await consumer.poll({ maxRecords: 10, maxWaitMs: 0 })).map((r) => r.offset), [3, 4]);
  await consumer.rewind();
  assert.deepEqual((await consumer.poll({ maxRecords: 10, maxWaitMs: 0 })).map((r) => r.offset), [3, 4]);
  await consumer.commit(0, 1);
  assert.equal(consumer.lag(), 2, 'a commit behind the last one is ignored');
  await assert.rejects(consumer.commit(0, 6), RangeError);
  await assert.rejects(consumer.commit(1, 4), /only partition 0/);
  await log.close();

  const reopened = await openDurableLog({ dir });
  const resumed = await reopened.consumer(Topics.events, 'proc');
  assert.equal(resumed.lag(), 2);
  assert.deepEqual((await resumed.poll({ maxRecords: 10, maxWaitMs: 0 })).map((r) => r.offset), [3, 4]);
  await resumed.commit(0, 5);
  assert.equal(resumed.lag(), 0);
  const fresh = await reopened.consumer(Topics.events, 'other');
  assert.equal(fresh.lag(), 5, 'a new group starts at the beginning');
  await assert.rejects(reopened.consumer(Topics.events, '../escape'), /consumer group/);
  await reopened.close();
});

test('commit metadata survives reopen and is replaced by a commit at the same offset', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir });
  await log.append(Topics.events, ['0', '1', '2'].map((v) => record('k', v)));
  const consumer = await log.consumer(Topics.events, 'proc');
  assert.deepEqual(await consumer.committed(0), { offset: 0, metadata: '' });
  await consumer.commit(0, 0, 'batch:0-2');
  assert.deepEqual(await consumer.committed(0), { offset: 0, metadata: 'batch:0-2' });
  await assert.rejects(consumer.commit(0, 1, 'two\nlines'), /one line/);
  await log.close();

  const reopened = await openDurableLog({ dir });
  const resumed = await reopened.consumer(Topics.events, 'proc');
  assert.deepEqual(await resumed.committed(0), { offset: 0, metadata: 'batch:0-2' });
  await resumed.commit(0, 3);
  assert.deepEqual(await resumed.committed(0), { offset: 3, metadata: '' }, 'a later commit without metadata clears it');
  await reopened.close();
});

test('poll waits for a concurrent append and returns it', { timeout: 10_000 }, async (t) => {
  const log = await openDurableLog({ dir: await tempDir(t) });
  const consumer = await log.consumer(Topics.events, 'g');
  // maxWaitMs far beyond the test timeout: only the append notification can end this poll in time.
  const polled = consumer.poll({ maxRecords: 10, maxWaitMs: 600_000 });
  setTimeout(() => {
    log.append(Topics.events, [record('k', 'late')]).catch(assert.fail);
  }, 50);
  const got = await polled;
  assert.deepEqual(got.map((r) => r.value.toString()), ['late']);
  await log.close();
});

test('poll returns [] when maxWaitMs passes or the signal aborts, and rejects once the log closes', { timeout: 10_000 }, async (t) => {
  const log = await openDurableLog({ dir: await tempDir(t) });
  const consumer = await log.consumer(Topics.events, 'g');
  assert.deepEqual(await consumer.poll({ maxRecords: 10, maxWaitMs: 30 }), []);
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 30);
  assert.deepEqual(await consumer.poll({ maxRecords: 10, maxWaitMs: 600_000, signal: abort.signal }), []);
  const waiting = assert.rejects(consumer.poll({ maxRecords: 10, maxWaitMs: 600_000 }), /log is closed/);
  await log.close();
  // A rejection, not []: a consumer loop treating [] as "nothing yet" would spin on a closed log.
  await waiting;
  await assert.rejects(consumer.poll({ maxRecords: 10, maxWaitMs: 0 }), /log is closed/);
});

test('group commit: 200 concurrent appends share far fewer fdatasyncs and stay contiguous', async (t) => {
  const log = await openDurableLog({ dir: await tempDir(t) });
  const appends = Array.from({ length: 200 }, (_, i) =>
    log.append(Topics.events, [record(`a${i}`, '0'), record(`a${i}`, '1'), record(`a${i}`, '2')]),
  );
  assert.ok(log.pendingBytes() > 0, 'unsettled appends count as pending');
  await Promise.all(appends);
  assert.equal(log.pendingBytes(), 0);
  const { syncs, appends: calls } = log.metrics();
  assert.equal(calls, 200);
  assert.ok(syncs < 20, `expected group commit to batch fsyncs, got ${syncs} for 200 appends`);

  const all = await drain(await log.consumer(Topics.events, 'g'));
  assert.equal(all.length, 600);
  for (let i = 0; i < all.length; i += 3) {
    const [a, b, c] = [all[i], all[i + 1], all[i + 2]];
    assert.ok(a && b && c);
    assert.equal(a.key, b.key);
    assert.equal(b.key, c.key);
    assert.deepEqual([a.value, b.value, c.value].map(String), ['0', '1', '2']);
  }
  assert.equal(new Set(all.map((r) => r.key)).size, 200);
  await log.close();
});

test('close flushes pending appends, is idempotent, and later appends reject', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir, groupCommitMs: 20 });
  const appended = log.append(Topics.events, [record('k', 'v')]);
  await Promise.all([log.close(), log.close()]);
  await appended;
  await assert.rejects(log.append(Topics.events, [record('k', 'v')]), /closed/);
  await assert.rejects(access(join(dir, 'LOCK')), 'the lock is released');
  const reopened = await openDurableLog({ dir });
  assert.equal(reopened.stats(Topics.events).nextOffset, 1);
  await reopened.close();
});

test('the directory lock rejects a second owner and takes over a stale one', async (t) => {
  const dir = await tempDir(t);
  const log = await openDurableLog({ dir });
  await assert.rejects(openDurableLog({ dir }), /already open in this process/);
  await log.close();
  const racing = await Promise.allSettled([openDurableLog({ dir }), openDurableLog({ dir })]);
  const winners = racing.filter((r) => r.status === 'fulfilled');
  assert.equal(winners.length, 1, 'concurrent opens in one process: exactly one wins');
  await winners[0]?.value.close();

  // The test runner that spawned this process is alive and is not us.
  await writeFile(join(dir, 'LOCK'), `${process.ppid}\n`);
  await assert.rejects(openDurableLog({ dir }), new RegExp(`locked by running process ${process.ppid}`));

  const exited = spawnSync(process.execPath, ['-e', '']);
  await writeFile(join(dir, 'LOCK'), `${exited.pid}\n`);
  const takenOver = await openDurableLog({ dir });
  await takenOver.close();
});

test('invalid options and oversized keys are rejected with the field named', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(openDurableLog({ dir, segmentBytes: 0 }), /segmentBytes/);
  const log = await openDurableLog({ dir });
  await assert.rejects(log.append(Topics.events, [record('x'.repeat(70_000), 'v')]), /key is 70000 bytes/);
  assert.equal(log.stats(Topics.events).nextOffset, 0, 'a rejected call appends nothing');
  await log.close();
});
