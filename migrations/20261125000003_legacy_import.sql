-- The import of the old system's accounts and history (`asiointi import-legacy`).
--
-- 1. accounts.email becomes NULLable: an old account without a usable address is still carried
--    over ("unreachable": it cannot log in, since every login starts from an address) so that
--    support can attach an address later. It stays UNIQUE COLLATE NOCASE; SQLite treats NULLs
--    as distinct, so any number of unreachable accounts fit. Queries that load an `Account`
--    (whose email is a String) only ever reach accounts with an address: by address, or through
--    a session or a link, which an account without an address never gets.
-- 2. accounts.phone: the old system's phone number, shown to nobody yet, kept for support.
-- 3. legacy_usernames: every old username of an account. Several old accounts with the same
--    address become one account, and the history rows of each of those old usernames must find
--    it. accounts.legacy_username stays as it was: the first old username of the account, whose
--    row gave the account its name, phone and language; legacy_usernames holds it too.
--
-- SQLite cannot drop NOT NULL in place, so accounts is rebuilt: new table, copy, drop, rename.
-- sqlx runs every SQLite migration inside a transaction, where `PRAGMA foreign_keys = OFF` does
-- nothing; and with foreign keys on, dropping accounts would delete (ON DELETE CASCADE) every
-- token, session and transaction. So the three tables that reference accounts are rebuilt with
-- it: their copies reference accounts_new, the old tables are dropped children first (nothing
-- is left to cascade to), and renaming accounts_new to accounts rewrites their REFERENCES
-- clauses to `accounts` (SQLite >= 3.26 with legacy_alter_table off, the default). The indexes
-- go with their tables and are created again. A test checks the data and the references.

CREATE TABLE accounts_new (
    id              INTEGER PRIMARY KEY,
    email           TEXT    COLLATE NOCASE UNIQUE,
    full_name       TEXT    NOT NULL,
    legacy_username TEXT    UNIQUE,
    password_hash   TEXT,
    origin          TEXT    NOT NULL DEFAULT 'legacy' CHECK (origin IN ('legacy', 'registered')),
    language        TEXT    CHECK (language IN ('fi', 'sv', 'en')),
    created_at      INTEGER NOT NULL,
    password_set_at INTEGER,
    phone           TEXT
);
INSERT INTO accounts_new (id, email, full_name, legacy_username, password_hash, origin, language, created_at, password_set_at)
    SELECT id, email, full_name, legacy_username, password_hash, origin, language, created_at, password_set_at FROM accounts;

CREATE TABLE tokens_new (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts_new (id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('set_password', 'reset_password', 'change_email')),
    new_email   TEXT    CHECK ((purpose = 'change_email') = (new_email IS NOT NULL)),
    token_hash  BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
INSERT INTO tokens_new SELECT id, account_id, purpose, new_email, token_hash, created_at, expires_at, used_at FROM tokens;

CREATE TABLE sessions_new (
    id_hash      BLOB    PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts_new (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    persistent   INTEGER NOT NULL CHECK (persistent IN (0, 1)),
    user_agent   TEXT
);
INSERT INTO sessions_new SELECT id_hash, account_id, created_at, last_seen_at, expires_at, persistent, user_agent FROM sessions;

CREATE TABLE transactions_new (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts_new (id) ON DELETE CASCADE,
    occurred_on TEXT    NOT NULL,
    service     TEXT    NOT NULL,
    reference   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT ''
);
INSERT INTO transactions_new SELECT id, account_id, occurred_on, service, reference, status, description FROM transactions;

DROP TABLE tokens;
DROP TABLE sessions;
DROP TABLE transactions;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;
ALTER TABLE tokens_new RENAME TO tokens;
ALTER TABLE sessions_new RENAME TO sessions;
ALTER TABLE transactions_new RENAME TO transactions;

CREATE INDEX tokens_account ON tokens (account_id);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX transactions_account_newest ON transactions (account_id, occurred_on DESC, id DESC);

-- Every old username of an account (see 3. above); the import looks history rows up here.
CREATE TABLE legacy_usernames (
    legacy_username TEXT    PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX legacy_usernames_account ON legacy_usernames (account_id);
INSERT INTO legacy_usernames (legacy_username, account_id)
    SELECT legacy_username, id FROM accounts WHERE legacy_username IS NOT NULL;
