/**
 * A consumer group's view of one topic. The read position lives in memory and
 * runs ahead of the committed offset; `rewind` returns to the commit so a failed
 * batch is re-read, and a restart resumes from the commit too.
 */
import type { CommittedPosition, ConsumedRecord, LogConsumer, PollOptions, Topic } from '@strix/contracts';
import type { TopicLog } from './topic-log.ts';

const DEFAULT_MAX_POLL_BYTES = 1024 * 1024;
/** Reads go to disk in chunks this large at most, whatever maxBytes asks for. */
const MAX_READ_CHUNK_BYTES = 8 * 1024 * 1024;
const MIN_READ_CHUNK_BYTES = 64 * 1024;
/** Slack over maxBytes for frame headers, keys and the skip from the sparse index entry. */
const READ_CHUNK_SLACK_BYTES = 16 * 1024;

function assertPartition(partition: number): void {
  if (partition !== 0) throw new RangeError(`the embedded log has only partition 0, got ${partition}`);
}

export class DurableLogConsumer implements LogConsumer {
  private position: number;
  private closed = false;

  constructor(
    private readonly topic: TopicLog,
    private readonly topicName: Topic,
    private readonly group: string,
    private readonly warn: (message: string) => void,
    committed: number,
  ) {
    this.position = committed;
  }

  private get committedOffset(): number {
    return this.topic.groups.get(this.group)?.offset ?? this.topic.firstOffset;
  }

  async poll(options: PollOptions): Promise<ConsumedRecord[]> {
    const { maxRecords, maxWaitMs, signal } = options;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_POLL_BYTES;
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
      throw new RangeError(`poll maxRecords must be a positive integer, got ${maxRecords}`);
    }
    if (!(maxBytes > 0)) throw new RangeError(`poll maxBytes must be positive, got ${maxBytes}`);
    if (!(maxWaitMs >= 0)) throw new RangeError(`poll maxWaitMs must be 0 or more, got ${maxWaitMs}`);
    const deadline = Date.now() + maxWaitMs;
    const chunkBytes = Math.min(MAX_READ_CHUNK_BYTES, Math.max(MIN_READ_CHUNK_BYTES, maxBytes + READ_CHUNK_SLACK_BYTES));

    for (;;) {
      if (this.closed) return [];
      // An error, not an empty result: a caller looping on empty polls would otherwise spin.
      if (this.topic.isClosed) throw new Error(`log is closed; consumer ${this.group} of ${this.topicName} cannot poll`);
      this.skipDeleted();
      if (this.position < this.topic.nextOffset) {
        const records = await this.topic.read(this.position, { maxRecords, maxValueBytes: maxBytes, chunkBytes, valueBytes: 0 });
        const last = records.at(-1);
        if (last !== undefined) {
          this.position = last.offset + 1;
          return records.map((r) => ({ topic: this.topicName, partition: 0, offset: r.offset, key: r.key, value: r.value }));
        }
        // Empty despite records being there: retention deleted the segment mid-read; go round again.
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal?.aborted) return [];
      await this.topic.waitForAppend(remaining, signal);
    }
  }

  /** Only a bounded topic (maxTopicBytes) deletes records a group has not committed. */
  private skipDeleted(): void {
    const first = this.topic.firstOffset;
    if (this.position >= first) return;
    this.warn(
      `${this.topicName}: group ${this.group} was at offset ${this.position} but records before ${first} were deleted; skipping ${first - this.position}`,
    );
    this.position = first;
  }

  async commit(partition: number, nextOffset: number, metadata = ''): Promise<void> {
    assertPartition(partition);
    await this.topic.commit(this.group, nextOffset, metadata);
  }

  committed(partition: number): Promise<CommittedPosition> {
    assertPartition(partition);
    return Promise.resolve({ offset: this.committedOffset, metadata: this.topic.groups.get(this.group)?.metadata ?? '' });
  }

  assignment(): readonly number[] {
    return [0];
  }

  rewind(): Promise<void> {
    this.position = this.committedOffset;
    return Promise.resolve();
  }

  lag(): number {
    return Math.max(0, this.topic.nextOffset - this.committedOffset);
  }

  close(): Promise<void> {
    this.closed = true;
    // A poll waiting on this consumer should return now rather than at its deadline.
    this.topic.wake();
    return Promise.resolve();
  }
}
