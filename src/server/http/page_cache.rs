//! The login card as a browser without cookies first sees it, kept once rendered.
//!
//! Every resident's first page is `/fi/login` (or `/sv/`, `/en/`), and for a browser without
//! cookies and without a query it is the same page for everyone but for the CSP nonce. Rendering
//! it costs Leptos about 0.75 M instructions (callgrind, release build) — most of the time of a
//! morning rush's page loads, and the reason SSR ran at a tenth of nginx (issue #12). So the
//! first such render is kept with its nonce cut out, and each later visitor gets it with a nonce
//! of their own, and that nonce's policy, as if rendered anew.
//!
//! ```text
//! GET /fi/login, no query, no Cookie ──kept?──yes──▶ page with a fresh nonce + its CSP
//!        │ no                                 ▲
//!        ▼                                    │ kept when: 200, a page policy with a nonce,
//!   render (Leptos) ──────────────────────────┘ no Set-Cookie, UTF-8, no error shown
//! ```
//!
//! Nothing that depends on the visitor is kept: a request with a cookie (a session, the card's
//! remembered step) or a query (`next`, an error) is always rendered. The kept pages live as
//! long as the process, which a new release or setting restarts; development renders always.

use super::headers::page_policy;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The pages kept: each language's login card.
const KEPT_PATHS: [&str; 3] = ["/fi/login", "/sv/login", "/en/login"];
/// Stands for the nonce in a kept page; a NUL never occurs in a rendered page.
const NONCE_SLOT: &str = "\u{0}nonce\u{0}";
/// Largest page read into memory to be kept, in bytes (the login card is about 4 KB).
const MAX_PAGE_BYTES: usize = 256 * 1024;

/// A kept page: its headers and its text with [`NONCE_SLOT`] where the nonce was.
struct Kept {
    headers: HeaderMap,
    text: String,
}

/// The kept pages by path; shared by every request of the process.
#[derive(Clone, Default)]
pub struct PageCache {
    enabled: bool,
    pages: Arc<RwLock<HashMap<&'static str, Arc<Kept>>>>,
}

impl PageCache {
    /// A cache that keeps pages when `enabled` (not in development, where the page changes
    /// with every rebuild).
    pub fn new(enabled: bool) -> Self {
        PageCache {
            enabled,
            pages: Arc::default(),
        }
    }

    fn get(&self, path: &str) -> Option<Arc<Kept>> {
        self.pages.read().ok()?.get(path).cloned()
    }

    fn keep(&self, path: &'static str, kept: Kept) {
        if let Ok(mut pages) = self.pages.write() {
            pages.insert(path, Arc::new(kept));
        }
    }
}

/// The path of a request that may be answered with a kept page.
fn keepable(request: &Request) -> Option<&'static str> {
    let anonymous = request.method() == Method::GET
        && request.uri().query().is_none()
        && !request.headers().contains_key(COOKIE);
    let path = request.uri().path();
    KEPT_PATHS
        .into_iter()
        .find(|kept| anonymous && *kept == path)
}

/// The nonce a page policy allows (`'nonce-…'`), if any.
fn nonce_of(policy: &str) -> Option<&str> {
    let rest = policy.split("'nonce-").nth(1)?;
    let nonce = rest.split('\'').next()?;
    (!nonce.is_empty()).then_some(nonce)
}

/// Middleware: answers from the cache when it can, and keeps a fresh render when it may.
pub async fn serve(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let Some(path) = keepable(&request).filter(|_| cache.enabled) else {
        return next.run(request).await;
    };
    if let Some(kept) = cache.get(path) {
        return answer(&kept);
    }
    let response = next.run(request).await;
    let nonce = response
        .headers()
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|policy| policy.to_str().ok())
        .and_then(nonce_of)
        .map(str::to_owned);
    let Some(nonce) = nonce.filter(|_| {
        response.status() == StatusCode::OK && !response.headers().contains_key(SET_COOKIE)
    }) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, path, "a page to keep could not be read");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // A page that shows an error (`role="alert"`: the database failed a read, say) is served
    // once, never kept: the card as everyone sees it has none.
    if let Ok(text) = std::str::from_utf8(&bytes)
        && !text.contains("role=\"alert\"")
    {
        let mut headers = parts.headers.clone();
        headers.remove(CONTENT_SECURITY_POLICY);
        let text = text.replace(&nonce, NONCE_SLOT);
        cache.keep(path, Kept { headers, text });
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A kept page with a nonce of its own and the policy that allows it.
fn answer(kept: &Kept) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    let mut response = Response::new(Body::from(kept.text.replace(NONCE_SLOT, &nonce)));
    *response.headers_mut() = kept.headers.clone();
    if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce, None)) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, cookie: bool) -> Request {
        let mut request = Request::builder().uri(path);
        if cookie {
            request = request.header(COOKIE, "__Host-flow=x");
        }
        request.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_the_anonymous_login_cards_are_kept() {
        assert_eq!(keepable(&request("/fi/login", false)), Some("/fi/login"));
        assert_eq!(keepable(&request("/en/login", false)), Some("/en/login"));
        assert_eq!(keepable(&request("/fi/login", true)), None, "a cookie");
        assert_eq!(
            keepable(&request("/fi/login?next=/fi/history", false)),
            None
        );
        assert_eq!(keepable(&request("/fi/history", false)), None);
        assert_eq!(keepable(&request("/fi/login/", false)), None);
        let post = Request::builder()
            .method(Method::POST)
            .uri("/fi/login")
            .body(Body::empty())
            .unwrap();
        assert_eq!(keepable(&post), None);
    }

    #[test]
    fn the_nonce_is_read_from_the_page_policy() {
        let policy = page_policy("AbC-123_x", None);
        assert_eq!(nonce_of(&policy), Some("AbC-123_x"));
        assert_eq!(nonce_of(super::super::headers::FIXED_POLICY), None);
        assert_eq!(nonce_of("script-src 'nonce-'"), None);
    }

    #[tokio::test]
    async fn each_answer_has_a_fresh_nonce_everywhere_the_render_had_one() {
        let kept = Kept {
            headers: HeaderMap::new(),
            text: format!("<script nonce=\"{NONCE_SLOT}\">a</script><link nonce=\"{NONCE_SLOT}\">"),
        };
        let mut nonces = Vec::new();
        for _ in 0..2 {
            let response = answer(&kept);
            let policy = response.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap();
            let nonce = nonce_of(policy).unwrap().to_owned();
            let body = to_bytes(response.into_body(), MAX_PAGE_BYTES)
                .await
                .unwrap();
            let text = String::from_utf8(body.to_vec()).unwrap();
            assert_eq!(
                text.matches(&format!("nonce=\"{nonce}\"")).count(),
                2,
                "{text}"
            );
            assert!(!text.contains('\u{0}'));
            nonces.push(nonce);
        }
        assert_ne!(nonces[0], nonces[1]);
        assert!(nonces.iter().all(|n| n.len() >= 16), "{nonces:?}");
    }
}
