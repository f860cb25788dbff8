-- Asiointihistoria: a resident's transactions with the city's e-services.

-- One transaction of one account. The history belongs to the account, not to the e-mail
-- address, so it stays when the address changes; the old system's history is imported later
-- by matching accounts.legacy_username to this account_id. occurred_on is the day of the
-- transaction as an ISO date ('YYYY-MM-DD', a calendar day without a time zone), so that the
-- text sorts in date order. service, reference, status and description are shown as stored:
-- they come from the services (and the old system) in the services' own words.
CREATE TABLE transactions (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    occurred_on TEXT    NOT NULL,
    service     TEXT    NOT NULL,
    reference   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT ''
);
-- The history page: one account's rows, newest first (id breaks ties within a day).
CREATE INDEX transactions_account_newest ON transactions (account_id, occurred_on DESC, id DESC);
