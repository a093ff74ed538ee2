-- The control plane: who may do what to which project. Ids are text (UUIDs for
-- new rows; projects and apps keep the ids they had in the warehouse).

-- One row, bumped in the same transaction as any change that affects
-- authentication (keys, projects, apps): every process polls it and reloads its
-- key cache when it moves, so a revocation reaches all of them within a poll.
CREATE TABLE control_revision (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision bigint NOT NULL
);
INSERT INTO control_revision (revision) VALUES (1);

CREATE TABLE teams (
    id text PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id text PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email)),
    name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_members (
    team_id text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE projects (
    id text PRIMARY KEY,
    team_id text NOT NULL REFERENCES teams (id),
    name text NOT NULL,
    slug text NOT NULL,
    color text NOT NULL,
    retention_events_days int NOT NULL DEFAULT 120 CHECK (retention_events_days BETWEEN 1 AND 3650),
    retention_metrics_days int NOT NULL DEFAULT 365 CHECK (retention_metrics_days BETWEEN 1 AND 3650),
    retention_funnels_days int NOT NULL DEFAULT 365 CHECK (retention_funnels_days BETWEEN 1 AND 3650),
    issue_alert_frequency text NOT NULL DEFAULT 'daily'
        CHECK (issue_alert_frequency IN ('none', 'hourly', '6_hourly', 'daily', 'weekly')),
    attachment_quota_bytes bigint NOT NULL DEFAULT 1073741824 CHECK (attachment_quota_bytes >= 0),
    attachment_user_quota_bytes bigint NOT NULL DEFAULT 104857600 CHECK (attachment_user_quota_bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Soft delete: keys stop working at once; the rows are purged after the grace period.
    deleted_at timestamptz
);
CREATE UNIQUE INDEX projects_team_slug ON projects (team_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE apps (
    id text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name text NOT NULL,
    platform text NOT NULL CHECK (platform IN ('apple', 'android', 'web', 'backend')),
    -- Required for new apps except backend ones (checked where apps are created; apps
    -- migrated from the warehouse had none). Never changed after creation.
    bundle_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX apps_project ON apps (project_id);

-- Only a SHA-256 of each key is stored; the key is shown once, when it is created.
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    key_hash text NOT NULL UNIQUE,
    key_prefix text NOT NULL,
    key_type text NOT NULL CHECK (key_type IN ('client', 'agent', 'import')),
    name text NOT NULL DEFAULT '',
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- Client and import keys belong to one app; agent keys to the whole project.
    app_id text REFERENCES apps (id) ON DELETE CASCADE,
    permissions text[] NOT NULL,
    created_by text REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    -- Set on the old key when it is rotated: it keeps working until its expires_at.
    replaced_by text REFERENCES api_keys (id),
    CHECK ((key_type = 'agent') = (app_id IS NULL))
);
CREATE INDEX api_keys_project ON api_keys (project_id);

-- People who receive a project's issue digests (they need no account).
CREATE TABLE digest_recipients (
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email)),
    name text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, email)
);

CREATE TABLE sessions (
    id text PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    user_agent text NOT NULL DEFAULT '',
    ip text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time sign-in: a 6-digit code and a link token, both stored hashed.
CREATE TABLE sign_in_codes (
    id text PRIMARY KEY,
    email text NOT NULL CHECK (email = lower(email)),
    code_hash text NOT NULL,
    link_hash text NOT NULL UNIQUE,
    -- 'owner': the first-start link that makes its user an owner of the default team.
    purpose text NOT NULL DEFAULT 'email' CHECK (purpose IN ('email', 'owner')),
    team_id text REFERENCES teams (id) ON DELETE CASCADE,
    attempts int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX sign_in_codes_email ON sign_in_codes (email);

CREATE TABLE invitations (
    id text PRIMARY KEY,
    team_id text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email)),
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    token_hash text NOT NULL UNIQUE,
    invited_by text REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at timestamptz
);
CREATE UNIQUE INDEX invitations_open ON invitations (team_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Every management action. Append-only: the trigger refuses updates and deletes.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    team_id text,
    project_id text,
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'key', 'system')),
    actor_id text NOT NULL,
    actor_label text NOT NULL DEFAULT '',
    action text NOT NULL,
    target_type text NOT NULL,
    target_id text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    ip text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_team ON audit_log (team_id, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
