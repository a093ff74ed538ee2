import { z } from 'zod';
import type { QueryParams, Warehouse } from '@strix/contracts';
import { queryRows } from './query-rows.ts';

/**
 * Reads of the metric rollups (sql/013): per-minute and per-hour aggregates of
 * metric points, one row per bucket and breakdown value. Rows of breakdown ''
 * hold every point; a grouped read takes the rows of its breakdown, so a point
 * without the tag or experiment grouped by is in no group (the summary still
 * counts it). Nothing here reads raw events; a day is a merge of 24 hours.
 */

export const MetricIntervals = ['minute', 'hour', 'day'] as const;
export type MetricInterval = (typeof MetricIntervals)[number];

const DAY_MS = 86_400_000;

/** Each interval's table, bucket length and how long its table keeps rows (its TTL in sql/013). */
export const metricIntervalSpecs: Record<MetricInterval, { table: string; bucketMs: number; keptMs: number }> = {
  minute: { table: 'metric_rollup_minutes', bucketMs: 60_000, keptMs: 14 * DAY_MS },
  hour: { table: 'metric_rollup_hours', bucketMs: 3_600_000, keptMs: 400 * DAY_MS },
  day: { table: 'metric_rollup_hours', bucketMs: DAY_MS, keptMs: 400 * DAY_MS },
};

/** Columns a series can be grouped by, besides one tag or one experiment. */
export const MetricDimensions = ['app_id', 'app_version', 'environment', 'device_model', 'os_version'] as const;
export type MetricDimension = (typeof MetricDimensions)[number];

export type MetricGroupBy =
  | { kind: 'dimension'; dimension: MetricDimension }
  | { kind: 'tag'; key: string }
  | { kind: 'experiment'; name: string };

export interface MetricRollupFilter {
  projectId: string;
  fromMs: number;
  toMs: number;
  /** Undefined reads both production and development points. */
  isDev?: boolean;
  appId?: string;
}

export interface MetricSeriesQuery extends MetricRollupFilter {
  name: string;
  interval: MetricInterval;
  groupBy?: MetricGroupBy;
  /** With `groupBy`, the groups with the most points are returned, at most this many. */
  maxGroups: number;
}

export interface MetricStats {
  /** Points clients sent: records and every operation phase (abandoned rows are Strix's own). */
  count: number;
  records: number;
  starts: number;
  completes: number;
  fails: number;
  cancels: number;
  abandoned: number;
  /** completes / (completes + fails); null without either. */
  success_rate: number | null;
  /** Durations of completes; null when none carried one. */
  duration: { avg: number; p50: number; p95: number; p99: number } | null;
  /** Values of records; null when there were none. */
  value: { avg: number; p50: number; p95: number; p99: number; sum: number } | null;
  unique_users: number;
}

export interface MetricSeries {
  /** The group's value ('' for points sent without the dimension); null when not grouped. */
  group: string | null;
  summary: MetricStats;
  /** Buckets with points, oldest first; `bucket` is its start, epoch ms. */
  buckets: (MetricStats & { bucket: number })[];
}

export interface MetricSeriesResult {
  /** Over the whole range and every group. */
  summary: MetricStats;
  series: MetricSeries[];
  /** Groups past `maxGroups` were left out. */
  moreGroups: boolean;
}

const count = z.coerce.number();
const quantiles = z.array(z.number().nullable()).length(3);

/** The aggregate columns every query below selects, as they leave the engine. */
const StatsRow = z.object({
  n_records: count,
  n_starts: count,
  n_completes: count,
  n_fails: count,
  n_cancels: count,
  n_abandoned: count,
  d_sum: z.number(),
  d_count: count,
  d_q: quantiles,
  v_sum: z.number(),
  v_count: count,
  v_q: quantiles,
  n_users: count,
});
type StatsRow = z.infer<typeof StatsRow>;

// Aliases differ from the columns they aggregate: an alias named like its column would shadow it.
const statsColumns = `sum(records) AS n_records, sum(starts) AS n_starts, sum(completes) AS n_completes,
  sum(fails) AS n_fails, sum(cancels) AS n_cancels, sum(abandoned) AS n_abandoned,
  sum(duration_sum) AS d_sum, sum(duration_count) AS d_count, quantilesTDigestMerge(0.5, 0.95, 0.99)(duration_digest) AS d_q,
  sum(value_sum) AS v_sum, sum(value_count) AS v_count, quantilesTDigestMerge(0.5, 0.95, 0.99)(value_digest) AS v_q,
  uniqMerge(users) AS n_users`;
const pointsOrder = '(n_records + n_starts + n_completes + n_fails + n_cancels)';

type PhaseCountRow = Pick<StatsRow, 'n_records' | 'n_starts' | 'n_completes' | 'n_fails' | 'n_cancels' | 'n_abandoned'>;

/** Points per phase; `count` is the points clients sent, so it leaves out the abandoned marks. */
function phaseCounts(r: PhaseCountRow) {
  return {
    count: r.n_records + r.n_starts + r.n_completes + r.n_fails + r.n_cancels,
    records: r.n_records,
    starts: r.n_starts,
    completes: r.n_completes,
    fails: r.n_fails,
    cancels: r.n_cancels,
    abandoned: r.n_abandoned,
  };
}

function statsOf(r: StatsRow): MetricStats {
  const [dp50, dp95, dp99] = r.d_q.map((q) => q ?? 0) as [number, number, number];
  const [vp50, vp95, vp99] = r.v_q.map((q) => q ?? 0) as [number, number, number];
  const ended = r.n_completes + r.n_fails;
  return {
    ...phaseCounts(r),
    success_rate: ended > 0 ? r.n_completes / ended : null,
    duration: r.d_count > 0 ? { avg: r.d_sum / r.d_count, p50: dp50, p95: dp95, p99: dp99 } : null,
    value: r.v_count > 0 ? { avg: r.v_sum / r.v_count, p50: vp50, p95: vp95, p99: vp99, sum: r.v_sum } : null,
    unique_users: r.n_users,
  };
}

/** The WHERE clause over a rollup table: times rounded down to whole buckets; every value bound. */
function whereOf(f: MetricRollupFilter, bucketMs: number): { sql: string; params: QueryParams } {
  const clauses = [
    'project_id = {project:String}',
    "bucket >= toDateTime({from:UInt32}, 'UTC')",
    "bucket < toDateTime({to:UInt32}, 'UTC')",
  ];
  const params: QueryParams = {
    project: f.projectId,
    from: Math.floor(f.fromMs / bucketMs) * (bucketMs / 1000),
    to: Math.ceil(f.toMs / 1000),
  };
  if (f.isDev !== undefined) {
    clauses.push('is_dev = {is_dev:Bool}');
    params.is_dev = f.isDev;
  }
  if (f.appId !== undefined) {
    clauses.push('app_id = {app:String}');
    params.app = f.appId;
  }
  return { sql: clauses.join(' AND '), params };
}

/** Rows of every point: the breakdown ''. */
const allPoints = "breakdown = '' AND breakdown_key = ''";

/** The rows a grouping reads and the group's SQL expression; a tag or experiment name is bound. */
function groupRows(groupBy: MetricGroupBy, params: QueryParams): { rows: string; group: string } {
  switch (groupBy.kind) {
    case 'dimension':
      // App and data mode are columns of every row; the other dimensions are breakdowns.
      if (groupBy.dimension === 'app_id') return { rows: allPoints, group: 'app_id' };
      params.breakdown = groupBy.dimension;
      return { rows: "breakdown = {breakdown:String} AND breakdown_key = ''", group: 'breakdown_value' };
    case 'tag':
    case 'experiment':
      params.breakdown = groupBy.kind;
      params.breakdown_key = groupBy.kind === 'tag' ? groupBy.key : groupBy.name;
      return { rows: 'breakdown = {breakdown:String} AND breakdown_key = {breakdown_key:String}', group: 'breakdown_value' };
    default: {
      const unreachable: never = groupBy;
      throw new Error(`unknown group_by ${JSON.stringify(unreachable)}`);
    }
  }
}

const TotalRow = StatsRow.extend({ grp: z.string() });
const BucketRow = StatsRow.extend({ is_total: count, grp: z.string(), bucket_s: count });

/**
 * A metric's buckets over a range, optionally per group, with summaries. Without
 * a group, grouping sets compute the buckets and the summary in one pass; a
 * grouped series reads the summary, then its largest groups, then only their buckets.
 */
export async function queryMetricSeries(wh: Warehouse, q: MetricSeriesQuery): Promise<MetricSeriesResult> {
  const spec = metricIntervalSpecs[q.interval];
  const where = whereOf(q, spec.bucketMs);
  const params: QueryParams = { ...where.params, name: q.name };
  const sql = `${where.sql} AND name = {name:String}`;
  const bucket = q.interval === 'day' ? 'toUnixTimestamp(toStartOfDay(bucket))' : 'toUnixTimestamp(bucket)';

  if (!q.groupBy) {
    const parsed = await queryRows(
      wh,
      'metric series',
      BucketRow,
      `SELECT grouping(bucket_s) AS is_total, '' AS grp, ${bucket} AS bucket_s, ${statsColumns}
       FROM ${spec.table} WHERE ${sql} AND ${allPoints}
       GROUP BY GROUPING SETS ((), (bucket_s)) ORDER BY is_total DESC, bucket_s`,
      params,
    );
    const total = parsed.find((r) => r.is_total === 1);
    const buckets = parsed.filter((r) => r.is_total === 0).map((r) => ({ bucket: r.bucket_s * 1000, ...statsOf(r) }));
    const summary = statsOf(total ?? emptyStats);
    return { summary, series: buckets.length > 0 ? [{ group: null, summary, buckets }] : [], moreGroups: false };
  }

  const [overall] = await queryRows(wh, 'metric series', TotalRow, `SELECT '' AS grp, ${statsColumns} FROM ${spec.table} WHERE ${sql} AND ${allPoints}`, params);
  const { rows: groupWhere, group } = groupRows(q.groupBy, params);
  const groups = await queryRows(
    wh,
    'metric series',
    TotalRow,
    `SELECT ${group} AS grp, ${statsColumns} FROM ${spec.table} WHERE ${sql} AND ${groupWhere}
     GROUP BY grp ORDER BY ${pointsOrder} DESC, grp LIMIT {limit:UInt32}`,
    { ...params, limit: q.maxGroups + 1 },
  );
  const kept = groups.slice(0, q.maxGroups);
  const series = new Map<string, MetricSeries>(kept.map((g) => [g.grp, { group: g.grp, summary: statsOf(g), buckets: [] }]));
  if (kept.length > 0) {
    const rows = await queryRows(
      wh,
      'metric series',
      BucketRow,
      `SELECT 0 AS is_total, ${group} AS grp, ${bucket} AS bucket_s, ${statsColumns}
       FROM ${spec.table} WHERE ${sql} AND ${groupWhere} AND grp IN {groups:Array(String)}
       GROUP BY grp, bucket_s ORDER BY grp, bucket_s`,
      { ...params, groups: kept.map((g) => g.grp) },
    );
    for (const r of rows) {
      series.get(r.grp)?.buckets.push({ bucket: r.bucket_s * 1000, ...statsOf(r) });
    }
  }
  return { summary: statsOf(overall ?? emptyStats), series: [...series.values()], moreGroups: groups.length > q.maxGroups };
}

const emptyStats: StatsRow = {
  n_records: 0, n_starts: 0, n_completes: 0, n_fails: 0, n_cancels: 0, n_abandoned: 0,
  d_sum: 0, d_count: 0, d_q: [null, null, null], v_sum: 0, v_count: 0, v_q: [null, null, null], n_users: 0,
};

export const MetricName = z
  .object({
    name: z.string(),
    unit: z.string(),
    n_records: count,
    n_starts: count,
    n_completes: count,
    n_fails: count,
    n_cancels: count,
    n_abandoned: count,
    last_bucket_s: count,
  })
  .transform((r) => ({
    name: r.name,
    unit: r.unit,
    ...phaseCounts(r),
    /** Start of the newest hour with a point, epoch ms. */
    last_seen_hour: r.last_bucket_s * 1000,
  }));
export type MetricName = z.infer<typeof MetricName>;

/** The metric names with points in a range (whole hours), alphabetically, with their counts. */
export async function listMetricNames(wh: Warehouse, f: MetricRollupFilter, limit: number): Promise<MetricName[]> {
  const where = whereOf(f, metricIntervalSpecs.hour.bucketMs);
  return queryRows(
    wh,
    'metric names',
    MetricName,
    `SELECT name, max(unit) AS unit, sum(records) AS n_records, sum(starts) AS n_starts, sum(completes) AS n_completes,
       sum(fails) AS n_fails, sum(cancels) AS n_cancels, sum(abandoned) AS n_abandoned, toUnixTimestamp(max(bucket)) AS last_bucket_s
     FROM metric_rollup_hours WHERE ${where.sql} AND ${allPoints}
     GROUP BY name ORDER BY name LIMIT {limit:UInt32}`,
    { ...where.params, limit },
  );
}
