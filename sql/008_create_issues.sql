-- Error tracking: issues, the fingerprints that route errors to them, one
-- occurrence per (fingerprint, session), comments and the scan's cursor.
-- Versioned rows (ReplacingMergeTree) are read with FINAL; ids are derived from
-- (project, fingerprint) so two scans that race create the same issue once.

-- An issue's state: what people and the scan's regression check change. Counts
-- live in issue_stats so a scan writing counts never overwrites a status change.
-- A merged-away issue keeps a tombstone row naming the survivor (merged_into).
CREATE TABLE IF NOT EXISTS issues
(
    project_id LowCardinality(String),
    issue_id String,
    app_id LowCardinality(String),
    is_dev Bool,
    title String,
    culprit String,
    exception_type String,
    grouping_config LowCardinality(String),
    status Enum8('new' = 1, 'in_progress' = 2, 'resolved' = 3, 'silenced' = 4, 'regressed' = 5),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    resolved_at_version String,
    snoozed_until Nullable(DateTime64(3, 'UTC')),
    regressed_at Nullable(DateTime64(3, 'UTC')),
    regressed_in_version String,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    merged_into String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, issue_id);

-- Denormalized for sorting and digests, recomputed from issue_occurrences for
-- every issue a scan, merge or unmerge touches (so a re-run never double counts).
-- last_activity_at is when a scan last recorded new errors of the issue (scan
-- time), which is what digests' "activity since the last digest" reads: an
-- issue scanned after a digest was composed is news for the next one.
-- last_seen is client time.
CREATE TABLE IF NOT EXISTS issue_stats
(
    project_id LowCardinality(String),
    issue_id String,
    occurrences UInt64,
    users UInt64,
    first_seen DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC'),
    last_activity_at DateTime64(3, 'UTC'),
    last_app_version String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, issue_id);

-- fingerprint → issue. Merge re-points a source's rows at the target; unmerge
-- points one fingerprint at a new issue. Occurrences are keyed by fingerprint,
-- so neither ever rewrites an occurrence.
CREATE TABLE IF NOT EXISTS issue_fingerprints
(
    project_id LowCardinality(String),
    fingerprint String,
    issue_id String,
    grouping_config LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, fingerprint);

-- One row per (fingerprint, session) after merges: first and last sighting and
-- the session's user, app version and environment (from its first error). Every
-- column is an idempotent aggregate, so scanning a window twice changes nothing.
-- session_key is the session id, or for errors sent without one a burst key
-- (user and a few seconds), so a burst of one error is one occurrence. Plain
-- values, not argMin states: the states were most of a scan's cost (bench/issue-scan.ts).
CREATE TABLE IF NOT EXISTS issue_occurrences
(
    project_id LowCardinality(String),
    fingerprint String,
    session_key String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    user_id SimpleAggregateFunction(any, String),
    app_version SimpleAggregateFunction(any, String),
    environment SimpleAggregateFunction(any, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, fingerprint, session_key);

-- Markdown comments. A soft delete sets deleted_at; a cleanup job deletes rows
-- soft-deleted more than 7 days ago. Keyed by comment so a merge moves a
-- comment by rewriting its row with the target's issue_id.
CREATE TABLE IF NOT EXISTS issue_comments
(
    project_id LowCardinality(String),
    comment_id String,
    issue_id String,
    author_type Enum8('user' = 1, 'agent' = 2),
    author_name String,
    body String,
    created_at DateTime64(3, 'UTC'),
    edited_at Nullable(DateTime64(3, 'UTC')),
    deleted_at Nullable(DateTime64(3, 'UTC')),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, comment_id);

-- How far each project's scan has read events.inserted_at. The version is the
-- position itself, so a late write of an older position never moves it back.
CREATE TABLE IF NOT EXISTS issue_scan_cursors
(
    project_id LowCardinality(String),
    scanned_to DateTime64(3, 'UTC'),
    scanned_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY project_id;
