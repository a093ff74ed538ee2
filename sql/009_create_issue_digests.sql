-- Issue digests: who on a project's team gets mail, how often, how far each
-- recipient has been notified, and what every delivery attempt did.

-- How often a project's team is told about new and regressed production issues.
-- Existing projects get the default (daily), as the dashboard documents.
ALTER TABLE projects ADD COLUMN IF NOT EXISTS issue_alert_frequency
    Enum8('none' = 0, 'hourly' = 1, '6_hourly' = 2, 'daily' = 3, 'weekly' = 4) DEFAULT 'daily';

-- A project's team: the digest goes to every member not removed. Removal keeps
-- the row (removed = true) so a late write of the old state cannot resurrect
-- it; re-adding writes created_at anew, so a returning member is not sent
-- activity from before they came back.
CREATE TABLE IF NOT EXISTS project_members
(
    project_id LowCardinality(String),
    email String,
    name String,
    removed Bool DEFAULT false,
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, email);

-- Where each recipient's digests have reached: the end of the last window sent
-- (or found empty). Per recipient, so one failing address neither blocks nor
-- repeats the others' mail. The version is the position itself, so a late or
-- retried write of an older position never moves the cursor back.
CREATE TABLE IF NOT EXISTS issue_digest_cursors
(
    project_id LowCardinality(String),
    email String,
    notified_to DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, email);

-- One row per delivery attempt of a digest: failures are never silent, and a
-- digest retried in a later run keeps its id (and Message-ID), so its attempts
-- line up under it. `attempt` counts across runs; a re-written row of the same
-- attempt collapses into one.
CREATE TABLE IF NOT EXISTS issue_digests
(
    project_id LowCardinality(String),
    digest_id String,
    recipient String,
    window_from DateTime64(3, 'UTC'),
    window_to DateTime64(3, 'UTC'),
    issues UInt32,
    attempt UInt32,
    status Enum8('sent' = 1, 'failed' = 2),
    error String,
    message_id String,
    at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, digest_id, attempt)
-- An hourly digest to ten people is ~90k rows a year; half a year is enough to debug delivery.
TTL toDateTime(at) + toIntervalDay(180);
