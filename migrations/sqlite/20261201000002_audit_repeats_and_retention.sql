-- The audit trail gets bounded (issue #9): repeated refusals are one event with a count, and
-- events older than the retention period are removed by the purge job, which records each run.
-- The table stays append-only to the application: the triggers below allow an update only to
-- count one more repeat of an event, and a delete only of events older than a cutoff that a
-- purge has first recorded, permanently, in audit_purges.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt. Its kinds move to
-- the lookup table audit_kinds, so that a later kind is one INSERT in its own migration.

DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;

CREATE TABLE audit_kinds (
    kind TEXT PRIMARY KEY
);
INSERT INTO audit_kinds (kind) VALUES
    ('login_succeeded'), ('login_failed'), ('login_throttled'), ('link_mailed'),
    ('password_set'), ('password_changed'), ('email_changed'), ('session_ended'),
    ('imported'), ('merged'), ('support_link_sent'), ('support_email_set'),
    ('audit_purged');

-- repeats: how many times the event happened; last_at: when it last did (= at for a single
-- one). A flood of refused logins for one subject is one row per window, not one per request.
CREATE TABLE audit_events_new (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    account_id INTEGER,
    kind       TEXT    NOT NULL REFERENCES audit_kinds (kind),
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT,
    repeats    INTEGER NOT NULL DEFAULT 1 CHECK (repeats >= 1),
    last_at    INTEGER NOT NULL
);
INSERT INTO audit_events_new (id, at, account_id, kind, ip, user_agent, detail, repeats, last_at)
    SELECT id, at, account_id, kind, ip, user_agent, detail, 1, at FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_account ON audit_events (account_id, at);
-- For finding the event a repeat belongs to, and for the retention purge.
CREATE INDEX audit_events_kind ON audit_events (kind, last_at);
CREATE INDEX audit_events_last ON audit_events (last_at);

-- One row per run of the retention purge: at that time, events whose last_at is before
-- `before` could be removed. At least 30 days (2,592,000 s) are always kept, whatever the
-- configuration says. Append-only, like the trail itself.
CREATE TABLE audit_purges (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    before INTEGER NOT NULL CHECK (before <= at - 2592000)
);
CREATE TRIGGER audit_purges_no_update BEFORE UPDATE ON audit_purges
BEGIN
    SELECT RAISE(ABORT, 'audit_purges is append-only');
END;
CREATE TRIGGER audit_purges_no_delete BEFORE DELETE ON audit_purges
BEGIN
    SELECT RAISE(ABORT, 'audit_purges is append-only');
END;

-- An event may only count one more repeat: nothing else about it can change.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.account_id IS OLD.account_id
          AND NEW.kind IS OLD.kind AND NEW.ip IS OLD.ip AND NEW.user_agent IS OLD.user_agent
          AND NEW.detail IS OLD.detail AND NEW.repeats > OLD.repeats
          AND NEW.last_at >= OLD.last_at)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: an event can only count a repeat');
END;
-- Only events older than the latest recorded purge cutoff can be removed.
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.last_at >= COALESCE((SELECT MAX(before) FROM audit_purges), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: only the retention purge removes events older than its recorded cutoff');
END;
