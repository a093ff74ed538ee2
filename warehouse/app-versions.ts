import { z } from 'zod';
import { compareVersions, type QueryParams, type Warehouse } from '@strix/contracts';

/** One `app_version` an app's production events carried, and when it was last seen. */
export const AppVersionSeen = z.object({
  app_id: z.string(),
  app_version: z.string(),
  last_seen_ms: z.coerce.number(),
});
export type AppVersionSeen = z.infer<typeof AppVersionSeen>;

/** An app's highest production version, as far as its events tell. */
export interface LatestAppVersion {
  version: string;
  /** When an event last carried it (epoch ms). */
  last_seen_ms: number;
}

export interface AppVersionScope {
  /** Only these apps (all of the project's when absent). */
  appIds?: readonly string[];
  /** Only events at or after this time (epoch ms): the whole retention when absent. */
  sinceMs?: number;
}

/**
 * The distinct versions each app's production events (is_dev = false, what
 * `data_mode=production` reads) carried, aggregated in the engine: one row per
 * (app, version), never one per event.
 */
export async function productionAppVersions(wh: Warehouse, projectId: string, scope: AppVersionScope = {}): Promise<AppVersionSeen[]> {
  if (scope.appIds?.length === 0) return [];
  const clauses = ['project_id = {project:String}', 'NOT is_dev', "app_version != ''"];
  const params: QueryParams = { project: projectId };
  if (scope.appIds) {
    clauses.push('app_id IN {apps:Array(String)}');
    params.apps = scope.appIds;
  }
  if (scope.sinceMs !== undefined) {
    clauses.push("ts >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')");
    params.since = scope.sinceMs;
  }
  const rows = await wh.query(
    `SELECT app_id, app_version, toUnixTimestamp64Milli(max(ts)) AS last_seen_ms
     FROM events WHERE ${clauses.join(' AND ')}
     GROUP BY app_id, app_version`,
    params,
  );
  return rows.map((r) => AppVersionSeen.parse(r));
}

/**
 * The highest of an app's versions by `compareVersions`. Its order is partial
 * (a word against a number is unknown), so this keeps the versions no other one
 * is known to outrank; when several remain ("2.1.0" and "nightly"), the one
 * known to outrank the most others wins, then the one seen last. Equal
 * versions ("1.2", "v1.2.0") resolve to the spelling seen last.
 */
export function highestVersion<T extends { app_version: string; last_seen_ms: number }>(seen: readonly T[]): T | undefined {
  const ordered = seen
    .filter((v) => v.app_version.trim() !== '')
    .sort((a, b) => b.last_seen_ms - a.last_seen_ms || (a.app_version < b.app_version ? 1 : a.app_version > b.app_version ? -1 : 0));
  let maxima: T[] = [];
  for (const v of ordered) {
    if (maxima.some((m) => (compareVersions(m.app_version, v.app_version) ?? -1) >= 0)) continue;
    maxima = maxima.filter((m) => compareVersions(v.app_version, m.app_version) !== 1);
    maxima.push(v);
  }
  if (maxima.length <= 1) return maxima[0];
  const outranked = (m: T) => ordered.filter((w) => compareVersions(m.app_version, w.app_version) === 1).length;
  // `maxima` keeps `ordered`'s order (latest seen first): a strict `>` leaves a tie to the one seen last.
  let best = maxima[0] as T;
  let bestCount = outranked(best);
  for (const m of maxima.slice(1)) {
    const count = outranked(m);
    if (count > bestCount) [best, bestCount] = [m, count];
  }
  return best;
}

/** Each app's highest production version (apps whose production events carried none are absent). */
export async function latestProductionAppVersions(wh: Warehouse, projectId: string, scope: AppVersionScope = {}): Promise<Map<string, LatestAppVersion>> {
  const byApp = new Map<string, AppVersionSeen[]>();
  for (const row of await productionAppVersions(wh, projectId, scope)) {
    const list = byApp.get(row.app_id);
    if (list) list.push(row);
    else byApp.set(row.app_id, [row]);
  }
  const latest = new Map<string, LatestAppVersion>();
  for (const [appId, versions] of byApp) {
    const best = highestVersion(versions);
    if (best) latest.set(appId, { version: best.app_version, last_seen_ms: best.last_seen_ms });
  }
  return latest;
}
