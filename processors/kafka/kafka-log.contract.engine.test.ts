import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { startKafka, type KafkaEngine } from '@strix/testkit/kafka';
import { describeLogContract } from '../log-contract.ts';
import { KafkaLog } from './kafka-log.ts';

// One broker for the file; each test gets its own topics through a unique prefix.
let engine: KafkaEngine | undefined;
before(async () => {
  engine = await startKafka();
}, { timeout: 300_000 });
after(() => engine?.cleanup());

describeLogContract('KafkaLog', async () => {
  const brokers = engine?.brokers;
  if (!brokers) throw new Error('the Kafka broker did not start');
  const topicPrefix = `contract-${randomUUID().slice(0, 8)}-`;
  return { partitions: 6, open: () => KafkaLog.open({ brokers, topicPrefix, partitions: 6 }) };
});
