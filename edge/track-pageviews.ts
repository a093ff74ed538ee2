import type { ValidatedBatch } from './validate-events.ts';
import { normalizePagePath, type PageviewDeduper } from './pageviews.ts';

export const PAGEVIEW = '$pageview';

/** The page a `$pageview` names: its `path`, else the URL or pathname in its properties. */
function pageOf(attributes: Record<string, unknown> | undefined, path: string | undefined): string {
  for (const candidate of [path, attributes?.$pathname, attributes?.$current_url]) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate;
  }
  return '/';
}

/** A URL without its query and hash, which carry OAuth codes, tokens and filter churn. */
function withoutQuery(url: string): string {
  return url.replace(/[?#].*$/s, '');
}

/**
 * Section-normalizes each `$pageview` of a track batch (its route goes to
 * `screen_name`, the route column of every audience view) and, given a
 * deduper, drops a pageview that repeats its session's previous section.
 * Returns how many were dropped: they are acknowledged as accepted, since the
 * client did nothing wrong.
 */
export function normalizePageviews(projectId: string, batch: ValidatedBatch, deduper: PageviewDeduper | undefined): number {
  let dropped = 0;
  const kept: ValidatedBatch = { accepted: [], indexes: [], errors: batch.errors };
  batch.accepted.forEach((event, i) => {
    if (event.name === PAGEVIEW) {
      const section = normalizePagePath(pageOf(event.attributes, event.screen_name));
      event.screen_name = section;
      const url = event.attributes?.$current_url;
      if (event.attributes && typeof url === 'string') event.attributes.$current_url = withoutQuery(url);
      const who = event.session_id?.trim() || event.user_id?.trim();
      if (who && deduper?.isRepeat(`${projectId}\u0000${who}`, section)) {
        dropped++;
        return;
      }
    }
    kept.accepted.push(event);
    kept.indexes.push(batch.indexes[i] ?? i);
  });
  Object.assign(batch, kept);
  return dropped;
}
