-- Per-user properties from events' `$set` and `$set_once`. argMax/argMin states
-- make the result independent of arrival order and of redelivery: a batch seen
-- twice cannot change a maximum or a minimum.
--   value = the latest `$set`, or, if the key was never `$set`, the first `$set_once`.
CREATE TABLE IF NOT EXISTS user_properties
(
    project_id LowCardinality(String),
    user_id String,
    key String,
    set_value AggregateFunction(argMax, String, DateTime64(3, 'UTC')),
    set_once_value AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    last_set_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    first_seen_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    updated_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, user_id, key)
SETTINGS non_replicated_deduplication_window = 10000;

-- `ARRAY JOIN` over both maps in one pass: one row per (event, key, operation).
CREATE MATERIALIZED VIEW IF NOT EXISTS user_properties_mv TO user_properties AS
SELECT
    project_id,
    user_id,
    op.1 AS key,
    argMaxStateIf(op.2, ts, op.3 = 'set') AS set_value,
    argMinStateIf(op.2, ts, op.3 = 'set_once') AS set_once_value,
    maxIf(ts, op.3 = 'set') AS last_set_at,
    min(ts) AS first_seen_at,
    max(ts) AS updated_at
FROM events
ARRAY JOIN arrayConcat(
    arrayMap((k, v) -> (k, v, 'set'), mapKeys(user_set), mapValues(user_set)),
    arrayMap((k, v) -> (k, v, 'set_once'), mapKeys(user_set_once), mapValues(user_set_once))
) AS op
WHERE user_id != '' AND (length(user_set) > 0 OR length(user_set_once) > 0)
GROUP BY project_id, user_id, key;

-- One row per user and key with the property's current value.
CREATE VIEW IF NOT EXISTS user_property_values AS
SELECT
    project_id,
    user_id,
    key,
    if(max(last_set_at) > toDateTime64(0, 3, 'UTC'), argMaxMerge(set_value), argMinMerge(set_once_value)) AS value,
    min(first_seen_at) AS first_seen_at,
    max(updated_at) AS updated_at
FROM user_properties
GROUP BY project_id, user_id, key;
