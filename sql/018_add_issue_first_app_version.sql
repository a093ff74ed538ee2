-- The app version an issue was first seen in, beside the last one: what a
-- reader asks first about a regression or a new issue. Rows written before
-- carry '' until the issue's next scan finds older errors or the issue is new.
ALTER TABLE issue_stats ADD COLUMN IF NOT EXISTS first_app_version String DEFAULT '' AFTER last_app_version;
