//! Security headers. Pages get a Content-Security-Policy with a fresh nonce per response (minted
//! before the render, which gives it to the page's scripts); every other response gets a fixed,
//! strict policy. Pages whose address carries a token send no Referer.

use super::super::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
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

/// The port of cargo-leptos's live-reload websocket, which the page policy must allow, when the
/// server runs under `cargo leptos watch`; read once at start.
#[derive(Clone, Copy)]
pub struct LiveReload(Option<u32>);

impl LiveReload {
    /// The same condition as leptos's `AutoReload`, which adds the websocket's script.
    pub fn of(options: &LeptosOptions) -> Self {
        LiveReload(
            std::env::var("LEPTOS_WATCH")
                .is_ok()
                .then(|| options.reload_external_port.unwrap_or(options.reload_port)),
        )
    }
}

/// The nonce minted for a page request, carried to the render in the request's extensions.
#[derive(Clone)]
struct PageNonce(Nonce);

/// Middleware of the pages: mints the nonce of the page's scripts before Leptos renders it, and
/// puts the policy that allows that nonce on the HTML it answers.
///
/// The nonce is made here rather than by the render so that the header never depends on the
/// render: the policy was once set from inside the shell through leptos's `ResponseOptions`,
/// and now and then a page arrived without it (its scripts were blocked by the fixed policy
/// and it never hydrated). [`provide_page_nonce`] hands the same nonce to the render, where
/// leptos puts it on every `<script>` it writes.
pub async fn page_policy_layer(
    State(LiveReload(reload)): State<LiveReload>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(PageNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce, reload)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// Called in the render's context (before the app): makes the nonce [`page_policy_layer`]
/// minted the one leptos gives the page's scripts, in place of one of its own.
pub fn provide_page_nonce() {
    let minted = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(nonce)) = minted {
        provide_context(nonce);
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
/// once; an unchanged file costs a 304) unless they say otherwise (the navigation script, whose
/// name changes with it: [`super::page_script`]), and vary by `Accept-Encoding`: the same
/// address is answered with the build's brotli or gzip copy, or the file itself (`cargo leptos
/// build --release --precompress`).
async fn cache_policy(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let build_file = path.starts_with("/pkg/") || path == "/favicon.ico";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if build_file {
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Headers every response carries: no MIME sniffing, never framed by another site
/// (clickjacking), the referrer policy, no caching of pages, a CSP (the fixed one unless the
/// page set its own: [`page_policy_layer`]), and HSTS over https.
pub fn with_security_headers(router: Router<AppState>, https: bool) -> Router<AppState> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
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

    #[tokio::test]
    async fn a_page_gets_the_policy_of_the_nonce_minted_for_its_render() {
        use axum::extract::Extension;
        use tower::ServiceExt as _;
        // A stand-in for the render: writes the nonce it was handed into its script.
        let page = |Extension(PageNonce(nonce)): Extension<PageNonce>| async move {
            axum::response::Html(format!("<script nonce=\"{}\">x</script>", &*nonce))
        };
        let app = axum::Router::new()
            .route("/page", axum::routing::get(page))
            .route("/data", axum::routing::get(|| async { "{}" }))
            .layer(axum::middleware::from_fn_with_state(
                LiveReload(None),
                page_policy_layer,
            ));
        let get = |path: &str| {
            let request = axum::http::Request::get(path).body(axum::body::Body::empty());
            app.clone().oneshot(request.unwrap())
        };
        let mut nonces = Vec::new();
        for _ in 0..2 {
            let response = get("/page").await.unwrap();
            let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            let body = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            let nonce = body.split('"').nth(1).unwrap().to_owned();
            assert!(nonce.len() >= 16, "{nonce}");
            assert_eq!(policy, page_policy(&nonce, None));
            nonces.push(nonce);
        }
        assert_ne!(nonces[0], nonces[1], "a fresh nonce for every page");
        let data = get("/data").await.unwrap();
        assert!(
            !data.headers().contains_key(header::CONTENT_SECURITY_POLICY),
            "what is not HTML keeps the fixed policy set further out"
        );
    }

    #[test]
    fn token_pages_are_recognised_by_their_query() {
        assert!(carries_token(Some("token=abc")));
        assert!(carries_token(Some("__err=x&token=abc")));
        assert!(!carries_token(Some("tokens=1&next=/fi")));
        assert!(!carries_token(None));
    }
}
