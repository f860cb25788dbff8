//! Token revocation (RFC 7009): the client that holds a token ends it. A refresh token ends its
//! whole grant; an access token ends alone. An unknown token, or one of another client, is
//! answered the same (200) and left alone, so the endpoint tells nothing about tokens.

use super::audit::{self, Requester};
use super::clients;
use super::error::OAuthError;
use super::params::Params;
use super::token::closing_if;
use crate::server::AppState;
use crate::server::auth::token::hash_token;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// `POST /oauth2/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    requester: Requester,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let unread = body.is_err();
    let answer = match revoke_token(&state, &requester, &headers, body).await {
        Ok(status) => status.into_response(),
        Err(error) => error.into_response(),
    };
    closing_if(unread, answer)
}

async fn revoke_token(
    state: &AppState,
    requester: &Requester,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, OAuthError> {
    let params = Params::from_form(headers, body)?;
    let client = clients::authenticate(&state.db, headers, &params).await?;
    let token = params.require("token", "token is missing")?;
    let ended = state
        .db
        .revoke_token(&hash_token(token), &client.client_id)
        .await?;
    if let Some(account_id) = ended {
        let why = "revoked by the client";
        audit::revoked(state, requester, &client.client_id, account_id, why).await?;
    }
    Ok(StatusCode::OK)
}
