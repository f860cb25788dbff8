//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at `/oauth2/logout`.
//!
//! With an `id_token_hint` we signed whose `sid` is this browser's login session, the session
//! ends at once: the client proves which login it means. Without one, a cross-site link could
//! log a resident out, so the resident is asked first (a form posted from our own page, checked
//! by the same cross-origin rule as the server functions). A `post_logout_redirect_uri` is
//! followed only when it is registered, exactly, for the client the hint or `client_id` names;
//! otherwise an error page is shown and nothing is redirected.

use super::claims::sid_of;
use super::pages::{
    confirmation_page, error_page, from_our_page, header_lang, logged_out_page, onward, ui_lang,
};
use super::params::Params;
use super::{backchannel, keys};
use crate::model::Lang;
use crate::server::AppState;
use crate::server::auth::{session, token};
use crate::server::http::guard::{origin_of, same_origin};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

/// `GET /oauth2/logout`.
pub async fn end_session_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    end_session(&state, &headers, params, false).await
}

/// `POST /oauth2/logout`: a relying party's form, or our own confirmation.
pub async fn end_session_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = Params::from_form(&headers, body);
    end_session(&state, &headers, params, true).await
}

async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    params: Result<Params, super::error::OAuthError>,
    posted: bool,
) -> Response {
    let lang = params
        .as_ref()
        .ok()
        .and_then(|p| ui_lang(p.get("ui_locales")))
        .unwrap_or_else(|| header_lang(headers));
    let bad = |detail: &str| error_page(lang, StatusCode::BAD_REQUEST, detail);
    let params = match params {
        Ok(params) => params,
        Err(error) => return bad(error.description),
    };
    match logout(state, headers, &params, posted, lang).await {
        Ok(response) => response,
        Err(Refusal::Bad(detail)) => bad(detail),
        Err(Refusal::Fault(error)) => {
            tracing::error!(%error, "logout failed");
            error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

enum Refusal {
    Bad(&'static str),
    Fault(crate::server::ServerError),
}

impl From<crate::server::ServerError> for Refusal {
    fn from(error: crate::server::ServerError) -> Refusal {
        Refusal::Fault(error)
    }
}

async fn logout(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    posted: bool,
    lang: Lang,
) -> Result<Response, Refusal> {
    let issuer = &state.config.public_url;
    let hint: Option<Value> = match params.get("id_token_hint") {
        Some(hint) => Some(
            keys::verify_own(&state.db, issuer, hint)
                .await?
                .ok_or(Refusal::Bad("id_token_hint was not issued here"))?,
        ),
        None => None,
    };
    let audience = hint.as_ref().and_then(|h| h["aud"].as_str());
    let client_id = match (params.get("client_id"), audience) {
        (Some(given), Some(aud)) if given != aud => {
            return Err(Refusal::Bad(
                "client_id is not the id_token_hint's audience",
            ));
        }
        (given, aud) => given.or(aud),
    };
    let back = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client = match client_id {
                Some(id) => state.db.client(id).await?,
                None => None,
            };
            let registered =
                client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            let url = url::Url::parse(uri).ok().filter(|_| registered);
            Some(url.ok_or(Refusal::Bad(
                "post_logout_redirect_uri is not registered for this client",
            ))?)
        }
    };

    let secure = state.config.secure_cookies();
    let cookie = session::read_cookie(headers, session::CookieName::Session.name(secure));
    let current = cookie.map(|id| token::hash_token(&id));
    let current_sid = current.as_deref().map(sid_of);
    let hinted_sid = hint.as_ref().and_then(|h| h["sid"].as_str());
    let confirmed =
        posted && params.get("confirm") == Some("yes") && same_origin(headers, origin_of(issuer));
    let mut ended = false;
    if let (Some(hash), Some(sid)) = (&current, &current_sid) {
        let live = state
            .db
            .session_account(hash, state.config.idle_limits())
            .await?
            .is_some();
        if live && (confirmed || hinted_sid == Some(sid.as_str())) {
            state.db.delete_session(hash).await?;
            backchannel::end_grants(&state.db, hash).await?;
            tokio::spawn(backchannel::deliver_due(state.db.clone(), issuer.clone()));
            ended = true;
        } else if live && hint.is_none() {
            return Ok(confirmation_page(lang, params));
        }
    }
    let mut response = match back {
        Some(mut url) => {
            if let Some(client_state) = params.get("state") {
                url.query_pairs_mut().append_pair("state", client_state);
            }
            if posted || from_our_page(headers) {
                onward(lang, url.as_str())
            } else {
                Redirect::to(url.as_str()).into_response()
            }
        }
        None => logged_out_page(lang),
    };
    if ended {
        let removal = session::removal_cookie(session::CookieName::Session, secure);
        if let Ok(value) = HeaderValue::from_str(&removal) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}
