-- What the processors could not store, kept for the project's admins to read
-- (`GET /v1/dead-letters`): log records that are not event batches, and single
-- events the warehouse refused (isolated by bisection, processors/isolate-poison.ts).
-- The log's `dlq` topic keeps them too; this table is the copy an API can scope.
--
-- Bounded: 14 days (whole daily partitions are dropped), and the processors keep
-- at most the first 64 KiB of a payload (`payload_bytes` is the full size).
-- The payload is base64 and every text column is made well formed before the
-- insert, so a dead letter can never itself be refused by the warehouse.
-- `project_id` is '' for records too broken to name their project: readable
-- through the log topic only.
-- Inserts carry a token derived from the batch's, so a redone batch adds no copies.
CREATE TABLE IF NOT EXISTS dead_letters
(
    project_id LowCardinality(String),
    app_id LowCardinality(String),
    failed_at DateTime64(3, 'UTC'),
    reason String,
    event_id String,
    log_topic LowCardinality(String),
    log_partition UInt32,
    log_offset UInt64,
    payload_base64 String,
    payload_bytes UInt32
)
ENGINE = MergeTree
PARTITION BY toDate(failed_at)
ORDER BY (project_id, failed_at)
TTL toDateTime(failed_at) + toIntervalDay(14)
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;
