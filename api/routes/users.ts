import { z } from 'zod';
import { IngestLimits } from '@strix/contracts';
import type { UserProperties } from '@strix/analytics';
import { ApiError, ErrorBody, parseParams, parseQuery, type ZodRoutes } from '@strix/http';
import { isLatestVersion, latestAppVersions } from '../latest-versions.ts';

const read = { keyType: 'agent', permission: 'events:read' } as const;
const tags = ['users'];

const UserJson = z.object({
  user_id: z.string(),
  properties: z.record(z.string(), z.string()),
  first_seen_at: z.string(),
  updated_at: z.string(),
  app_id: z.string().nullable().meta({ description: 'The app of the user’s latest event naming a version (the last 90 days); null when none' }),
  app_version: z.string().nullable().meta({ description: 'That event’s app version; null when none' }),
  is_latest_app_version: z.boolean().nullable().meta({ description: 'Whether that version is its app’s latest (apps’ latest_app_version); null when either is unknown' }),
});
const UsersPage = z.object({ users: z.array(UserJson), next_after: z.string().optional().meta({ description: 'Send as after for the next page; absent on the last' }) });
const clientErrors = { '4xx': ErrorBody };

const UserParams = z.object({ id: z.string().min(1).max(IngestLimits.maxIdChars) });

const UsersQuery = z
  .object({
    property: z.string().min(1).max(IngestLimits.maxUserPropertyKeyChars),
    value: z.string().max(IngestLimits.maxUserPropertyValueChars),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: z.string().max(IngestLimits.maxIdChars).default(''),
  })
  .strict();

/** User properties as analysts and dashboards read them: one user, or the users sharing a value. */
export const userRoutes: ZodRoutes = async (app) => {
  /** The users with the app version they last used, and whether it is their app's latest. */
  const withVersions = async (projectId: string, users: readonly UserProperties[]): Promise<z.input<typeof UserJson>[]> => {
    const [versions, latest] = await Promise.all([app.analytics.users.appVersions(projectId, users.map((u) => u.user_id)), latestAppVersions(app, projectId)]);
    return users.map((user) => {
      const used = versions.get(user.user_id);
      return {
        ...user,
        app_id: used?.appId ?? null,
        app_version: used?.appVersion ?? null,
        is_latest_app_version: used ? isLatestVersion(used.appVersion, latest.get(used.appId)) : null,
      };
    });
  };

  app.get(
    '/v1/users/:id',
    { config: read, schema: { summary: 'A user’s properties', tags, params: UserParams, response: { 200: UserJson, ...clientErrors } } },
    async (request) => {
      const { id } = parseParams(UserParams, request.params);
      const user = await app.analytics.users.get(request.principal.projectId, id);
      if (!user) throw new ApiError('not_found', `user ${id} has no properties in this project`);
      const [shown] = await withVersions(request.principal.projectId, [user]);
      return shown!;
    },
  );

  app.get(
    '/v1/users',
    { config: read, schema: { summary: 'Users whose property has a value, by user id', tags, querystring: UsersQuery, response: { 200: UsersPage, ...clientErrors } } },
    async (request) => {
      const q = parseQuery(UsersQuery, request.query);
      const users = await app.analytics.users.withProperty(request.principal.projectId, { key: q.property, value: q.value }, q.limit, q.after);
      const last = users.at(-1);
      return { users: await withVersions(request.principal.projectId, users), ...(users.length === q.limit && last && { next_after: last.user_id }) };
    },
  );
};
