-- Properties set on users without an event (integrations such as RevenueCat). Rows
-- inserted here are stored nowhere (Null) but become `$set` states in
-- user_properties through the view below: an insert carries its rows in its body,
-- however many, where a statement's parameters travel in the request's URL.
CREATE TABLE IF NOT EXISTS user_property_writes
(
    project_id LowCardinality(String),
    user_id String,
    key String,
    value String,
    ts DateTime64(3, 'UTC')
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS user_property_writes_mv TO user_properties AS
SELECT
    project_id,
    user_id,
    key,
    argMaxState(value, ts) AS set_value,
    argMinStateIf(value, ts, false) AS set_once_value,
    max(ts) AS last_set_at,
    min(ts) AS first_seen_at,
    max(ts) AS updated_at
FROM user_property_writes
GROUP BY project_id, user_id, key;
