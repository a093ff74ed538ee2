import {
  listMetricNames,
  queryMetricSeries,
  type MetricName,
  type MetricRollupFilter,
  type MetricSeriesQuery,
  type MetricSeriesResult,
} from '@strix/warehouse';
import type { AnalyticsDeps } from './deps.ts';

export {
  MetricDimensions,
  MetricIntervals,
  metricIntervalSpecs,
  type MetricGroupBy,
  type MetricInterval,
  type MetricName,
  type MetricRollupFilter,
  type MetricSeriesQuery,
  type MetricSeriesResult,
  type MetricStats,
} from '@strix/warehouse';

/** Metric time series, read from the per-minute, per-hour and per-day rollups only. */
export class MetricQueries {
  constructor(private readonly deps: AnalyticsDeps) {}

  /** The metrics seen in a range, most points first. */
  names(filter: MetricRollupFilter, limit: number): Promise<MetricName[]> {
    return listMetricNames(this.deps.warehouse, filter, limit);
  }

  /** One metric's buckets and summary, optionally per group. */
  series(query: MetricSeriesQuery): Promise<MetricSeriesResult> {
    return queryMetricSeries(this.deps.warehouse, query);
  }
}
