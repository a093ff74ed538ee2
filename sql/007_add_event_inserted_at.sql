-- When each row reached the warehouse, stamped by the engine at insert. The
-- issue scan reads error rows by this column, not by `ts` (client time, may be
-- days late) or `received_at` (edge time, before the log and the processors,
-- which may hold a row back for as long as the warehouse is down).
-- Rows already stored get the time of this migration, so the first scan after
-- an upgrade turns past errors into issues too.
ALTER TABLE events ADD COLUMN IF NOT EXISTS inserted_at DateTime64(3, 'UTC') DEFAULT now64(3);
ALTER TABLE events MATERIALIZE COLUMN inserted_at;
-- Parts are written in insert order, so a min/max per granule lets a scan of
-- the last hour skip nearly every granule of older parts.
ALTER TABLE events ADD INDEX IF NOT EXISTS idx_inserted_at inserted_at TYPE minmax GRANULARITY 1;
ALTER TABLE events MATERIALIZE INDEX idx_inserted_at;
