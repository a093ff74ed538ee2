/** KafkaLog configuration: one zod schema, defaults that suit a small single-broker cluster. */
import zlib from 'node:zlib';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** The record-batch compressions a producer can use (the broker keeps what the producer sent). */
export const KafkaCompressions = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KafkaCompressions)[number];

/** Why this process cannot use `compression`, or undefined: zstd needs zlib's zstd (Node 22.15 and later). */
export function unavailableCompression(compression: KafkaCompression): string | undefined {
  if (compression === 'zstd' && typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync !== 'function') {
    return `zstd needs Node.js 22.15 or later (this is ${process.version}); use lz4, snappy or gzip`;
  }
  return undefined;
}

export const KafkaLogOptionsSchema = z.object({
  brokers: z.array(z.string().regex(/^[^:]+:\d+$/, 'expected host:port')).min(1),
  clientId: z.string().min(1).default('strix'),
  /** Prepended to every topic name: separates environments (or tests) sharing one cluster. */
  topicPrefix: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only').default(''),
  /** Partitions of the events and overflow topics when KafkaLog creates them (an existing topic keeps its own). */
  partitions: positiveInt.default(6),
  /** The DLQ is low volume and read in order by people; one partition keeps it simple. */
  dlqPartitions: positiveInt.default(1),
  replicationFactor: positiveInt.default(1),
  /**
   * An append retries until this long after it was called, then rejects. Bounded so
   * a broker outage shows as growing pendingBytes (the edge answers 503) and then
   * as failures, never as appends hanging forever.
   */
  appendTimeoutMs: positiveInt.default(30_000),
  /** How record batches are compressed on the wire and on the broker's disk. */
  compression: z
    .enum(KafkaCompressions)
    .default('none')
    .superRefine((compression, ctx) => {
      const why = unavailableCompression(compression);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    }),
  /** Upper bound of one produce request built from queued appends (the broker's message.max.bytes is 1 MiB per batch). */
  maxSendBytes: positiveInt.default(1024 * 1024),
  /** Per-request timeout of the client. */
  requestTimeoutMs: positiveInt.default(5_000),
  sessionTimeoutMs: positiveInt.default(10_000),
  heartbeatIntervalMs: positiveInt.default(1_000),
  rebalanceTimeoutMs: positiveInt.default(30_000),
  /** How often `lag()`'s figures (high watermarks and commits) are refreshed in the background. */
  lagRefreshMs: positiveInt.default(1_000),
});

export type KafkaLogOptions = z.input<typeof KafkaLogOptionsSchema>;
export type KafkaLogConfig = z.output<typeof KafkaLogOptionsSchema>;

export function parseKafkaLogOptions(options: KafkaLogOptions): KafkaLogConfig {
  const parsed = KafkaLogOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid KafkaLog options: ${issues}`);
  }
  return parsed.data;
}

/** The Kafka topic that holds a log topic. */
export function kafkaTopic(config: KafkaLogConfig, topic: string): string {
  return `${config.topicPrefix}${topic}`;
}
