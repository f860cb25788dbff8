//! OpenID Connect Discovery 1.0: what a relying party configures itself from. The issuer is
//! `PUBLIC_URL` exactly (no trailing slash), one for every client.

use super::{
    AUTHORIZE_PATH, END_SESSION_PATH, JWKS_PATH, REVOKE_PATH, SCOPES, TOKEN_PATH, USERINFO_PATH,
};
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// The claims the provider can give (`email`, `profile` scopes) besides the id_token's own.
pub const CLAIMS: [&str; 12] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "sid",
    "email",
    "email_verified",
    "name",
];

/// The provider's metadata for `issuer`.
pub fn metadata(issuer: &str) -> Value {
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let mut claims: Vec<&str> = CLAIMS.to_vec();
    claims.push("locale");
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "end_session_endpoint": format!("{issuer}{END_SESSION_PATH}"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": claims,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["fi", "sv", "en"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(state): State<AppState>) -> Json<Value> {
    Json(metadata(&state.config.public_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoints_are_under_the_issuer() {
        let meta = metadata("https://asiointi.example.fi");
        assert_eq!(meta["issuer"], "https://asiointi.example.fi");
        assert_eq!(
            meta["token_endpoint"],
            "https://asiointi.example.fi/oauth2/token"
        );
        assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    }
}
