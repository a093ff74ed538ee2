import type { ConsumedRecord } from '@strix/contracts';

/** Offsets of a batch that must be re-formed exactly, both ends inclusive. */
export interface OffsetRange {
  readonly first: number;
  readonly last: number;
}

interface PartitionState {
  buffer: ConsumedRecord[];
  replay?: OffsetRange;
}

/**
 * Polled records waiting to be processed, per assigned partition. A batch
 * never spans partitions, so its deduplication token (topic, partition,
 * offset range) names exactly one run of offsets.
 *
 * A partition adopted with a `replay` range yields that range and nothing
 * else as its next batch, waiting for more polls until the range is complete:
 * the same records as the interrupted attempt, so the same token.
 */
export class PartitionBatches {
  private readonly states = new Map<number, PartitionState>();

  /**
   * Forgets partitions no longer assigned (revoked by a rebalance) and returns
   * the assigned ones not adopted yet, for the caller to check their commits.
   */
  reconcile(assignment: readonly number[]): number[] {
    const assigned = new Set(assignment);
    for (const partition of this.states.keys()) if (!assigned.has(partition)) this.states.delete(partition);
    return assignment.filter((p) => !this.states.has(p));
  }

  adopt(partition: number, replay?: OffsetRange): void {
    this.states.set(partition, replay ? { buffer: [], replay } : { buffer: [] });
  }

  /** Buffers records of adopted partitions; records of any other partition are dropped (it was revoked). */
  add(records: readonly ConsumedRecord[]): void {
    for (const record of records) this.states.get(record.partition)?.buffer.push(record);
  }

  /** One batch per partition that has one ready; what stays buffered waits for the next call. */
  take(): ConsumedRecord[][] {
    const batches: ConsumedRecord[][] = [];
    for (const state of this.states.values()) {
      const { buffer, replay } = state;
      if (buffer.length === 0) continue;
      if (!replay) {
        batches.push(buffer);
        state.buffer = [];
        continue;
      }
      if ((buffer.at(-1)?.offset ?? -1) < replay.last) continue;
      const end = buffer.findIndex((r) => r.offset > replay.last);
      const cut = end === -1 ? buffer.length : end;
      batches.push(buffer.slice(0, cut));
      state.buffer = buffer.slice(cut);
      delete state.replay;
    }
    return batches;
  }

  /** Forgets everything, e.g. before rewinding to the commits after a failure. */
  clear(): void {
    this.states.clear();
  }

  get size(): number {
    let n = 0;
    for (const state of this.states.values()) n += state.buffer.length;
    return n;
  }
}
