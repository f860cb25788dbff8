//! The authorization endpoint (OIDC Core 3.1.2, RFC 9700). The order of checks matters: until
//! the client and its exact redirect URI are known good, nothing is sent anywhere (an error page
//! is shown here: no open redirector); after that every error goes back to the client with
//! `error`, `state` and `iss` (RFC 9207, against mix-up attacks).

use super::audit::{self, Requester};
use super::claims::sid_of;
use super::consent::consent_page;
use super::error::{Code, OAuthError};
use super::pages::{error_page, from_our_page, header_lang, onward, ui_lang};
use super::params::{Params, Prompt, is_s256_challenge, known_scopes, optional_number};
use super::{AUTHORIZE_PATH, CODE_TTL_SECS};
use crate::model::Lang;
use crate::server::AppState;
use crate::server::auth::{session, token};
use crate::server::db::{AuditKind, NewCode, OidcClient, now};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// `GET /oauth2/authorize`.
pub async fn authorize_get(
    State(state): State<AppState>,
    requester: Requester,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    authorize(&state, &requester, &headers, params).await
}

/// `POST /oauth2/authorize` (OIDC Core 3.1.2.1: the same request as a form).
pub async fn authorize_post(
    State(state): State<AppState>,
    requester: Requester,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = Params::from_form(&headers, body);
    authorize(&state, &requester, &headers, params).await
}

/// What a valid request leads to.
enum Outcome {
    /// Back to the client with a code.
    Code(String),
    /// To the login card, which comes back to this request.
    Login(String),
    /// The consent page for these scopes (a client that is not first-party).
    Consent(String),
}

async fn authorize(
    state: &AppState,
    requester: &Requester,
    headers: &HeaderMap,
    params: Result<Params, OAuthError>,
) -> Response {
    let checked = match check_client(state, headers, params).await {
        Ok(checked) => checked,
        Err(page) => return page,
    };
    let issuer = &state.config.public_url;
    match decide(
        state,
        requester,
        headers,
        &checked.params,
        &checked.client,
        checked.lang,
    )
    .await
    {
        Ok(Outcome::Code(code)) => checked.reply(issuer, &[("code", &code)]),
        Ok(Outcome::Login(path)) => Redirect::to(&path).into_response(),
        Ok(Outcome::Consent(scope)) => consent_page(&checked, &scope),
        Err(error) => checked.reply(
            issuer,
            &[
                ("error", error.code.as_str()),
                ("error_description", error.description),
            ],
        ),
    }
}

/// A request from a known client with one of its registered redirect URIs: from here on, an
/// error can be sent back to the client.
pub(super) struct Checked {
    pub params: Params,
    pub client: OidcClient,
    pub lang: Lang,
    back: url::Url,
    /// The request came by way of a form on our own pages (see [`from_our_page`]).
    from_page: bool,
}

impl Checked {
    /// The redirect back to the client with `pairs`, `state` and `iss`.
    pub fn reply(&self, issuer: &str, pairs: &[(&str, &str)]) -> Response {
        let mut url = self.back.clone();
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in pairs {
                query.append_pair(name, value);
            }
            if let Some(client_state) = self.params.get("state") {
                query.append_pair("state", client_state);
            }
            query.append_pair("iss", issuer);
        }
        if self.from_page {
            return onward(self.lang, url.as_str());
        }
        Redirect::to(url.as_str()).into_response()
    }
}

/// The client and its exact redirect URI, or the error page (never a redirect).
pub(super) async fn check_client(
    state: &AppState,
    headers: &HeaderMap,
    params: Result<Params, OAuthError>,
) -> Result<Checked, Response> {
    let lang = params
        .as_ref()
        .ok()
        .and_then(|p| ui_lang(p.get("ui_locales")))
        .unwrap_or_else(|| header_lang(headers));
    let bad = |detail: &str| error_page(lang, StatusCode::BAD_REQUEST, detail);
    let params = params.map_err(|error| bad(error.description))?;
    let client_id = params
        .get("client_id")
        .ok_or_else(|| bad("client_id is missing"))?;
    let client = match state.db.client(client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Err(bad("unknown client_id")),
        Err(error) => {
            tracing::error!(%error, "authorization request failed");
            return Err(error_page(
                lang,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
            ));
        }
    };
    let registered = params
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|r| r == uri));
    let back = registered
        .and_then(|uri| url::Url::parse(uri).ok())
        .ok_or_else(|| bad("redirect_uri is missing or not registered for this client"))?;
    Ok(Checked {
        params,
        client,
        lang,
        back,
        from_page: from_our_page(headers),
    })
}

/// The checks of a request from a known client with a registered redirect URI, then the code
/// or the way to the login card.
async fn decide(
    state: &AppState,
    requester: &Requester,
    headers: &HeaderMap,
    params: &Params,
    client: &OidcClient,
    lang: Lang,
) -> Result<Outcome, OAuthError> {
    if params.get("request").is_some() {
        return Err(OAuthError::new(
            Code::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        let what = "request_uri is not supported";
        return Err(OAuthError::new(Code::RequestUriNotSupported, what));
    }
    match params.require("response_type", "response_type is missing")? {
        "code" => {}
        _ => {
            let what = "only response_type=code is supported";
            return Err(OAuthError::new(Code::UnsupportedResponseType, what));
        }
    }
    if params.get("response_mode").is_some_and(|m| m != "query") {
        return Err(OAuthError::invalid_request(
            "only response_mode=query is supported",
        ));
    }
    let scope = known_scopes(params.get("scope").unwrap_or(""))?;
    let challenge = params.require(
        "code_challenge",
        "PKCE is required: code_challenge is missing",
    )?;
    if params.get("code_challenge_method") != Some("S256") {
        return Err(OAuthError::invalid_request(
            "code_challenge_method must be S256",
        ));
    }
    if !is_s256_challenge(challenge) {
        return Err(OAuthError::invalid_request(
            "code_challenge is not a SHA-256 in base64url",
        ));
    }
    let prompt = Prompt::parse(params.get("prompt"))?;
    let max_age = optional_number(params.get("max_age"), "max_age must be a whole number")?;
    let auth_after = optional_number(params.get("auth_after"), "auth_after must be a time")?;
    let now = now();
    if auth_after.is_some_and(|t| t > now + 60) {
        return Err(OAuthError::invalid_request("auth_after is in the future"));
    }

    let login = live_session(state, headers).await?;
    let fresh_enough = |auth_time: i64| {
        max_age.is_none_or(|age| now - auth_time <= age)
            && auth_after.is_none_or(|after| auth_time >= after)
    };
    let login = login.filter(|(_, auth_time, _)| !prompt.login && fresh_enough(*auth_time));
    let Some((account_id, auth_time, session_hash)) = login else {
        if prompt.none {
            return Err(OAuthError::new(
                Code::LoginRequired,
                "the resident is not logged in",
            ));
        }
        return Ok(Outcome::Login(login_path(
            params,
            lang,
            prompt.login || max_age.is_some(),
            now,
        )));
    };
    if !client.first_party {
        let consented = state
            .db
            .consented_scope(account_id, &client.client_id)
            .await?;
        let covers =
            consented.is_some_and(|c| scope.split(' ').all(|s| c.split(' ').any(|g| g == s)));
        if prompt.none && !covers {
            let what = "the resident has not consented to this client";
            return Err(OAuthError::new(Code::ConsentRequired, what));
        }
        if prompt.consent || !covers {
            return Ok(Outcome::Consent(scope));
        }
    }
    let (code, code_hash) = token::new_token();
    let sid = sid_of(&session_hash);
    state
        .db
        .insert_code(&NewCode {
            code_hash: &code_hash,
            client_id: &client.client_id,
            account_id,
            redirect_uri: params.get("redirect_uri").unwrap_or_default(),
            scope: &scope,
            nonce: params.get("nonce"),
            code_challenge: challenge,
            sid: &sid,
            session_hash: &session_hash,
            auth_time,
            expires_at: now + CODE_TTL_SECS,
        })
        .await?;
    let detail = format!("client {}", client.client_id);
    audit::record(
        state,
        requester,
        AuditKind::OidcLogin,
        Some(account_id),
        detail,
    )
    .await?;
    Ok(Outcome::Code(code))
}

/// The browser's live login session: account, login time and the session's stored id hash.
pub(super) async fn live_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(i64, i64, Vec<u8>)>, OAuthError> {
    let name = session::CookieName::Session.name(state.config.secure_cookies());
    let Some(id) = session::read_cookie(headers, name) else {
        return Ok(None);
    };
    let id_hash = token::hash_token(&id);
    let idle = state.config.idle_limits();
    let Some(account) = state.db.session_account(&id_hash, idle).await? else {
        return Ok(None);
    };
    let started = state.db.session_started_at(&id_hash).await?;
    Ok(started.map(|at| (account.id, at, id_hash)))
}

/// The login card, in the request's language, coming back to this same request. A forced login
/// (`prompt=login`, `max_age`) becomes `auth_after=now`: the request then accepts only a login
/// made after now, and cannot send the resident round in a loop as `prompt=login` would.
fn login_path(params: &Params, lang: Lang, forced: bool, now: i64) -> String {
    let add = if forced {
        vec![("auth_after", now.to_string())]
    } else {
        Vec::new()
    };
    let again = params.encode_without(&["prompt", "max_age", "auth_after"], &add);
    let next = format!("{AUTHORIZE_PATH}?{again}");
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", &next);
    if let Some(hint) = params.get("login_hint") {
        query.append_pair("login_hint", hint);
    }
    format!("/{}/login?{}", lang.code(), query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forced_login_comes_back_with_auth_after_instead_of_prompt() {
        let params =
            Params::parse("client_id=rp&prompt=login&max_age=0&login_hint=a%40b.fi").unwrap();
        let path = login_path(&params, Lang::Sv, true, 1000);
        assert!(
            path.starts_with("/sv/login?next=%2Foauth2%2Fauthorize%3F"),
            "{path}"
        );
        let next = url::form_urlencoded::parse(path.split_once('?').unwrap().1.as_bytes())
            .find(|(k, _)| k == "next")
            .unwrap()
            .1
            .into_owned();
        assert_eq!(
            next,
            "/oauth2/authorize?client_id=rp&login_hint=a%40b.fi&auth_after=1000"
        );
        assert!(crate::model::local_path(&next).is_some());
        assert!(path.ends_with("&login_hint=a%40b.fi"), "{path}");
    }
}
