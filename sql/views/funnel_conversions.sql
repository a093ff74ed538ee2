-- funnel_conversions: how many people reached each step of an ordered funnel
-- of event names, and what share of the first step converted to each one.
-- A parameterized view: pass the steps (2 to 8 event names), the conversion
-- window in seconds and the time range; rows are per project, app and data mode.
-- Same rule as `POST /v1/funnels/query` in closed mode without property filters:
-- a person reaches step k when they did steps 1..k in that order, at strictly
-- increasing times, with step k at most window_seconds after step 1. People are
-- the user id, or the session for anonymous events. Reads funnel_events, the
-- events of each person in time order.
--
-- Columns: project_id, app_id, is_dev, step (1-based), event, people,
-- conversion_rate (of step 1), step_conversion_rate (of the previous step).
--
-- Example: signup funnel over the last 30 days, one-day window
--   SELECT step, event, people, round(conversion_rate, 3) AS conversion
--   FROM funnel_conversions(steps = ['signup_started', 'signup_done', 'first_project'], window_seconds = 86400,
--        from = now() - INTERVAL 30 DAY, to = now())
--   WHERE NOT is_dev ORDER BY project_id, app_id, step;
CREATE OR REPLACE VIEW funnel_conversions AS
WITH
    {steps:Array(String)} AS funnel_steps,
    length(funnel_steps) AS step_count
SELECT
    project_id,
    app_id,
    is_dev,
    step,
    funnel_steps[step] AS event,
    countIf(level >= step) AS people,
    people / greatest(countIf(level >= 1), 1) AS conversion_rate,
    people / greatest(countIf(level >= step - 1), 1) AS step_conversion_rate
FROM
(
    SELECT
        project_id,
        app_id,
        is_dev,
        person_key,
        windowFunnel({window_seconds:UInt64} * 1000, 'strict_increase')(
            toUInt64(toUnixTimestamp64Milli(ts)),
            name = funnel_steps[1], name = funnel_steps[2],
            name = funnel_steps[3] AND step_count >= 3, name = funnel_steps[4] AND step_count >= 4,
            name = funnel_steps[5] AND step_count >= 5, name = funnel_steps[6] AND step_count >= 6,
            name = funnel_steps[7] AND step_count >= 7, name = funnel_steps[8] AND step_count >= 8
        ) AS level
    FROM funnel_events
    WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} AND has(funnel_steps, name)
      AND throwIf(step_count NOT BETWEEN 2 AND 8, 'funnel_conversions takes 2 to 8 steps') = 0
    GROUP BY project_id, app_id, is_dev, person_key
)
ARRAY JOIN range(1, step_count + 1) AS step
GROUP BY project_id, app_id, is_dev, step, event;
