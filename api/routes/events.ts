import { z } from 'zod';
import { IngestLimits, Levels, canonicalLevel, type OutputFormat } from '@strix/contracts';
import type { EventFilter, StoredEvent } from '@strix/analytics';
import { fileFrom } from '../file-stream.ts';
import { isLatestVersion, latestAppVersions } from '../latest-versions.ts';
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
const NamesQuery = CountsQuery.omit({ name: true }).extend({
  q: z.string().min(1).max(IngestLimits.maxNameChars).optional().meta({ description: 'Only names containing this text (any case)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Each export format a client may name, with the engine's output format, the media type and the file extension. */
const exportFormats = {
  csv: { engine: 'CSVWithNames', type: 'text/csv; charset=utf-8', extension: 'csv' },
  ndjson: { engine: 'JSONEachRow', type: 'application/x-ndjson', extension: 'ndjson' },
  arrow: { engine: 'Arrow', type: 'application/vnd.apache.arrow.file', extension: 'arrow' },
  parquet: { engine: 'Parquet', type: 'application/vnd.apache.parquet', extension: 'parquet' },
} as const satisfies Record<string, { engine: OutputFormat; type: string; extension: string }>;
const exportFormatNames = Object.keys(exportFormats) as (keyof typeof exportFormats)[];

/** Most events one export carries; a longer history is exported a range at a time. */
export const maxExportRows = 1_000_000;

const ExportQuery = EventsQuery.omit({ limit: true, cursor: true }).extend({
  project: z.string().optional().meta({ description: 'With a session cookie instead of the x-strix-project header: the project, so a plain download link works' }),
  format: z.enum(exportFormatNames, { message: `must be one of ${exportFormatNames.join(', ')}` }).meta({ description: 'csv (with a header row), ndjson, arrow (Arrow IPC file) or parquet' }),
  limit: z.coerce.number().int().min(1).max(maxExportRows).default(100_000).meta({ description: `Events at most (≤ ${maxExportRows.toLocaleString('en-US')}), oldest first` }),
});

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
  kind: z.enum(['log', 'track', 'metric']).meta({ description: 'log (errors are logs at level error), track or metric' }),
  is_latest_app_version: z
    .boolean()
    .nullable()
    .meta({ description: "Whether app_version is its app's latest version (latest_app_version of the app); null while either is unknown" }),
});

/** A stored event as the API returns it: times as ISO-8601; `latest`: each app's latest version (`latestAppVersions`). */
export function eventJson({ ts, received_at, ...rest }: StoredEvent, latest: ReadonlyMap<string, string>): z.input<typeof EventJson> {
  return {
    ...rest,
    kind: rest.kind ?? 'log',
    timestamp: new Date(ts).toISOString(),
    received_at: new Date(received_at).toISOString(),
    is_latest_app_version: isLatestVersion(rest.app_version, latest.get(rest.app_id)),
  };
}

const EventsPage = z.object({ events: z.array(EventJson), next_cursor: z.string().nullable() });
const EventNames = z.object({ names: z.array(z.object({ name: text, events: z.number().int() })) });
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
      const latest = await latestAppVersions(app, request.principal.projectId);
      return {
        events: rows.map((e) => eventJson(e, latest)),
        next_cursor: last && rows.length === q.limit ? encodeCursor(last.ts, last.event_id) : null,
      };
    },
  );

  app.get(
    '/v1/events/export',
    {
      config: { ...read, downloadLink: true },
      schema: {
        summary: 'The filtered events as a file: CSV, NDJSON, Apache Arrow or Parquet, streamed',
        description: 'Oldest first, at most `limit` events of the range (default the last 24 hours). Columns: event_id, timestamp, received_at, app_id, is_dev, name, level, message, session_id, user_id, source_module, screen_name, environment, os_version, app_version, build_number, device_model, locale, country, fingerprint, attributes, experiments, kind. Readable as-is by pandas, Polars and DuckDB.',
        tags,
        querystring: ExportQuery,
        response: { 200: z.string().meta({ description: 'The file, in the chosen format' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = parseQuery(ExportQuery, request.query);
      const format = exportFormats[q.format];
      const filter = { ...filterOf(request.principal.projectId, q), userId: q.user_id, sessionId: q.session_id };
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      void reply
        .type(format.type)
        .header('content-disposition', `attachment; filename="events-${day(filter.fromMs)}-${day(filter.toMs)}.${format.extension}"`)
        .header('cache-control', 'no-store');
      // HEAD answers the headers without running the export (a stream nobody reads would hold the engine's query open).
      if (request.method === 'HEAD') return reply.send('');
      const file = await fileFrom(app.analytics.events.export(filter, q.limit, format.engine));
      // Fastify streams a Readable as it comes; the schema only documents the file.
      return reply.send(file as unknown as string);
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

  app.get(
    '/v1/events/names',
    {
      config: read,
      schema: { summary: 'Event names, most frequent first (a name picker’s choices)', tags, querystring: NamesQuery, response: { 200: EventNames, ...errorResponses } },
    },
    async (request) => {
      const q = parseQuery(NamesQuery, request.query);
      return { names: await app.analytics.events.names(filterOf(request.principal.projectId, q), q.q, q.limit) };
    },
  );
};
