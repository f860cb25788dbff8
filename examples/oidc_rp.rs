//! A small relying party (an "e-service") to try the OpenID Connect flow in a browser, beside
//! `cargo leptos watch` (which serves the login at http://127.0.0.1:3000):
//!
//! ```text
//! cargo run --features ssr -- clients add --id example --name Esimerkkipalvelu \
//!     --redirect-uri http://127.0.0.1:8000/callback \
//!     --post-logout-redirect-uri http://127.0.0.1:8000/ --first-party
//! CLIENT_SECRET=<the printed secret> cargo run --example oidc_rp --features ssr
//! ```
//!
//! then open http://127.0.0.1:8000. Settings: `ISSUER` (default http://127.0.0.1:3000),
//! `CLIENT_ID` (default `example`), `CLIENT_SECRET`, `RP_ADDR` (default 127.0.0.1:8000).
//! It does what a real client must: discovery, PKCE S256, state and nonce, the `iss`
//! response parameter, the id_token's signature against the JWKS, UserInfo, logout.
//! A development tool: nothing here is part of the service.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Rp {
    issuer: String,
    client_id: String,
    secret: String,
    base: String,
    http: reqwest::Client,
    /// Pending logins by `state`: the PKCE verifier and the nonce.
    pending: Mutex<HashMap<String, (String, String)>>,
}

type Shared = Arc<Rp>;

fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(body: &str) -> Response {
    Html(format!(
        "<!DOCTYPE html><html lang=\"fi\"><head><meta charset=\"utf-8\">\
         <title>Esimerkkipalvelu</title></head><body><h1>Esimerkkipalvelu</h1>{body}</body></html>"
    ))
    .into_response()
}

fn failure(what: impl std::fmt::Display) -> Response {
    page(&format!(
        "<p>Virhe: {}</p><p><a href=\"/\">Alkuun</a></p>",
        escape(&what.to_string())
    ))
}

/// A request's JSON answer, any failure as text for the page.
async fn json(request: reqwest::RequestBuilder) -> Result<Value, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    response.json().await.map_err(|e| e.to_string())
}

impl Rp {
    async fn metadata(&self) -> Result<Value, String> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        json(self.http.get(url)).await
    }

    fn endpoint(meta: &Value, name: &str) -> Result<String, String> {
        meta[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("discovery has no {name}"))
    }
}

async fn home() -> Response {
    page("<p><a href=\"/login\">Kirjaudu sisään</a></p>")
}

async fn login(State(rp): State<Shared>) -> Response {
    let meta = match rp.metadata().await {
        Ok(meta) => meta,
        Err(error) => return failure(error),
    };
    let authorize = match Rp::endpoint(&meta, "authorization_endpoint") {
        Ok(url) => url,
        Err(error) => return failure(error),
    };
    let (state, nonce, verifier) = (random(), random(), random());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if let Ok(mut pending) = rp.pending.lock() {
        pending.insert(state.clone(), (verifier, nonce.clone()));
    }
    let mut url = match url::Url::parse(&authorize) {
        Ok(url) => url,
        Err(error) => return failure(error),
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &rp.client_id)
        .append_pair("redirect_uri", &format!("{}/callback", rp.base))
        .append_pair("scope", "openid email profile offline_access")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("ui_locales", "fi");
    Redirect::to(url.as_str()).into_response()
}

async fn callback(
    State(rp): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match finish(&rp, &params).await {
        Ok(body) => page(&body),
        Err(error) => failure(error),
    }
}

async fn finish(rp: &Rp, params: &HashMap<String, String>) -> Result<String, String> {
    if params.get("iss") != Some(&rp.issuer) {
        return Err("iss is not our provider (RFC 9207)".into());
    }
    if let Some(error) = params.get("error") {
        return Err(format!("the provider answered {error}"));
    }
    let state = params.get("state").ok_or("no state")?;
    let (verifier, nonce) = rp
        .pending
        .lock()
        .ok()
        .and_then(|mut pending| pending.remove(state))
        .ok_or("unknown state")?;
    let code = params.get("code").ok_or("no code")?;
    let meta = rp.metadata().await?;
    let redirect_uri = format!("{}/callback", rp.base);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let tokens = json(
        rp.http
            .post(Rp::endpoint(&meta, "token_endpoint")?)
            .basic_auth(&rp.client_id, Some(&rp.secret))
            .form(&form),
    )
    .await?;
    let id_token = tokens["id_token"]
        .as_str()
        .ok_or_else(|| format!("no id_token: {tokens}"))?;
    let claims = verify(rp, &meta, id_token).await?;
    if claims["nonce"].as_str() != Some(nonce.as_str()) {
        return Err("nonce differs".into());
    }
    let access = tokens["access_token"].as_str().ok_or("no access_token")?;
    let userinfo = json(
        rp.http
            .get(Rp::endpoint(&meta, "userinfo_endpoint")?)
            .bearer_auth(access),
    )
    .await?;
    let mut logout = url::Url::parse(&Rp::endpoint(&meta, "end_session_endpoint")?)
        .map_err(|e| e.to_string())?;
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", &format!("{}/", rp.base));
    let pretty = |v: &Value| escape(&serde_json::to_string_pretty(v).unwrap_or_default());
    Ok(format!(
        "<p>Kirjautunut: {name}</p><h2>id_token (allekirjoitus tarkistettu)</h2><pre>{claims}</pre>\
         <h2>UserInfo</h2><pre>{userinfo}</pre><p><a href=\"{logout}\">Kirjaudu ulos</a></p>",
        name = escape(claims["name"].as_str().unwrap_or("?")),
        claims = pretty(&claims),
        userinfo = pretty(&userinfo),
        logout = escape(logout.as_str()),
    ))
}

/// The id_token's claims after checking its signature with the JWKS key of its `kid`, its
/// issuer, audience and expiry.
async fn verify(rp: &Rp, meta: &Value, id_token: &str) -> Result<Value, String> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    let jwks = json(rp.http.get(Rp::endpoint(meta, "jwks_uri")?)).await?;
    let kid = decode_header(id_token)
        .map_err(|e| e.to_string())?
        .kid
        .ok_or("no kid")?;
    let keys = jwks["keys"].as_array().ok_or("no keys")?;
    let jwk = keys
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or("kid not in the JWKS")?;
    let key = DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap_or_default(),
        jwk["e"].as_str().unwrap_or_default(),
    )
    .map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&rp.client_id]);
    validation.set_issuer(&[&rp.issuer]);
    decode::<Value>(id_token, &key, &validation)
        .map(|t| t.claims)
        .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |key: &str, default: &str| std::env::var(key).unwrap_or_else(|_| default.into());
    let addr = var("RP_ADDR", "127.0.0.1:8000");
    let rp = Arc::new(Rp {
        issuer: var("ISSUER", "http://127.0.0.1:3000")
            .trim_end_matches('/')
            .to_owned(),
        client_id: var("CLIENT_ID", "example"),
        secret: std::env::var("CLIENT_SECRET").map_err(|_| "CLIENT_SECRET is not set")?,
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        pending: Mutex::new(HashMap::new()),
    });
    let app = axum::Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .with_state(rp);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("example relying party at http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
