import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.ts';
import { LineChart } from '../chart.tsx';
import { ranges, readFilters, type Scope } from '../scope.ts';
import { navigate, withQuery } from '../url.ts';

interface MetricName { name: string; unit: string; count: number; records: number; starts: number; completes: number; fails: number; cancels: number; abandoned: number; last_seen_hour: string }
interface Quantiles { avg: number; p50: number; p95: number; p99: number }
interface Stats { count: number; completes: number; fails: number; success_rate: number | null; duration: Quantiles | null; value: (Quantiles & { sum: number }) | null; unique_users: number }
interface Series { summary: Stats; series: { group: string | null; summary: Stats; buckets: ({ bucket: string } & Stats)[] }[]; more_groups: boolean }

/** Dimensions a series can be grouped by (with tag:<key> and experiment:<name>, typed in). */
const dimensions = ['app_id', 'app_version', 'environment', 'device_model', 'os_version'];
const intervals = ['minute', 'hour', 'day'] as const;

const ms = (q: Quantiles | null, k: keyof Quantiles) => (q ? `${Math.round(q[k]).toLocaleString()} ms` : '—');
const rate = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

function rangeQuery(scope: Scope): URLSearchParams {
  const to = Date.now();
  return new URLSearchParams({ from: new Date(to - ranges[scope.range]).toISOString(), to: new Date(to).toISOString(), ...readFilters(scope) });
}

/** Every metric the apps record, with counts and success rates; each opens its series. */
export function MetricsPage({ scope, name, url }: { scope: Scope; name?: string; url: URL }): JSX.Element {
  return name ? <MetricSeries scope={scope} name={name} url={url} /> : <MetricList scope={scope} />;
}

function MetricList({ scope }: { scope: Scope }): JSX.Element {
  const [metrics, setMetrics] = useState<MetricName[]>();
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    const q = rangeQuery(scope);
    // The list reads the hourly rollup, kept 90 days.
    api<{ metrics: MetricName[] }>(`/v1/metrics?${q}`, { project: scope.project.id }).then(
      (r) => setMetrics(r.metrics),
      (error: unknown) => setProblem(error instanceof ApiFailure ? error.message : String(error)),
    );
  }, [scope.project.id, scope.dataMode, scope.appId, scope.range]);
  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Performance</h1>
      {problem && <p role="alert" class="problem">{problem}</p>}
      {metrics && (
        <table>
          <thead><tr><th scope="col">Metric</th><th scope="col" class="num">Points</th><th scope="col" class="num">Completes</th><th scope="col" class="num">Fails</th><th scope="col" class="num">Success</th><th scope="col" class="num">Abandoned</th></tr></thead>
          <tbody>
            {metrics.map((m) => (
              <tr key={m.name}>
                <td><a href={withQuery({}, new URL(`/performance/${encodeURIComponent(m.name)}`, location.href))}>{m.name}</a> <span class="muted">{m.unit}</span></td>
                <td class="num">{m.count}</td><td class="num">{m.completes}</td><td class="num">{m.fails}</td>
                <td class="num">{rate(m.completes + m.fails > 0 ? m.completes / (m.completes + m.fails) : null)}</td><td class="num">{m.abandoned}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {metrics?.length === 0 && <p class="empty">No metric recorded in this range.</p>}
    </section>
  );
}

/** One metric's series (minute, hour or day buckets), grouped by a dimension, tag or experiment, from the URL. */
function MetricSeries({ scope, name, url }: { scope: Scope; name: string; url: URL }): JSX.Element {
  const interval = (intervals as readonly string[]).includes(url.searchParams.get('interval') ?? '') ? url.searchParams.get('interval')! : 'hour';
  const groupBy = url.searchParams.get('group_by') ?? '';
  const [data, setData] = useState<Series>();
  const [problem, setProblem] = useState<string>();
  const [custom, setCustom] = useState(dimensions.includes(groupBy) ? '' : groupBy);
  useEffect(() => {
    const q = rangeQuery(scope);
    q.set('interval', interval);
    if (groupBy) q.set('group_by', groupBy);
    setProblem(undefined);
    api<Series>(`/v1/metrics/${name.split('/').map(encodeURIComponent).join('/')}?${q}`, { project: scope.project.id }).then(setData, (error: unknown) => {
      setData(undefined);
      setProblem(error instanceof ApiFailure ? error.message : String(error));
    });
  }, [scope.project.id, scope.dataMode, scope.appId, scope.range, name, interval, groupBy]);
  const first = data?.series[0];
  const x = useMemo(() => (first ? first.buckets.map((b) => Date.parse(b.bucket) / 1000) : []), [data]);
  const set = (changes: Record<string, string | undefined>) => navigate(withQuery(changes), true);
  return (
    <section aria-labelledby="metric-title">
      <h1 id="metric-title">{name}</h1>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); set({ group_by: custom || undefined }); }}>
        <label>Buckets <select value={interval} onChange={(e) => set({ interval: e.currentTarget.value })}>{intervals.map((i) => <option key={i}>{i}</option>)}</select></label>
        <label>Group by <select value={dimensions.includes(groupBy) ? groupBy : groupBy ? 'custom' : ''} onChange={(e) => { const v = e.currentTarget.value; if (v !== 'custom') set({ group_by: v || undefined }); else setCustom('tag:'); }}>
          <option value="">nothing</option>{dimensions.map((d) => <option key={d} value={d}>{d}</option>)}<option value="custom">tag or experiment…</option>
        </select></label>
        {(custom || (groupBy && !dimensions.includes(groupBy))) && <label>Tag or experiment <input value={custom} placeholder="tag:screen or experiment:checkout" onInput={(e) => setCustom(e.currentTarget.value)} /> <button type="submit">Group</button></label>}
      </form>
      {problem && <p role="alert" class="problem">{problem}</p>}
      {data && (
        <>
          <table class="facts">
            <caption>Over the range</caption>
            <tbody>
              <tr><th scope="row">Points</th><td class="num">{data.summary.count}</td></tr>
              <tr><th scope="row">Success</th><td class="num">{rate(data.summary.success_rate)}</td></tr>
              <tr><th scope="row">Duration p50 / p95 / p99</th><td class="num">{ms(data.summary.duration, 'p50')} / {ms(data.summary.duration, 'p95')} / {ms(data.summary.duration, 'p99')}</td></tr>
              <tr><th scope="row">People</th><td class="num">{data.summary.unique_users}</td></tr>
            </tbody>
          </table>
          {first && <LineChart x={x} series={data.series.map((s) => ({ name: s.group ?? 'p95', values: s.buckets.map((b) => b.duration?.p95 ?? 0) }))} label={`p95 duration of ${name} per ${interval}`} />}
          <table>
            <thead><tr><th scope="col">Group</th><th scope="col" class="num">Points</th><th scope="col" class="num">Success</th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th><th scope="col" class="num">p99</th></tr></thead>
            <tbody>{data.series.map((s) => <tr key={s.group ?? ''}><td>{s.group ?? 'all'}</td><td class="num">{s.summary.count}</td><td class="num">{rate(s.summary.success_rate)}</td><td class="num">{ms(s.summary.duration, 'p50')}</td><td class="num">{ms(s.summary.duration, 'p95')}</td><td class="num">{ms(s.summary.duration, 'p99')}</td></tr>)}</tbody>
          </table>
          {data.more_groups && <p class="muted">More groups exist; the 10 with the most points are shown.</p>}
        </>
      )}
    </section>
  );
}
