/**
 * The distributed `Log` adapter: Apache Kafka through @platformatic/kafka.
 *
 * Appends are acknowledged by all in-sync replicas (acks=all, idempotent
 * producer, see kafka-appender.ts); keys go to partitions with Kafka's own
 * murmur2 partitioner so every client agrees, and `partitionOf` tells a writer
 * that groups keys where each one belongs. Each `consumer()` is one member
 * of a consumer group; commits carry Kafka offset-commit metadata.
 */
import { Admin } from '@platformatic/kafka';
import { Topics, type Log, type LogConsumer, type LogRecord, type Topic } from '@strix/contracts';
import { describe, KafkaAppender } from './kafka-appender.ts';
import { KafkaLogConsumer } from './kafka-consumer.ts';
import { kafkaPartitionOf } from './murmur2.ts';
import { kafkaTopic, parseKafkaLogOptions, type KafkaLogConfig, type KafkaLogOptions } from './options.ts';

export type { KafkaLogOptions } from './options.ts';

export class KafkaLog implements Log {
  private readonly consumers = new Set<KafkaLogConsumer>();
  private closing?: Promise<void>;

  private constructor(
    private readonly config: KafkaLogConfig,
    private readonly appender: KafkaAppender,
    private readonly partitionCounts: ReadonlyMap<Topic, number>,
  ) {}

  /** Connects, creates the topics that are missing, and returns a ready log. */
  static async open(options: KafkaLogOptions): Promise<KafkaLog> {
    const config = parseKafkaLogOptions(options);
    const partitionCounts = await ensureTopics(config);
    return new KafkaLog(config, new KafkaAppender(config), partitionCounts);
  }

  /**
   * The partition Kafka's partitioner (Java's: murmur2 & 0x7fffffff) gives `key` in `topic`, with the
   * partition count read when the log opened: partitions an operator adds later are used after a restart.
   */
  partitionOf(topic: Topic, key: string): number {
    return kafkaPartitionOf(Buffer.from(key), this.partitionCounts.get(topic)!);
  }

  append(topic: Topic, records: readonly LogRecord[]): Promise<void> {
    assertTopic(topic);
    if (this.closing) return Promise.reject(new Error(`log is closed; cannot append to ${topic}`));
    return this.appender.append(topic, records);
  }

  async consumer(topic: Topic, group: string): Promise<LogConsumer> {
    assertTopic(topic);
    if (this.closing) throw new Error(`log is closed; cannot create consumer ${group} on ${topic}`);
    const consumer = await KafkaLogConsumer.join(topic, group, this.config, () => this.closing !== undefined);
    this.consumers.add(consumer);
    return {
      poll: (o) => consumer.poll(o),
      assignment: () => consumer.assignment(),
      commit: (p, o, m) => consumer.commit(p, o, m),
      committed: (p) => consumer.committed(p),
      rewind: () => consumer.rewind(),
      lag: () => consumer.lag(),
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.close();
      },
    };
  }

  pendingBytes(): number {
    return this.appender.pendingBytes();
  }

  /** Settles queued appends (each within appendTimeoutMs), leaves every group and disconnects. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled([this.appender.close(), ...[...this.consumers].map((c) => c.close())]);
      this.consumers.clear();
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.closing;
  }
}

function assertTopic(topic: Topic): void {
  if (!Object.values(Topics).includes(topic)) {
    throw new Error(`unknown log topic ${JSON.stringify(topic)}; expected one of ${Object.values(Topics).join(', ')}`);
  }
}

/** Creates the topics that are missing and answers each topic's partition count. */
async function ensureTopics(config: KafkaLogConfig): Promise<Map<Topic, number>> {
  const admin = new Admin({ clientId: `${config.clientId}-admin`, bootstrapBrokers: config.brokers, timeout: config.requestTimeoutMs, requestTimeout: config.requestTimeoutMs });
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of Object.values(Topics)) {
      const name = kafkaTopic(config, topic);
      if (existing.has(name)) continue;
      const partitions = topic === Topics.dlq ? config.dlqPartitions : config.partitions;
      try {
        await admin.createTopics({ topics: [name], partitions, replicas: config.replicationFactor });
      } catch (error) {
        // Another process creating it at the same moment is fine; anything else is not.
        if (!(await admin.listTopics()).includes(name)) {
          throw new Error(`could not create Kafka topic ${name} (${partitions} partitions, replication ${config.replicationFactor}): ${describe(error)}`, {
            cause: error,
          });
        }
      }
    }
    const names = Object.values(Topics).map((topic) => kafkaTopic(config, topic));
    const metadata = await admin.metadata({ topics: names });
    return new Map(
      Object.values(Topics).map((topic) => {
        const count = metadata.topics.get(kafkaTopic(config, topic))?.partitionsCount;
        if (!count) throw new Error(`topic ${kafkaTopic(config, topic)} has no partitions in the cluster's metadata`);
        return [topic, count];
      }),
    );
  } catch (error) {
    throw new Error(`Kafka at ${config.brokers.join(',')} is not usable: ${describe(error)}`, { cause: error });
  } finally {
    await admin.close().catch(() => undefined);
  }
}
