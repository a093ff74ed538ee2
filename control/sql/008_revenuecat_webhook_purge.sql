-- Webhook deliveries are kept a while after they were processed (or failed for
-- good), so a late redelivery is still recognised, then purged: this index finds
-- the ended ones by age.
CREATE INDEX IF NOT EXISTS revenuecat_webhook_events_ended ON revenuecat_webhook_events (processed_at) WHERE status <> 'pending';
