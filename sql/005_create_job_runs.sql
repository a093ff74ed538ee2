-- One row per run of a scheduled job, written by the same activity whether the
-- run came from a Temporal schedule or the embedded scheduler. A run is written
-- twice (running, then succeeded/failed) under one (job, run_id): the higher
-- version wins when read with FINAL, and a retried write of the same state is
-- the same row. The embedded scheduler reads its last successful scheduled run
-- from here after a restart, so it neither repeats nor skips a due run.
CREATE TABLE IF NOT EXISTS job_runs
(
    job LowCardinality(String),
    run_id String,
    trigger Enum8('schedule' = 1, 'manual' = 2),
    scheduled_at DateTime64(3, 'UTC'),
    started_at DateTime64(3, 'UTC'),
    finished_at Nullable(DateTime64(3, 'UTC')),
    status Enum8('running' = 1, 'succeeded' = 2, 'failed' = 3),
    summary String,
    error String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (job, run_id)
-- Hourly jobs add ~9k rows a year each; half a year of history is plenty to debug with.
TTL toDateTime(started_at) + toIntervalDay(180);
