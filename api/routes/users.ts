import { z } from 'zod';
import { IngestLimits } from '@strix/contracts';
import { ApiError, ErrorBody, parseParams, parseQuery, type ZodRoutes } from '@strix/http';

const read = { keyType: 'agent', permission: 'events:read' } as const;
const tags = ['users'];

const UserJson = z.object({
  user_id: z.string(),
  properties: z.record(z.string(), z.string()),
  first_seen_at: z.string(),
  updated_at: z.string(),
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
  app.get(
    '/v1/users/:id',
    { config: read, schema: { summary: 'A user’s properties', tags, params: UserParams, response: { 200: UserJson, ...clientErrors } } },
    async (request) => {
      const { id } = parseParams(UserParams, request.params);
      const user = await app.analytics.users.get(request.principal.projectId, id);
      if (!user) throw new ApiError('not_found', `user ${id} has no properties in this project`);
      return user;
    },
  );

  app.get(
    '/v1/users',
    { config: read, schema: { summary: 'Users whose property has a value, by user id', tags, querystring: UsersQuery, response: { 200: UsersPage, ...clientErrors } } },
    async (request) => {
      const q = parseQuery(UsersQuery, request.query);
      const users = await app.analytics.users.withProperty(request.principal.projectId, { key: q.property, value: q.value }, q.limit, q.after);
      const last = users.at(-1);
      return { users, ...(users.length === q.limit && last && { next_after: last.user_id }) };
    },
  );
};
