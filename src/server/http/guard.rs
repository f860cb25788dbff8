//! What a request to a server function (`/api/…`) must satisfy before it runs: `POST` only
//! (nothing changes state on `GET`), sent by this service's own pages (forged cross-site
//! requests are refused), and a small body.

use super::super::AppState;
use crate::i18n::texts;
use crate::model::{AppError, Lang};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCEPT, ACCEPT_LANGUAGE, ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest request body a server function accepts, in bytes: the biggest form (a change of
/// password: three 256-character passwords, percent-encoded) is far below; 16 KiB leaves room
/// and still stops a flood of large bodies before any parsing.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

/// Runs in front of every request; acts on server functions (`/api/…`) only.
pub async fn guard_api(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    match refusal(&state, &request) {
        Some(response) => closing(response),
        None => next.run(request).await,
    }
}

/// The answer to a server-function request that may not run, if it may not.
fn refusal(state: &AppState, request: &Request) -> Option<Response> {
    if request.method() != Method::POST {
        let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return Some(response);
    }
    let headers = request.headers();
    if !same_origin(headers, origin_of(&state.config.public_url)) {
        tracing::warn!(path = %request.uri().path(), "cross-site request refused");
        return Some(refuse(headers, AppError::CrossSite));
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT_BYTES) {
        return Some(refuse(headers, AppError::RequestTooLarge));
    }
    None
}

/// `response` marked as the last on its connection. An answer given before the request's body
/// was read in full leaves the rest of that body on the connection, so the server closes it;
/// saying so keeps the client from sending its next request on a connection that is going
/// away (which it would see as a broken answer).
pub fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `scheme://host[:port]` of a URL such as `PUBLIC_URL`.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url.get(after_scheme..)
        .and_then(|rest| rest.find('/'))
        .and_then(|slash| url.get(..after_scheme + slash))
        .unwrap_or(url)
}

/// Whether a request comes from our own pages, by the rule of Go 1.25's
/// `net/http.CrossOriginProtection`: `Sec-Fetch-Site`, which every current browser sends and no
/// page can forge, must be `same-origin` or `none` (typed by the user); without it (older
/// browsers) an `Origin` header, when present, must be ours (`PUBLIC_URL`'s, stricter than Go's
/// comparison with `Host`); a request with neither is not from a browser, so it cannot carry a
/// victim's cookies on its own, and passes. `Sec-Fetch-Site` comes first because a page with
/// `Referrer-Policy: no-referrer` (our token pages) makes the browser send `Origin: null` with
/// its own form posts.
pub fn same_origin(headers: &HeaderMap, ours: &str) -> bool {
    match headers.get("sec-fetch-site").map(HeaderValue::to_str) {
        Some(Ok("same-origin" | "none")) => return true,
        Some(_) => return false,
        None => {}
    }
    headers
        .get("origin")
        .is_none_or(|origin| origin.to_str().is_ok_and(|o| o.eq_ignore_ascii_case(ours)))
}

/// The error with its status: JSON for a script caller, a small localized page for a plain form
/// post (JavaScript off), which has no other way to show it.
fn refuse(headers: &HeaderMap, error: AppError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let wants_html = headers
        .get(ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let (content_type, body) = if wants_html {
        (
            "text/html; charset=utf-8",
            Body::from(refusal_page(preferred_lang(headers), error)),
        )
    } else {
        (
            "application/json",
            Body::from(leptos::server_fn::error::FromServerFnError::ser(&error)),
        )
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The first of our languages named in `Accept-Language`; Finnish otherwise.
fn preferred_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(',')
        .filter_map(|part| part.split(';').next())
        .filter_map(|tag| Lang::from_code(tag.trim().get(..2)?))
        .next()
        .unwrap_or_default()
}

fn refusal_page(lang: Lang, error: AppError) -> String {
    let t = texts(lang);
    format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/asiointi.css\"></head>\
         <body><main id=\"main\"><section class=\"card\"><h1>{title}</h1>\
         <p class=\"notice warning\" role=\"alert\">{message}</p>\
         <p><a class=\"button\" href=\"/{code}\">{back}</a></p></section></main></body></html>",
        code = lang.code(),
        title = t.request_refused_title,
        message = t.error(error),
        back = t.back_to_front_page,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_origin_of_the_public_url() {
        assert_eq!(
            origin_of("https://asiointi.example.fi"),
            "https://asiointi.example.fi"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/palvelu"),
            "http://127.0.0.1:3000"
        );
    }

    #[test]
    fn cross_origin_protection_follows_go_s_rule() {
        let ours = "https://asiointi.example.fi";
        assert!(same_origin(
            &headers(&[("origin", "https://asiointi.example.fi")]),
            ours
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            ours
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), ours));
        // Sec-Fetch-Site decides when present: a no-referrer page's own form sends Origin null.
        assert!(same_origin(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            ours
        ));
        assert!(!same_origin(
            &headers(&[
                ("origin", "https://asiointi.example.fi"),
                ("sec-fetch-site", "cross-site")
            ]),
            ours
        ));
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            ours
        ));
        assert!(same_origin(&headers(&[("sec-fetch-site", "none")]), ours));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            ours
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            ours
        ));
        assert!(same_origin(&headers(&[]), ours));
    }

    #[test]
    fn the_refusal_page_speaks_the_browser_s_language() {
        let sv = headers(&[("accept-language", "sv-FI,sv;q=0.9,en;q=0.5")]);
        assert_eq!(preferred_lang(&sv), Lang::Sv);
        assert_eq!(
            preferred_lang(&headers(&[("accept-language", "de, en")])),
            Lang::En
        );
        assert_eq!(preferred_lang(&headers(&[])), Lang::Fi);
        let page = refusal_page(Lang::En, AppError::CrossSite);
        assert!(
            page.contains("<html lang=\"en\">") && page.contains("href=\"/en\""),
            "{page}"
        );
        assert!(!page.contains("<script") && !page.contains("style="));
    }
}
