-- The audit trail: an append-only record of security events, read by `asiointi support audit`.
--
-- Each row says what happened (kind), to which account (NULL when the address typed has no
-- account), when (UNIX seconds), from where (client IP and browser, when a browser was
-- involved) and a short detail: e.g. the old usernames of an import, the old and new address of
-- a change, the operator of a support action. Never a password, a token or a link.
--
-- account_id is deliberately not a foreign key: the trail must outlive the account (a
-- registration removed unverified keeps its events), and deleting an account must not be able
-- to delete its history of events.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    account_id INTEGER,
    kind       TEXT    NOT NULL CHECK (kind IN (
                   'login_succeeded', 'login_failed', 'login_throttled', 'link_mailed',
                   'password_set', 'password_changed', 'email_changed', 'session_ended',
                   'imported', 'merged', 'support_link_sent', 'support_email_set')),
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_account ON audit_events (account_id, at);

-- Append-only: the database itself refuses to change or remove an event.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
