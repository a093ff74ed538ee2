-- Finished days of the active-people read (warehouse/audience-active.ts),
-- stored by the read itself so the next read of the day does not merge its
-- 30 days of uniq states again: merging and reading those states is where
-- that read spent its time (about 2.5 ms per state of 65,536 people).
-- One row per project, scope (data mode, app or every app) and day, written
-- only once the UTC day is over. `events_through_day` is the scope's event
-- count (audience_daily) over every day up to and including `day` when the
-- row was computed; any event stored since for one of those days changes the
-- count, and the read computes the day again instead of using the row. Every
-- column depends on those days only: DAU, WAU, MAU, sessions and events on
-- the 30 days ending on `day`, new people on whether they came before it.
-- `people_6_days` and `people_29_days` are the people of the 6 and 29 days
-- ending on `day`, kept only on the last finished day (`with_unions`): the
-- day after's WAU and MAU are those and its own people, so a range ending
-- today merges a handful of states instead of 30 days of them.
-- Nothing is migrated: the first read of each scope and day computes its row
-- from the rollups, as reads did before this table.
-- Rows are kept a week after they were computed, then computed again on the
-- next read; that also bounds a row computed while an insert was between
-- its rollups (new people one insert behind).
CREATE TABLE IF NOT EXISTS audience_active_days
(
    project_id LowCardinality(String),
    data_mode LowCardinality(String),
    all_apps Bool,
    app_id LowCardinality(String),
    day Date,
    events_through_day UInt64,
    dau UInt64,
    wau UInt64,
    mau UInt64,
    new_people UInt64,
    sessions UInt64,
    events UInt64,
    with_unions Bool,
    people_6_days AggregateFunction(uniq, String),
    people_29_days AggregateFunction(uniq, String),
    computed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (project_id, data_mode, all_apps, app_id, day)
TTL toDateTime(computed_at) + toIntervalDay(7);
