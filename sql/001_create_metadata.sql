-- Projects, apps and API keys. Versioned rows (ReplacingMergeTree) read with FINAL,
-- so a re-run of bootstrap or a concurrent writer never creates duplicates.
CREATE TABLE IF NOT EXISTS projects
(
    project_id String,
    name String,
    retention_days UInt16 DEFAULT 90,
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY project_id;

CREATE TABLE IF NOT EXISTS apps
(
    project_id String,
    app_id String,
    name String,
    platform LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, app_id);

-- Only a SHA-256 of each key is stored; the plaintext is shown once, at creation.
CREATE TABLE IF NOT EXISTS api_keys
(
    key_hash String,
    key_prefix String,
    key_type Enum8('client' = 1, 'agent' = 2),
    project_id String,
    app_id String,
    permissions Array(LowCardinality(String)),
    revoked UInt8 DEFAULT 0,
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY key_hash;
