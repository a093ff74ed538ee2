import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DataMode, IngestLimits, isDevFor } from '@strix/contracts';
import {
  MetricDimensions,
  MetricIntervals,
  listMetricNames,
  metricIntervalSpecs,
  queryMetricSeries,
  type MetricGroupBy,
  type MetricInterval,
  type MetricStats,
} from '@strix/warehouse';
import { ApiError, errorResponseSchema } from '@strix/http';
import { parseParams, parseQuery } from '@strix/http';
import { queryTime } from '@strix/http';

const DAY_MS = 86_400_000;

/** Longest range per interval: 3 days of minutes is 4,320 buckets per group, 90 days of hours 2,160. */
const maxRangeDays: Record<MetricInterval, number> = { minute: 3, hour: 90, day: 400 };

const groupByHelp = `${MetricDimensions.join(', ')}, tag:<key> or experiment:<name>`;

const groupBy = z.string().transform((v, ctx): MetricGroupBy => {
  const dimension = MetricDimensions.find((d) => d === v);
  if (dimension) return { kind: 'dimension', dimension };
  const [, prefix, key] = /^(tag|experiment):(.+)$/.exec(v) ?? [];
  if (key !== undefined && key.length <= IngestLimits.maxAttributeKeyChars) {
    return prefix === 'tag' ? { kind: 'tag', key } : { kind: 'experiment', name: key };
  }
  ctx.addIssue({ code: 'custom', message: `must be one of ${groupByHelp} (a key of at most ${IngestLimits.maxAttributeKeyChars} characters)` });
  return z.NEVER;
});

const RangeQuery = z.strictObject({
  from: queryTime.optional(),
  to: queryTime.optional(),
  data_mode: DataMode,
  app_id: z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(IngestLimits.maxShortFieldChars, { message: `must be at most ${IngestLimits.maxShortFieldChars} characters` })
    .optional(),
});

const between = (min: number, max: number) =>
  z.coerce.number().int({ message: `must be an integer between ${min} and ${max}` }).min(min, { message: `must be between ${min} and ${max}` }).max(max, { message: `must be between ${min} and ${max}` });

const NamesQuery = RangeQuery.extend({ limit: between(1, 1000).default(200) });

const SeriesQuery = RangeQuery.extend({
  interval: z.enum(MetricIntervals, { message: `must be one of ${MetricIntervals.join(', ')}` }).default('hour'),
  group_by: groupBy.optional(),
  /** Groups returned at most: those with the most points. */
  limit: between(1, 50).default(10),
});

const NameParams = z.object({
  name: z.string().min(1, { message: 'is required' }).max(IngestLimits.maxNameChars, { message: `must be at most ${IngestLimits.maxNameChars} characters` }),
});

interface RangeLimits {
  /** Longest range, in days, and what sets it (for messages). */
  maxDays: number;
  scope: string;
  /** How long the rollup read keeps its buckets, epoch ms, and which buckets those are. */
  keptMs: number;
  kept: string;
}

const keptDays = (interval: MetricInterval) => metricIntervalSpecs[interval].keptMs / DAY_MS;

const seriesLimits = (interval: MetricInterval): RangeLimits => ({
  maxDays: maxRangeDays[interval],
  scope: `interval=${interval}`,
  keptMs: metricIntervalSpecs[interval].keptMs,
  kept: `${interval} buckets are kept ${keptDays(interval)} days${interval === 'minute' ? '; use interval=hour or day for older ranges' : ''}`,
});

/** Names come from the hourly rollup, over as long as it keeps them. */
const namesLimits: RangeLimits = {
  maxDays: keptDays('hour'),
  scope: 'the metric list',
  keptMs: metricIntervalSpecs.hour.keptMs,
  kept: `hour buckets are kept ${keptDays('hour')} days`,
};

/** The range asked for (default: the `defaultDays` before now), or a 400 naming the limit it breaks. */
function rangeOf(q: z.infer<typeof RangeQuery>, limits: RangeLimits, defaultDays: number) {
  const now = Date.now();
  const toMs = q.to ?? now;
  const fromMs = q.from ?? toMs - defaultDays * DAY_MS;
  if (fromMs >= toMs) throw new ApiError('bad_request', 'query parameter from: must be before to');
  const days = (toMs - fromMs) / DAY_MS;
  if (days > limits.maxDays) {
    throw new ApiError('bad_request', `query parameter from: ${limits.scope} allows a range of at most ${limits.maxDays} days, got ${days.toFixed(1)}`);
  }
  if (fromMs < now - limits.keptMs) throw new ApiError('bad_request', `query parameter from: ${limits.kept}`);
  return { fromMs, toMs, isDev: isDevFor(q.data_mode), appId: q.app_id };
}

function groupByText(g: MetricGroupBy): string {
  switch (g.kind) {
    case 'dimension':
      return g.dimension;
    case 'tag':
      return `tag:${g.key}`;
    case 'experiment':
      return `experiment:${g.name}`;
    default: {
      const unreachable: never = g;
      throw new Error(`unknown group_by ${JSON.stringify(unreachable)}`);
    }
  }
}

const count = { type: 'integer' } as const;
const number = { type: 'number' } as const;
const nullable = (schema: object) => ({ anyOf: [{ type: 'null' }, schema] });

const statsProperties = {
  count, records: count, starts: count, completes: count, fails: count, cancels: count, abandoned: count,
  success_rate: nullable(number),
  duration: nullable({ type: 'object', properties: { avg: number, p50: number, p95: number, p99: number }, required: ['avg', 'p50', 'p95', 'p99'] }),
  value: nullable({ type: 'object', properties: { avg: number, p50: number, p95: number, p99: number, sum: number }, required: ['avg', 'p50', 'p95', 'p99', 'sum'] }),
  unique_users: count,
} as const;
const statsRequired = Object.keys(statsProperties);
const statsSchema = { type: 'object', properties: statsProperties, required: statsRequired } as const;
const bucketSchema = { type: 'object', properties: { bucket: { type: 'string' }, ...statsProperties }, required: ['bucket', ...statsRequired] } as const;

const seriesResponse = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    data_mode: { type: 'string' },
    app_id: nullable({ type: 'string' }),
    group_by: nullable({ type: 'string' }),
    summary: statsSchema,
    series: {
      type: 'array',
      items: {
        type: 'object',
        properties: { group: nullable({ type: 'string' }), summary: statsSchema, buckets: { type: 'array', items: bucketSchema } },
        required: ['group', 'summary', 'buckets'],
      },
    },
    more_groups: { type: 'boolean' },
  },
  required: ['name', 'interval', 'from', 'to', 'summary', 'series', 'more_groups'],
} as const;

const namesResponse = {
  type: 'object',
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    metrics: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' }, unit: { type: 'string' }, count, records: count, starts: count, completes: count,
          fails: count, cancels: count, abandoned: count, last_seen_hour: { type: 'string' },
        },
      },
    },
  },
  required: ['from', 'to', 'metrics'],
} as const;

const errors = { '4xx': errorResponseSchema, '5xx': errorResponseSchema };
const read = { keyType: 'agent', permission: 'events:read' } as const;
const iso = (ms: number) => new Date(ms).toISOString();
const bucketStart = (ms: number, interval: MetricInterval) => Math.floor(ms / metricIntervalSpecs[interval].bucketMs) * metricIntervalSpecs[interval].bucketMs;

/**
 * Metric time series for agent keys (`events:read`), read from the per-minute
 * and per-hour rollups only: the names seen in a range, and one metric's
 * buckets and summary, optionally per app, version, tag or experiment variant.
 */
export const metricQueriesRoutes: FastifyPluginAsync = async (app) => {
  app.get('/v1/metrics', { config: read, schema: { response: { 200: namesResponse, ...errors } } }, async (request) => {
    const q = parseQuery(NamesQuery, request.query);
    const range = rangeOf(q, namesLimits, 7);
    const names = await listMetricNames(app.warehouse, { projectId: request.principal.projectId, ...range }, q.limit);
    return {
      from: iso(bucketStart(range.fromMs, 'hour')),
      to: iso(range.toMs),
      metrics: names.map(({ last_seen_hour, ...rest }) => ({ ...rest, last_seen_hour: iso(last_seen_hour) })),
    };
  });

  // A wildcard, not `:name`: names run to 200 characters (past the router's parameter limit) and may hold '/'.
  app.get('/v1/metrics/*', { config: read, schema: { response: { 200: seriesResponse, ...errors } } }, async (request) => {
    const { name } = parseParams(NameParams, { name: (request.params as Record<string, string>)['*'] });
    const q = parseQuery(SeriesQuery, request.query);
    const range = rangeOf(q, seriesLimits(q.interval), 1);
    const result = await queryMetricSeries(app.warehouse, {
      projectId: request.principal.projectId,
      ...range,
      name,
      interval: q.interval,
      groupBy: q.group_by,
      maxGroups: q.limit,
    });
    const withBucket = ({ bucket, ...stats }: MetricStats & { bucket: number }) => ({ bucket: iso(bucket), ...stats });
    return {
      name,
      interval: q.interval,
      from: iso(bucketStart(range.fromMs, q.interval)),
      to: iso(range.toMs),
      data_mode: q.data_mode,
      app_id: q.app_id ?? null,
      group_by: q.group_by ? groupByText(q.group_by) : null,
      summary: result.summary,
      series: result.series.map((s) => ({ group: s.group, summary: s.summary, buckets: s.buckets.map(withBucket) })),
      more_groups: result.moreGroups,
    };
  });
};
