import type { ConsumedRecord } from '@strix/contracts';

/** Offsets of a batch that must be re-formed exactly, both ends inclusive. */
export interface OffsetRange {
  readonly first: number;
  readonly last: number;
}

interface PartitionState {
  buffer: ConsumedRecord[];
  replay?: OffsetRange;
  /** When the buffer's records began to wait, in takes: the partition waiting longest goes first. */
  since: number;
}

export interface BatchLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/**
 * Polled records waiting to be processed, per assigned partition. A batch
 * never spans partitions, so its deduplication token (topic, partition,
 * offset range) names exactly one run of offsets.
 *
 * One batch is taken at a time, from the partition that has waited longest,
 * while the others keep filling: with several partitions each insert carries
 * what one partition gathered during the inserts of the others, so inserts
 * stay as large as with one partition instead of shrinking with their number.
 *
 * A partition adopted with a `replay` range yields that range and nothing
 * else as its next batch, waiting for more polls until the range is complete:
 * the same records as the interrupted attempt, so the same token.
 */
export class PartitionBatches {
  private readonly states = new Map<number, PartitionState>();
  private clock = 0;
  private buffered = 0;

  /**
   * Forgets partitions no longer assigned (revoked by a rebalance) and returns
   * the assigned ones not adopted yet, for the caller to check their commits.
   */
  reconcile(assignment: readonly number[]): number[] {
    const assigned = new Set(assignment);
    for (const [partition, state] of this.states) {
      if (assigned.has(partition)) continue;
      this.buffered -= bytesOf(state.buffer);
      this.states.delete(partition);
    }
    return assignment.filter((p) => !this.states.has(p));
  }

  adopt(partition: number, replay?: OffsetRange): void {
    this.states.set(partition, replay ? { buffer: [], replay, since: 0 } : { buffer: [], since: 0 });
  }

  /** Buffers records of adopted partitions; records of any other partition are dropped (it was revoked). */
  add(records: readonly ConsumedRecord[]): void {
    for (const record of records) {
      const state = this.states.get(record.partition);
      if (!state) continue;
      if (state.buffer.length === 0) state.since = ++this.clock;
      state.buffer.push(record);
      this.buffered += record.value.length;
    }
  }

  /**
   * The next batch: a complete replay range first, else the records of the partition waiting longest,
   * oldest first, within `limits` (at least one record). Undefined when no partition has one ready.
   */
  take(limits: BatchLimits): ConsumedRecord[] | undefined {
    let next: PartitionState | undefined;
    for (const state of this.states.values()) {
      const { buffer, replay } = state;
      if (buffer.length === 0) continue;
      if (replay) {
        if ((buffer.at(-1)?.offset ?? -1) < replay.last) continue;
        const end = buffer.findIndex((r) => r.offset > replay.last);
        delete state.replay;
        return this.cut(state, end === -1 ? buffer.length : end);
      }
      if (!next || state.since < next.since) next = state;
    }
    if (!next) return undefined;
    let count = 0;
    let bytes = 0;
    for (const record of next.buffer) {
      if (count > 0 && (count >= limits.maxRecords || bytes + record.value.length > limits.maxBytes)) break;
      count += 1;
      bytes += record.value.length;
    }
    return this.cut(next, count);
  }

  /** Takes the first `count` records of a partition's buffer; what stays waits behind every other partition. */
  private cut(state: PartitionState, count: number): ConsumedRecord[] {
    const batch = count === state.buffer.length ? state.buffer : state.buffer.slice(0, count);
    state.buffer = count === state.buffer.length ? [] : state.buffer.slice(count);
    state.since = ++this.clock;
    this.buffered -= bytesOf(batch);
    return batch;
  }

  /** Forgets everything, e.g. before rewinding to the commits after a failure. */
  clear(): void {
    this.states.clear();
    this.buffered = 0;
  }

  /** Records buffered over all partitions. */
  get size(): number {
    let n = 0;
    for (const state of this.states.values()) n += state.buffer.length;
    return n;
  }

  /** Bytes of record values buffered over all partitions. */
  get bytes(): number {
    return this.buffered;
  }
}

/** Bytes of the records' values. */
export function bytesOf(records: readonly ConsumedRecord[]): number {
  let bytes = 0;
  for (const record of records) bytes += record.value.length;
  return bytes;
}
