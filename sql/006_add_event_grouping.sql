-- What the processors' versioned issue grouping decided for each error
-- (grouping/grouping.ts), beside the `fingerprint` it already wrote.
-- `grouping_config` names the rules that produced `fingerprint`, and
-- `fingerprint_previous` is the same event's fingerprint under the rules those
-- replaced: the issue scan maps a new fingerprint onto the issue that owns the
-- previous one, so an upgrade of the rules never splits existing issues.
-- `exception_type` and `culprit` (innermost app frame) title issues; the frames
-- are kept as sent, as JSON, for display — stacks compress well, hence ZSTD.
-- Rows stored before this migration read '' in all five: their fingerprints are strix-1's.
ALTER TABLE events ADD COLUMN IF NOT EXISTS grouping_config LowCardinality(String);
ALTER TABLE events ADD COLUMN IF NOT EXISTS fingerprint_previous String;
ALTER TABLE events ADD COLUMN IF NOT EXISTS exception_type String;
ALTER TABLE events ADD COLUMN IF NOT EXISTS culprit String;
ALTER TABLE events ADD COLUMN IF NOT EXISTS stack_frames String CODEC(ZSTD);
