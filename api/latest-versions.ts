import type { FastifyInstance } from 'fastify';
import { compareVersions } from '@strix/contracts';
import { listApps } from '@strix/control';

/** Each app of the project whose latest version is known (`app_version_sync`), by app id. */
export async function latestAppVersions(app: FastifyInstance, projectId: string): Promise<ReadonlyMap<string, string>> {
  const apps = await listApps(app.control.db, projectId);
  return new Map(apps.flatMap((a) => (a.latest_app_version ? [[a.id, a.latest_app_version] as const] : [])));
}

/** Whether `version` is its app's latest (or newer): null when either is unknown. Versions that do not compare are the latest only when equal. */
export function isLatestVersion(version: string, latest: string | undefined): boolean | null {
  if (!version || !latest) return null;
  const order = compareVersions(version, latest);
  return order === undefined ? version === latest : order >= 0;
}
