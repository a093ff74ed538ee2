/** Kafka-only behaviour of KafkaLog (groups of several members, partitioning, broker outages) against a real broker. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Topics, type ConsumedRecord, type LogConsumer } from '@strix/contracts';
import { startKafka, type KafkaEngine } from '@strix/testkit/kafka';
import { drainAtLeast, eventually } from '../log-contract.ts';
import { KafkaLog, type KafkaLogOptions } from './kafka-log.ts';

let engine: KafkaEngine | undefined;
before(async () => {
  engine = await startKafka();
}, { timeout: 300_000 });
after(() => engine?.cleanup());

async function openLog(options: Partial<KafkaLogOptions> = {}): Promise<KafkaLog> {
  const brokers = engine?.brokers;
  if (!brokers) throw new Error('the Kafka broker did not start');
  return KafkaLog.open({ brokers, topicPrefix: `t-${randomUUID().slice(0, 8)}-`, partitions: 6, ...options });
}

const rec = (key: string, value: string): { key: string; value: Buffer } => ({ key, value: Buffer.from(value) });
const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

/** Polls both members until `count` records arrived between them. */
async function pollBoth(a: LogConsumer, b: LogConsumer, count: number): Promise<[ConsumedRecord[], ConsumedRecord[]]> {
  const got: [ConsumedRecord[], ConsumedRecord[]] = [[], []];
  const deadline = Date.now() + 20_000;
  while (got[0].length + got[1].length < count && Date.now() < deadline) {
    got[0].push(...(await a.poll({ maxRecords: 1000, maxWaitMs: 100 })));
    got[1].push(...(await b.poll({ maxRecords: 1000, maxWaitMs: 100 })));
  }
  return got;
}

test('two members of a group split the partitions; the survivor resumes the other half from its commits', { timeout: 120_000 }, async () => {
  const log = await openLog();
  await log.append(Topics.events, Array.from({ length: 60 }, (_, i) => rec(`user-${i}`, `v${i}`)));
  const a = await log.consumer(Topics.events, 'split');
  const b = await log.consumer(Topics.events, 'split');
  await eventually(() => {
    assert.ok(a.assignment().length > 0 && b.assignment().length > 0, `a=${a.assignment().join()} b=${b.assignment().join()}`);
    assert.deepEqual(sorted([...a.assignment(), ...b.assignment()]), [0, 1, 2, 3, 4, 5], 'disjoint and complete');
  });

  const [fromA, fromB] = await pollBoth(a, b, 60);
  assert.equal(fromA.length + fromB.length, 60);
  assert.ok(fromA.every((r) => a.assignment().includes(r.partition)), 'a reads only its partitions');
  assert.ok(fromB.every((r) => b.assignment().includes(r.partition)), 'b reads only its partitions');
  assert.equal(new Set([...fromA, ...fromB].map((r) => r.value.toString())).size, 60, 'nothing read twice');

  // a finishes only the first half of each of its partitions, then leaves.
  const uncommitted = new Set<string>();
  for (const partition of a.assignment()) {
    const records = fromA.filter((r) => r.partition === partition);
    const done = records.slice(0, Math.ceil(records.length / 2));
    const last = done.at(-1);
    if (last) await a.commit(partition, last.offset + 1, 'first half');
    for (const r of records.slice(done.length)) uncommitted.add(r.value.toString());
  }
  for (const r of fromB) await b.commit(r.partition, r.offset + 1);
  const handedOver = [...a.assignment()];
  await a.close();

  await eventually(() => assert.deepEqual(sorted(b.assignment()), [0, 1, 2, 3, 4, 5]), 30_000);
  const takenOver = await drainAtLeast(b, uncommitted.size);
  assert.deepEqual(new Set(takenOver.map((r) => r.value.toString())), uncommitted, 'exactly what a had not committed, nothing before it');
  assert.equal(takenOver.length, uncommitted.size, 'no record delivered twice');
  for (const partition of handedOver) {
    const position = await b.committed(partition);
    if (fromA.some((r) => r.partition === partition)) assert.equal(position.metadata, 'first half', "a's commit metadata is b's too");
  }
  await log.close();
});

test("records of one key stay in one partition, in order, where Kafka's Java partitioner puts them", { timeout: 60_000 }, async () => {
  const log = await openLog();
  const keys = ['k', 'project-1:user-42', 'ключ', ''];
  for (let i = 0; i < 10; i++) await log.append(Topics.events, keys.map((k) => rec(k, String(i))));
  const consumer = await log.consumer(Topics.events, 'order');
  const got = await drainAtLeast(consumer, 40);
  assert.equal(got.length, 40);
  // From org.apache.kafka.common.utils.Utils: toPositive(murmur2(utf8(key))) % 6, computed with kafka-clients 4.4.0.
  const javaPartition: Record<string, number> = { k: 2, 'project-1:user-42': 5, 'ключ': 2, '': 3 };
  for (const key of keys) {
    const ofKey = got.filter((r) => r.key === key);
    assert.deepEqual(new Set(ofKey.map((r) => r.partition)), new Set([javaPartition[key]]), `key ${JSON.stringify(key)}`);
    assert.deepEqual(ofKey.map((r) => r.value.toString()), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(log.partitionOf(Topics.events, key), javaPartition[key], `partitionOf(${JSON.stringify(key)})`);
  }
  await log.close();
});

test("a record's own partition wins over its key's (wrapped by the topic's count)", { timeout: 60_000 }, async () => {
  const log = await openLog();
  await log.append(Topics.events, [
    { ...rec('k', 'on 4'), partition: 4 },
    { ...rec('k', 'on 1'), partition: 7 },
    rec('k', 'where k goes'),
  ]);
  const consumer = await log.consumer(Topics.events, 'explicit');
  const got = await drainAtLeast(consumer, 3);
  assert.deepEqual(Object.fromEntries(got.map((r) => [r.value.toString(), r.partition])), { 'on 4': 4, 'on 1': 1, 'where k goes': 2 });
  await log.close();
});

test('compressed record batches (lz4, gzip, snappy) read back exactly as written, by polls that stop inside them', { timeout: 60_000 }, async () => {
  for (const compression of ['lz4', 'gzip', 'snappy'] as const) {
    const log = await openLog({ compression });
    const values = Array.from({ length: 100 }, (_, i) => `{"n":${i},"text":"${'event '.repeat(i % 37)}"}`);
    // Separate appends are separate batches; compressed, a fetch limited to N bytes brings far more than N bytes of values.
    for (let i = 0; i < values.length; i += 10) await log.append(Topics.events, values.slice(i, i + 10).map((v) => rec('k', v)));
    const consumer = await log.consumer(Topics.events, `compressed-${compression}`);
    const got: string[] = [];
    const deadline = Date.now() + 15_000;
    while (got.length < values.length && Date.now() < deadline) {
      got.push(...(await consumer.poll({ maxRecords: 1000, maxBytes: 700, maxWaitMs: 1000 })).map((r) => r.value.toString()));
    }
    assert.deepEqual(got, values, compression);
    await log.close();
  }
});

// Last in the file: it stops the broker.
test('while the broker is down appends stay pending, then complete after a restart or reject at appendTimeoutMs', { timeout: 180_000 }, async () => {
  assert.ok(engine);
  const patient = await openLog({ appendTimeoutMs: 120_000 });
  const hasty = await openLog({ appendTimeoutMs: 3_000 });
  await engine.stop();

  const rejected = hasty.append(Topics.events, [rec('k', 'lost')]);
  const waiting = patient.append(Topics.events, [rec('k', 'kept')]);
  let settled = false;
  void waiting.finally(() => (settled = true)).catch(() => undefined);
  assert.ok(patient.pendingBytes() > 0 && hasty.pendingBytes() > 0, 'unacknowledged appends count as pending');
  await assert.rejects(rejected, /did not acknowledge 1 record\(s\) within appendTimeoutMs=3000/);
  assert.equal(hasty.pendingBytes(), 0, 'a rejected append is no longer pending');
  assert.equal(settled, false, 'the patient append is still waiting');
  assert.ok(patient.pendingBytes() > 0);

  await engine.restart();
  await waiting;
  assert.equal(patient.pendingBytes(), 0);
  const consumer = await patient.consumer(Topics.events, 'after-restart');
  assert.deepEqual((await drainAtLeast(consumer, 1)).map((r) => r.value.toString()), ['kept'], 'written once');
  await Promise.all([patient.close(), hasty.close()]);
});
