import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/** A user's current properties as the read API serves them (times as ISO 8601 UTC). */
export const UserProperties = z.object({
  user_id: z.string(),
  properties: z.record(z.string(), z.string()),
  first_seen_at: z.string(),
  updated_at: z.string(),
});
export type UserProperties = z.infer<typeof UserProperties>;

/** One property of one user, as `user_property_values` holds it. */
export const UserPropertyRow = z.object({
  user_id: z.string(),
  key: z.string(),
  value: z.string(),
  first_seen: z.string(),
  updated: z.string(),
});
export type UserPropertyRow = z.infer<typeof UserPropertyRow>;

/** The property keys a user has stored, for the edge's per-user key limit. */
export const UserPropertyKeysRow = z.object({
  user_id: z.string(),
  keys: z.array(z.string()),
});
export type UserPropertyKeysRow = z.infer<typeof UserPropertyKeysRow>;

const iso = (column: string) => `formatDateTime(${column}, '%Y-%m-%dT%H:%i:%S.%fZ')`;

function collect(rows: UserPropertyRow[]): UserProperties[] {
  const users = new Map<string, UserProperties>();
  for (const row of rows) {
    let user = users.get(row.user_id);
    if (!user) {
      user = { user_id: row.user_id, properties: {}, first_seen_at: row.first_seen, updated_at: row.updated };
      users.set(row.user_id, user);
    }
    user.properties[row.key] = row.value;
    if (row.first_seen < user.first_seen_at) user.first_seen_at = row.first_seen;
    if (row.updated > user.updated_at) user.updated_at = row.updated;
  }
  return [...users.values()];
}

/** A user's current properties (`$set` merged, `$set_once` first), or undefined when none were ever set. */
export async function userProperties(wh: Warehouse, projectId: string, userId: string): Promise<UserProperties | undefined> {
  const rows = await queryRows(
    wh,
    'user properties',
    UserPropertyRow,
    `SELECT user_id, key, value, ${iso('first_seen_at')} AS first_seen, ${iso('updated_at')} AS updated
     FROM user_property_values WHERE project_id = {project:String} AND user_id = {user:String} ORDER BY key`,
    { project: projectId, user: userId },
  );
  return collect(rows)[0];
}

/** Users whose property `key` currently equals `value`, by user id, with all their properties. */
export async function usersWithProperty(
  wh: Warehouse,
  projectId: string,
  filter: { key: string; value: string },
  limit: number,
  afterUserId = '',
): Promise<UserProperties[]> {
  const rows = await queryRows(
    wh,
    'user properties',
    UserPropertyRow,
    `SELECT user_id, key, value, ${iso('first_seen_at')} AS first_seen, ${iso('updated_at')} AS updated
     FROM user_property_values
     WHERE project_id = {project:String} AND user_id IN (
       SELECT user_id FROM user_property_values
       WHERE project_id = {project:String} AND key = {key:String} AND value = {value:String} AND user_id > {after:String}
       ORDER BY user_id LIMIT {limit:UInt32})
     ORDER BY user_id, key`,
    { project: projectId, key: filter.key, value: filter.value, after: afterUserId, limit },
  );
  return collect(rows);
}

/**
 * The distinct property keys each of the given users has stored; users with
 * none are absent. One query per call, however many users.
 */
export async function userPropertyKeys(wh: Warehouse, projectId: string, userIds: readonly string[]): Promise<UserPropertyKeysRow[]> {
  if (userIds.length === 0) return [];
  return queryRows(
    wh,
    'user property keys',
    UserPropertyKeysRow,
    `SELECT user_id, groupUniqArray(key) AS keys FROM user_properties
     WHERE project_id = {project:String} AND user_id IN {users:Array(String)} GROUP BY user_id`,
    { project: projectId, users: userIds },
  );
}

/** Properties one source (an integration) sets on one user, as of `at` (epoch ms). */
export interface UserPropertyWrite {
  userId: string;
  properties: Readonly<Record<string, string>>;
  at: number;
}

const writesPerInsert = 500;

/**
 * Sets properties on users without an event: rows go through
 * `user_property_writes` into `user_properties` as `$set` states at their
 * `at`, so a later `$set` (or a later write here) wins and an older one loses,
 * as for events. Writing the same values at the same time again changes
 * nothing (argMax, max and min states), and each insert carries a token derived
 * from its rows, so a retried one is not even stored twice.
 */
export async function writeUserProperties(wh: Warehouse, projectId: string, writes: readonly UserPropertyWrite[]): Promise<void> {
  for (let i = 0; i < writes.length; i += writesPerInsert) {
    const rows = writes
      .slice(i, i + writesPerInsert)
      .flatMap((w) => Object.entries(w.properties).map(([key, value]) => ({ project_id: projectId, user_id: w.userId, key, value, ts: Math.trunc(w.at) })));
    if (rows.length === 0) continue;
    const token = createHash('sha256');
    for (const r of rows) token.update(`${JSON.stringify([r.project_id, r.user_id, r.key, r.value, r.ts])}\n`);
    await wh.insert('user_property_writes', rows, { dedupToken: `user-property-write:${token.digest('hex')}` });
  }
}

const UserIdRow = z.object({ user_id: z.string() });

/**
 * The project's known users after `afterUserId`, in id order: those who sent
 * events (the audience's people, anonymous sessions left out) and those with
 * properties. A page of a sync over every user.
 */
export async function knownUserIds(wh: Warehouse, projectId: string, afterUserId: string, limit: number): Promise<string[]> {
  const rows = await queryRows(
    wh,
    'known users',
    UserIdRow,
    `SELECT DISTINCT user_id FROM (
       SELECT person_key AS user_id FROM audience_people
       WHERE project_id = {project:String} AND person_key > {after:String} AND NOT startsWith(person_key, 's:')
       UNION ALL
       SELECT user_id FROM user_properties WHERE project_id = {project:String} AND user_id > {after:String})
     WHERE user_id != ''
     ORDER BY user_id LIMIT {limit:UInt32}`,
    { project: projectId, after: afterUserId, limit },
  );
  return rows.map((r) => r.user_id);
}

const UserAppVersionRow = z.object({ user_id: z.string(), last_app_id: z.string(), last_app_version: z.string() });

/** Days of events read for a user's app version: a person not seen for longer has no current version. */
const appVersionLookbackDays = 90;

/**
 * Each user's app and app version in their latest event that names a version (of the last 90 days), by user id.
 * The events' bloom filter on user_id keeps it to the granules that hold them.
 */
export async function userAppVersions(wh: Warehouse, projectId: string, userIds: readonly string[]): Promise<Map<string, { appId: string; appVersion: string }>> {
  if (userIds.length === 0) return new Map();
  const rows = await queryRows(
    wh,
    'user app versions',
    UserAppVersionRow,
    `SELECT user_id, argMax(app_id, ts) AS last_app_id, argMax(app_version, ts) AS last_app_version FROM events
     WHERE project_id = {project:String} AND user_id IN {users:Array(String)} AND app_version != ''
       AND ts >= now64(3) - INTERVAL {days:UInt32} DAY
     GROUP BY user_id`,
    { project: projectId, users: [...userIds], days: appVersionLookbackDays },
  );
  return new Map(rows.map((r) => [r.user_id, { appId: r.last_app_id, appVersion: r.last_app_version }]));
}

