-- funnel_conversions: how many people reached each step of an ordered funnel
-- of event names, and what share of the first step converted to each one.
-- A parameterized view: pass the steps (2 to 8 event names), the conversion
-- window in seconds and the time range; rows are per project, app and data mode.
-- Same rule as `POST /v1/funnels/query` in closed mode, by user, without
-- property filters: a person reaches step k when they did steps 1..k in that
-- order, at strictly increasing times, with step k at most window_seconds after
-- step 1. People are the user id, or the session for anonymous events. Reads
-- funnel_events, the events of each person in time order.
--
-- analytics/funnel-conversions-view.test.ts checks this view against the API's
-- query (per app and data mode, on hand-picked edges and random funnels). Plain
-- windowFunnel disagreed on events of one millisecond and on repeated steps: it
-- takes one millisecond's events in step order, so a step-1 event restarted the
-- chain before a later step at that millisecond could extend the earlier one
-- (a@0, a@1s, b@1s reached step 1 only), and one event matching two steps
-- (steps a, a) never chained to a later a. So each event enters once per step it
-- matches (ARRAY JOIN), at time ms * 16 + 15 - step: within a millisecond later
-- steps come first, strict_increase still refuses equal milliseconds, and the
-- window (times 16) still ends at window_seconds exactly, inclusive. The API's
-- query is generated per step count, which a parameterized view cannot be; this
-- stays one aggregate, proven equal by that test. step_conversion_rate of step 1
-- is 1 when anyone entered, as in the API (it was the share of all people seen).
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
    if(step = 1, toFloat64(people > 0), people / greatest(countIf(level >= step - 1), 1)) AS step_conversion_rate
FROM
(
    SELECT
        project_id,
        app_id,
        is_dev,
        person_key,
        windowFunnel({window_seconds:UInt64} * 1000 * 16, 'strict_increase')(
            toUInt64(toUnixTimestamp64Milli(ts) * 16 + 15 - matched_step),
            matched_step = 1, matched_step = 2, matched_step = 3, matched_step = 4,
            matched_step = 5, matched_step = 6, matched_step = 7, matched_step = 8
        ) AS level
    FROM funnel_events
    ARRAY JOIN arrayFilter(k -> funnel_steps[k] = name, range(1, step_count + 1)) AS matched_step
    WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} AND has(funnel_steps, name)
      AND throwIf(step_count NOT BETWEEN 2 AND 8, 'funnel_conversions takes 2 to 8 steps') = 0
    GROUP BY project_id, app_id, is_dev, person_key
)
ARRAY JOIN range(1, step_count + 1) AS step
GROUP BY project_id, app_id, is_dev, step, event;
