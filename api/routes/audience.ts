import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DataMode, IngestLimits, isDevFor } from '@strix/contracts';
import { activePeople, liveAudience, topScreens, utcDay, type AudienceScope, type DayRange } from '@strix/warehouse';
import { ApiError, errorResponseSchema } from '@strix/http';
import { parseQuery } from '@strix/http';
import { queryTime } from '@strix/http';

export const AudienceLimits = {
  /** A year of days, leap years included. */
  maxRangeDays: 366,
  defaultRangeDays: 30,
  maxLimit: 1000,
  /** "Live" is who had an event in this window. */
  liveWindowMs: 5 * 60_000,
} as const;

const dayMs = 86_400_000;
const errors = { '4xx': errorResponseSchema, '5xx': errorResponseSchema };
const read = { keyType: 'agent', permission: 'events:read' } as const;

const limit = (fallback: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(AudienceLimits.maxLimit, { message: `must be at most ${AudienceLimits.maxLimit}` })
    .default(fallback);

const scopeFields = {
  data_mode: DataMode,
  app_id: z.string().min(1, { message: 'must not be empty' }).max(IngestLimits.maxShortFieldChars).optional(),
};
const rangeFields = { ...scopeFields, from: queryTime.optional(), to: queryTime.optional() };

const ActiveQuery = z.object(rangeFields).strict();
const ScreensQuery = z.object({ ...rangeFields, limit: limit(50) }).strict();
const LiveQuery = z.object({ ...scopeFields, limit: limit(10) }).strict();

const scopeOf = (projectId: string, q: { data_mode: DataMode; app_id?: string }): AudienceScope => ({
  projectId,
  isDev: isDevFor(q.data_mode),
  appId: q.app_id,
});

/**
 * The UTC days a time range touches: `to` is exclusive, so a range ending at
 * midnight stops the day before, and one ending now includes today. By default
 * the 30 days up to now.
 */
function dayRange(q: { from?: number; to?: number }): DayRange {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - AudienceLimits.defaultRangeDays * dayMs;
  if (from >= to) throw new ApiError('bad_request', 'query parameter from: must be before to');
  if (to - from > AudienceLimits.maxRangeDays * dayMs) {
    throw new ApiError('bad_request', `query parameter from: the range from..to must span at most ${AudienceLimits.maxRangeDays} days`);
  }
  return { from: utcDay(from), to: utcDay(to - 1) };
}

const counts = (names: string[]) => Object.fromEntries(names.map((n) => [n, { type: 'integer' }]));
const object = (properties: Record<string, object>) => ({ type: 'object', properties, required: Object.keys(properties) });
const list = (item: object) => ({ type: 'array', items: item });

const activeResponse = object({
  from: { type: 'string' },
  to: { type: 'string' },
  days: list(object({ day: { type: 'string' }, ...counts(['dau', 'wau', 'mau', 'new', 'returning', 'sessions', 'events']) })),
});
const screensResponse = object({
  from: { type: 'string' },
  to: { type: 'string' },
  screens: list(object({ screen_name: { type: 'string' }, ...counts(['views', 'events', 'people']) })),
});
const liveResponse = object({
  since: { type: 'string' },
  window_seconds: { type: 'integer' },
  people: { type: 'integer' },
  countries: list(object({ country: { type: 'string' }, people: { type: 'integer' } })),
  os_versions: list(object({ os_version: { type: 'string' }, people: { type: 'integer' } })),
  routes: list(object({ screen_name: { type: 'string' }, people: { type: 'integer' } })),
});

/**
 * Audience for agent keys with `events:read`:
 * active people per day, top screens and routes, and who is active now.
 * `data_mode` and `app_id` narrow every read; days are UTC.
 */
export const audienceRoutes: FastifyPluginAsync = async (app) => {
  app.get('/v1/audience/active', { config: read, schema: { response: { 200: activeResponse, ...errors } } }, async (request) => {
    const q = parseQuery(ActiveQuery, request.query);
    const range = dayRange(q);
    const days = await activePeople(app.warehouse, scopeOf(request.principal.projectId, q), range);
    return { ...range, days };
  });

  app.get('/v1/audience/screens', { config: read, schema: { response: { 200: screensResponse, ...errors } } }, async (request) => {
    const q = parseQuery(ScreensQuery, request.query);
    const range = dayRange(q);
    const screens = await topScreens(app.warehouse, scopeOf(request.principal.projectId, q), range, q.limit);
    return { ...range, screens };
  });

  app.get('/v1/audience/live', { config: read, schema: { response: { 200: liveResponse, ...errors } } }, async (request) => {
    const q = parseQuery(LiveQuery, request.query);
    const live = await liveAudience(app.warehouse, scopeOf(request.principal.projectId, q), Date.now(), AudienceLimits.liveWindowMs, q.limit);
    return {
      since: new Date(live.since).toISOString(),
      window_seconds: AudienceLimits.liveWindowMs / 1000,
      people: live.people,
      countries: live.countries,
      os_versions: live.osVersions,
      routes: live.routes,
    };
  });
};
