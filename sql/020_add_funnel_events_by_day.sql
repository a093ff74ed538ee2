-- Short funnel ranges read only their days. funnel_events is sorted by person,
-- so a range reads every row of each month it touches. This projection holds
-- the columns a funnel without property filters or breakdowns reads, sorted by
-- day, and the engine reads it when that reads fewer rows (funnelSql lets it
-- for ranges under three weeks); other funnels read the table as before. Its
-- key ends at the person: with ts after it, the engine would look for the
-- range on that ts (which cannot narrow it) instead of on the day.
-- Lightweight deletes (people's data, retention) rebuild it for the parts they
-- touch. Parts stored before this migration get it from a background mutation.
ALTER TABLE funnel_events MODIFY SETTING lightweight_mutation_projection_mode = 'rebuild';

ALTER TABLE funnel_events ADD PROJECTION IF NOT EXISTS by_day
(
    SELECT project_id, person_id, ts, is_dev, app_id, name, session_id
    ORDER BY project_id, toDate(ts), person_id
);

ALTER TABLE funnel_events MATERIALIZE PROJECTION by_day;
