-- What people change about issues: their state (status, snoozes, fix versions,
-- merge tombstones), which fingerprints each holds (merge and unmerge re-point
-- them), and comments. Occurrences and counts stay in the warehouse, which
-- also keeps a copy of these three tables (analysts' SQL, the issue list):
-- `revision` orders the copies there (microseconds, rising with each change of
-- a row) and `mirrored` says whether the copy has this revision yet. Times are
-- epoch milliseconds, as the warehouse's copy and the API carry them.
CREATE TABLE issues (
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    issue_id text NOT NULL,
    app_id text NOT NULL,
    is_dev boolean NOT NULL,
    title text NOT NULL,
    culprit text NOT NULL,
    exception_type text NOT NULL,
    grouping_config text NOT NULL,
    status text NOT NULL CHECK (status IN ('new', 'in_progress', 'resolved', 'silenced', 'regressed')),
    resolved_at int8,
    resolved_at_version text NOT NULL,
    snoozed_until int8,
    regressed_at int8,
    regressed_in_version text NOT NULL,
    created_at int8 NOT NULL,
    updated_at int8 NOT NULL,
    merged_into text NOT NULL,
    revision int8 NOT NULL,
    mirrored boolean NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, issue_id)
);
CREATE INDEX issues_unmirrored ON issues (project_id) WHERE NOT mirrored;

CREATE TABLE issue_fingerprints (
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    fingerprint text NOT NULL,
    issue_id text NOT NULL,
    grouping_config text NOT NULL,
    created_at int8 NOT NULL,
    revision int8 NOT NULL,
    mirrored boolean NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, fingerprint)
);
CREATE INDEX issue_fingerprints_issue ON issue_fingerprints (project_id, issue_id);
CREATE INDEX issue_fingerprints_unmirrored ON issue_fingerprints (project_id) WHERE NOT mirrored;

CREATE TABLE issue_comments (
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    comment_id text NOT NULL,
    issue_id text NOT NULL,
    author_type text NOT NULL CHECK (author_type IN ('user', 'agent')),
    author_name text NOT NULL,
    body text NOT NULL,
    created_at int8 NOT NULL,
    edited_at int8,
    deleted_at int8,
    revision int8 NOT NULL,
    mirrored boolean NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, comment_id)
);
CREATE INDEX issue_comments_issue ON issue_comments (project_id, issue_id, created_at);
CREATE INDEX issue_comments_unmirrored ON issue_comments (project_id) WHERE NOT mirrored;
CREATE INDEX issue_comments_deleted ON issue_comments (deleted_at) WHERE deleted_at IS NOT NULL;

-- One-time copies of data an older Strix kept in the warehouse, by name: each
-- runs on the first start that has both stores, before anything else writes.
CREATE TABLE warehouse_imports (
    name text PRIMARY KEY,
    imported_at timestamptz NOT NULL DEFAULT now(),
    details jsonb NOT NULL
);
