-- Periodic jobs (the hourly purges) run once per period across every instance that shares the
-- database (#11): an instance runs a job only when it moves the job's last_run_at forward, and
-- of several instances trying at once exactly one does (see db/jobs.rs).
CREATE TABLE jobs (
    name        TEXT    PRIMARY KEY,
    last_run_at INTEGER NOT NULL
);
