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
//!        │ not first-party and no consent ──▶ consent_required (consent page: not yet)
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
//! ```

pub mod authorize;
pub mod claims;
pub mod clients;
pub mod discovery;
pub mod error;
pub mod keys;
pub mod params;
pub mod revoke;
pub mod token;
pub mod userinfo;

use super::AppState;
use axum::Router;
use axum::routing::get;

pub const AUTHORIZE_PATH: &str = "/oauth2/authorize";
pub const TOKEN_PATH: &str = "/oauth2/token";
pub const USERINFO_PATH: &str = "/oauth2/userinfo";
pub const JWKS_PATH: &str = "/oauth2/jwks";
pub const REVOKE_PATH: &str = "/oauth2/revoke";
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
    Router::new()
        .route(DISCOVERY_PATH, get(discovery::discovery))
        .route(JWKS_PATH, get(keys::jwks))
        .route(
            AUTHORIZE_PATH,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(TOKEN_PATH, axum::routing::post(token::token))
        .route(
            USERINFO_PATH,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(REVOKE_PATH, axum::routing::post(revoke::revoke))
}
