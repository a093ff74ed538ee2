/**
 * One member of a Kafka consumer group on one topic, behind the LogConsumer port.
 *
 * Group membership (join, heartbeats, rejoin on rebalance) is @platformatic/kafka's
 * Consumer; fetching is done here, one Fetch per poll, from read positions kept
 * per assigned partition. Nothing is prefetched, so `rewind` only has to forget
 * positions: the next poll starts again from each partition's committed offset,
 * and so does a partition newly assigned by a rebalance.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type FetchOptions } from '@platformatic/kafka';

type FetchRequestTopic = FetchOptions<Buffer, Buffer, Buffer, Buffer>['topics'][number];
import { MAX_COMMIT_METADATA_BYTES, type CommittedPosition, type ConsumedRecord, type LogConsumer, type PollOptions, type Topic } from '@strix/contracts';
import { GroupOffsets, hasProtocolError } from './group-offsets.ts';
import { describe } from './kafka-appender.ts';
import { kafkaTopic, type KafkaLogConfig } from './options.ts';

const DEFAULT_MAX_POLL_BYTES = 1024 * 1024;
/** A waiting poll re-checks close, abort and rebalances at least this often. */
const MAX_FETCH_WAIT_MS = 500;
/** Offsets are earliest/latest sentinels in ListOffsets. */
const EARLIEST = -2n;
const LATEST = -1n;
/** Batch attribute bit of transaction markers, which are not records. */
const IS_CONTROL = 0b10_0000;

export class KafkaLogConsumer implements LogConsumer {
  /** Read position per assigned partition; undefined until read from the committed offset. */
  private readonly positions = new Map<number, number | undefined>();
  private readonly committedCache = new Map<number, CommittedPosition>();
  private readonly highWatermarks = new Map<number, number>();
  private readonly offsets: GroupOffsets;
  private readonly lagTimer: NodeJS.Timeout;
  private closed?: Promise<void>;
  /** The Kafka topic (with the configured prefix). */
  private readonly name: string;

  private constructor(
    private readonly client: Consumer,
    private readonly logTopic: Topic,
    private readonly group: string,
    private readonly config: KafkaLogConfig,
    private readonly isLogClosed: () => boolean,
  ) {
    this.name = kafkaTopic(config, logTopic);
    this.offsets = new GroupOffsets(client, this.name, config.clientId);
    client.on('consumer:group:join', () => this.syncAssignment());
    this.lagTimer = setInterval(() => void this.refreshLag().catch(() => undefined), config.lagRefreshMs);
    this.lagTimer.unref();
  }

  static async join(topic: Topic, group: string, config: KafkaLogConfig, isLogClosed: () => boolean): Promise<KafkaLogConsumer> {
    const client = new Consumer({
      clientId: `${config.clientId}-${group}`,
      bootstrapBrokers: config.brokers,
      groupId: group,
      timeout: config.requestTimeoutMs,
      requestTimeout: config.requestTimeoutMs + config.rebalanceTimeoutMs,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      rebalanceTimeout: config.rebalanceTimeoutMs,
      autocommit: false,
      autocreateTopics: false,
    });
    client.topics.trackAll(kafkaTopic(config, topic));
    try {
      await client.joinGroup({});
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new Error(`could not join Kafka consumer group ${group} on ${topic}: ${describe(error)}`, { cause: error });
    }
    const consumer = new KafkaLogConsumer(client, topic, group, config, isLogClosed);
    consumer.syncAssignment();
    await consumer.refreshLag().catch(() => undefined);
    return consumer;
  }

  assignment(): readonly number[] {
    return [...(this.client.assignments?.find((a) => a.topic === this.name)?.partitions ?? [])].sort((a, b) => a - b);
  }

  /** After a (re)join: keep positions of partitions still owned, start new ones from their commit. */
  private syncAssignment(): void {
    const owned = new Set(this.assignment());
    for (const partition of this.positions.keys()) {
      if (!owned.has(partition)) this.positions.delete(partition);
    }
    for (const partition of owned) {
      if (!this.positions.has(partition)) {
        this.positions.set(partition, undefined);
        this.committedCache.delete(partition); // another member may have committed since we last saw it
      }
    }
  }

  private assertOpen(): void {
    if (this.isLogClosed()) throw new Error(`log is closed; consumer ${this.group} of ${this.name} cannot poll`);
    if (this.closed) throw new Error(`consumer ${this.group} of ${this.name} is closed`);
  }

  async poll(options: PollOptions): Promise<ConsumedRecord[]> {
    const { maxRecords, maxWaitMs, signal } = options;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_POLL_BYTES;
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new RangeError(`poll maxRecords must be a positive integer, got ${maxRecords}`);
    if (!(maxBytes > 0)) throw new RangeError(`poll maxBytes must be positive, got ${maxBytes}`);
    if (!(maxWaitMs >= 0)) throw new RangeError(`poll maxWaitMs must be 0 or more, got ${maxWaitMs}`);
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      this.assertOpen();
      const remaining = Math.max(0, deadline - Date.now());
      const waitMs = signal?.aborted ? 0 : Math.min(remaining, MAX_FETCH_WAIT_MS);
      let records: ConsumedRecord[];
      try {
        records = this.positions.size === 0 ? await idle(waitMs) : await this.fetchOnce(maxRecords, maxBytes, waitMs);
      } catch (error) {
        this.assertOpen(); // closing mid-fetch fails the fetch: report the close, not the fetch
        throw error;
      }
      this.assertOpen();
      if (records.length > 0) return records;
      if (Date.now() >= deadline || signal?.aborted) return [];
    }
  }

  private async fetchOnce(maxRecords: number, maxBytes: number, waitMs: number): Promise<ConsumedRecord[]> {
    for (const [partition, position] of this.positions) {
      if (position === undefined) this.positions.set(partition, (await this.committed(partition)).offset);
    }
    const metadata = await this.client.metadata({ topics: [this.name] });
    const topicMetadata = metadata.topics.get(this.name);
    if (!topicMetadata) throw new Error(`topic ${this.name} is missing from the cluster metadata`);
    const requested = new Map(this.positions);
    const byLeader = new Map<number, FetchRequestTopic[]>();
    for (const [partition, position] of requested) {
      const leader = topicMetadata.partitions[partition]?.leader ?? -1;
      const partitions = byLeader.get(leader) ?? [];
      partitions.push({
        topicId: topicMetadata.id,
        partitions: [{ partition, fetchOffset: BigInt(position ?? 0), partitionMaxBytes: maxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
      });
      byLeader.set(leader, partitions);
    }
    const responses = await Promise.all(
      [...byLeader].map(async ([node, topics]) => {
        try {
          return await this.client.fetch({ node, topics, maxWaitTime: waitMs, minBytes: 1, maxBytes });
        } catch (error) {
          if (hasProtocolError(error, ['OFFSET_OUT_OF_RANGE'])) {
            // Retention deleted what the group had not read: resume from the oldest record left.
            await this.resetOutOfRange(topics.flatMap((t) => t.partitions.map((p) => p.partition)));
            return undefined;
          }
          this.client.clearMetadata();
          throw new Error(`Kafka fetch from ${this.name} for group ${this.group} failed: ${describe(error)}`, { cause: error });
        }
      }),
    );

    const out: ConsumedRecord[] = [];
    let bytes = 0;
    for (const response of responses) {
      for (const topicResponse of response?.responses ?? []) {
        for (const p of topicResponse.partitions) {
          const from = requested.get(p.partitionIndex);
          if (from === undefined || !this.positions.has(p.partitionIndex)) continue; // revoked meanwhile
          this.highWatermarks.set(p.partitionIndex, Number(p.highWatermark));
          let next = from;
          // Once full, nothing more of this partition: a later batch's smaller record must not jump the position over what was left.
          batches: for (const batch of p.records ?? []) {
            if (batch.attributes & IS_CONTROL) {
              next = Math.max(next, Number(batch.firstOffset) + batch.lastOffsetDelta + 1);
              continue;
            }
            for (const record of batch.records) {
              const offset = Number(batch.firstOffset) + record.offsetDelta;
              if (offset < next) continue; // a batch starts before the requested offset
              const value = record.value ?? Buffer.alloc(0);
              const full = out.length >= maxRecords || (out.length > 0 && bytes + value.length > maxBytes);
              if (full) break batches;
              out.push({ topic: this.logTopic, partition: p.partitionIndex, offset, key: record.key?.toString() ?? '', value });
              bytes += value.length;
              next = offset + 1;
            }
          }
          // Only what was returned moves the position; the rest is fetched again next time.
          this.positions.set(p.partitionIndex, next);
        }
      }
    }
    return out;
  }

  private async resetOutOfRange(partitions: number[]): Promise<void> {
    const earliest = (await this.client.listOffsets({ topics: [this.name], timestamp: EARLIEST })).get(this.name) ?? [];
    for (const partition of partitions) {
      const first = earliest[partition];
      if (first !== undefined && this.positions.has(partition)) this.positions.set(partition, Number(first));
    }
  }

  async commit(partition: number, nextOffset: number, metadata = ''): Promise<void> {
    if (metadata.includes('\n') || Buffer.byteLength(metadata) > MAX_COMMIT_METADATA_BYTES) {
      throw new RangeError(`commit metadata must be one line of at most ${MAX_COMMIT_METADATA_BYTES} bytes`);
    }
    if (!this.positions.has(partition)) {
      throw new Error(`consumer ${this.group} does not own ${this.name}/${partition} (owns ${this.assignment().join(',') || 'nothing'}); a rebalance moved it`);
    }
    const end = await this.highWatermark(partition, nextOffset);
    if (!Number.isSafeInteger(nextOffset) || nextOffset < 0 || nextOffset > end) {
      throw new RangeError(`cannot commit offset ${nextOffset} for ${this.name}/${partition} of ${this.group}: must be an integer from 0 to ${end}`);
    }
    const current = this.committedCache.get(partition) ?? (await this.committed(partition));
    if (nextOffset < current.offset) return; // commits only move forward
    await this.offsets.commit(partition, nextOffset, metadata);
    this.committedCache.set(partition, { offset: nextOffset, metadata });
  }

  /** The partition's end, from the last fetch unless `atLeast` is beyond it (then asked afresh). */
  private async highWatermark(partition: number, atLeast: number): Promise<number> {
    const known = this.highWatermarks.get(partition);
    if (known !== undefined && known >= atLeast) return known;
    const latest = (await this.client.listOffsets({ topics: [this.name], timestamp: LATEST })).get(this.name) ?? [];
    latest.forEach((offset, p) => this.highWatermarks.set(p, Number(offset)));
    return this.highWatermarks.get(partition) ?? 0;
  }

  async committed(partition: number): Promise<CommittedPosition> {
    const raw = (await this.offsets.fetch([partition])).get(partition);
    let position: CommittedPosition;
    if (raw && raw.offset >= 0) {
      position = { offset: raw.offset, metadata: raw.metadata };
    } else {
      const earliest = (await this.client.listOffsets({ topics: [this.name], partitions: { [this.name]: [partition] }, timestamp: EARLIEST })).get(this.name);
      position = { offset: Number(earliest?.[partition] ?? 0), metadata: '' };
    }
    if (this.positions.has(partition)) this.committedCache.set(partition, position);
    return position;
  }

  rewind(): Promise<void> {
    for (const partition of this.positions.keys()) this.positions.set(partition, undefined);
    return Promise.resolve();
  }

  lag(): number {
    let lag = 0;
    for (const partition of this.positions.keys()) {
      const end = this.highWatermarks.get(partition);
      const committed = this.committedCache.get(partition)?.offset;
      if (end !== undefined && committed !== undefined) lag += Math.max(0, end - committed);
    }
    return lag;
  }

  private async refreshLag(): Promise<void> {
    if (this.closed || this.isLogClosed()) return;
    const partitions = [...this.positions.keys()];
    if (partitions.length === 0) return;
    const latest = (await this.client.listOffsets({ topics: [this.name], timestamp: LATEST })).get(this.name) ?? [];
    latest.forEach((offset, p) => this.highWatermarks.set(p, Number(offset)));
    const commits = await this.offsets.fetch(partitions);
    const missing = partitions.filter((p) => (commits.get(p)?.offset ?? -1) < 0);
    const earliest = missing.length > 0 ? ((await this.client.listOffsets({ topics: [this.name], timestamp: EARLIEST })).get(this.name) ?? []) : [];
    for (const partition of partitions) {
      if (!this.positions.has(partition)) continue;
      const raw = commits.get(partition);
      const position = raw && raw.offset >= 0 ? raw : { offset: Number(earliest[partition] ?? 0), metadata: '' };
      // Never move a cached commit backwards: a commit of ours may have landed after this fetch was sent.
      const cached = this.committedCache.get(partition);
      if (!cached || position.offset > cached.offset) this.committedCache.set(partition, position);
    }
  }

  /** Leaves the group, so the other members take this consumer's partitions over at once. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.lagTimer);
      try {
        await this.client.close();
      } finally {
        await this.offsets.close();
      }
    })();
    return this.closed;
  }
}

async function idle(ms: number): Promise<ConsumedRecord[]> {
  // No partitions yet: the group is (re)balancing. Wait, then look again.
  if (ms > 0) await sleep(Math.min(ms, 100));
  return [];
}
