import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { IngestLimits } from '@strix/contracts';
import { userProperties, usersWithProperty } from '@strix/warehouse';
import { ApiError, errorResponseSchema } from '@strix/http';
import { parseParams, parseQuery } from '@strix/http';

const read = { keyType: 'agent', permission: 'events:read' } as const;

const userSchema = {
  type: 'object',
  properties: {
    user_id: { type: 'string' },
    properties: { type: 'object', additionalProperties: { type: 'string' } },
    first_seen_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
  required: ['user_id', 'properties', 'first_seen_at', 'updated_at'],
} as const;

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
export const userRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/v1/users/:id',
    { config: read, schema: { response: { 200: userSchema, '4xx': errorResponseSchema } } },
    async (request) => {
      const { id } = parseParams(UserParams, request.params);
      const user = await userProperties(app.warehouse, request.principal.projectId, id);
      if (!user) throw new ApiError('not_found', `user ${id} has no properties in this project`);
      return user;
    },
  );

  app.get(
    '/v1/users',
    {
      config: read,
      schema: {
        response: {
          200: { type: 'object', properties: { users: { type: 'array', items: userSchema }, next_after: { type: 'string' } } },
          '4xx': errorResponseSchema,
        },
      },
    },
    async (request) => {
      const q = parseQuery(UsersQuery, request.query);
      const users = await usersWithProperty(app.warehouse, request.principal.projectId, { key: q.property, value: q.value }, q.limit, q.after);
      const last = users.at(-1);
      return { users, ...(users.length === q.limit && last && { next_after: last.user_id }) };
    },
  );
};
