/**
 * Versions for ReplacingMergeTree rows: the newest write wins when read with
 * FINAL. Microseconds of the wall clock, kept strictly increasing within a
 * process so two writes in one millisecond still order as they were made.
 */
let last = 0;

export function nextVersion(now = Date.now()): number {
  last = Math.max(now * 1000, last + 1);
  return last;
}
