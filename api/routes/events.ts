import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Levels, canonicalLevel } from '@strix/contracts';
import { queryEvents, queryHourlyCounts, type StoredEvent } from '@strix/warehouse';
import { ApiError, errorResponseSchema } from '@strix/http';
import { parseQuery } from '@strix/http';
import { queryTime } from '@strix/http';

const day = 24 * 60 * 60 * 1000;

const EventsQuery = z.object({
  from: queryTime.optional(),
  to: queryTime.optional(),
  level: z
    .string()
    .transform((v, ctx) => {
      const level = canonicalLevel(v);
      if (!level) ctx.addIssue({ code: 'custom', message: `must be one of ${Levels.join(', ')}` });
      return level ?? z.NEVER;
    })
    .optional(),
  name: z.string().min(1).optional(),
  user_id: z.string().min(1).optional(),
  session_id: z.string().min(1).optional(),
  app_id: z.string().min(1).optional(),
  is_dev: z.enum(['true', 'false']).default('false'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional(),
});

function filterOf(projectId: string, q: z.infer<typeof EventsQuery>) {
  const toMs = q.to ?? Date.now() + 60_000;
  const fromMs = q.from ?? toMs - day;
  if (fromMs >= toMs) throw new ApiError('bad_request', 'query parameter from: must be before to');
  return {
    projectId,
    fromMs,
    toMs,
    isDev: q.is_dev === 'true',
    appId: q.app_id,
    level: q.level,
    name: q.name,
    userId: q.user_id,
    sessionId: q.session_id,
  };
}

const cursorSchema = z.object({ ts: z.number().int(), id: z.string() });

function decodeCursor(cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  try {
    const c = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { ts: c.ts, eventId: c.id };
  } catch {
    throw new ApiError('bad_request', 'query parameter cursor: not a cursor returned by this endpoint');
  }
}

const encodeCursor = (ts: number, id: string) => Buffer.from(JSON.stringify({ ts, id })).toString('base64url');

export const eventSchema = {
  type: 'object',
  properties: {
    event_id: { type: 'string' },
    timestamp: { type: 'string' },
    received_at: { type: 'string' },
    app_id: { type: 'string' },
    is_dev: { type: 'boolean' },
    name: { type: 'string' },
    level: { type: 'string' },
    message: { type: 'string' },
    session_id: { type: 'string' },
    user_id: { type: 'string' },
    source_module: { type: 'string' },
    screen_name: { type: 'string' },
    environment: { type: 'string' },
    os_version: { type: 'string' },
    app_version: { type: 'string' },
    build_number: { type: 'string' },
    device_model: { type: 'string' },
    locale: { type: 'string' },
    country: { type: 'string' },
    fingerprint: { type: 'string' },
    attributes: { type: 'object', additionalProperties: { type: 'string' } },
    experiments: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

/** A stored event as the API returns it: times as ISO-8601. */
export function eventJson({ ts, received_at, ...rest }: StoredEvent) {
  return { ...rest, timestamp: new Date(ts).toISOString(), received_at: new Date(received_at).toISOString() };
}

/** Read API for agent keys: raw events with keyset pagination, and hourly counts. */
export const eventRoutes: FastifyPluginAsync = async (app) => {
  const errors = { '4xx': errorResponseSchema, '5xx': errorResponseSchema };

  app.get(
    '/v1/events',
    {
      config: { keyType: 'agent', permission: 'events:read' },
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { events: { type: 'array', items: eventSchema }, next_cursor: { type: ['string', 'null'] } },
            required: ['events', 'next_cursor'],
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const q = parseQuery(EventsQuery, request.query);
      const filter = filterOf(request.principal.projectId, q);
      const rows = await queryEvents(app.warehouse, filter, q.limit, decodeCursor(q.cursor));
      const last = rows[rows.length - 1];
      return {
        events: rows.map(eventJson),
        next_cursor: last && rows.length === q.limit ? encodeCursor(last.ts, last.event_id) : null,
      };
    },
  );

  app.get(
    '/v1/events/counts',
    {
      config: { keyType: 'agent', permission: 'events:read' },
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              counts: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    hour: { type: 'string' },
                    app_id: { type: 'string' },
                    name: { type: 'string' },
                    level: { type: 'string' },
                    events: { type: 'integer' },
                  },
                },
              },
            },
            required: ['counts'],
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const q = parseQuery(EventsQuery.omit({ limit: true, cursor: true, user_id: true, session_id: true }), request.query);
      const counts = await queryHourlyCounts(app.warehouse, filterOf(request.principal.projectId, { ...q, limit: 0 }));
      return { counts };
    },
  );
};
