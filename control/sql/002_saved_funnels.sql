-- Saved funnels: a name and a definition people edit, kept here rather than in
-- the warehouse (which keeps the events they run over). Ids keep the `fnl_…`
-- form and the times they had there. A delete keeps the row with deleted_at
-- set; a purged project takes its funnels with it.
CREATE TABLE saved_funnels (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name text NOT NULL,
    -- Steps, mode, window, order, exclusions and unit, as the API takes them; the analytics layer checks it.
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
-- The list's order (oldest first) within a project, live funnels only.
CREATE INDEX saved_funnels_project ON saved_funnels (project_id, created_at) WHERE deleted_at IS NULL;
