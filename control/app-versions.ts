import { DomainError, IngestLimits, appVersionSources, type AppVersionSource, type Platform } from '@strix/contracts';
import type { ControlSql } from './db.ts';

/** What the version sync found for an app. */
export interface LatestVersionUpdate {
  version: string;
  source: AppVersionSource;
  /** When it was found (epoch ms): the app's `latest_app_version_updated_at` when this changes it. */
  at: number;
}

/** A live app as the version sync sees it. */
export interface AppForVersionSync {
  project_id: string;
  app_id: string;
  platform: Platform;
  bundle_id: string | null;
  latest_app_version: string | null;
  latest_app_version_source: AppVersionSource | null;
}

/**
 * Records an app's latest version. Writes only when the version or its source
 * differs from the stored one (in the same statement, so two syncs at once
 * cannot both report a change); answers whether it changed. A deleted or
 * unknown app is not changed.
 */
export async function setLatestVersion(db: ControlSql, projectId: string, appId: string, update: LatestVersionUpdate): Promise<boolean> {
  const version = update.version.trim();
  if (version === '') throw new DomainError('invalid', 'version: must not be empty');
  // As long as an event's app_version may be: the events are one of its sources.
  if (version.length > IngestLimits.maxShortFieldChars) throw new DomainError('invalid', `version: must be at most ${IngestLimits.maxShortFieldChars} characters`);
  if (!appVersionSources.includes(update.source)) throw new DomainError('invalid', `source: must be one of ${appVersionSources.join(', ')}`);
  if (!Number.isFinite(update.at)) throw new DomainError('invalid', 'at: must be a time in epoch milliseconds');
  const rows = await db.query<{ id: string }>(
    `UPDATE apps SET latest_app_version = $3, latest_app_version_source = $4, latest_app_version_updated_at = to_timestamp($5 / 1000.0)
     WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL
       AND (latest_app_version IS DISTINCT FROM $3 OR latest_app_version_source IS DISTINCT FROM $4)
     RETURNING id`,
    [projectId, appId, version, update.source, update.at],
  );
  return rows.length > 0;
}

/** Every live app of a live project, by project and id: what the hourly version sync goes through. */
export async function listAppsForVersionSync(db: ControlSql): Promise<AppForVersionSync[]> {
  return db.query<AppForVersionSync>(
    `SELECT a.project_id, a.id AS app_id, a.platform, a.bundle_id, a.latest_app_version, a.latest_app_version_source
     FROM apps a JOIN projects p ON p.id = a.project_id
     WHERE a.deleted_at IS NULL AND p.deleted_at IS NULL
     ORDER BY a.project_id, a.id`,
  );
}
