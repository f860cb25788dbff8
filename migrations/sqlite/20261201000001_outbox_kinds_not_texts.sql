-- The outbox stores what a mail is, never its text (issue #9). A mail used to be stored
-- rendered, its set-password link in clear, until delivered — hours during an SMTP outage — and
-- blanking it after delivery left the old page in SQLite's WAL and free pages, so a copy of the
-- database could set a carried-over resident's password. Now a row says whom the mail is for
-- and what it is (kind, recipient, account, language); the sender renders it at delivery and,
-- for a link, mints the token there, storing only its hash (tokens.outbox_id says which mail it
-- went out in: a retry mints a fresh token and voids the one before). No raw token is ever
-- written to the database or its files.
--
-- Mails still waiting from the previous version carry their link in clear: they are dropped,
-- and the links they carried are voided (the same account and address, queued in the same
-- second), so no copy of such a link can be used; the resident presses "Jatka" or asks for a
-- new link again. Delivered rows have no text left and are not carried over either.

UPDATE tokens SET used_at = unixepoch()
WHERE used_at IS NULL AND id IN (
    SELECT t.id FROM tokens t
    JOIN accounts a ON a.id = t.account_id
    JOIN outbox o ON o.created_at = t.created_at AND o.recipient = COALESCE(t.new_email, a.email)
    WHERE o.sent_at IS NULL AND o.failed_at IS NULL
);

DROP INDEX outbox_due;
DROP TABLE outbox;

-- kind: what the mail is, rendered at delivery in `language`:
--   'set_password_link'   a first password (carried-over account, new registration);
--   'reset_password_link' a forgotten password;
--   'email_change_link'   confirms a new address (the recipient) as the account's username;
--   'email_change_notice' tells the current address that a change was asked for;
--   'password_changed'    tells the resident the password changed;
--   'account_exists'      someone tried to register the address again;
--   'no_account'          "Jatka" in protect mode for an address without an account.
-- account_id is the account the mail is about (NULL only for 'no_account'); a mail for an
-- account removed before delivery goes with it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN (
                        'set_password_link', 'reset_password_link', 'email_change_link',
                        'email_change_notice', 'password_changed', 'account_exists', 'no_account')),
    recipient       TEXT    NOT NULL,
    account_id      INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    language        TEXT    NOT NULL CHECK (language IN ('fi', 'sv', 'en')),
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT,
    CHECK ((kind = 'no_account') = (account_id IS NULL))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_account ON outbox (account_id);

-- The mail a link's token went out in (NULL for links minted before this version).
ALTER TABLE tokens ADD COLUMN outbox_id INTEGER REFERENCES outbox (id) ON DELETE SET NULL;
CREATE INDEX tokens_outbox ON tokens (outbox_id);
