//! A relying party for the OpenID Connect tests: registers itself with `asiointi clients add`
//! (the operator's command), builds authorization requests with PKCE, calls the token,
//! UserInfo and revocation endpoints, and checks id_tokens against the published JWKS.
#![allow(dead_code)]

use crate::common::{Browser, Reply, Server};
use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::process::Command;

pub const REDIRECT: &str = "https://rp.example/callback";

/// A registered client.
pub struct Rp {
    pub id: String,
    pub secret: Option<String>,
    pub redirect: String,
}

/// Runs the server binary's command line against the test server's database.
pub fn cli(server: &Server, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .args(args)
        .env("DATABASE_URL", server.database_url())
        .env("PUBLIC_URL", &server.public_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Registers a client through `clients add` (`--redirect-uri REDIRECT` and `extra`) while the
/// server runs; the secret is read from the `client_secret=` line.
pub fn add_client(server: &Server, id: &str, extra: &[&str]) -> Rp {
    let mut args = vec!["clients", "add", "--id", id, "--name", "Rakennusvalvonta"];
    args.extend(["--redirect-uri", REDIRECT]);
    args.extend(extra);
    let output = cli(server, &args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "clients add: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let secret = stdout
        .lines()
        .find_map(|line| line.strip_prefix("client_secret="))
        .map(str::to_owned);
    Rp {
        id: id.to_owned(),
        secret,
        redirect: REDIRECT.to_owned(),
    }
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// `/oauth2/authorize?…` for `rp` with the usual parameters, each overridable (an empty value
/// leaves the parameter out).
pub fn authorize_path(rp: &Rp, challenge: &str, overrides: &[(&str, &str)]) -> String {
    let mut params: BTreeMap<&str, &str> = BTreeMap::from([
        ("response_type", "code"),
        ("client_id", rp.id.as_str()),
        ("redirect_uri", rp.redirect.as_str()),
        ("scope", "openid email profile offline_access"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]);
    for (name, value) in overrides {
        params.insert(name, value);
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    format!("/oauth2/authorize?{}", query.finish())
}

/// The query parameters of a redirect's `Location`.
pub fn query_of(location: &str) -> BTreeMap<String, String> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Runs an authorization request in `browser`; returns the code after checking that the answer
/// is a redirect to the client with `state` and `iss`.
pub async fn code_for(server: &Server, browser: &mut Browser, rp: &Rp, challenge: &str) -> String {
    let reply = browser.get(&authorize_path(rp, challenge, &[])).await;
    let location = reply.location.clone().unwrap_or_default();
    assert!(
        location.starts_with(&rp.redirect),
        "{} {location} {}",
        reply.status,
        reply.body
    );
    let params = query_of(&location);
    assert_eq!(params["state"], "st-123");
    assert_eq!(params["iss"], server.public_url);
    params
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {location}"))
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Basic,
    Post,
    /// `client_id` alone (a public client).
    None,
}

/// POSTs `form` to an endpoint with the client's credentials.
pub async fn post(
    server: &Server,
    path: &str,
    rp: &Rp,
    auth: Auth,
    form: &[(&str, &str)],
) -> Reply {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = crate::common::http_client().post(format!("{}{path}", server.base));
    match auth {
        Auth::Basic => {
            let secret = rp.secret.as_deref().unwrap_or("");
            let credentials = STANDARD.encode(format!("{}:{secret}", rp.id));
            request = request.header("authorization", format!("Basic {credentials}"));
        }
        Auth::Post => {
            form.push(("client_id", &rp.id));
            form.push(("client_secret", rp.secret.as_deref().unwrap_or("")));
        }
        Auth::None => form.push(("client_id", &rp.id)),
    }
    server.browser().send_request(request.form(&form)).await
}

/// Exchanges a code.
pub async fn exchange(server: &Server, rp: &Rp, auth: Auth, code: &str, verifier: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect.as_str()),
        ("code_verifier", verifier),
    ];
    post(server, "/oauth2/token", rp, auth, &form).await
}

pub async fn refresh(server: &Server, rp: &Rp, refresh_token: &str) -> Reply {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    post(server, "/oauth2/token", rp, Auth::Basic, &form).await
}

pub async fn userinfo(server: &Server, access_token: &str) -> Reply {
    let request = crate::common::http_client()
        .get(format!("{}/oauth2/userinfo", server.base))
        .bearer_auth(access_token);
    server.browser().send_request(request).await
}

/// The id_token's claims after checking its RS256 signature with the key the JWKS publishes
/// under its `kid`, its issuer, audience and expiry.
pub async fn verified_claims(server: &Server, rp: &Rp, id_token: &str) -> Value {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    let mut browser = server.browser();
    let jwks = browser.get("/oauth2/jwks").await.json();
    let kid = decode_header(id_token).unwrap().kid.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("kid {kid} not in the JWKS {jwks}"));
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&rp.id]);
    validation.set_issuer(&[&server.public_url]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    decode::<Value>(id_token, &key, &validation)
        .unwrap_or_else(|e| panic!("id_token does not verify: {e}"))
        .claims
}

/// Where the provider's "on to the service" page refreshes to (its answer to a navigation that
/// began with a form on its own pages, instead of a redirect).
pub fn onward_url(reply: &Reply) -> String {
    assert_eq!(reply.status, reqwest::StatusCode::OK, "{}", reply.body);
    let start = reply
        .body
        .find("content=\"0;url=")
        .unwrap_or_else(|| panic!("no refresh: {}", reply.body))
        + "content=\"0;url=".len();
    let end = start + reply.body[start..].find('"').unwrap();
    reply.body[start..end].replace("&amp;", "&")
}
