/**
 * The produce side of KafkaLog: appends queue up and go out as one produce
 * request at a time (acks=all, idempotent), like the durable log's group commit.
 *
 * One request in flight is deliberate. @platformatic/kafka numbers idempotent
 * batches when a request is built and advances the sequence only on success, so
 * concurrent sends to one partition reuse sequence numbers and the broker drops
 * all but one as "duplicates" while every send resolves (platformatic/kafka#326).
 * With one request at a time, a failed request is resent with exactly the same
 * records, so the broker's idempotence turns a retry of a request it had in fact
 * written into a no-op instead of a duplicate. A request that still fails at the
 * deadline rejects its appends and the producer is replaced: the next one gets a
 * new producer id, so no sequence state outlives an unknown outcome.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProduceAcks, Producer, type MessageToProduce } from '@platformatic/kafka';
import type { LogRecord, Topic } from '@strix/contracts';
import { murmur2 } from './murmur2.ts';
import { kafkaTopic, type KafkaLogConfig } from './options.ts';

interface PendingAppend {
  readonly messages: MessageToProduce[];
  readonly bytes: number;
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const MAX_RETRY_DELAY_MS = 2_000;

export class KafkaAppender {
  private producer: Producer;
  private readonly queue: PendingAppend[] = [];
  private pending = 0;
  private sending?: Promise<void>;
  private closed = false;

  constructor(private readonly config: KafkaLogConfig) {
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    return new Producer({
      clientId: `${this.config.clientId}-producer`,
      bootstrapBrokers: this.config.brokers,
      acks: ProduceAcks.ALL,
      idempotent: true,
      compression: this.config.compression,
      // Java's partitioner (murmur2 & 0x7fffffff) % partitions: other clients put a key where we do.
      // The library's default (murmur2 >>> 0) disagrees for half the keys. A record's own `partition` comes first.
      partitioner: (_message, key) => (Buffer.isBuffer(key) ? murmur2(key) & 0x7fffffff : 0),
      timeout: this.config.requestTimeoutMs,
      // The connection's own request timer (30 s by default) outlives a closed client and holds the process open.
      requestTimeout: this.config.requestTimeoutMs,
      // Retries happen here, with the same records, until the append deadline.
      retries: 0,
      autocreateTopics: false,
    });
  }

  pendingBytes(): number {
    return this.pending;
  }

  append(topic: Topic, records: readonly LogRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`log is closed; cannot append to ${topic}`));
    if (records.length === 0) return Promise.resolve();
    const messages = records.map((r) => ({ topic: kafkaTopic(this.config, topic), key: Buffer.from(r.key), value: r.value, partition: r.partition }));
    const bytes = messages.reduce((sum, m) => sum + m.key.length + m.value.length, 0);
    this.pending += bytes;
    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        this.pending -= bytes;
      };
      this.queue.push({
        messages,
        bytes,
        deadline: Date.now() + this.config.appendTimeoutMs,
        resolve: () => {
          settle();
          resolve();
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      this.kick();
    });
  }

  private kick(): void {
    if (this.sending) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
      // An append queued while the last batch was settling found `sending` still set.
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        await this.sendUntilDeadline(batch);
        for (const append of batch) append.resolve();
      } catch (error) {
        for (const append of batch) append.reject(error instanceof Error ? error : new Error(String(error)));
        const old = this.producer;
        this.producer = this.createProducer();
        // Not awaited: closing a producer whose broker is unreachable can wait as long as the send did.
        void old.close().catch(() => undefined);
      }
    }
  }

  /** Whole appends, oldest first, up to maxSendBytes (always at least one). */
  private takeBatch(): PendingAppend[] {
    const batch: PendingAppend[] = [];
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (!next || (batch.length > 0 && bytes + next.bytes > this.config.maxSendBytes)) break;
      batch.push(next);
      bytes += next.bytes;
      this.queue.shift();
    }
    return batch;
  }

  private async sendUntilDeadline(batch: PendingAppend[]): Promise<void> {
    const messages = batch.flatMap((a) => a.messages);
    // The oldest append's deadline bounds the request: no append waits longer than appendTimeoutMs.
    const deadline = Math.min(...batch.map((a) => a.deadline));
    for (let attempt = 0; ; attempt++) {
      try {
        await withDeadline(this.producer.send({ messages }), deadline);
        return;
      } catch (error) {
        const delay = Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** attempt);
        if (error instanceof DeadlineError || Date.now() + delay >= deadline) {
          const records = messages.length;
          throw new Error(
            `Kafka did not acknowledge ${records} record(s) within appendTimeoutMs=${this.config.appendTimeoutMs} (${attempt + 1} attempts): ${describe(error)}`,
            { cause: error },
          );
        }
        // Stale metadata after a broker restart or leader change: fetch it again on the next attempt.
        this.producer.clearMetadata();
        await sleep(delay);
      }
    }
  }

  /** Waits for queued appends to settle (each within its deadline), then closes the producer. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.sending) await this.sending;
    await this.producer.close();
  }
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as Error & { errors?: unknown[] }).errors;
  const inner = Array.isArray(nested) && nested.length > 0 ? ` (${nested.map(describe).join('; ')})` : '';
  return `${error.message}${inner}`;
}

class DeadlineError extends Error {}

/**
 * The client can wait on an unreachable broker longer than any request timeout
 * (a refused connection is retried inside it), so the deadline is enforced here.
 * An abandoned send keeps an unknown outcome; the caller replaces the producer.
 */
async function withDeadline<T>(operation: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError('no acknowledgement before the deadline')), Math.max(0, deadline - Date.now()));
  });
  operation.catch(() => undefined); // an abandoned attempt must not become an unhandled rejection
  try {
    return await Promise.race([operation, expired]);
  } finally {
    clearTimeout(timer);
  }
}
