//! The UserInfo endpoint (OIDC Core 5.3): the claims of the granted scopes, for a live access
//! token sent as `Authorization: Bearer` (RFC 6750 2.1). `sub` is the same as in the id_token.

use super::claims::{scope_claims, subject};
use super::error::{Code, OAuthError};
use crate::server::AppState;
use crate::server::auth::token::hash_token;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use serde_json::{Map, Value, json};

/// `GET` or `POST /oauth2/userinfo`.
pub async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, OAuthError> {
    let refuse = || {
        OAuthError::new(
            Code::InvalidToken,
            "the access token is missing, expired or revoked",
        )
    };
    let token = bearer(&headers).ok_or_else(refuse)?;
    let grant = state
        .db
        .access_token_grant(&hash_token(token))
        .await?
        .ok_or_else(refuse)?;
    let client = state
        .db
        .client(&grant.client_id)
        .await?
        .ok_or_else(refuse)?;
    let account = state
        .db
        .account_by_id(grant.account_id)
        .await?
        .ok_or_else(refuse)?;
    let mut claims = Map::new();
    claims.insert(
        "sub".into(),
        json!(subject(&state.db, account.id, &client).await?),
    );
    scope_claims(&account, &grant.scope, &mut claims);
    Ok(Json(Value::Object(claims)))
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 256)
        .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_bearer_token_is_read_from_the_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer   "));
        assert_eq!(bearer(&headers), None);
    }
}
