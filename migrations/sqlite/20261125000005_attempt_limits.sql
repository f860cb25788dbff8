-- Limits against guessing and mail flooding (issue #5). Times are UNIX seconds (INTEGER).

-- One row per counted event; the limits count the rows of a subject within their rolling
-- window, so several server instances sharing the database share the limits.
-- kind says what was counted:
--   'login_account': a failed (or still running) password attempt for an address, known or not;
--   'login_ip':      the same, for the client's IP address;
--   'mail':          a mail of the e-mail step (detail: which mail) sent to an address;
--   'lookup_ip':     an e-mail step lookup ("Jatka", recovery, registration) from an IP.
-- subject is the lower-cased address or the IP address as text, so that accounts, unknown
-- addresses and clients are counted alike and nothing reveals whether an account exists.
-- A successful login deletes its address's 'login_account' rows; the hourly purge deletes
-- rows older than the longest window (a day).
CREATE TABLE attempts (
    id      INTEGER PRIMARY KEY,
    kind    TEXT    NOT NULL CHECK (kind IN ('login_account', 'login_ip', 'mail', 'lookup_ip')),
    subject TEXT    NOT NULL,
    detail  TEXT    NOT NULL DEFAULT '',
    at      INTEGER NOT NULL
);
-- Every check reads one subject's recent rows, newest first.
CREATE INDEX attempts_subject_at ON attempts (kind, subject, at);
-- The purge deletes by age.
CREATE INDEX attempts_at ON attempts (at);
