-- issues_summary: one row per open or closed issue of a project, with its
-- current status and counts, newest activity first. Answers "what is broken,
-- how badly, since when, and is it getting worse?" without joining the issue
-- tables (state, stats, fingerprints) by hand. Merged-away issues are left out.
--
-- Columns: project_id, issue_id, app_id, is_dev, title, culprit, exception_type,
-- status (new | in_progress | resolved | silenced | regressed), occurrences
-- (sessions that hit it), users, first_seen, last_seen (client time),
-- last_app_version, resolved_at_version, regressed_in_version, fingerprints.
--
-- Example: the ten production issues hitting the most users this week
--   SELECT title, status, users, occurrences, last_seen
--   FROM issues_summary
--   WHERE NOT is_dev AND last_seen >= now() - INTERVAL 7 DAY AND status != 'resolved'
--   ORDER BY users DESC LIMIT 10;
CREATE OR REPLACE VIEW issues_summary AS
SELECT
    i.project_id AS project_id,
    i.issue_id AS issue_id,
    i.app_id AS app_id,
    i.is_dev AS is_dev,
    i.title AS title,
    i.culprit AS culprit,
    i.exception_type AS exception_type,
    i.status AS status,
    s.occurrences AS occurrences,
    s.users AS users,
    s.first_seen AS first_seen,
    s.last_seen AS last_seen,
    s.last_app_version AS last_app_version,
    i.resolved_at_version AS resolved_at_version,
    i.regressed_in_version AS regressed_in_version,
    f.fingerprints AS fingerprints
FROM (SELECT * FROM issues FINAL WHERE merged_into = '') AS i
LEFT JOIN (SELECT * FROM issue_stats FINAL) AS s ON s.project_id = i.project_id AND s.issue_id = i.issue_id
LEFT JOIN
(
    SELECT project_id, issue_id, count() AS fingerprints FROM issue_fingerprints FINAL GROUP BY project_id, issue_id
) AS f ON f.project_id = i.project_id AND f.issue_id = i.issue_id;
