//! The OpenID Connect provider (#10): the city's other e-services (relying parties, "clients")
//! send residents here to log in and get back who they are. Authorization code flow only, PKCE
//! S256 for every client, RS256 id_tokens, opaque access and refresh tokens (stored hashed).
//!
//! The login itself stays the login card's (Ory Hydra's model): this module never renders it,
//! it sends the browser there with the authorization request as the card's `next`, and the
//! card sends it back after the login.
//!
//! ```text
//!  RP ─▶ GET /oauth2/authorize
//!        │ client_id unknown, redirect_uri not registered ──▶ error page here (never redirected)
//!        │ request invalid (response_type, scope, PKCE, prompt…) ──▶ redirect_uri?error=…
//!        │ no live session, prompt=login, or login older than max_age
//!        │     ├─ prompt=none ──▶ redirect_uri?error=login_required
//!        │     └─ /{lang}/login?next=/oauth2/authorize?…&auth_after=T ──(login)──▶ back here
//!        │ not first-party and no consent ──▶ consent page (prompt=none: consent_required)
//!        │     └─ POST /oauth2/consent: allow ──▶ back here; deny ──▶ error=access_denied
//!        ▼
//!     code (single use, 60 s) ──▶ redirect_uri?code=…&state=…&iss=…
//!  RP ─▶ POST /oauth2/token  grant_type=authorization_code + code_verifier, client auth
//!        │ code reused ──▶ invalid_grant, and the grant the code gave is revoked
//!        ▼
//!     grant ──▶ id_token (RS256), access_token (10 min), refresh_token (offline_access)
//!  RP ─▶ POST /oauth2/token  grant_type=refresh_token ──▶ new pair; the old refresh token spent
//!        │ spent refresh token presented again ──▶ invalid_grant, the whole grant revoked
//!  RP ─▶ GET /oauth2/userinfo (Bearer access_token) ──▶ claims of the granted scopes
//!  RP ─▶ POST /oauth2/revoke ──▶ refresh token: grant revoked; access token: ended
//!  RP ─▶ GET /oauth2/logout (id_token_hint of this session) ──▶ session and its grants end
//!        (without a hint the resident confirms first) ──▶ post_logout_redirect_uri?state=…
//!        └─ each client with a grant from the session and a back-channel URI: logout token
//! ```

pub mod audit;
pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod clients;
pub mod consent;
pub mod declared;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod keys;
pub mod pages;
pub mod params;
pub mod revoke;
pub mod token;
pub mod userinfo;

use super::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub const AUTHORIZE_PATH: &str = "/oauth2/authorize";
pub const TOKEN_PATH: &str = "/oauth2/token";
pub const USERINFO_PATH: &str = "/oauth2/userinfo";
pub const JWKS_PATH: &str = "/oauth2/jwks";
pub const REVOKE_PATH: &str = "/oauth2/revoke";
pub const END_SESSION_PATH: &str = "/oauth2/logout";
pub const CONSENT_PATH: &str = "/oauth2/consent";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// An authorization code lives this long, in seconds (RFC 9700 4.2.1: short).
pub const CODE_TTL_SECS: i64 = 60;
/// Access tokens: opaque, for UserInfo only, so short.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 600;
pub const ID_TOKEN_TTL_SECS: i64 = 600;
/// A refresh token not used within this long expires; each use gives a new one.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 30 * 86_400;

/// The scopes the provider knows; others in a request are ignored (RFC 6749 3.3).
pub const SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

/// The provider's endpoints, merged into the service's router. Not behind the `/api` guard:
/// the token and revocation endpoints authenticate the client instead of checking the origin.
pub fn router() -> Router<AppState> {
    let cookie_free = Router::new()
        .route(DISCOVERY_PATH, get(discovery::discovery).options(preflight))
        .route(JWKS_PATH, get(keys::jwks).options(preflight))
        .route(TOKEN_PATH, post(token::token).options(preflight))
        .route(
            USERINFO_PATH,
            get(userinfo::userinfo)
                .post(userinfo::userinfo)
                .options(preflight),
        )
        .route(REVOKE_PATH, post(revoke::revoke).options(preflight))
        .layer(axum::middleware::from_fn(any_origin));
    Router::new()
        .route(
            AUTHORIZE_PATH,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(CONSENT_PATH, post(consent::consent_post))
        .route(
            END_SESSION_PATH,
            get(end_session::end_session_get).post(end_session::end_session_post),
        )
        .merge(cookie_free)
}

/// A browser app (a public client) calls these endpoints from its own origin. They read no
/// cookie and act only on the credentials in the request, so any origin may read the answers
/// (CORS without credentials).
async fn any_origin(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// The CORS preflight: `Authorization` (Basic, Bearer) and `Content-Type` may be sent.
async fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_loads_the_browser_facing_endpoints_in_full() {
        // They redirect to an e-service: the page script's navigation, which fetches a page
        // and swaps it in, could not follow. It leaves links and forms to /oauth2/ to the
        // browser; these paths must stay under it.
        let script = include_str!("../../page_script.js");
        assert!(script.contains(r#"path.startsWith("/oauth2/")"#));
        for path in [AUTHORIZE_PATH, END_SESSION_PATH] {
            assert!(path.starts_with("/oauth2/"), "{path}");
        }
    }
}
