import { listAppsForVersionSync, setLatestVersion } from '@strix/control';
import { latestProductionAppVersions } from '@strix/warehouse';
import type { ActivityDeps } from '../activities.ts';
import type { JobBody } from '../jobs.ts';
import { createITunesClient, type ITunesLookup } from './itunes.ts';
import { syncAppVersions } from './sync.ts';

/**
 * `app_version_sync`: every live app's latest version (a project run: that
 * project's apps). The App Store client is made once, so its spacing between
 * requests holds across runs.
 */
export function appVersionJobBodies(deps: ActivityDeps): { app_version_sync: JobBody } {
  const itunes: ITunesLookup = deps.itunes ?? createITunesClient();
  const now = deps.now ?? Date.now;
  return {
    async app_version_sync(ctx) {
      const apps = (await listAppsForVersionSync(deps.directory.db)).filter((a) => ctx.run.projectId === null || a.project_id === ctx.run.projectId);
      await ctx.progress({ processed: 0, total: apps.length });
      const summary = await syncAppVersions({
        apps,
        itunes,
        warehouseLatest: (projectId, appIds) => latestProductionAppVersions(deps.warehouse, projectId, { appIds }),
        setLatest: (projectId, appId, found) => setLatestVersion(deps.directory.db, projectId, appId, found),
        now,
      });
      return { ...summary };
    },
  };
}
