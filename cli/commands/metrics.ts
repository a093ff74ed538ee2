/** Metrics: the names seen, and one metric's buckets. */
import type { CommandSpec } from '../command.ts';
import type { Row } from '../output.ts';
import { percent } from '../output.ts';
import { integer, readScopeOptions, scopeQuery, text } from '../read-scope.ts';
import { metricIntervals } from '../vocabulary.ts';

const stat = (name: string, field: string) => (r: Row) => (r[name] as Row | null | undefined)?.[field] ?? null;

/** A series answer as rows: one per group and bucket, its stats flattened. */
export function bucketRows(answer: Row): Row[] {
  const series = Array.isArray(answer.series) ? (answer.series as Row[]) : [];
  return series.flatMap((s) =>
    (Array.isArray(s.buckets) ? (s.buckets as Row[]) : []).map((b) => ({
      group: s.group ?? null,
      bucket: b.bucket,
      count: b.count,
      records: b.records,
      starts: b.starts,
      completes: b.completes,
      fails: b.fails,
      cancels: b.cancels,
      abandoned: b.abandoned,
      success_rate: b.success_rate,
      duration_avg_ms: stat('duration', 'avg')(b),
      duration_p50_ms: stat('duration', 'p50')(b),
      duration_p95_ms: stat('duration', 'p95')(b),
      duration_p99_ms: stat('duration', 'p99')(b),
      value_avg: stat('value', 'avg')(b),
      value_sum: stat('value', 'sum')(b),
      unique_users: b.unique_users,
    })),
  );
}

export const metricCommands: CommandSpec[] = [
  {
    path: ['metrics', 'list'],
    summary: 'Metrics seen in a range (default: the last 7 days)',
    options: { ...readScopeOptions, limit: { type: 'string', valueName: 'N', description: 'Metrics at most (default 200)' } },
    output: true,
    remote: true,
    async run(ctx) {
      const { metrics } = await (await ctx.client()).get<{ metrics: Row[] }>('/v1/metrics', { ...scopeQuery(ctx.options), limit: integer(ctx.options, 'limit', 1, 1000) });
      ctx.print({
        rows: metrics,
        columns: [{ key: 'name' }, { key: 'unit' }, ...['count', 'records', 'starts', 'completes', 'fails', 'abandoned'].map((key) => ({ key, numeric: true })), { key: 'last_seen_hour' }],
      });
    },
  },
  {
    path: ['metrics', 'query'],
    summary: "One metric's buckets and summary (default: the last day, hourly)",
    details:
      'GET /v1/metrics/NAME. Table and CSV print one row per bucket (and group);\n' +
      '--format json prints the whole answer with its summaries.',
    args: [{ name: 'name', required: true, description: 'The metric' }],
    options: {
      ...readScopeOptions,
      interval: { type: 'string', valueName: 'INTERVAL', choices: metricIntervals, description: `${metricIntervals.join(', ')} (default hour)` },
      'group-by': { type: 'string', valueName: 'BY', description: 'app_id, app_version, environment…, tag:KEY or experiment:NAME' },
      limit: { type: 'string', valueName: 'N', description: 'Groups at most (default 10, at most 50)' },
    },
    output: true,
    remote: true,
    examples: ['strix metrics query checkout_duration --from 7d --interval day --group-by app_version'],
    async run(ctx) {
      const name = String(ctx.args.name);
      // The name may hold '/': each segment is encoded, the slashes kept (the route reads the rest of the path).
      const path = `/v1/metrics/${name.split('/').map(encodeURIComponent).join('/')}`;
      const answer = await (await ctx.client()).get<Row>(path, {
        ...scopeQuery(ctx.options),
        interval: text(ctx.options, 'interval'),
        group_by: text(ctx.options, 'group-by'),
        limit: integer(ctx.options, 'limit', 1, 50),
      });
      const rows = bucketRows(answer);
      const grouped = answer.group_by !== null && answer.group_by !== undefined;
      ctx.print({
        rows,
        columns: [
          ...(grouped ? [{ key: 'group' }] : []),
          { key: 'bucket' },
          { key: 'count', numeric: true },
          { key: 'success', value: (r: Row) => percent(r.success_rate), numeric: true },
          { key: 'p50_ms', value: (r: Row) => r.duration_p50_ms, numeric: true },
          { key: 'p95_ms', value: (r: Row) => r.duration_p95_ms, numeric: true },
          { key: 'value_avg', numeric: true },
          { key: 'unique_users', numeric: true },
        ],
        json: answer,
      });
    },
  },
];
