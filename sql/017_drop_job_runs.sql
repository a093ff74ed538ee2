-- Job runs moved to the control plane (control/sql/004_job_runs.sql), where
-- one active run per job and project holds by a unique index and progress is
-- updated in place. The warehouse's copy of older runs is dropped.
DROP TABLE IF EXISTS job_runs;
