/**
 * Which segments a retention pass deletes. Pure, so the policy can be read and
 * tested without files. Segments are only ever deleted from the front, which
 * keeps a topic's offsets contiguous from `firstOffset` to `nextOffset`.
 */

export interface RetentionSegment {
  readonly baseOffset: number;
  readonly endOffset: number;
  readonly bytes: number;
  readonly lastWriteMs: number;
}

export interface RetentionPolicy {
  readonly retainBytes: number;
  readonly retainMs: number;
  /** Hard cap that deletes even unconsumed records (a bounded DLQ); undefined means none. */
  readonly maxTopicBytes: number | undefined;
}

export interface RetentionPlan {
  /** Delete this many segments from the front. */
  readonly deleteCount: number;
  /** Records in those segments that some group had not committed yet (only the hard cap does this). */
  readonly unconsumedRecords: number;
}

/**
 * @param committed every registered group's committed offset. With no group
 * registered nothing counts as consumed: a topic written before its processor
 * first starts must not lose data to ordinary retention.
 */
export function planRetention(
  segments: readonly RetentionSegment[],
  committed: readonly number[],
  policy: RetentionPolicy,
  nowMs: number,
): RetentionPlan {
  const first = segments[0];
  if (first === undefined) return { deleteCount: 0, unconsumedRecords: 0 };
  const consumedBefore = committed.length > 0 ? Math.min(...committed) : first.baseOffset;
  let total = segments.reduce((sum, s) => sum + s.bytes, 0);
  let deleteCount = 0;
  // The last segment is the one being appended to; it is never deleted.
  const deletable = segments.length - 1;

  while (deleteCount < deletable) {
    const s = segments[deleteCount];
    if (s === undefined || s.endOffset > consumedBefore) break;
    if (total <= policy.retainBytes && nowMs - s.lastWriteMs <= policy.retainMs) break;
    total -= s.bytes;
    deleteCount += 1;
  }

  let unconsumedRecords = 0;
  const cap = policy.maxTopicBytes;
  while (cap !== undefined && total > cap && deleteCount < deletable) {
    const s = segments[deleteCount];
    if (s === undefined) break;
    unconsumedRecords += Math.max(0, s.endOffset - Math.max(s.baseOffset, consumedBefore));
    total -= s.bytes;
    deleteCount += 1;
  }
  return { deleteCount, unconsumedRecords };
}
