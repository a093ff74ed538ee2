/**
 * What every `Log` adapter must do, as a suite each adapter's test file runs:
 * `describeLogContract('DurableLog', factory)`. Assertions go through the port
 * only and hold for one partition (embedded) and many (Kafka): records are
 * compared per partition, and one key keeps a test's records in one partition.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Topics, type ConsumedRecord, type Log, type LogConsumer } from '@strix/contracts';

export interface LogContractTarget {
  /** Partitions of Topics.events. */
  readonly partitions: number;
  /** Opens the log on this test's own storage; called again after `close()` it reopens the same storage. */
  open(): Promise<Log>;
}

/** Fresh, empty storage for one test (cleaned up through `t.after`). */
export type LogContractFactory = (t: TestContext) => Promise<LogContractTarget>;

const WAIT_MS = 15_000;

export function describeLogContract(name: string, factory: LogContractFactory): void {
  describe(`Log contract: ${name}`, { timeout: 120_000 }, () => {
    test('append then poll returns every record with its key and value, in offset order per partition', async (t) => {
      const log = await (await factory(t)).open();
      const appended = [rec('p1', 'a'), rec('p2', 'b'), { key: 'ключ', value: Buffer.from([0, 255, 1]) }, rec('', ''), rec('p1', 'c')];
      await log.append(Topics.events, appended.slice(0, 2));
      await log.append(Topics.events, appended.slice(2));
      const consumer = await log.consumer(Topics.events, 'proc');
      const got = await drainAtLeast(consumer, appended.length);
      assert.equal(got.length, appended.length);
      assert.ok(got.every((r) => r.topic === Topics.events));
      for (const partition of new Set(got.map((r) => r.partition))) {
        const offsets = got.filter((r) => r.partition === partition).map((r) => r.offset);
        assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), `partition ${partition} in offset order`);
      }
      assert.deepEqual(got.filter((r) => r.key === 'p1').map((r) => r.value.toString()), ['a', 'c'], "one key's records keep their order");
      const asPairs = (rs: readonly { key: string; value: Buffer }[]): string[] => rs.map((r) => `${r.key}=${r.value.toString('hex')}`).sort();
      assert.deepEqual(asPairs(got), asPairs(appended));
      assert.equal(log.pendingBytes(), 0, 'settled appends are not pending');
      assert.deepEqual(await drainAtLeast(await log.consumer(Topics.dlq, 'proc'), 0), [], 'topics are separate');
      await log.close();
    });

    test('a single consumer is assigned every partition of the topic', async (t) => {
      const target = await factory(t);
      const log = await target.open();
      const consumer = await log.consumer(Topics.events, 'solo');
      const all = Array.from({ length: target.partitions }, (_, i) => i);
      await eventually(() => assert.deepEqual([...consumer.assignment()].sort((a, b) => a - b), all));
      await log.close();
    });

    test('commits move forward only, carry metadata, and survive reopening the consumer and the log', async (t) => {
      const target = await factory(t);
      let log = await target.open();
      await log.append(Topics.events, ['0', '1', '2'].map((v) => rec('k', v)));
      let consumer = await log.consumer(Topics.events, 'proc');
      const batch = await drainAtLeast(consumer, 3);
      const first = batch[0];
      assert.ok(first);
      const p = first.partition;
      assert.deepEqual(await consumer.committed(p), { offset: first.offset, metadata: '' }, 'a new group starts at the earliest record');
      await consumer.commit(p, first.offset, `inflight:${first.offset}-${first.offset + 2}`);
      assert.deepEqual(await consumer.committed(p), { offset: first.offset, metadata: `inflight:${first.offset}-${first.offset + 2}` });
      await consumer.commit(p, first.offset + 3);
      assert.deepEqual(await consumer.committed(p), { offset: first.offset + 3, metadata: '' }, 'a later commit without metadata clears it');
      await consumer.commit(p, first.offset + 1, 'stale');
      assert.deepEqual(await consumer.committed(p), { offset: first.offset + 3, metadata: '' }, 'a commit behind the last one is ignored');
      await consumer.commit(p, first.offset + 3, 'done');
      assert.deepEqual(await consumer.committed(p), { offset: first.offset + 3, metadata: 'done' }, 'the same offset replaces the metadata');
      await assert.rejects(consumer.commit(p, first.offset + 10), RangeError, 'beyond the end of the partition');
      await assert.rejects(consumer.commit(p, first.offset + 3, 'two\nlines'), /one line/);
      await consumer.close();

      consumer = await log.consumer(Topics.events, 'proc');
      assert.deepEqual(await consumer.committed(p), { offset: first.offset + 3, metadata: 'done' }, 'survives a new consumer');
      await log.close();
      log = await target.open();
      consumer = await log.consumer(Topics.events, 'proc');
      assert.deepEqual(await consumer.committed(p), { offset: first.offset + 3, metadata: 'done' }, 'survives reopening the log');
      await log.append(Topics.events, [rec('k', '3')]);
      assert.deepEqual((await drainAtLeast(consumer, 1)).map((r) => r.value.toString()), ['3'], 'a restarted consumer resumes from the commit');
      await log.close();
    });

    test('rewind re-reads from the commit, and lag counts appended but uncommitted records', async (t) => {
      const log = await (await factory(t)).open();
      await log.append(Topics.events, ['0', '1', '2', '3', '4'].map((v) => rec('k', v)));
      const consumer = await log.consumer(Topics.events, 'proc');
      await eventually(() => assert.equal(consumer.lag(), 5));
      const head = await consumer.poll({ maxRecords: 3, maxWaitMs: WAIT_MS });
      assert.deepEqual(head.map((r) => r.value.toString()), ['0', '1', '2']);
      const third = head[2];
      assert.ok(third);
      await consumer.commit(third.partition, third.offset + 1);
      await eventually(() => assert.equal(consumer.lag(), 2));
      const tail = await drainAtLeast(consumer, 2);
      assert.deepEqual(tail.map((r) => r.value.toString()), ['3', '4']);
      await consumer.rewind();
      assert.deepEqual((await drainAtLeast(consumer, 2)).map((r) => r.value.toString()), ['3', '4'], 'rewind returns to the commit');
      const last = tail[1];
      assert.ok(last);
      await consumer.commit(last.partition, last.offset + 1);
      await eventually(() => assert.equal(consumer.lag(), 0));
      await consumer.rewind();
      assert.deepEqual(await consumer.poll({ maxRecords: 10, maxWaitMs: 0 }), [], 'nothing after the last commit');
      await log.close();
    });

    test('polls that stop anywhere, by records or by bytes, never skip or repeat a record', async (t) => {
      const log = await (await factory(t)).open();
      // Several appends, so the records span several batches on the broker; sizes vary so a byte limit cuts inside them.
      const values = Array.from({ length: 60 }, (_, i) => `${i}:${'x'.repeat((i * 7) % 23)}`);
      for (let i = 0; i < values.length; i += 15) await log.append(Topics.events, values.slice(i, i + 15).map((v) => rec('k', v)));
      const consumer = await log.consumer(Topics.events, 'small-polls');
      const got: string[] = [];
      const deadline = Date.now() + WAIT_MS;
      for (let n = 0; got.length < values.length && Date.now() < deadline; n++) {
        const limits = n % 2 === 0 ? { maxRecords: 1 + (n % 4), maxBytes: 1_000_000 } : { maxRecords: 1000, maxBytes: 5 + ((n * 13) % 40) };
        got.push(...(await consumer.poll({ ...limits, maxWaitMs: 1000 })).map((r) => r.value.toString()));
      }
      assert.deepEqual(got, values);
      await log.close();
    });

    test('poll waits for a concurrent append and returns it', async (t) => {
      const log = await (await factory(t)).open();
      const consumer = await log.consumer(Topics.events, 'g');
      // Far beyond the test's timeout: only the append can end this poll in time.
      const polled = consumer.poll({ maxRecords: 10, maxWaitMs: 600_000 });
      setTimeout(() => {
        log.append(Topics.events, [rec('k', 'late')]).catch(assert.fail);
      }, 200);
      assert.deepEqual((await polled).map((r) => r.value.toString()), ['late']);
      await log.close();
    });

    test('poll returns [] when maxWaitMs passes or the signal aborts, and rejects once the log closes', async (t) => {
      const log = await (await factory(t)).open();
      const consumer = await log.consumer(Topics.events, 'g');
      assert.deepEqual(await consumer.poll({ maxRecords: 10, maxWaitMs: 30 }), []);
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 30);
      const started = Date.now();
      assert.deepEqual(await consumer.poll({ maxRecords: 10, maxWaitMs: 600_000, signal: abort.signal }), []);
      assert.ok(Date.now() - started < WAIT_MS, 'an abort ends the wait');
      const waiting = assert.rejects(consumer.poll({ maxRecords: 10, maxWaitMs: 600_000 }), /log is closed/);
      await sleep(50);
      await log.close();
      // A rejection, not []: a loop treating [] as "nothing yet" would spin on a closed log.
      await waiting;
      await assert.rejects(consumer.poll({ maxRecords: 10, maxWaitMs: 0 }), /log is closed/);
      await assert.rejects(log.append(Topics.events, [rec('k', 'v')]), /closed/);
    });
  });
}

function rec(key: string, value: string): { key: string; value: Buffer } {
  return { key, value: Buffer.from(value) };
}

/** Polls until at least `count` records arrived (then until empty), or WAIT_MS passed. */
export async function drainAtLeast(consumer: LogConsumer, count: number): Promise<ConsumedRecord[]> {
  const all: ConsumedRecord[] = [];
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const waitMs = all.length < count ? Math.max(0, deadline - Date.now()) : 0;
    const batch = await consumer.poll({ maxRecords: 1000, maxWaitMs: waitMs });
    if (batch.length === 0 && (all.length >= count || Date.now() >= deadline)) return all;
    all.push(...batch);
  }
}

/** Retries an assertion about a figure adapters may refresh in the background (lag, assignment). */
export async function eventually(check: () => void, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}
