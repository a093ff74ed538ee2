/**
 * The Log port: an append-only, partitioned, durable record log. The embedded
 * adapter (`DurableLog`, one partition per topic) and the Kafka adapter
 * implement it; processors and the ingest edge only ever see this interface,
 * and one contract suite (processors/log-contract.ts) runs against both.
 */

/** Topics are named constants, never raw strings at call sites. */
export const Topics = {
  events: 'events',
  /** Records of keys over their per-key rate: spread over every partition, processed like events. */
  overflow: 'events_overflow',
  dlq: 'dlq',
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

export interface LogRecord {
  /** Partitioning key: one key's records keep their order (on a partition the log picks from it, unless `partition` is given). */
  readonly key: string;
  readonly value: Buffer;
  /**
   * The partition to write to, for a writer that groups several keys' records into one (the log's
   * `partitionOf` tells where each key belongs). Wrapped by the topic's partition count.
   */
  readonly partition?: number;
}

export interface ConsumedRecord extends LogRecord {
  readonly topic: Topic;
  readonly partition: number;
  /** Offset of this record inside its partition; the next one is `offset + 1`. */
  readonly offset: number;
}

export interface PollOptions {
  /** At most this many records in one poll. */
  readonly maxRecords: number;
  /** At most this many bytes of record values in one poll (one oversize record is still returned). */
  readonly maxBytes?: number;
  /** Wait at most this long for the first record when none is available. */
  readonly maxWaitMs: number;
  readonly signal?: AbortSignal;
}

/** Where a group resumes in one partition, and what its last commit said about the work in flight. */
export interface CommittedPosition {
  readonly offset: number;
  /** Free text stored with the commit (Kafka's offset commit metadata); empty when none was given. */
  readonly metadata: string;
}

/** Commit metadata is one line of at most this many bytes (Kafka's default `offset.metadata.max.bytes`). */
export const MAX_COMMIT_METADATA_BYTES = 4096;

export interface LogConsumer {
  /**
   * Records after the last committed (or last polled) position of each assigned
   * partition, in offset order within a partition; empty when the wait expired.
   * Rejects once the log is closed (so a loop on empty polls cannot spin).
   */
  poll(options: PollOptions): Promise<ConsumedRecord[]>;
  /**
   * Partitions this consumer owns right now. A group rebalance may change it
   * between polls; the embedded log always answers [0].
   */
  assignment(): readonly number[];
  /**
   * Durably records that every record before `nextOffset` of `partition` is done.
   * Commits only move forward; re-committing the same offset replaces its metadata.
   * A restarted consumer resumes from the last commit.
   */
  commit(partition: number, nextOffset: number, metadata?: string): Promise<void>;
  /** The last durable commit of `partition` (the group's start when it never committed). */
  committed(partition: number): Promise<CommittedPosition>;
  /** Moves every assigned partition's read position back to its last commit (after a failed batch). */
  rewind(): Promise<void>;
  /** Records appended but not yet committed, summed over assigned partitions (may be a recent estimate). */
  lag(): number;
  close(): Promise<void>;
}

export interface Log {
  /** Resolves once every record is durable (fsynced or acknowledged by all replicas). */
  append(topic: Topic, records: readonly LogRecord[]): Promise<void>;
  consumer(topic: Topic, group: string): Promise<LogConsumer>;
  /** Bytes accepted by `append` whose promise has not settled yet. */
  pendingBytes(): number;
  close(): Promise<void>;
}
