-- The OpenID Connect provider's events in the audit trail (#10). Kinds are a lookup table
-- (20261201000002), so a new kind is one row.
--   oidc_login           a resident logged in to a client (a code was issued to it)
--   oidc_consent         a resident allowed a client that is not first-party
--   oidc_revoked         a grant ended early: revoked by its client, by the resident in the
--                        settings, or because a used code or refresh token was shown again
--   client_added, client_changed, client_removed, client_secret_rotated, signing_key_rotated
--                        an operator's command, or a client declared in Leptos.toml
INSERT INTO audit_kinds (kind) VALUES
    ('oidc_login'), ('oidc_consent'), ('oidc_revoked'),
    ('client_added'), ('client_changed'), ('client_removed'), ('client_secret_rotated'), ('signing_key_rotated');
