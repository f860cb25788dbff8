//! RS256 signing keys: made at first start (or by `asiointi keys rotate`), stored in the
//! database so that every instance signs alike, published as a JWKS. A key's `kid` is its
//! RFC 7638 thumbprint. The newest key signs; a retired one stays in the JWKS for
//! [`RETIRED_KEY_PUBLISHED_SECS`], longer than any token it signed lives.

use super::error::OAuthError;
use crate::server::db::{Db, SigningKeyRow, now};
use crate::server::{AppState, ServerError};
use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// RSA modulus size: the common floor for RS256.
const KEY_BITS: usize = 2048;
/// How long a retired key stays published, in seconds: a day, well past the lifetime of the
/// id_tokens it signed, and time for relying parties to fetch the JWKS again.
pub const RETIRED_KEY_PUBLISHED_SECS: i64 = 86_400;

/// A new key: its `kid` and its private key as PKCS#1 PEM. Slow (a second or so): run it off the
/// async runtime.
pub fn generate() -> Result<(String, String), ServerError> {
    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS)
        .map_err(|e| ServerError::Config(format!("RSA key generation failed: {e}")))?;
    let pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| ServerError::Config(format!("RSA key encoding failed: {e}")))?;
    Ok((thumbprint(&key.to_public_key()), pem.to_string()))
}

async fn generate_blocking() -> Result<(String, String), ServerError> {
    tokio::task::spawn_blocking(generate).await?
}

/// One first key at a time in this process: the task that start leaves making it and a
/// request that needs it sooner wait for the same generation instead of making two.
static FIRST_KEY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The key that signs now, made first if there is none: a new deployment's first start leaves
/// it to [`spawn_first_key`], so that start is not held up by it (0.1–0.3 s on 2 cores), and
/// whatever needs the key before it is ready waits for it here.
pub async fn ensure_signing_key(db: &Db) -> Result<SigningKeyRow, ServerError> {
    if let Some(key) = db.current_signing_key().await? {
        return Ok(key);
    }
    let _one_at_a_time = FIRST_KEY.lock().await;
    if let Some(key) = db.current_signing_key().await? {
        return Ok(key);
    }
    let (kid, pem) = generate_blocking().await?;
    // Another instance of the same database may have stored one meanwhile: only one wins.
    if db.add_first_signing_key(&kid, &pem).await? {
        tracing::info!(kid, "OpenID Connect signing key created");
    }
    db.current_signing_key()
        .await?
        .ok_or(ServerError::Context("no OpenID Connect signing key"))
}

/// At start: makes the first signing key in the background unless there is one.
pub fn spawn_first_key(db: Db) {
    tokio::spawn(async move {
        if let Err(error) = ensure_signing_key(&db).await {
            tracing::error!("the first signing key is made when first needed: {error}");
        }
    });
}

/// Makes a new key the signing key, retiring the current one; returns the new `kid`.
pub async fn rotate(db: &Db) -> Result<String, ServerError> {
    let (kid, pem) = generate_blocking().await?;
    db.rotate_signing_key(&kid, &pem).await?;
    Ok(kid)
}

/// RFC 7638: the SHA-256 of the key's required members in lexical order.
fn thumbprint(key: &RsaPublicKey) -> String {
    let json = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(json.as_bytes()))
}

/// One public key of the JWKS.
#[derive(Debug, Serialize)]
pub struct Jwk {
    kty: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
    alg: &'static str,
    kid: String,
    n: String,
    e: String,
}

fn public_jwk(row: &SigningKeyRow) -> Result<Jwk, ServerError> {
    let key = RsaPrivateKey::from_pkcs1_pem(&row.private_key_pem)
        .map_err(|e| ServerError::Config(format!("stored signing key {}: {e}", row.kid)))?;
    Ok(Jwk {
        kty: "RSA",
        usage: "sig",
        alg: "RS256",
        kid: row.kid.clone(),
        n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    })
}

/// The published keys (the first one made if there is none yet).
pub async fn jwks_of(db: &Db) -> Result<Vec<Jwk>, ServerError> {
    let since = now() - RETIRED_KEY_PUBLISHED_SECS;
    let mut rows = db.published_signing_keys(since).await?;
    if rows.is_empty() {
        ensure_signing_key(db).await?;
        rows = db.published_signing_keys(since).await?;
    }
    rows.iter().map(public_jwk).collect()
}

/// `GET /oauth2/jwks`.
pub async fn jwks(State(state): State<AppState>) -> Result<impl IntoResponse, OAuthError> {
    let keys = jwks_of(&state.db).await?;
    Ok(Json(serde_json::json!({ "keys": keys })))
}

/// `claims` as a JWS signed RS256 with the current key, its `kid` in the header.
pub async fn sign(db: &Db, typ: &str, claims: &impl Serialize) -> Result<String, ServerError> {
    let key = ensure_signing_key(db).await?;
    let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes())
        .map_err(|e| ServerError::Config(format!("stored signing key {}: {e}", key.kid)))?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key.kid);
    header.typ = Some(typ.to_owned());
    jsonwebtoken::encode(&header, claims, &encoding)
        .map_err(|e| ServerError::Config(format!("signing failed: {e}")))
}

/// The claims of a JWS this provider signed with a published key (for an `id_token_hint`):
/// signature and issuer checked; expiry and audience are the caller's to judge, since a hint
/// may have expired. `None` for anything else.
pub async fn verify_own(
    db: &Db,
    issuer: &str,
    token: &str,
) -> Result<Option<serde_json::Value>, ServerError> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    let Some(kid) = decode_header(token).ok().and_then(|h| h.kid) else {
        return Ok(None);
    };
    let Some(jwk) = jwks_of(db).await?.into_iter().find(|k| k.kid == kid) else {
        return Ok(None);
    };
    let Ok(key) = DecodingKey::from_rsa_components(&jwk.n, &jwk.e) else {
        return Ok(None);
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    Ok(decode::<serde_json::Value>(token, &key, &validation)
        .ok()
        .map(|t| t.claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

    #[tokio::test]
    async fn a_token_signed_with_the_current_key_verifies_with_the_published_one() {
        let (_dir, db) = Db::temporary().await;
        // Asked for at once (the start's task and a first request): made once.
        let (a, b) = tokio::join!(ensure_signing_key(&db), jwks_of(&db));
        let first = jwks_of(&db).await.unwrap();
        assert_eq!(first.len(), 1, "made once");
        assert_eq!(a.unwrap().kid, first[0].kid);
        assert_eq!(b.unwrap()[0].kid, first[0].kid);
        let claims = serde_json::json!({ "sub": "abc", "aud": "rp", "exp": now() + 60 });
        let token = sign(&db, "JWT", &claims).await.unwrap();
        let verify = |jwk: &Jwk, token: &str| {
            let key = DecodingKey::from_rsa_components(&jwk.n, &jwk.e).unwrap();
            let mut validation = Validation::new(Algorithm::RS256);
            validation.set_audience(&["rp"]);
            decode::<serde_json::Value>(token, &key, &validation).map(|t| t.claims)
        };
        assert_eq!(
            decode_header(&token).unwrap().kid,
            Some(first[0].kid.clone())
        );
        assert_eq!(verify(&first[0], &token).unwrap()["sub"], "abc");

        let new_kid = rotate(&db).await.unwrap();
        let both = jwks_of(&db).await.unwrap();
        assert_eq!(both.len(), 2, "old and new published");
        assert_eq!(both[0].kid, new_kid);
        let newer = sign(&db, "JWT", &claims).await.unwrap();
        assert_eq!(decode_header(&newer).unwrap().kid, Some(new_kid));
        assert!(verify(&both[0], &newer).is_ok());
        assert!(
            verify(&both[1], &newer).is_err(),
            "the old key did not sign it"
        );
        assert!(verify(&both[1], &token).is_ok(), "old tokens still verify");
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 7638 3.1's example key and thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let e = "AQAB";
        let bytes = |s: &str| rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(s).unwrap());
        let key = RsaPublicKey::new(bytes(n), bytes(e)).unwrap();
        assert_eq!(
            thumbprint(&key),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
