-- retention_cohorts: weekly retention by first-seen week. A person's cohort
-- is the Monday of the week of their first event in the project (any app);
-- they are retained in week N if they had any event in the Nth week after it.
-- Week 0 is the cohort itself (everyone), so `retention` of week 0 is 1.
-- People are the user id, or the session for anonymous events; metric points
-- are not activity. Weeks start on Monday, UTC.
--
-- Columns: project_id, is_dev, cohort_week, week_number, cohort_size,
-- people (active in that week), retention (people / cohort_size).
--
-- Example: the last eight production cohorts, as a triangle
--   SELECT cohort_week, week_number, people, round(retention, 3) AS retention
--   FROM retention_cohorts
--   WHERE NOT is_dev AND cohort_week >= toMonday(today()) - 7 * 8
--   ORDER BY cohort_week, week_number;
CREATE OR REPLACE VIEW retention_cohorts AS
SELECT
    project_id,
    is_dev,
    cohort_week,
    week_number,
    -- Everyone is active in their cohort's week, so week 0 is the cohort's size.
    max(people) OVER (PARTITION BY project_id, is_dev, cohort_week) AS cohort_size,
    people,
    people / cohort_size AS retention
FROM
(
    SELECT
        project_id,
        is_dev,
        cohort_week,
        toUInt32(intDiv(dateDiff('day', cohort_week, active_week), 7)) AS week_number,
        count() AS people
    FROM
    (
        SELECT
            project_id,
            is_dev,
            person_key,
            toMonday(min(first_seen)) AS cohort_week,
            arrayDistinct(arrayMap(d -> toMonday(d), groupUniqArrayArray(active_days))) AS weeks
        FROM audience_people
        GROUP BY project_id, is_dev, person_key
    )
    ARRAY JOIN weeks AS active_week
    GROUP BY project_id, is_dev, cohort_week, week_number
);
