-- Analytics signals share the events table, so every materialized view hangs off
-- one insert and inherits its exactly-once guarantees (one deduplication token
-- per batch). `kind` tells apart what `/v1/ingest` (log), `/v1/track:batch`
-- (track) and `/v1/metrics:batch` (metric) accepted.
ALTER TABLE events ADD COLUMN IF NOT EXISTS kind Enum8('log' = 1, 'track' = 2, 'metric' = 3) DEFAULT 'log';
-- Metric points: a single-shot `record`, or one phase of an operation linked
-- by `tracking_id`. `abandoned` rows are written by the metric-abandon job for
-- starts that saw no end within the timeout.
ALTER TABLE events ADD COLUMN IF NOT EXISTS metric_phase Enum8('' = 0, 'record' = 1, 'start' = 2, 'complete' = 3, 'fail' = 4, 'cancel' = 5, 'abandoned' = 6) DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS tracking_id String DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS metric_value Nullable(Float64);
ALTER TABLE events ADD COLUMN IF NOT EXISTS metric_unit LowCardinality(String) DEFAULT '';
-- An operation's duration: the client's, or the end's time minus its start's.
ALTER TABLE events ADD COLUMN IF NOT EXISTS duration_ms Nullable(Float64);
ALTER TABLE events ADD COLUMN IF NOT EXISTS trace_id String DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS span_id String DEFAULT '';
-- User properties carried by the event: `$set` overwrites, `$set_once` keeps the first value.
ALTER TABLE events ADD COLUMN IF NOT EXISTS user_set Map(String, String);
ALTER TABLE events ADD COLUMN IF NOT EXISTS user_set_once Map(String, String);
ALTER TABLE events ADD INDEX IF NOT EXISTS idx_tracking tracking_id TYPE bloom_filter(0.01) GRANULARITY 4;
