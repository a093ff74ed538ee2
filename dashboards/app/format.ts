/** How numbers read on every page. */

/** A ratio as a percentage with one decimal. */
export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

/** Seconds in the largest unit that keeps them readable; an em dash for none. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}
