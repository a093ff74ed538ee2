import type { AppVersionSource, Platform } from '@strix/contracts';
import type { ITunesLookup } from './itunes.ts';

/** An app to bring up to date (`listAppsForVersionSync` of the control plane gives these). */
export interface AppToSync {
  project_id: string;
  app_id: string;
  platform: Platform;
  bundle_id: string | null;
}

export interface LatestVersionFound {
  version: string;
  source: AppVersionSource;
  at: number;
}

export interface AppVersionSyncDeps {
  apps: readonly AppToSync[];
  /** The App Store lookup, for Apple apps with a bundle id. */
  itunes: ITunesLookup;
  /** Each of `appIds`' highest production version from the events (`latestProductionAppVersions` of the warehouse); apps with none are absent. */
  warehouseLatest: (projectId: string, appIds: readonly string[]) => Promise<ReadonlyMap<string, { version: string }>>;
  /** Stores an app's latest version; true when it changed (`setLatestVersion` of the control plane). */
  setLatest: (projectId: string, appId: string, found: LatestVersionFound) => Promise<boolean>;
  now: () => number;
}

export interface AppVersionSyncSummary {
  /** Apps gone through; each is counted in exactly one of the four below. */
  checked: number;
  changed: Array<{ project_id: string; app_id: string; version: string; source: AppVersionSource }>;
  unchanged: number;
  /** Apps with no version anywhere yet: not in the store, no production event with one. */
  unknown: number;
  failed: Array<{ project_id: string; app_id: string; reason: string }>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Brings each app's latest version up to date: Apple apps with a bundle id from
 * the App Store, falling back to their events when the store does not list
 * them; every other app from its events. One app's failure is recorded and the
 * others carry on. A store failure (5xx, timeout) leaves the stored version as
 * it is rather than switching the app to its events for an hour.
 */
export async function syncAppVersions(deps: AppVersionSyncDeps): Promise<AppVersionSyncSummary> {
  const summary: AppVersionSyncSummary = { checked: deps.apps.length, changed: [], unchanged: 0, unknown: 0, failed: [] };
  const fail = (app: AppToSync, reason: string) => summary.failed.push({ project_id: app.project_id, app_id: app.app_id, reason });

  const byProject = new Map<string, AppToSync[]>();
  for (const app of deps.apps) {
    const list = byProject.get(app.project_id);
    if (list) list.push(app);
    else byProject.set(app.project_id, [app]);
  }

  for (const [projectId, apps] of byProject) {
    const found: Array<{ app: AppToSync; version: string; source: AppVersionSource }> = [];
    const fromEvents: AppToSync[] = [];
    for (const app of apps) {
      if (app.platform !== 'apple' || !app.bundle_id) {
        fromEvents.push(app);
        continue;
      }
      let result;
      try {
        result = await deps.itunes.lookup(app.bundle_id);
      } catch (error) {
        fail(app, `App Store lookup of ${app.bundle_id}: ${messageOf(error)}`);
        continue;
      }
      switch (result.kind) {
        case 'found':
          found.push({ app, version: result.version, source: 'app_store' });
          break;
        case 'not_found':
          fromEvents.push(app);
          break;
        case 'failed':
          fail(app, result.reason);
          break;
        default:
          result satisfies never;
      }
    }

    // One query for the project's apps that need their events.
    if (fromEvents.length > 0) {
      try {
        const latest = await deps.warehouseLatest(projectId, fromEvents.map((a) => a.app_id));
        for (const app of fromEvents) {
          const seen = latest.get(app.app_id);
          if (seen) found.push({ app, version: seen.version, source: 'events' });
          else summary.unknown += 1;
        }
      } catch (error) {
        for (const app of fromEvents) fail(app, `highest version in the events: ${messageOf(error)}`);
      }
    }

    for (const { app, version, source } of found) {
      try {
        if (await deps.setLatest(projectId, app.app_id, { version, source, at: deps.now() })) {
          summary.changed.push({ project_id: projectId, app_id: app.app_id, version, source });
        } else summary.unchanged += 1;
      } catch (error) {
        fail(app, `storing version ${version}: ${messageOf(error)}`);
      }
    }
  }
  return summary;
}
