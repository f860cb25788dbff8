//! Security headers. Pages get a Content-Security-Policy with a fresh nonce per response (set by
//! the shell, which knows the nonce its scripts carry); every other response gets a fixed, strict
//! policy. Pages whose address carries a token send no Referer.

use super::super::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use tower_http::set_header::SetResponseHeaderLayer;

/// Two years, in seconds: the HSTS preload list's minimum.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// For responses that are not pages (JSON, static files, the small HTML answers of the request
/// guard and the development mailbox): no scripts at all, our stylesheet only.
pub const FIXED_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of a page whose scripts carry `nonce`. `'wasm-unsafe-eval'` lets the browser
/// compile our WebAssembly; no `'unsafe-inline'`: an injected script has no nonce and does not
/// run. `live_reload_port`: cargo-leptos's websocket in development (`cargo leptos watch`).
pub fn page_policy(nonce: &str, live_reload_port: Option<u32>) -> String {
    let reload = live_reload_port
        .map(|port| format!(" ws://*:{port} wss://*:{port}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; \
         form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )
}

/// Called by the shell while rendering a page: puts the page's policy, with the nonce leptos
/// gives this response's scripts, on the response.
pub fn set_page_policy(options: &LeptosOptions) {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // The same condition as leptos's `AutoReload`, which adds the websocket's script.
    let reload = std::env::var("LEPTOS_WATCH")
        .is_ok()
        .then(|| options.reload_external_port.unwrap_or(options.reload_port));
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, reload)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Whether a query string has a `token` parameter (the pages opened from mailed links).
pub fn carries_token(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("token"))
    })
}

/// `no-referrer` on pages whose address carries a token, so that the token never leaves in a
/// Referer header (not even to our own server's log); `same-origin` elsewhere.
async fn referrer_policy(request: Request, next: Next) -> Response {
    let token = carries_token(request.uri().query());
    let mut response = next.run(request).await;
    let policy = if token { "no-referrer" } else { "same-origin" };
    response
        .headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static(policy));
    response
}

/// `Cache-Control: no-store` on pages and server-function answers (ASVS 5.0 14.3.2): they show
/// a resident's details, and a shared computer's cache must not keep them after logout. The
/// build's own files under `/pkg/` (and `favicon.ico`) are cached but revalidated at each use
/// (`no-cache`: their names do not change between releases, so a new release must show at
/// once; an unchanged file costs a 304), and vary by `Accept-Encoding`: the same address is
/// answered with the build's brotli or gzip copy, or the file itself (`cargo leptos build
/// --release --precompress`).
async fn cache_policy(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let build_file = path.starts_with("/pkg/") || path == "/favicon.ico";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if build_file {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Largest page read to find its nonce, in bytes (pages are a few KB; a long history page tens).
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// A page whose render left its policy off gets the policy of the nonce its own scripts carry.
///
/// The shell puts the page's policy on the response through leptos's `ResponseOptions`. Three
/// times in end-to-end runs (always full loads of `history.spec.ts`'s pages, under the suite's
/// parallel load) a page arrived without it, so the fixed policy blocked its scripts and it
/// never hydrated; the cause inside the render is not found. This closes the gap where it shows:
/// an HTML response without a policy whose `<script>` tags carry a nonce gets that nonce's page
/// policy, and the event is logged. The nonce is read only from a `<script …>` tag, which text
/// of a resident's cannot form (`<` is escaped), so only the server's own scripts are allowed.
async fn repair_page_policy(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html
        || response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "a page without its policy could not be read");
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Some(nonce) = std::str::from_utf8(&bytes).ok().and_then(script_nonce)
        && let Ok(policy) = HeaderValue::from_str(&page_policy(nonce, None))
    {
        tracing::warn!("a page left the renderer without its policy; set from its scripts' nonce");
        parts
            .headers
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The nonce of the first `<script>` tag of `page` that has one.
fn script_nonce(page: &str) -> Option<&str> {
    page.split("<script").skip(1).find_map(|rest| {
        let tag = rest.split('>').next()?;
        let value = tag.split(" nonce=\"").nth(1)?.split('"').next()?;
        let plain = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=-_".contains(c));
        (plain && !value.is_empty()).then_some(value)
    })
}

/// Headers every response carries: no MIME sniffing, never framed by another site
/// (clickjacking), the referrer policy, no caching of pages, a CSP (the fixed one unless the page set its own), and
/// HSTS over https.
pub fn with_security_headers(router: Router<AppState>, https: bool) -> Router<AppState> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(axum::middleware::from_fn(repair_page_policy))
        .layer(set(header::CONTENT_SECURITY_POLICY, FIXED_POLICY))
        .layer(axum::middleware::from_fn(referrer_policy))
        .layer(axum::middleware::from_fn(cache_policy));
    if https {
        router.layer(set(header::STRICT_TRANSPORT_SECURITY, HSTS))
    } else {
        router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_only_nonced_scripts_and_wasm() {
        let policy = page_policy("abc123", None);
        let scripts = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(scripts.contains("'nonce-abc123'") && scripts.contains("'wasm-unsafe-eval'"));
        assert!(!policy.contains("unsafe-inline") && !policy.contains("ws:"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(page_policy("n", Some(3001)).contains("ws://*:3001"));
    }

    #[test]
    fn the_nonce_is_read_only_from_the_servers_own_script_tags() {
        let page = "<p>nonce=\"fake\" &lt;script nonce=\"fake\"&gt;</p>\
                    <script type=\"module\" nonce=\"Real+Nonce/09==\">x</script>";
        assert_eq!(script_nonce(page), Some("Real+Nonce/09=="));
        assert_eq!(script_nonce("<script>x</script><p>no nonce</p>"), None);
        assert_eq!(script_nonce("<script nonce=\"a'b\">"), None, "not a nonce");
    }

    #[tokio::test]
    async fn a_page_without_its_policy_gets_the_one_of_its_scripts_nonce() {
        use tower::ServiceExt as _;
        let page = |policy: Option<&'static str>| {
            let mut response = Response::new(axum::body::Body::from(
                "<html><script nonce=\"abc123\">x</script></html>",
            ));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            if let Some(policy) = policy {
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(policy),
                );
            }
            response
        };
        let served = |policy: Option<&'static str>| async move {
            let app = axum::Router::new()
                .route("/", axum::routing::get(move || async move { page(policy) }))
                .layer(axum::middleware::from_fn(repair_page_policy));
            let request = axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let policy = response
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .cloned();
            let body = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap();
            (policy, body)
        };
        let (repaired, body) = served(None).await;
        assert_eq!(repaired.unwrap(), page_policy("abc123", None).as_str());
        assert!(
            body.starts_with(b"<html><script nonce"),
            "the page itself untouched"
        );
        // A page that has its policy keeps it.
        let (kept, _) = served(Some("default-src 'self'")).await;
        assert_eq!(kept.unwrap(), "default-src 'self'");
    }

    #[test]
    fn token_pages_are_recognised_by_their_query() {
        assert!(carries_token(Some("token=abc")));
        assert!(carries_token(Some("__err=x&token=abc")));
        assert!(!carries_token(Some("tokens=1&next=/fi")));
        assert!(!carries_token(None));
    }
}
