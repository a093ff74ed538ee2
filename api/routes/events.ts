import { z } from 'zod';
import { Levels, canonicalLevel } from '@strix/contracts';
import type { EventFilter, StoredEvent } from '@strix/analytics';
import { ApiError, errorResponses, legacyIsDevField, parseQuery, readScope, readScopeFields, timeWindow, type ZodRoutes } from '@strix/http';

const day = 24 * 60 * 60 * 1000;
const read = { keyType: 'agent', permission: 'events:read' } as const;
const tags = ['events'];

const EventsQuery = z.object({
  ...readScopeFields,
  ...legacyIsDevField,
  level: z
    .string()
    .transform((v, ctx) => {
      const level = canonicalLevel(v);
      if (!level) ctx.addIssue({ code: 'custom', message: `must be one of ${Levels.join(', ')}` });
      return level ?? z.NEVER;
    })
    .optional()
    .meta({ description: `One of ${Levels.join(', ')}` }),
  name: z.string().min(1).optional(),
  user_id: z.string().min(1).optional(),
  session_id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional().meta({ description: 'next_cursor of the previous page' }),
});
const CountsQuery = EventsQuery.omit({ limit: true, cursor: true, user_id: true, session_id: true });

/**
 * The events a query reads. Without `from` and `to`, the last 24 hours (and a
 * minute ahead, for clocks a little fast).
 */
function filterOf(projectId: string, q: z.infer<typeof CountsQuery>): EventFilter {
  const scope = readScope(projectId, q);
  const { fromMs, toMs } = timeWindow(scope, { spanMs: day, toMs: Date.now() + 60_000 });
  return { projectId, fromMs, toMs, isDev: scope.isDev, appId: scope.appId, level: q.level, name: q.name };
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

const text = z.string();
const stringMap = z.record(z.string(), z.string());

/** A stored event as the API returns it (times as ISO 8601). */
export const EventJson = z.object({
  event_id: text,
  timestamp: text,
  received_at: text,
  app_id: text,
  is_dev: z.boolean(),
  name: text,
  level: text,
  message: text,
  session_id: text,
  user_id: text,
  source_module: text,
  screen_name: text,
  environment: text,
  os_version: text,
  app_version: text,
  build_number: text,
  device_model: text,
  locale: text,
  country: text,
  fingerprint: text,
  attributes: stringMap,
  experiments: stringMap,
});

/** A stored event as the API returns it: times as ISO-8601. */
export function eventJson({ ts, received_at, ...rest }: StoredEvent): z.input<typeof EventJson> {
  return { ...rest, timestamp: new Date(ts).toISOString(), received_at: new Date(received_at).toISOString() };
}

const EventsPage = z.object({ events: z.array(EventJson), next_cursor: z.string().nullable() });
const HourlyCounts = z.object({
  counts: z.array(z.object({ hour: text, app_id: text, name: text, level: text, events: z.number().int() })),
});

/** Read API for agent keys: raw events with keyset pagination, and hourly counts. */
export const eventRoutes: ZodRoutes = async (app) => {
  app.get(
    '/v1/events',
    {
      config: read,
      schema: { summary: 'Events, newest first, a page at a time', tags, querystring: EventsQuery, response: { 200: EventsPage, ...errorResponses } },
    },
    async (request) => {
      const q = parseQuery(EventsQuery, request.query);
      const filter = { ...filterOf(request.principal.projectId, q), userId: q.user_id, sessionId: q.session_id };
      const rows = await app.analytics.events.list(filter, q.limit, decodeCursor(q.cursor));
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
      config: read,
      schema: { summary: 'Events per hour, app, name and level', tags, querystring: CountsQuery, response: { 200: HourlyCounts, ...errorResponses } },
    },
    async (request) => {
      const q = parseQuery(CountsQuery, request.query);
      return { counts: await app.analytics.events.hourlyCounts(filterOf(request.principal.projectId, q)) };
    },
  );
};
