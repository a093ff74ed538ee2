/**
 * Offset commits WITH metadata, and reading them back. @platformatic/kafka's
 * Consumer.commit always sends null metadata and listCommittedOffsets drops it,
 * but the pipeline relies on `inflight:<first>-<last>` surviving a crash, so
 * these two calls speak OffsetCommit v8 / OffsetFetch v8 (the classic-group
 * versions) to the group coordinator directly, as the group's current member.
 */
import { ConnectionPool, offsetCommitV8, offsetFetchV8, type Consumer } from '@platformatic/kafka';
import { describe } from './kafka-appender.ts';

const ATTEMPTS = 3;
const REQUEST_TIMEOUT_MS = 10_000;

export interface RawCommitted {
  /** -1 when the group never committed this partition. */
  readonly offset: number;
  readonly metadata: string;
}

export class GroupOffsets {
  private readonly pool: ConnectionPool;

  constructor(
    private readonly client: Consumer,
    private readonly topic: string,
    clientId: string,
  ) {
    this.pool = new ConnectionPool(`${clientId}-offsets`, { requestTimeout: REQUEST_TIMEOUT_MS, connectTimeout: REQUEST_TIMEOUT_MS });
  }

  async commit(partition: number, nextOffset: number, metadata: string): Promise<void> {
    await this.withCoordinator('commit', async (connection) => {
      await offsetCommitV8.api.async(connection, this.client.groupId, this.client.generationId, this.client.memberId ?? '', null, [
        {
          name: this.topic,
          partitions: [{ partitionIndex: partition, committedOffset: BigInt(nextOffset), committedLeaderEpoch: -1, committedMetadata: metadata }],
        },
      ]);
    });
  }

  async fetch(partitions: readonly number[]): Promise<Map<number, RawCommitted>> {
    return this.withCoordinator('fetch committed offsets', async (connection) => {
      const response = await offsetFetchV8.api.async(
        connection,
        [{ groupId: this.client.groupId, memberId: null, memberEpoch: -1, topics: [{ name: this.topic, partitionIndexes: [...partitions] }] }],
        false,
      );
      const found = new Map<number, RawCommitted>();
      for (const group of response.groups) {
        for (const topic of group.topics) {
          for (const p of topic.partitions) found.set(p.partitionIndex, { offset: Number(p.committedOffset), metadata: p.metadata ?? '' });
        }
      }
      return found;
    });
  }

  private async withCoordinator<T>(what: string, call: (connection: Awaited<ReturnType<ConnectionPool['get']>>) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        const coordinator = await this.client.findGroupCoordinator();
        const metadata = await this.client.metadata({ topics: [this.topic] });
        const broker = metadata.brokers.get(coordinator);
        if (!broker) throw new Error(`group coordinator ${coordinator} is not in the cluster metadata`);
        return await call(await this.pool.get(broker));
      } catch (error) {
        lastError = error;
        // A rebalance invalidates this member's generation: the caller must re-poll, retrying cannot help.
        if (hasProtocolError(error, ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS'])) break;
        this.client.clearMetadata();
      }
    }
    throw new Error(`Kafka group ${this.client.groupId}: ${what} on ${this.topic} failed: ${describe(lastError)}`, { cause: lastError });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export function hasProtocolError(error: unknown, ids: readonly string[]): boolean {
  const finder = error as { findBy?: (property: string, value: unknown) => unknown };
  if (typeof finder?.findBy !== 'function') return false;
  return ids.some((id) => finder.findBy?.('apiId', id));
}
