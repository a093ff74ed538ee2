import type { Warehouse } from '@strix/contracts';

export interface UserProperties {
  user_id: string;
  properties: Record<string, string>;
  first_seen_at: string;
  updated_at: string;
}

interface PropertyRow {
  user_id: string;
  key: string;
  value: string;
  first_seen: string;
  updated: string;
}

const iso = (column: string) => `formatDateTime(${column}, '%Y-%m-%dT%H:%i:%S.%fZ')`;

function collect(rows: PropertyRow[]): UserProperties[] {
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
  const rows = await wh.query<PropertyRow>(
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
  const rows = await wh.query<PropertyRow>(
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
