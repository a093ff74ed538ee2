import { personRowsAsNdjson, userAppVersions, userProperties, usersWithProperty, type UserProperties } from '@strix/warehouse';
import type { AnalyticsDeps } from './deps.ts';

export type { UserProperties };

/** User properties (`$set`, `$set_once`) as people read them: one user, or the users sharing a value. */
export class UserDirectory {
  constructor(private readonly deps: AnalyticsDeps) {}

  /** A user's properties, or undefined when none were ever set. */
  get(projectId: string, userId: string): Promise<UserProperties | undefined> {
    return userProperties(this.deps.warehouse, projectId, userId);
  }

  /** Every stored row about the user (the right of access), as NDJSON lines streamed table by table. */
  exportRows(projectId: string, userId: string): AsyncGenerator<string> {
    return personRowsAsNdjson(this.deps.warehouse, projectId, userId);
  }

  /** Each user's app and version in their latest event naming one (the last 90 days), by user id. */
  appVersions(projectId: string, userIds: readonly string[]): Promise<Map<string, { appId: string; appVersion: string }>> {
    return userAppVersions(this.deps.warehouse, projectId, userIds);
  }

  /** Users whose property `key` is `value`, by user id after `afterUserId`. */
  withProperty(projectId: string, property: { key: string; value: string }, limit: number, afterUserId: string): Promise<UserProperties[]> {
    return usersWithProperty(this.deps.warehouse, projectId, property, limit, afterUserId);
  }
}
