//! The token endpoint (RFC 6749 4.1.3, 6; OIDC Core 3.1.3, 12): a code with its PKCE verifier
//! becomes a grant with tokens; a refresh token becomes a new pair, the old one spent. A code or
//! refresh token presented twice is taken as stolen: its grant, with every token, is revoked.

use super::audit::{self, Requester};
use super::claims::{self, Login, has_scope};
use super::clients;
use super::error::{Code, OAuthError};
use super::params::Params;
use super::{ACCESS_TOKEN_TTL_SECS, REFRESH_TOKEN_TTL_SECS};
use crate::server::AppState;
use crate::server::auth::token::{hash_token, new_token};
use crate::server::db::{GrantRow, NewTokens, OidcClient, Taken, now};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `POST /oauth2/token`.
pub async fn token(
    State(state): State<AppState>,
    requester: Requester,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let unread = body.is_err();
    let mut response = match answer(&state, &requester, &headers, body).await {
        Ok(json) => json.into_response(),
        Err(error) => error.into_response(),
    };
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    closing_if(unread, response)
}

/// `response`, marked the last on its connection when the request's body was left unread (too
/// large): the rest of it is still on the connection, which the server then closes.
pub fn closing_if(unread: bool, response: Response) -> Response {
    if unread {
        crate::server::http::guard::closing(response)
    } else {
        response
    }
}

async fn answer(
    state: &AppState,
    requester: &Requester,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, OAuthError> {
    let params = Params::from_form(headers, body)?;
    let client = clients::authenticate(&state.db, headers, &params).await?;
    match params.require("grant_type", "grant_type is missing")? {
        "authorization_code" => authorization_code(state, requester, &client, &params).await,
        "refresh_token" => refresh(state, requester, &client, &params).await,
        _ => Err(OAuthError::new(
            Code::UnsupportedGrantType,
            "only authorization_code and refresh_token are supported",
        )),
    }
}

async fn authorization_code(
    state: &AppState,
    requester: &Requester,
    client: &OidcClient,
    params: &Params,
) -> Result<Json<Value>, OAuthError> {
    let code = params.require("code", "code is missing")?;
    let verifier = params.require(
        "code_verifier",
        "PKCE is required: code_verifier is missing",
    )?;
    if !is_verifier(verifier) {
        return Err(OAuthError::invalid_request("code_verifier is malformed"));
    }
    let code_hash = hash_token(code);
    let row = match state.db.take_code(&code_hash).await? {
        Taken::Fresh(row) => row,
        Taken::Reused(revoked) => {
            replayed(state, requester, client, revoked, "code").await?;
            let what = "the code was used already; what it gave is revoked";
            return Err(OAuthError::invalid_grant(what));
        }
        Taken::Unknown => return Err(OAuthError::invalid_grant("unknown code")),
    };
    if row.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if row.expires_at <= now() {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if params.get("redirect_uri") != Some(row.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    let answer = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !bool::from(answer.as_bytes().ct_eq(row.code_challenge.as_bytes())) {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    let issued = Issued::new(has_scope(&row.scope, "offline_access"));
    state
        .db
        .start_grant(&code_hash, &row, issued.tokens())
        .await?;
    let login = Login {
        account_id: row.account_id,
        scope: &row.scope,
        sid: &row.sid,
        auth_time: row.auth_time,
        nonce: row.nonce.as_deref(),
    };
    let id_token = claims::id_token(state, client, login).await?;
    Ok(Json(issued.response(id_token, &row.scope)))
}

async fn refresh(
    state: &AppState,
    requester: &Requester,
    client: &OidcClient,
    params: &Params,
) -> Result<Json<Value>, OAuthError> {
    let presented = params.require("refresh_token", "refresh_token is missing")?;
    let grant: GrantRow = match state.db.take_refresh_token(&hash_token(presented)).await? {
        Taken::Fresh(grant) => grant,
        Taken::Reused(revoked) => {
            replayed(state, requester, client, revoked, "refresh token").await?;
            let what = "the refresh token was used already; its grant is revoked";
            return Err(OAuthError::invalid_grant(what));
        }
        Taken::Unknown => {
            return Err(OAuthError::invalid_grant(
                "unknown or expired refresh token",
            ));
        }
    };
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if let Some(asked) = params.get("scope")
        && !asked.split(' ').all(|s| has_scope(&grant.scope, s))
    {
        let what = "scope exceeds what was granted";
        return Err(OAuthError::new(Code::InvalidScope, what));
    }
    let issued = Issued::new(true);
    if !state.db.add_tokens(grant.id, issued.tokens()).await? {
        return Err(OAuthError::invalid_grant("the grant was revoked"));
    }
    let login = Login {
        account_id: grant.account_id,
        scope: &grant.scope,
        sid: &grant.sid,
        auth_time: grant.auth_time,
        nonce: None,
    };
    let id_token = claims::id_token(state, client, login).await?;
    Ok(Json(issued.response(id_token, &grant.scope)))
}

/// Records a grant revoked because its `what` was presented again (by `client`, which may be
/// the thief or the victim).
async fn replayed(
    state: &AppState,
    requester: &Requester,
    client: &OidcClient,
    revoked: Option<i64>,
    what: &str,
) -> Result<(), OAuthError> {
    if let Some(account_id) = revoked {
        let why = format!("a used {what} was presented again; the grant is revoked");
        audit::revoked(state, requester, &client.client_id, account_id, &why).await?;
    }
    Ok(())
}

/// New tokens: in clear for the client, hashed for the database.
struct Issued {
    access: (String, Vec<u8>),
    refresh: Option<(String, Vec<u8>)>,
    now: i64,
}

impl Issued {
    fn new(with_refresh: bool) -> Issued {
        Issued {
            access: new_token(),
            refresh: with_refresh.then(new_token),
            now: now(),
        }
    }

    fn tokens(&self) -> NewTokens<'_> {
        NewTokens {
            access_hash: &self.access.1,
            access_expires_at: self.now + ACCESS_TOKEN_TTL_SECS,
            refresh: self
                .refresh
                .as_ref()
                .map(|(_, hash)| (hash.as_slice(), self.now + REFRESH_TOKEN_TTL_SECS)),
        }
    }

    fn response(&self, id_token: String, scope: &str) -> Value {
        let mut body = json!({
            "access_token": self.access.0,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL_SECS,
            "id_token": id_token,
            "scope": scope,
        });
        if let Some((refresh, _)) = &self.refresh {
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

/// RFC 7636 4.1: 43 to 128 unreserved characters.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_follow_rfc_7636() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(is_verifier(verifier));
        assert_eq!(
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(
            !is_verifier("short")
                && !is_verifier(&"a".repeat(129))
                && !is_verifier(&"é".repeat(43))
        );
    }
}
