-- Files sent with events. The bytes live in the blob store under a key made
-- from the id; file_name and content_type are the client's text, shown and
-- sent back in headers, never used as paths. A row is reserved (quotas checked)
-- before any byte is sent, uploaded once the store holds the verified bytes.
-- client_event_id is the event's id as the client sent it (ingest keeps it as
-- the event_id), so the link holds whichever arrives first; event_id is set
-- once the event is known to be stored, issue_id by the scan, so the file
-- outlives the event's retention. Times are epoch milliseconds.
CREATE TABLE attachments (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    app_id text NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- The end user of the event; '' when the client sent none (no per-user quota then).
    user_id text NOT NULL,
    client_event_id text NOT NULL,
    file_name text NOT NULL,
    content_type text NOT NULL,
    size int8 NOT NULL CHECK (size >= 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    status text NOT NULL CHECK (status IN ('reserved', 'uploaded')),
    event_id text,
    issue_id text,
    created_at int8 NOT NULL,
    uploaded_at int8,
    deleted_at int8,
    CHECK ((status = 'uploaded') = (uploaded_at IS NOT NULL))
);
-- Quota sums read size from the index alone.
CREATE INDEX attachments_usage ON attachments (project_id, user_id) INCLUDE (size) WHERE deleted_at IS NULL;
CREATE INDEX attachments_event ON attachments (project_id, app_id, client_event_id);
CREATE INDEX attachments_unlinked ON attachments (project_id, created_at) WHERE deleted_at IS NULL AND event_id IS NULL;
CREATE INDEX attachments_issue ON attachments (project_id, issue_id) WHERE issue_id IS NOT NULL;
CREATE INDEX attachments_deleted ON attachments (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX attachments_reserved ON attachments (created_at) WHERE status = 'reserved' AND deleted_at IS NULL;

-- The quotas attachments are checked against: 5 GiB a project, 250 MiB an end
-- user. Projects still holding the first defaults (1 GiB, 100 MiB) take the new
-- ones: no attachment could be stored before this migration, so those never applied.
ALTER TABLE projects ALTER COLUMN attachment_quota_bytes SET DEFAULT 5368709120;
ALTER TABLE projects ALTER COLUMN attachment_user_quota_bytes SET DEFAULT 262144000;
UPDATE projects SET attachment_quota_bytes = 5368709120 WHERE attachment_quota_bytes = 1073741824;
UPDATE projects SET attachment_user_quota_bytes = 262144000 WHERE attachment_user_quota_bytes = 104857600;
