-- metric_rollups: one row per metric, hour, app and data mode with the
-- numbers a metric dashboard shows, finalized from the hourly rollup's states:
-- how often an operation ran and how it ended, its success rate, how long
-- completed operations took (average and t-digest percentiles), what recorded
-- values looked like, and how many people were measured. Only the rollup
-- table is read, never raw events. For other breakdowns read
-- metric_rollup_hours (or metric_rollup_minutes, 14 days) with the same
-- merges, filtering `breakdown` = 'app_version' | 'environment' | 'device_model'
-- | 'os_version' | 'tag' | 'experiment' (tag key or experiment name in
-- breakdown_key) and grouping by breakdown_value.
--
-- Columns: project_id, app_id, is_dev, name, hour, unit, records, starts,
-- completes, fails, cancels, abandoned, success_rate (completes / (completes +
-- fails), NULL without either), duration_avg_ms, duration_p50_ms,
-- duration_p95_ms, duration_p99_ms, duration_count (completes with a duration),
-- value_avg, value_p50, value_p95, value_p99, value_sum, value_count (records), users.
--
-- Example: yesterday's slowest operations in production
--   SELECT name, sum(completes) AS runs, round(avg(duration_p95_ms)) AS typical_p95_ms
--   FROM metric_rollups
--   WHERE NOT is_dev AND hour >= today() - 1 AND hour < today() AND completes > 0
--   GROUP BY name ORDER BY typical_p95_ms DESC LIMIT 10;
-- The rollup's columns are renamed (r_*) first, so the finalized columns can
-- take their names without an alias shadowing a column inside an aggregate.
CREATE OR REPLACE VIEW metric_rollups AS
SELECT
    project_id,
    app_id,
    is_dev,
    name,
    hour,
    max(r_unit) AS unit,
    sum(r_records) AS records,
    sum(r_starts) AS starts,
    sum(r_completes) AS completes,
    sum(r_fails) AS fails,
    sum(r_cancels) AS cancels,
    sum(r_abandoned) AS abandoned,
    if(completes + fails = 0, NULL, completes / (completes + fails)) AS success_rate,
    sum(r_duration_count) AS duration_count,
    if(duration_count = 0, NULL, sum(r_duration_sum) / duration_count) AS duration_avg_ms,
    quantilesTDigestMerge(0.5, 0.95, 0.99)(r_duration_digest) AS duration_quantiles,
    if(duration_count = 0, NULL, duration_quantiles[1]) AS duration_p50_ms,
    if(duration_count = 0, NULL, duration_quantiles[2]) AS duration_p95_ms,
    if(duration_count = 0, NULL, duration_quantiles[3]) AS duration_p99_ms,
    sum(r_value_count) AS value_count,
    sum(r_value_sum) AS value_sum,
    if(value_count = 0, NULL, value_sum / value_count) AS value_avg,
    quantilesTDigestMerge(0.5, 0.95, 0.99)(r_value_digest) AS value_quantiles,
    if(value_count = 0, NULL, value_quantiles[1]) AS value_p50,
    if(value_count = 0, NULL, value_quantiles[2]) AS value_p95,
    if(value_count = 0, NULL, value_quantiles[3]) AS value_p99,
    uniqMerge(r_users) AS users
FROM
(
    SELECT
        project_id, app_id, is_dev, name, bucket AS hour, unit AS r_unit, records AS r_records, starts AS r_starts,
        completes AS r_completes, fails AS r_fails, cancels AS r_cancels, abandoned AS r_abandoned,
        duration_sum AS r_duration_sum, duration_count AS r_duration_count, duration_digest AS r_duration_digest,
        value_sum AS r_value_sum, value_count AS r_value_count, value_digest AS r_value_digest, users AS r_users
    FROM metric_rollup_hours
    WHERE breakdown = ''
)
GROUP BY project_id, app_id, is_dev, name, hour;
