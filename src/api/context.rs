//! What server functions need from the request they run in.

use crate::model::{AppError, Lang};
use crate::server::AppState;
use crate::server::auth::{session, token};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use http::HeaderValue;
use http::header::{ACCEPT, SET_COOKIE, USER_AGENT};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| crate::server::ServerError::Context("AppState").into())
}

/// The request being answered. Optional readers (browser, IP, kind of post) take `None`
/// quietly; only [`cookie`] needs it and reports its absence.
fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The value of one of our cookies, under the name it has on this site (`__Host-` over https).
pub fn cookie(name: session::CookieName) -> Result<Option<String>, AppError> {
    let secure = state()?.config.secure_cookies();
    let parts = parts().ok_or(crate::server::ServerError::Context("request parts"))?;
    Ok(session::read_cookie(&parts.headers, name.name(secure)))
}

pub fn user_agent() -> Option<String> {
    parts()?
        .headers
        .get(USER_AGENT)?
        .to_str()
        .ok()
        .map(|ua| ua.chars().take(400).collect())
}

/// The client's IP address: the TCP peer, or with `behind_proxy` the address our proxy appended
/// last to `X-Forwarded-For` (anything before it was written by the client and is not trusted).
pub fn client_ip() -> Option<std::net::IpAddr> {
    let parts = parts()?;
    let behind_proxy = state().ok()?.config.behind_proxy;
    crate::server::http::client_ip(&parts.headers, &parts.extensions, behind_proxy)
}

/// Input of the e-mail step ("Jatka", recovery, registration) that passed its checks, counted
/// against the client's budget of lookups (`TooManyAttempts` when it is spent). Refused input is
/// not counted: it looked nothing up.
pub async fn count_lookup<T>(
    state: &AppState,
    checked: Result<T, AppError>,
) -> Result<T, AppError> {
    let value = checked?;
    let per_ip = state.config.lookups_per_ip;
    crate::server::auth::limits::count_lookup(&state.db, client_ip(), per_ip).await?;
    Ok(value)
}

/// Adds a `Set-Cookie` header to the response.
pub fn set_cookie(value: String) -> Result<(), AppError> {
    let value = HeaderValue::from_str(&value).map_err(|_| AppError::Internal)?;
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(SET_COOKIE, value);
    }
    Ok(())
}

/// A plain form post from a browser without JavaScript (answered with a redirect).
fn is_form_post() -> bool {
    parts().is_some_and(|p| {
        p.headers
            .get(ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    })
}

/// Separates a field's name from its value, and one field from the next, in the typed cookie.
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// On a refused plain form post, keeps the typed `fields` (never a password) in a short-lived
/// cookie, so that the form is shown again filled in next to its error: bad input loses nothing.
pub fn keep_typed<T>(result: Result<T, AppError>, fields: &[(&str, &str)]) -> Result<T, AppError> {
    if result.is_err() && is_form_post() {
        let text: Vec<String> = fields
            .iter()
            .map(|(name, value)| {
                let value: String = value
                    .chars()
                    .filter(|&c| c != UNIT && c != RECORD)
                    .take(300)
                    .collect();
                format!("{name}{UNIT}{value}")
            })
            .collect();
        let value = URL_SAFE_NO_PAD.encode(text.join(&RECORD.to_string()));
        if let Ok(state) = state() {
            set_cookie(session::typed_cookie(value, state.config.secure_cookies()))?;
        }
    }
    result
}

/// The fields kept by [`keep_typed`] for this browser.
pub fn typed() -> Result<Vec<(String, String)>, AppError> {
    let Some(value) = cookie(session::CookieName::Typed)? else {
        return Ok(Vec::new());
    };
    let text = URL_SAFE_NO_PAD
        .decode(value)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default();
    Ok(text
        .split(RECORD)
        .filter_map(|field| field.split_once(UNIT))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

/// The language a form says the resident is using.
pub fn lang(code: &str) -> Lang {
    Lang::from_code(code).unwrap_or_default()
}

/// Gives a script caller (fetch from the WASM, or a test) the error's HTTP status. Left alone
/// are a plain form post (JavaScript off), which is answered with a redirect back to the form
/// carrying the error in the URL, and a call made while rendering a page on the server, except
/// when the database is unavailable: then the page, which shows the "try again" text, is a 503
/// too, so that a load balancer or a monitor sees it.
pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    let (Err(error), Some(parts)) = (&result, parts()) else {
        return result;
    };
    let api_call = parts.uri.path().starts_with("/api/");
    if !api_call
        && *error == AppError::Unavailable
        && let Some(response) = use_context::<ResponseOptions>()
    {
        response.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
    }
    let form_post = parts
        .headers
        .get(ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if let (true, false, Some(response), Ok(status)) = (
        api_call,
        form_post,
        use_context::<ResponseOptions>(),
        http::StatusCode::from_u16(error.http_status()),
    ) {
        response.set_status(status);
    }
    result
}

/// For the forms of pages opened from a mailed link: those pages send no Referer (it would carry
/// the token), so leptos cannot send a refused plain form post (JavaScript off) back to the form.
/// This sends it back to `page` (the form's own page, built by the caller from our own path, the
/// form's language and its token) with the error where the page's `ActionForm` reads it.
/// `fn_path` is the server function's path (`<SetPassword as ServerFn>::PATH`).
pub fn back_on_error<T>(
    result: Result<T, AppError>,
    page: &str,
    fn_path: &str,
) -> Result<T, AppError> {
    use leptos::server_fn::error::ServerFnUrlError;
    if let Err(error) = &result
        && is_form_post()
        && let Ok(url) =
            ServerFnUrlError::new(fn_path, *error).to_url(&format!("http://local{page}"))
    {
        let back = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        leptos_axum::redirect(&back);
    }
    result
}

/// Longest token accepted from a link: ours are 43 characters; anything much longer is not ours.
const TOKEN_MAX_CHARS: usize = 128;

/// The stored form of a token from a mailed link, or `LinkInvalid` for one that cannot be ours.
pub fn token_hash(token: &str) -> Result<Vec<u8>, AppError> {
    if token.is_empty() || token.len() > TOKEN_MAX_CHARS {
        return Err(AppError::LinkInvalid);
    }
    Ok(token::hash_token(token))
}

/// The logged-in account and its session's stored id hash; `NotLoggedIn` without a live session.
pub async fn require_login(
    state: &AppState,
) -> Result<(crate::server::db::Account, Vec<u8>), AppError> {
    let id = cookie(session::CookieName::Session)?.ok_or(AppError::NotLoggedIn)?;
    let id_hash = token::hash_token(&id);
    let account = state
        .db
        .session_account(&id_hash, state.config.idle_limits())
        .await?
        .ok_or(AppError::NotLoggedIn)?;
    Ok((account, id_hash))
}

/// The account of the request's session cookie, if the session is live.
pub async fn session_account(
    state: &AppState,
) -> Result<Option<crate::server::db::Account>, AppError> {
    let Some(id) = cookie(session::CookieName::Session)? else {
        return Ok(None);
    };
    let idle = state.config.idle_limits();
    Ok(state
        .db
        .session_account(&token::hash_token(&id), idle)
        .await?)
}
