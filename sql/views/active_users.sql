-- active_users: daily, weekly and monthly active people of a project (DAU,
-- WAU, MAU), with how many of the day's people were new. WAU and MAU end on
-- the row's day (the 7 and 30 days up to and including it) and merge the days'
-- uniq states, so a person active on several days counts once. People are the
-- user id, or the session for anonymous events, across all the project's apps;
-- metric points are not activity. Days are UTC dates of the events' times.
--
-- Columns: project_id, is_dev, day, dau, wau, mau, new_people (first seen on
-- that day in any app), returning_people (dau - new_people), sessions, events.
--
-- Example: production activity over the last two weeks
--   SELECT day, dau, wau, mau, new_people, returning_people, sessions
--   FROM active_users
--   WHERE NOT is_dev AND day >= today() - 14
--   ORDER BY day;
CREATE OR REPLACE VIEW active_users AS
SELECT
    a.project_id AS project_id,
    a.is_dev AS is_dev,
    a.day AS day,
    a.dau AS dau,
    a.wau AS wau,
    a.mau AS mau,
    ifNull(n.new_people, 0) AS new_people,
    greatest(toInt64(a.dau) - toInt64(ifNull(n.new_people, 0)), 0) AS returning_people,
    a.sessions AS sessions,
    a.events AS events
FROM
(
    -- Each day's states (merged over apps first) count toward the 30 days that end on or after it.
    SELECT
        project_id,
        is_dev,
        addDays(day, offset) AS day,
        uniqMergeIf(people, offset = 0) AS dau,
        uniqMergeIf(people, offset < 7) AS wau,
        uniqMerge(people) AS mau,
        uniqMergeIf(sessions, offset = 0) AS sessions,
        sumIf(events, offset = 0) AS events
    FROM
    (
        SELECT project_id, is_dev, day, uniqMergeState(people) AS people, uniqMergeState(sessions) AS sessions, sum(events) AS events
        FROM audience_daily
        GROUP BY project_id, is_dev, day
    )
    ARRAY JOIN range(30) AS offset
    GROUP BY project_id, is_dev, day
    HAVING day <= today() AND dau > 0
) AS a
LEFT JOIN
(
    SELECT project_id, is_dev, toDate(first_seen) AS day, count() AS new_people
    FROM
    (
        SELECT project_id, is_dev, person_key, min(first_seen) AS first_seen
        FROM audience_people
        GROUP BY project_id, is_dev, person_key
    )
    GROUP BY project_id, is_dev, day
) AS n ON n.project_id = a.project_id AND n.is_dev = a.is_dev AND n.day = a.day;
