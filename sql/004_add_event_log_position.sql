-- Where each row came from in the log: lineage for operators, and how a
-- restarted processor tells rows of committed batches from those of the batch
-- that was in flight when it died (see processors/seed-deduper.ts).
ALTER TABLE events ADD COLUMN IF NOT EXISTS log_topic LowCardinality(String);
ALTER TABLE events ADD COLUMN IF NOT EXISTS log_partition UInt32;
ALTER TABLE events ADD COLUMN IF NOT EXISTS log_offset UInt64 CODEC(Delta, ZSTD);
