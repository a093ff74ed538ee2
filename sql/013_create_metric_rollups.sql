-- Metric rollups: per-minute and per-hour aggregates of metric points (events
-- with kind = 'metric'), what `GET /v1/metrics/:name` reads instead of raw events.
--
-- One row per bucket and breakdown value, not per combination of dimensions:
-- each point is counted once under breakdown '' (every point), once under each
-- of its app_version, environment, device_model and os_version, and once under
-- each of its tags and experiments (breakdown 'tag' or 'experiment', the tag key
-- or experiment name in breakdown_key). A series grouped by one dimension reads
-- that breakdown's rows only, and the tables grow with the values seen in a
-- bucket, not with their product. Keyed by every combination instead (maps by
-- hash), a week of 9.9M points over a few dozen devices, OS versions, tags and
-- variants left 7.0M minute and 6.8M hour rows, and every read merged all of
-- them; by breakdown, 392k hour rows (bench/analytics-rollups.ts), though 10.5M
-- minute rows, as within a minute most values are seen once, and an ungrouped
-- read takes one row per bucket. App and data mode are columns of every row, so
-- any breakdown can be filtered by them.
--
-- Per row: counts per phase (`abandoned` rows are written by the metric-abandon
-- job; success rate is completes / (completes + fails)), sums and counts for
-- averages (an avg state is exactly that pair, and plain sums read without
-- -Merge), t-digest states of the durations of completes and of the values of
-- records, and a uniq state of users (the user id, or the session when anonymous).
--
-- The deduplication window makes a retried insert (same token) skip these
-- views' blocks too, as for event_counts_hourly.
-- Minutes are kept 14 days (whole daily partitions are dropped); hours 400 days
-- whatever a project's retention, as the hourly event counts outlive raw events:
-- they hold aggregates, users only as hashes inside uniq states.
CREATE TABLE IF NOT EXISTS metric_rollup_minutes
(
    project_id LowCardinality(String),
    app_id LowCardinality(String),
    is_dev Bool,
    name String,
    bucket DateTime('UTC'),
    breakdown LowCardinality(String),
    breakdown_key String,
    breakdown_value String,
    unit SimpleAggregateFunction(max, String),
    records SimpleAggregateFunction(sum, UInt64),
    starts SimpleAggregateFunction(sum, UInt64),
    completes SimpleAggregateFunction(sum, UInt64),
    fails SimpleAggregateFunction(sum, UInt64),
    cancels SimpleAggregateFunction(sum, UInt64),
    abandoned SimpleAggregateFunction(sum, UInt64),
    duration_sum SimpleAggregateFunction(sum, Float64),
    duration_count SimpleAggregateFunction(sum, UInt64),
    duration_digest AggregateFunction(quantileTDigest, Float64),
    value_sum SimpleAggregateFunction(sum, Float64),
    value_count SimpleAggregateFunction(sum, UInt64),
    value_digest AggregateFunction(quantileTDigest, Float64),
    users AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(bucket)
ORDER BY (project_id, name, breakdown, breakdown_key, bucket, is_dev, app_id, breakdown_value)
TTL bucket + toIntervalDay(14)
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS metric_rollup_hours AS metric_rollup_minutes
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (project_id, name, breakdown, breakdown_key, bucket, is_dev, app_id, breakdown_value)
TTL bucket + toIntervalDay(400)
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

-- `ARRAY JOIN` turns each point into its breakdown rows: (breakdown, key, value).
CREATE MATERIALIZED VIEW IF NOT EXISTS metric_rollup_minutes_mv TO metric_rollup_minutes AS
SELECT
    project_id, app_id, is_dev, name, toStartOfMinute(ts) AS bucket,
    b.1 AS breakdown, b.2 AS breakdown_key, b.3 AS breakdown_value,
    max(toString(metric_unit)) AS unit,
    countIf(metric_phase = 'record') AS records,
    countIf(metric_phase = 'start') AS starts,
    countIf(metric_phase = 'complete') AS completes,
    countIf(metric_phase = 'fail') AS fails,
    countIf(metric_phase = 'cancel') AS cancels,
    countIf(metric_phase = 'abandoned') AS abandoned,
    sumIf(ifNull(duration_ms, 0), metric_phase = 'complete' AND duration_ms IS NOT NULL) AS duration_sum,
    countIf(metric_phase = 'complete' AND duration_ms IS NOT NULL) AS duration_count,
    quantileTDigestStateIf(ifNull(duration_ms, 0), metric_phase = 'complete' AND duration_ms IS NOT NULL) AS duration_digest,
    sumIf(ifNull(metric_value, 0), metric_phase = 'record' AND metric_value IS NOT NULL) AS value_sum,
    countIf(metric_phase = 'record' AND metric_value IS NOT NULL) AS value_count,
    quantileTDigestStateIf(ifNull(metric_value, 0), metric_phase = 'record' AND metric_value IS NOT NULL) AS value_digest,
    uniqStateIf(if(user_id != '', concat('u:', user_id), concat('s:', session_id)), user_id != '' OR session_id != '') AS users
FROM events
ARRAY JOIN arrayConcat(
    [('', '', ''), ('app_version', '', toString(app_version)), ('environment', '', toString(environment)),
     ('device_model', '', toString(device_model)), ('os_version', '', toString(os_version))],
    arrayMap((k, v) -> ('tag', k, v), mapKeys(attributes), mapValues(attributes)),
    arrayMap((k, v) -> ('experiment', k, v), mapKeys(experiments), mapValues(experiments))
) AS b
WHERE kind = 'metric'
GROUP BY project_id, app_id, is_dev, name, bucket, breakdown, breakdown_key, breakdown_value;

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_rollup_hours_mv TO metric_rollup_hours AS
SELECT
    project_id, app_id, is_dev, name, toStartOfHour(ts) AS bucket,
    b.1 AS breakdown, b.2 AS breakdown_key, b.3 AS breakdown_value,
    max(toString(metric_unit)) AS unit,
    countIf(metric_phase = 'record') AS records,
    countIf(metric_phase = 'start') AS starts,
    countIf(metric_phase = 'complete') AS completes,
    countIf(metric_phase = 'fail') AS fails,
    countIf(metric_phase = 'cancel') AS cancels,
    countIf(metric_phase = 'abandoned') AS abandoned,
    sumIf(ifNull(duration_ms, 0), metric_phase = 'complete' AND duration_ms IS NOT NULL) AS duration_sum,
    countIf(metric_phase = 'complete' AND duration_ms IS NOT NULL) AS duration_count,
    quantileTDigestStateIf(ifNull(duration_ms, 0), metric_phase = 'complete' AND duration_ms IS NOT NULL) AS duration_digest,
    sumIf(ifNull(metric_value, 0), metric_phase = 'record' AND metric_value IS NOT NULL) AS value_sum,
    countIf(metric_phase = 'record' AND metric_value IS NOT NULL) AS value_count,
    quantileTDigestStateIf(ifNull(metric_value, 0), metric_phase = 'record' AND metric_value IS NOT NULL) AS value_digest,
    uniqStateIf(if(user_id != '', concat('u:', user_id), concat('s:', session_id)), user_id != '' OR session_id != '') AS users
FROM events
ARRAY JOIN arrayConcat(
    [('', '', ''), ('app_version', '', toString(app_version)), ('environment', '', toString(environment)),
     ('device_model', '', toString(device_model)), ('os_version', '', toString(os_version))],
    arrayMap((k, v) -> ('tag', k, v), mapKeys(attributes), mapValues(attributes)),
    arrayMap((k, v) -> ('experiment', k, v), mapKeys(experiments), mapValues(experiments))
) AS b
WHERE kind = 'metric'
GROUP BY project_id, app_id, is_dev, name, bucket, breakdown, breakdown_key, breakdown_value;

-- How far the metric-abandon job has read starts by events.inserted_at, over all
-- projects. The version is the position itself, so a late write of an older
-- position never moves it back; readers take max(scanned_to).
CREATE TABLE IF NOT EXISTS metric_abandon_cursor
(
    scanned_to DateTime64(3, 'UTC'),
    scanned_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(scanned_to)
ORDER BY tuple();
