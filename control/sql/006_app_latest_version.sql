-- Each app's newest release, kept by the app_version_sync job: the App Store's
-- version for Apple apps it lists, otherwise the highest app_version of the
-- app's production events. Null until the job first knows one; the three are
-- written together, and updated_at moves only when the version or its source
-- changes. Times are timestamptz, like the rest of the table.
ALTER TABLE apps ADD COLUMN IF NOT EXISTS latest_app_version text;
ALTER TABLE apps ADD COLUMN IF NOT EXISTS latest_app_version_updated_at timestamptz;
ALTER TABLE apps ADD COLUMN IF NOT EXISTS latest_app_version_source text CHECK (latest_app_version_source IN ('app_store', 'events'));
