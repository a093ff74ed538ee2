import { z } from 'zod';
import { IngestLimits } from '@strix/contracts';
import { MetricDimensions, MetricIntervals, metricIntervalSpecs, type MetricGroupBy, type MetricInterval, type MetricStats } from '@strix/analytics';
import { ApiError, errorResponses, parseParams, parseQuery, readScope, readScopeFields, timeWindow, type ZodRoutes } from '@strix/http';

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

const RangeQuery = z.strictObject(readScopeFields);

const between = (min: number, max: number) =>
  z.coerce.number().int({ message: `must be an integer between ${min} and ${max}` }).min(min, { message: `must be between ${min} and ${max}` }).max(max, { message: `must be between ${min} and ${max}` });

const NamesQuery = RangeQuery.extend({ limit: between(1, 1000).default(200) });

const SeriesQuery = RangeQuery.extend({
  interval: z.enum(MetricIntervals, { message: `must be one of ${MetricIntervals.join(', ')}` }).default('hour'),
  group_by: groupBy.optional().meta({ description: `One of ${groupByHelp}` }),
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
function rangeOf(projectId: string, q: z.infer<typeof RangeQuery>, limits: RangeLimits, defaultDays: number) {
  const now = Date.now();
  const scope = readScope(projectId, q);
  const { fromMs, toMs } = timeWindow(scope, { spanMs: defaultDays * DAY_MS, toMs: now });
  const days = (toMs - fromMs) / DAY_MS;
  if (days > limits.maxDays) {
    throw new ApiError('bad_request', `query parameter from: ${limits.scope} allows a range of at most ${limits.maxDays} days, got ${days.toFixed(1)}`);
  }
  if (fromMs < now - limits.keptMs) throw new ApiError('bad_request', `query parameter from: ${limits.kept}`);
  return { projectId, fromMs, toMs, isDev: scope.isDev, appId: scope.appId, dataMode: scope.dataMode };
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

const count = z.number().int();
const Quantiles = { avg: z.number(), p50: z.number(), p95: z.number(), p99: z.number() };
const counts = { count, records: count, starts: count, completes: count, fails: count, cancels: count, abandoned: count };
const statsFields = {
  ...counts,
  success_rate: z.number().nullable().meta({ description: 'completes / (completes + fails); null without either' }),
  duration: z.object(Quantiles).nullable().meta({ description: 'Durations of completes, ms; null when none carried one' }),
  value: z.object({ ...Quantiles, sum: z.number() }).nullable().meta({ description: 'Values of records; null when there were none' }),
  unique_users: count,
};
const Stats = z.object(statsFields);

const SeriesResponse = z.object({
  name: z.string(),
  interval: z.enum(MetricIntervals),
  from: z.string(),
  to: z.string(),
  data_mode: z.string(),
  app_id: z.string().nullable(),
  group_by: z.string().nullable(),
  summary: Stats,
  series: z.array(z.object({ group: z.string().nullable(), summary: Stats, buckets: z.array(z.object({ bucket: z.string(), ...statsFields })) })),
  more_groups: z.boolean(),
});

const NamesResponse = z.object({
  from: z.string(),
  to: z.string(),
  metrics: z.array(
    z.object({
      name: z.string(),
      unit: z.string(),
      ...counts,
      last_seen_hour: z.string(),
    }),
  ),
});

const read = { keyType: 'agent', permission: 'metrics:read' } as const;
const tags = ['metrics'];
const NameWildcard = z.object({ '*': z.string().meta({ description: 'The metric name (may hold /)' }) });
const iso = (ms: number) => new Date(ms).toISOString();
const bucketStart = (ms: number, interval: MetricInterval) => Math.floor(ms / metricIntervalSpecs[interval].bucketMs) * metricIntervalSpecs[interval].bucketMs;

/**
 * Metric time series for agent keys (`events:read`), read from the per-minute
 * and per-hour rollups only: the names seen in a range, and one metric's
 * buckets and summary, optionally per app, version, tag or experiment variant.
 */
export const metricQueriesRoutes: ZodRoutes = async (app) => {
  const namesSchema = { summary: 'Metrics seen in a range (default: the last 7 days)', tags, querystring: NamesQuery, response: { 200: NamesResponse, ...errorResponses } };
  app.get('/v1/metrics', { config: read, schema: namesSchema }, async (request) => {
    const q = parseQuery(NamesQuery, request.query);
    const range = rangeOf(request.principal.projectId, q, namesLimits, 7);
    const names = await app.analytics.metrics.names(range, q.limit);
    return {
      from: iso(bucketStart(range.fromMs, 'hour')),
      to: iso(range.toMs),
      metrics: names.map(({ last_seen_hour, ...rest }) => ({ ...rest, last_seen_hour: iso(last_seen_hour) })),
    };
  });

  // A wildcard, not `:name`: names run to 200 characters (past the router's parameter limit) and may hold '/'.
  const seriesSchema = {
    summary: 'One metric’s buckets and summary (default: the last day), optionally per app, version, tag or experiment variant',
    tags,
    params: NameWildcard,
    querystring: SeriesQuery,
    response: { 200: SeriesResponse, ...errorResponses },
  };
  app.get('/v1/metrics/*', { config: read, schema: seriesSchema }, async (request) => {
    const { name } = parseParams(NameParams, { name: (request.params as Record<string, string>)['*'] });
    const q = parseQuery(SeriesQuery, request.query);
    const range = rangeOf(request.principal.projectId, q, seriesLimits(q.interval), 1);
    const result = await app.analytics.metrics.series({
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
      data_mode: range.dataMode,
      app_id: range.appId ?? null,
      group_by: q.group_by ? groupByText(q.group_by) : null,
      summary: result.summary,
      series: result.series.map((s) => ({ group: s.group, summary: s.summary, buckets: s.buckets.map(withBucket) })),
      more_groups: result.moreGroups,
    };
  });
};
