-- The OpenID Connect provider (#10): the e-services ("clients", relying parties) that send
-- residents here to log in, the keys that sign their id_tokens, and what a login through a
-- client leaves behind (codes, grants, tokens, consents, subjects). Times are UNIX seconds.
-- Every code, token and client secret is stored as its SHA-256 only: a copy of the database
-- cannot be used to act as a client or as a resident.

-- A registered e-service. secret_hash is NULL for a public client (a browser app, which
-- cannot keep a secret and authenticates with PKCE alone). first_party: a city service that
-- asks no consent. pairwise: the client gets its own subject for each resident, so that two
-- services cannot join their records. Changes take effect at once: every request reads here.
CREATE TABLE oidc_clients (
    client_id              TEXT    PRIMARY KEY,
    name                   TEXT    NOT NULL,
    secret_hash            BLOB,
    first_party            INTEGER NOT NULL CHECK (first_party IN (0, 1)),
    pairwise               INTEGER NOT NULL CHECK (pairwise IN (0, 1)),
    backchannel_logout_uri TEXT,
    created_at             INTEGER NOT NULL,
    secret_set_at          INTEGER
);

-- The exact URIs a client may be sent back to: 'redirect' after a login, 'post_logout' after
-- an RP-initiated logout. Compared as strings, no wildcards (RFC 9700 2.1).
CREATE TABLE oidc_client_uris (
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('redirect', 'post_logout')),
    uri       TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, uri)
);

-- RS256 signing keys (PKCS#1 PEM), kept here so that every instance signs alike. The newest
-- key signs; a key replaced by `asiointi keys rotate` gets retired_at and is still published
-- in the JWKS until the tokens it signed have expired.
CREATE TABLE oidc_signing_keys (
    kid             TEXT    PRIMARY KEY,
    private_key_pem TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    retired_at      INTEGER
);

-- What a resident's login through a client started: one per code exchanged, the family of
-- its refresh tokens. sid is the login session's identifier as the id_token tells it (derived
-- from the session, never the session's id); auth_time is when the resident logged in.
-- revoked_at ends every token of the grant (revocation, a reused code or refresh token).
-- session_hash is the login session's stored id hash (sessions.id_hash, deliberately not a
-- foreign key): when that session is gone, however it ended (logout, a password change,
-- support, expiry), the grant's session_ended_at is set, the grant ends unless it has
-- offline_access, and its client gets a back-channel logout token once.
CREATE TABLE oidc_grants (
    id               INTEGER PRIMARY KEY,
    client_id        TEXT    NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope            TEXT    NOT NULL,
    sid              TEXT    NOT NULL,
    session_hash     BLOB    NOT NULL,
    auth_time        INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER,
    session_ended_at INTEGER
);
CREATE INDEX oidc_grants_account ON oidc_grants (account_id);
CREATE INDEX oidc_grants_sid ON oidc_grants (sid);
CREATE INDEX oidc_grants_open_sessions ON oidc_grants (session_hash) WHERE session_ended_at IS NULL;

-- Authorization codes: single use, a minute at most. code_challenge is the PKCE S256
-- challenge the exchange must answer. grant_id is set when the code is exchanged, so that a
-- second use of the code can revoke what the first one got (RFC 9700 4.3.1 / RFC 6749 4.1.2).
CREATE TABLE oidc_codes (
    code_hash      BLOB    PRIMARY KEY,
    client_id      TEXT    NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri   TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    nonce          TEXT,
    code_challenge TEXT    NOT NULL,
    sid            TEXT    NOT NULL,
    session_hash   BLOB    NOT NULL,
    auth_time      INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    grant_id       INTEGER REFERENCES oidc_grants (id) ON DELETE CASCADE
);
CREATE INDEX oidc_codes_expires ON oidc_codes (expires_at);

-- Opaque access tokens for the UserInfo endpoint, short lived.
CREATE TABLE oidc_access_tokens (
    token_hash BLOB    PRIMARY KEY,
    grant_id   INTEGER NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX oidc_access_tokens_grant ON oidc_access_tokens (grant_id);

-- Refresh tokens (scope offline_access), rotated on every use: used_at marks the one spent,
-- and presenting a spent one again revokes its grant, the whole family (RFC 9700 4.14.2).
CREATE TABLE oidc_refresh_tokens (
    token_hash BLOB    PRIMARY KEY,
    grant_id   INTEGER NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);

-- What a resident agreed to give a client that is not first-party (the consent page), by
-- scope (space-separated), so that they are asked once.
CREATE TABLE oidc_consents (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- The `sub` claim: random, stable and never the e-mail address (which can change). sector is
-- '' for the subject every ordinary client sees, and the client_id for a pairwise client.
CREATE TABLE oidc_subjects (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sector     TEXT    NOT NULL,
    subject    TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (account_id, sector)
);
