/**
 * Producer and consumer throughput of @platformatic/kafka against kafkajs on a
 * real single-node Kafka (started here, see test/engines/kafka.ts).
 *
 *   npm run bench:kafka -w @strix/bench
 *   (KAFKA_BENCH_MB, KAFKA_BENCH_BATCH, KAFKA_BENCH_CONCURRENCY to tune)
 *
 * Both clients get the same records, the same batching (`batch` records per
 * send call, `concurrency` sends in flight, acks=all, no compression, not
 * idempotent: kafkajs allows idempotence only with one request in flight) and
 * read the same topic back from the beginning in a fresh group.
 */
import { randomUUID } from 'node:crypto';
import { Admin, Consumer, MessagesStreamModes, ProduceAcks, Producer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '@strix/testkit/kafka';

const totalMb = Number(process.env.KAFKA_BENCH_MB ?? 60);
const batch = Number(process.env.KAFKA_BENCH_BATCH ?? 100);
const concurrency = Number(process.env.KAFKA_BENCH_CONCURRENCY ?? 4);
const partitions = 6;

interface Result {
  client: string;
  phase: string;
  recordBytes: number;
  records: number;
  seconds: number;
}

/** ~3 KB: one ingest request holding a JSON batch of ~10 events; ~300 B: a single small event. */
function makeRecord(bytes: number, i: number): Buffer {
  const event = { event_id: randomUUID(), name: 'screen_view', ts: Date.now(), user_id: `user-${i % 1000}`, properties: { path: '/home' } };
  const events: unknown[] = [];
  let json = '';
  while (Buffer.byteLength(json) < bytes - 120) {
    events.push({ ...event, event_id: randomUUID() });
    json = JSON.stringify({ project_id: 'p1', app_id: 'a1', received_at: Date.now(), events });
  }
  return Buffer.from(JSON.stringify({ project_id: 'p1', app_id: 'a1', received_at: Date.now(), events, pad: 'x'.repeat(Math.max(0, bytes - Buffer.byteLength(json) - 10)) }));
}

async function inParallel(count: number, send: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await send(next++);
  }));
}

async function platformatic(brokers: string[], topic: string, values: Buffer[]): Promise<Result[]> {
  const producer = new Producer({ clientId: 'bench-plt', bootstrapBrokers: brokers, acks: ProduceAcks.ALL, idempotent: false });
  const sends = Math.ceil(values.length / batch);
  let started = performance.now();
  await inParallel(sends, (s) =>
    producer.send({ messages: values.slice(s * batch, (s + 1) * batch).map((value, i) => ({ topic, key: Buffer.from(`k${s * batch + i}`), value })) }),
  );
  const produced = (performance.now() - started) / 1000;
  await producer.close();

  const consumer = new Consumer({ clientId: 'bench-plt', groupId: `plt-${randomUUID()}`, bootstrapBrokers: brokers, autocommit: false, maxWaitTime: 100 });
  started = performance.now();
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
  let seen = 0;
  for await (const message of stream) {
    seen += message.value === undefined ? 0 : 1;
    if (seen >= values.length) break;
  }
  const consumed = (performance.now() - started) / 1000;
  await stream.close();
  await consumer.close();
  const size = values[0]?.length ?? 0;
  return [
    { client: '@platformatic/kafka', phase: 'produce', recordBytes: size, records: values.length, seconds: produced },
    { client: '@platformatic/kafka', phase: 'consume', recordBytes: size, records: seen, seconds: consumed },
  ];
}

async function kafkajs(brokers: string[], topic: string, values: Buffer[]): Promise<Result[]> {
  const kafka = new Kafka({ clientId: 'bench-kjs', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  const sends = Math.ceil(values.length / batch);
  let started = performance.now();
  await inParallel(sends, (s) =>
    producer.send({ topic, acks: -1, messages: values.slice(s * batch, (s + 1) * batch).map((value, i) => ({ key: `k${s * batch + i}`, value })) }),
  );
  const produced = (performance.now() - started) / 1000;
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `kjs-${randomUUID()}`, maxWaitTimeInMs: 100 });
  started = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch: b }) => {
          seen += b.messages.length;
          if (seen >= values.length) resolve();
        },
      })
      .catch(reject);
  });
  const consumed = (performance.now() - started) / 1000;
  await consumer.disconnect();
  const size = values[0]?.length ?? 0;
  return [
    { client: 'kafkajs', phase: 'produce', recordBytes: size, records: values.length, seconds: produced },
    { client: 'kafkajs', phase: 'consume', recordBytes: size, records: seen, seconds: consumed },
  ];
}

async function main(): Promise<void> {
  const engine = await startKafka();
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: engine.brokers });
  const results: Result[] = [];
  try {
    for (const recordBytes of [3 * 1024, 300]) {
      const count = Math.floor((totalMb * 1024 * 1024) / recordBytes / (recordBytes < 1024 ? 4 : 1));
      const values = Array.from({ length: count }, (_, i) => makeRecord(recordBytes, i));
      for (const [name, run] of [['kafkajs', kafkajs], ['platformatic', platformatic]] as const) {
        const topic = `bench-${name}-${recordBytes}-${randomUUID().slice(0, 8)}`;
        await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
        results.push(...(await run(engine.brokers, topic, values)));
      }
    }
  } finally {
    await admin.close();
    await engine.cleanup();
  }
  console.log(`Kafka client throughput: ${partitions} partitions, ${batch} records per send, ${concurrency} sends in flight, acks=all`);
  console.log('client                phase     record B   records     msgs/s      MB/s');
  for (const r of results) {
    const perSecond = r.records / r.seconds;
    const mbPerSecond = (perSecond * r.recordBytes) / (1024 * 1024);
    console.log(
      `${r.client.padEnd(21)} ${r.phase.padEnd(8)} ${String(r.recordBytes).padStart(9)} ${String(r.records).padStart(9)} ${perSecond.toFixed(0).padStart(10)} ${mbPerSecond.toFixed(1).padStart(9)}`,
    );
  }
}

await main();
