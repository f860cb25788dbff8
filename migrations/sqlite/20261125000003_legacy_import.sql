-- Every old username of an account, for the import of the old system's accounts and history
-- (`asiointi import-legacy`). Several old accounts with the same address become one account,
-- and the history rows of each of those old usernames must find it. accounts.legacy_username
-- stays the first old username of the account, whose row gave it its name, phone and language;
-- this table holds that one too.
CREATE TABLE legacy_usernames (
    legacy_username TEXT    PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX legacy_usernames_account ON legacy_usernames (account_id);
