-- Runs of background jobs, whichever scheduler ran them (Temporal or the
-- embedded one) and whoever started them (a schedule, or someone through the
-- API). Times are epoch milliseconds. One active (pending or running) run per
-- job and project holds by the unique index, whatever process asks; a system
-- run over every project has no project_id.
CREATE TABLE job_runs (
    id text PRIMARY KEY,
    job text NOT NULL,
    project_id text REFERENCES projects (id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    params jsonb NOT NULL,
    triggered_by jsonb,
    notify boolean NOT NULL,
    processed int8 NOT NULL DEFAULT 0,
    total int8,
    message text NOT NULL DEFAULT '',
    cursor jsonb,
    summary jsonb,
    error text NOT NULL DEFAULT '',
    cancel_requested boolean NOT NULL DEFAULT false,
    scheduled_at int8 NOT NULL,
    created_at int8 NOT NULL,
    started_at int8,
    finished_at int8,
    updated_at int8 NOT NULL
);
CREATE UNIQUE INDEX job_runs_one_active ON job_runs (job, (coalesce(project_id, ''))) WHERE status IN ('pending', 'running');
CREATE INDEX job_runs_project ON job_runs (project_id, created_at DESC, id);
CREATE INDEX job_runs_scheduled ON job_runs (job, scheduled_at DESC) WHERE trigger = 'schedule' AND status = 'completed';
