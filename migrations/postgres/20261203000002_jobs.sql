-- Periodic jobs run once per period across every instance (see ../sqlite/20261203000002_jobs.sql).
CREATE TABLE jobs (
    name        TEXT     PRIMARY KEY,
    last_run_at BIGINT   NOT NULL
);
