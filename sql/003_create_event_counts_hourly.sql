-- Hourly event counts per app, data mode, name and level: what dashboards and
-- `GET /v1/events/counts` read instead of scanning raw events. The deduplication
-- window makes a retried insert (same token) skip this view's block too.
CREATE TABLE IF NOT EXISTS event_counts_hourly
(
    project_id LowCardinality(String),
    app_id LowCardinality(String),
    is_dev Bool,
    hour DateTime('UTC'),
    name String,
    level Enum8('debug' = 1, 'info' = 2, 'warn' = 3, 'error' = 4),
    events UInt64
)
ENGINE = SummingMergeTree(events)
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, app_id, is_dev, name, level)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_counts_hourly_mv TO event_counts_hourly AS
SELECT project_id, app_id, is_dev, toStartOfHour(ts) AS hour, name, level, count() AS events
FROM events
GROUP BY project_id, app_id, is_dev, hour, name, level;
