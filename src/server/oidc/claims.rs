//! What the provider says about a resident: the id_token and the UserInfo claims.
//!
//! `sub` is a random string stored per account (never the e-mail address, which can change);
//! a pairwise client gets a random subject of its own per account, so that two services cannot
//! join their records. `sid` is derived from the login session's stored id hash, so it names
//! the session without revealing anything that could be used as its cookie.

use super::error::{Code, OAuthError};
use super::{ID_TOKEN_TTL_SECS, keys};
use crate::server::AppState;
use crate::server::ServerError;
use crate::server::auth::token::new_token;
use crate::server::db::{Account, Db, OidcClient, now};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The session identifier (`sid`) of the login session whose cookie hashes to `id_hash`.
pub fn sid_of(session_id_hash: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"asiointi oidc sid\0");
    hasher.update(session_id_hash);
    URL_SAFE_NO_PAD.encode(&hasher.finalize()[..16])
}

/// The resident's subject as `client` sees it.
pub async fn subject(db: &Db, account_id: i64, client: &OidcClient) -> Result<String, ServerError> {
    let sector = if client.pairwise {
        client.client_id.as_str()
    } else {
        ""
    };
    db.subject(account_id, sector, &new_token().0).await
}

/// Whether a space-separated scope string holds `scope`.
pub fn has_scope(scopes: &str, scope: &str) -> bool {
    scopes.split(' ').any(|s| s == scope)
}

/// The claims of the `email` and `profile` scopes. An address counts as verified once a
/// password was set through a link mailed to it.
pub fn scope_claims(account: &Account, scopes: &str, claims: &mut Map<String, Value>) {
    if has_scope(scopes, "email") {
        claims.insert("email".into(), json!(account.email));
        claims.insert(
            "email_verified".into(),
            json!(account.password_hash.is_some()),
        );
    }
    if has_scope(scopes, "profile") {
        claims.insert("name".into(), json!(account.full_name));
        if let Some(language) = &account.language {
            claims.insert("locale".into(), json!(language));
        }
    }
}

/// What an id_token is about, from the code or the grant.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub account_id: i64,
    pub scope: &'a str,
    pub sid: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
}

/// The account, or `invalid_grant` when it is gone (deleted, or its address removed).
pub async fn account(db: &Db, account_id: i64) -> Result<Account, OAuthError> {
    db.account_by_id(account_id).await?.ok_or(OAuthError::new(
        Code::InvalidGrant,
        "the account no longer exists",
    ))
}

/// A signed id_token (OIDC Core 2) for `client`.
pub async fn id_token(
    state: &AppState,
    client: &OidcClient,
    login: Login<'_>,
) -> Result<String, OAuthError> {
    let account = account(&state.db, login.account_id).await?;
    let now = now();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(state.config.public_url));
    let sub = subject(&state.db, account.id, client).await?;
    claims.insert("sub".into(), json!(sub));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("exp".into(), json!(now + ID_TOKEN_TTL_SECS));
    claims.insert("iat".into(), json!(now));
    claims.insert("auth_time".into(), json!(login.auth_time));
    if let Some(nonce) = login.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    claims.insert("amr".into(), json!(["pwd"]));
    claims.insert("sid".into(), json!(login.sid));
    scope_claims(&account, login.scope, &mut claims);
    Ok(keys::sign(&state.db, "JWT", &claims).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erkki(password: bool, language: Option<&str>) -> Account {
        Account {
            id: 1,
            email: "erkki@example.com".into(),
            full_name: "Erkki Esimerkki".into(),
            password_hash: password.then(|| "hash".into()),
            language: language.map(str::to_owned),
        }
    }

    #[test]
    fn scopes_give_their_claims_only() {
        let mut claims = Map::new();
        scope_claims(&erkki(true, Some("sv")), "openid", &mut claims);
        assert!(claims.is_empty());
        scope_claims(
            &erkki(true, Some("sv")),
            "openid email profile",
            &mut claims,
        );
        assert_eq!(claims["email"], "erkki@example.com");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["name"], "Erkki Esimerkki");
        assert_eq!(claims["locale"], "sv");
        let mut unverified = Map::new();
        scope_claims(&erkki(false, None), "email profile", &mut unverified);
        assert_eq!(unverified["email_verified"], false);
        assert!(!unverified.contains_key("locale"));
    }

    #[test]
    fn the_sid_is_stable_per_session_and_reveals_no_cookie() {
        let a = sid_of(&[1; 32]);
        assert_eq!(a, sid_of(&[1; 32]));
        assert_ne!(a, sid_of(&[2; 32]));
        assert_eq!(a.len(), 22);
        assert!(has_scope("openid email", "email") && !has_scope("openid emails", "email"));
    }
}
