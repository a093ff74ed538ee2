-- Every accepted event. ReplacingMergeTree on (…, event_id) is a second guard
-- behind the processors' dedupe and the insert deduplication tokens.
-- Rows expire after their project's retention, carried on each row.
CREATE TABLE IF NOT EXISTS events
(
    project_id LowCardinality(String),
    app_id LowCardinality(String),
    is_dev Bool,
    event_id String,
    ts DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    name String,
    level Enum8('debug' = 1, 'info' = 2, 'warn' = 3, 'error' = 4),
    message String,
    session_id String,
    user_id String,
    source_module String,
    screen_name String,
    environment LowCardinality(String),
    os_version LowCardinality(String),
    app_version LowCardinality(String),
    build_number LowCardinality(String),
    device_model LowCardinality(String),
    locale LowCardinality(String),
    country LowCardinality(String),
    fingerprint String,
    attributes Map(String, String),
    experiments Map(String, String),
    retention_days UInt16,
    INDEX idx_user user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_session session_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_event event_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (project_id, toDate(ts), name, app_id, event_id)
TTL toDateTime(ts) + toIntervalDay(retention_days)
SETTINGS non_replicated_deduplication_window = 10000;
