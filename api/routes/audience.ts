import { z } from 'zod';
import { ApiError, errorResponses, parseQuery, readScope, readScopeFields, timeWindow, type ReadScope, type ZodRoutes } from '@strix/http';

export const AudienceLimits = {
  /** A year of days, leap years included. */
  maxRangeDays: 366,
  defaultRangeDays: 30,
  maxLimit: 1000,
  /** "Live" is who had an event in this window. */
  liveWindowMs: 5 * 60_000,
} as const;

const dayMs = 86_400_000;
const read = { keyType: 'agent', permission: 'events:read' } as const;
const tags = ['audience'];

const limit = (fallback: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(AudienceLimits.maxLimit, { message: `must be at most ${AudienceLimits.maxLimit}` })
    .default(fallback);

const { from, to, data_mode, app_id } = readScopeFields;
const ActiveQuery = z.object({ data_mode, app_id, from, to }).strict();
const ScreensQuery = z.object({ data_mode, app_id, from, to, limit: limit(50) }).strict();
/** Live has no range: its window is the last five minutes. */
const LiveQuery = z.object({ data_mode, app_id, limit: limit(10) }).strict();

/** The range read (default: the 30 days up to now), or a 400 past a year. */
function windowOf(scope: ReadScope) {
  const window = timeWindow(scope, { spanMs: AudienceLimits.defaultRangeDays * dayMs });
  if (window.toMs - window.fromMs > AudienceLimits.maxRangeDays * dayMs) {
    throw new ApiError('bad_request', `query parameter from: the range from..to must span at most ${AudienceLimits.maxRangeDays} days`);
  }
  return window;
}

const count = z.number().int();
const day = z.string().meta({ description: 'A UTC date, YYYY-MM-DD' });
const ActiveResponse = z.object({
  from: day,
  to: day,
  days: z.array(z.object({ day, dau: count, wau: count, mau: count, new: count, returning: count, sessions: count, events: count })),
});
const ScreensResponse = z.object({
  from: day,
  to: day,
  screens: z.array(
    z.object({
      screen_name: z.string(),
      views: count,
      events: count,
      people: count,
      exits: count.meta({ description: 'Sessions whose last view in the range was this screen' }),
      exit_rate: z.number().meta({ description: 'exits per view' }),
      median_dwell_seconds: z.number().nullable().meta({ description: 'Median time from a view to the session’s next view; null when none was followed' }),
    }),
  ),
});
const LiveResponse = z.object({
  since: z.string(),
  window_seconds: count,
  people: count,
  countries: z.array(z.object({ country: z.string(), people: count })),
  os_versions: z.array(z.object({ os_version: z.string(), people: count })),
  routes: z.array(z.object({ screen_name: z.string(), people: count })),
});

/**
 * Audience for agent keys with `events:read`:
 * active people per day, top screens and routes, and who is active now.
 * `data_mode` and `app_id` narrow every read; days are UTC, and a range
 * covers the days it touches (`to` exclusive).
 */
export const audienceRoutes: ZodRoutes = async (app) => {
  app.get(
    '/v1/audience/active',
    { config: read, schema: { summary: 'Active people per day (DAU, WAU, MAU, new, returning)', tags, querystring: ActiveQuery, response: { 200: ActiveResponse, ...errorResponses } } },
    async (request) => {
      const scope = readScope(request.principal.projectId, parseQuery(ActiveQuery, request.query));
      return app.analytics.audience.active(scope, windowOf(scope));
    },
  );

  app.get(
    '/v1/audience/screens',
    { config: read, schema: { summary: 'Top screens and routes, with exits and dwell', tags, querystring: ScreensQuery, response: { 200: ScreensResponse, ...errorResponses } } },
    async (request) => {
      const q = parseQuery(ScreensQuery, request.query);
      const scope = readScope(request.principal.projectId, q);
      return app.analytics.audience.screens(scope, windowOf(scope), q.limit);
    },
  );

  app.get(
    '/v1/audience/live',
    { config: read, schema: { summary: 'Who is active now (the last five minutes)', tags, querystring: LiveQuery, response: { 200: LiveResponse, ...errorResponses } } },
    async (request) => {
      const q = parseQuery(LiveQuery, request.query);
      const live = await app.analytics.audience.live(readScope(request.principal.projectId, q), Date.now(), AudienceLimits.liveWindowMs, q.limit);
      return {
        since: new Date(live.since).toISOString(),
        window_seconds: AudienceLimits.liveWindowMs / 1000,
        people: live.people,
        countries: live.countries,
        os_versions: live.osVersions,
        routes: live.routes,
      };
    },
  );
};
