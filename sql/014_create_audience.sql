-- Audience rollups: daily active people, sessions and events, each person's
-- first and last day, and screens. Every view reads all kinds except metric
-- points. A person is the user, or `s:<session>` for anonymous events (as in
-- funnel_events); events with neither are left out of people counts.
-- Days are UTC dates of the event's client time `ts`. The views see only new
-- inserts: events stored before this migration are not rolled up.

-- One row per project, day, app and data mode. `people` and `sessions` are
-- uniq states, so a week or a month is the merge of its days' states (a
-- person active on three days counts once), never a sum of daily counts.
-- uniq keeps every hash up to 65,536 people in a merged set (exact but for
-- rare 32-bit collisions) and is within about 1% beyond (measured by
-- bench/audience-query.ts). At a million people, uniqExact states were 12
-- times the size and 7 times slower to merge; uniqCombined estimates from a
-- few thousand people on.
CREATE TABLE IF NOT EXISTS audience_daily
(
    project_id LowCardinality(String),
    day Date,
    app_id LowCardinality(String),
    is_dev Bool,
    people AggregateFunction(uniq, String),
    sessions AggregateFunction(uniq, String),
    events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, app_id, is_dev)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS audience_daily_mv TO audience_daily AS
SELECT
    project_id,
    toDate(ts) AS day,
    app_id,
    is_dev,
    uniqStateIf(if(user_id != '', user_id, concat('s:', session_id)), user_id != '' OR session_id != '') AS people,
    uniqStateIf(session_id, session_id != '') AS sessions,
    count() AS events
FROM events
WHERE kind != 'metric'
GROUP BY project_id, day, app_id, is_dev;

-- One row per person, app and data mode (so a person new to an app counts
-- as new there; their first time in the project is the minimum over apps).
-- For analysts:
--   first_seen, last_seen   times of the person's earliest and latest event
--   active_days             the UTC days the person had any event on
-- Rows of one key merge in the background, so read them grouped:
--   SELECT person_key, min(first_seen), max(last_seen), groupUniqArrayArray(active_days)
--   FROM audience_people WHERE project_id = … GROUP BY person_key
-- A person is new on the day of their first_seen, and returning on any other
-- active day. A retention cohort is toMonday(first_seen); the weeks a person
-- came back are arrayDistinct(arrayMap(d -> toMonday(d), active_days)).
-- min/max and a set union ignore a batch seen twice.
CREATE TABLE IF NOT EXISTS audience_people
(
    project_id LowCardinality(String),
    is_dev Bool,
    app_id LowCardinality(String),
    person_key String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    active_days SimpleAggregateFunction(groupUniqArrayArray, Array(Date))
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, is_dev, app_id, person_key)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS audience_people_mv TO audience_people AS
SELECT
    project_id,
    is_dev,
    app_id,
    if(user_id != '', user_id, concat('s:', session_id)) AS person_key,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    groupUniqArray(toDate(ts)) AS active_days
FROM events
WHERE kind != 'metric' AND (user_id != '' OR session_id != '')
GROUP BY project_id, is_dev, app_id, person_key;

-- Screens and web routes per day: `views` counts screen views (`$pageview`,
-- whose screen_name is its normalized route, and `$screen`), `events` every
-- event that carried the screen_name, `people` who had any of them. Apps that
-- send no view events still rank their screens by people.
CREATE TABLE IF NOT EXISTS audience_screens_daily
(
    project_id LowCardinality(String),
    day Date,
    app_id LowCardinality(String),
    is_dev Bool,
    screen_name String,
    views SimpleAggregateFunction(sum, UInt64),
    events SimpleAggregateFunction(sum, UInt64),
    people AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, app_id, is_dev, screen_name)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS audience_screens_daily_mv TO audience_screens_daily AS
SELECT
    project_id,
    toDate(ts) AS day,
    app_id,
    is_dev,
    screen_name,
    countIf(name IN ('$pageview', '$screen')) AS views,
    count() AS events,
    uniqStateIf(if(user_id != '', user_id, concat('s:', session_id)), user_id != '' OR session_id != '') AS people
FROM events
WHERE kind != 'metric' AND screen_name != ''
GROUP BY project_id, day, app_id, is_dev, screen_name;
