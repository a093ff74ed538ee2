-- A project's link to its RevenueCat project. The secret API key and the
-- webhook secret are sealed (AES-256-GCM under keys derived from the server's
-- master key, control/secret-box.ts): the API key is never shown again, only
-- its last four characters; the webhook secret is opened to check a webhook
-- and to show its setup again without rotating it. Times are epoch ms.
CREATE TABLE IF NOT EXISTS revenuecat_integrations (
    project_id text PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    revenuecat_project_id text NOT NULL,
    api_key_sealed text NOT NULL,
    api_key_last4 text NOT NULL,
    webhook_secret_sealed text NOT NULL,
    created_at int8 NOT NULL,
    updated_at int8 NOT NULL
);

-- Webhook deliveries, stored before they are answered and processed after:
-- one row per RevenueCat event id and project, so a redelivery is stored once.
CREATE TABLE IF NOT EXISTS revenuecat_webhook_events (
    project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    event_id text NOT NULL,
    event_type text NOT NULL,
    body jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'processed', 'failed')),
    attempts int4 NOT NULL DEFAULT 0,
    error text NOT NULL DEFAULT '',
    received_at int8 NOT NULL,
    processed_at int8,
    PRIMARY KEY (project_id, event_id)
);
CREATE INDEX IF NOT EXISTS revenuecat_webhook_events_pending ON revenuecat_webhook_events (received_at) WHERE status = 'pending';
