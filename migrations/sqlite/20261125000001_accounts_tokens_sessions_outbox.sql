-- The first schema of the login service. Times are UNIX seconds (INTEGER) so that the same
-- columns work as BIGINT on PostgreSQL later.

-- A resident's account. The e-mail address is the username: unique regardless of case
-- (the application stores it lower-cased; NOCASE is the schema's own guard). It is NULL for an
-- old account carried over without a usable address ("unreachable": it cannot log in, since
-- every login starts from an address) until support attaches one; NULLs are distinct, so any
-- number of those fit. phone is the old system's phone number, kept for support, and
-- last_login_at tells support when the resident last logged in.
-- password_hash is NULL until the resident sets a password through a mailed link: for accounts
-- carried over from the old system (origin 'legacy') and for new registrations ('registered'),
-- which count as verified only once that is done and are purged if it never is.
-- legacy_username keeps the old system's username, unique, so that importing the same file
-- twice creates nothing new. language is the resident's chosen language for mail; NULL until
-- chosen, and then mail follows the language of the page the resident was using.
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    email           TEXT    COLLATE NOCASE UNIQUE,
    full_name       TEXT    NOT NULL,
    legacy_username TEXT    UNIQUE,
    password_hash   TEXT,
    origin          TEXT    NOT NULL DEFAULT 'legacy' CHECK (origin IN ('legacy', 'registered')),
    language        TEXT    CHECK (language IN ('fi', 'sv', 'en')),
    created_at      INTEGER NOT NULL,
    password_set_at INTEGER,
    last_login_at   INTEGER,
    phone           TEXT
);

-- Single-use links mailed to residents: 'set_password' for a first password (carried-over and
-- newly registered accounts), 'reset_password' for a forgotten one, 'change_email' to verify a
-- new address (kept in new_email until then; the old address stays the username meanwhile).
-- Only the SHA-256 of the token is stored, so a copy of the database cannot be used to set
-- anyone's password. used_at marks use or voiding.
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('set_password', 'reset_password', 'change_email')),
    new_email   TEXT    CHECK ((purpose = 'change_email') = (new_email IS NOT NULL)),
    token_hash  BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX tokens_account ON tokens (account_id);

-- Logged-in browsers. The cookie carries a random id; the row is keyed by its SHA-256 so a
-- database leak does not hand out sessions. expires_at is enforced on every request.
CREATE TABLE sessions (
    id_hash      BLOB    PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    persistent   INTEGER NOT NULL CHECK (persistent IN (0, 1)),
    user_agent   TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Mail waiting to be delivered. A mail is written here in the same transaction as the token
-- it carries, so a crash or an SMTP outage never loses it; the sender retries with backoff.
-- The body is stored rendered, in the language the resident was using. It carries the link
-- (the token in clear), so the sender blanks the body once the mail is delivered.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
