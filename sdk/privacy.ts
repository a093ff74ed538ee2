import { sha256Hex } from './sha256.ts';

/**
 * Helpers that let an app describe things without sending them: a salted, truncated hash for
 * free-text ids (a custom model's name, a workspace slug) and coarse buckets for numbers (sizes,
 * counts, lengths), so no single value identifies anyone.
 */

/**
 * The first 12 hex digits of SHA-256(salt, NUL, value): equal inputs give equal hashes, so distinct
 * values can be counted, while the text itself never leaves the device. With a fixed salt a
 * guessed input can be checked against its hash, so use it for ids, not for secrets; a per-app salt
 * keeps hashes from matching across apps.
 */
export function hashId(value: string, salt: string): string {
  return sha256Hex(`${salt}\u0000${value}`).slice(0, 12);
}

/**
 * A number as the range of `edges` it falls in: with edges [100, 500, 2000], 42 is `<100`, 100 is
 * `100-500`, 2000 and above `2000+`. Edges must increase; anything not a finite number is `unknown`.
 */
export function bucket(value: number, edges: readonly number[]): string {
  if (!Number.isFinite(value) || edges.length === 0) return 'unknown';
  const first = edges[0]!;
  if (value < first) return `<${first}`;
  for (let i = 1; i < edges.length; i++) {
    if (value < edges[i]!) return `${edges[i - 1]}-${edges[i]}`;
  }
  return `${edges[edges.length - 1]}+`;
}

/**
 * A number snapped down to the nearest of fixed `tiers` (a machine's memory: 17.2 GB → `16`), the
 * top tier as `<top>+` and anything below the first as `<first`. Tiers must increase.
 */
export function tier(value: number, tiers: readonly number[]): string {
  if (!Number.isFinite(value) || tiers.length === 0) return 'unknown';
  const top = tiers[tiers.length - 1]!;
  if (value >= top) return `${top}+`;
  let snapped: number | undefined;
  for (const t of tiers) if (value >= t) snapped = t;
  return snapped === undefined ? `<${tiers[0]}` : String(snapped);
}

/** A text's length as a coarse bucket: tells a quick note from a long report without its content. */
export function lengthBucket(value: string, edges: readonly number[] = [100, 500, 2000]): string {
  return bucket(typeof value === 'string' ? value.length : Number.NaN, edges);
}
