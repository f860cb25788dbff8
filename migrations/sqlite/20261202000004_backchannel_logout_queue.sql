-- Back-channel logout tokens owed to clients (#10), kept until delivered so that a client that
-- is down for a moment, or an instance that stops mid-way, loses no logout. One row per client
-- and login session (sid); the token itself is signed at each attempt (fresh iat, exp, jti), so
-- nothing here is a credential. `attempts` counts the tries so far; `next_attempt_at` is both
-- the retry time (10 s, 20 s, 40 s, … after each try) and the lease of the instance trying now.
-- A delivered notice is deleted; one still refused after its last try is deleted and logged.
CREATE TABLE oidc_logout_notices (
    id              INTEGER PRIMARY KEY,
    client_id       TEXT    NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL,
    sid             TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    UNIQUE (client_id, sid)
);
CREATE INDEX oidc_logout_notices_due ON oidc_logout_notices (next_attempt_at);
