//! Client authentication at the token and revocation endpoints (RFC 6749 2.3, OIDC Core 9):
//! `client_secret_basic` and `client_secret_post` for a confidential client, `none` for a public
//! one. Secrets are 256-bit random strings, so their SHA-256 is stored and compared in constant
//! time. Also the checks `asiointi clients add` makes on what an operator registers.

use super::error::{Code, OAuthError};
use super::params::Params;
use crate::server::auth::token::hash_token;
use crate::server::db::{Db, OidcClient};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::{Engine, engine::general_purpose::STANDARD};
use subtle::ConstantTimeEq;

/// What the request offered as credentials.
#[derive(Debug, PartialEq, Eq)]
struct Credentials {
    client_id: String,
    secret: Option<String>,
    basic: bool,
}

/// The client that the request authenticates as, or `invalid_client`.
pub async fn authenticate(
    db: &Db,
    headers: &HeaderMap,
    params: &Params,
) -> Result<OidcClient, OAuthError> {
    let credentials = credentials(headers, params)?;
    let refuse = |description| OAuthError {
        code: Code::InvalidClient,
        description,
        basic: credentials.basic,
    };
    let client = db
        .client(&credentials.client_id)
        .await?
        .ok_or(refuse("client authentication failed"))?;
    match (&client.secret_hash, &credentials.secret) {
        (Some(stored), Some(secret)) if secret_matches(stored, secret) => Ok(client),
        (None, None) => Ok(client),
        (None, Some(_)) => Err(refuse("a public client has no secret")),
        _ => Err(refuse("client authentication failed")),
    }
}

/// Whether `secret` is the one whose hash is `stored`, in time independent of where they differ.
pub fn secret_matches(stored: &[u8], secret: &str) -> bool {
    hash_token(secret).ct_eq(stored).into()
}

fn credentials(headers: &HeaderMap, params: &Params) -> Result<Credentials, OAuthError> {
    let basic = match headers.get(AUTHORIZATION) {
        Some(value) => Some(basic_credentials(value.to_str().ok()).ok_or(OAuthError {
            code: Code::InvalidClient,
            description: "malformed Basic credentials",
            basic: true,
        })?),
        None => None,
    };
    let (body_id, body_secret) = (params.get("client_id"), params.get("client_secret"));
    match basic {
        Some((id, secret)) => {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "more than one client authentication method",
                ));
            }
            if body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request("client_id differs from Basic"));
            }
            Ok(Credentials {
                client_id: id,
                secret: Some(secret),
                basic: true,
            })
        }
        None => Ok(Credentials {
            client_id: body_id
                .ok_or(OAuthError::new(Code::InvalidClient, "client_id missing"))?
                .to_owned(),
            secret: body_secret.map(str::to_owned),
            basic: false,
        }),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 2.3.1).
fn basic_credentials(value: Option<&str>) -> Option<(String, String)> {
    let (scheme, encoded) = value?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    // Percent- and `+`-decoding as in a form; a bare `&` is taken literally.
    let unescape = |s: &str| -> Option<String> {
        let field = format!("x={}", s.replace('&', "%26"));
        let value = url::form_urlencoded::parse(field.as_bytes()).next()?.1;
        Some(value.into_owned())
    };
    let id = unescape(id)?;
    (!id.is_empty()).then_some((id, unescape(secret)?))
}

/// Checks what an operator registers, on the command line or in `Leptos.toml`: the id, a name,
/// at least one redirect URI, and every URI by [`valid_client_uri`].
pub fn check_registration(
    id: &str,
    name: &str,
    redirect_uris: &[String],
    other_uris: &[&String],
) -> Result<(), String> {
    if !valid_client_id(id) {
        return Err("the id must be 1 to 64 letters, digits, '.', '_' or '-'".into());
    }
    if name.trim().is_empty() {
        return Err("a name is required".into());
    }
    if redirect_uris.is_empty() {
        return Err("at least one redirect URI is required".into());
    }
    redirect_uris
        .iter()
        .chain(other_uris.iter().copied())
        .try_for_each(|uri| valid_client_uri(uri))
}

/// A client id an operator may register: 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn valid_client_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A URI a client may be sent to: absolute, without a fragment, and `https` unless it is on
/// this machine (a developer's relying party on `http://localhost`).
pub fn valid_client_uri(uri: &str) -> Result<(), String> {
    let parsed = url::Url::parse(uri).map_err(|e| format!("{uri:?} is not a URL: {e}"))?;
    if parsed.fragment().is_some() {
        return Err(format!("{uri:?} has a fragment"));
    }
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "{uri:?} must be https (http only on localhost or 127.0.0.1)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_url_decoded_and_post_ones_read_from_the_body() {
        let encoded = STANDARD.encode("my%20app:s%3Acret+x");
        let found = credentials(&with_auth(&format!("Basic {encoded}")), &Params::default());
        assert_eq!(
            found.unwrap(),
            Credentials {
                client_id: "my app".into(),
                secret: Some("s:cret x".into()),
                basic: true
            }
        );
        let params = Params::parse("client_id=rp&client_secret=s").unwrap();
        let post = credentials(&HeaderMap::new(), &params).unwrap();
        assert_eq!(
            (post.client_id.as_str(), post.secret.as_deref()),
            ("rp", Some("s"))
        );
        let public = credentials(&HeaderMap::new(), &Params::parse("client_id=rp").unwrap());
        assert_eq!(public.unwrap().secret, None);
    }

    #[test]
    fn malformed_or_doubled_credentials_are_refused() {
        for bad in [
            "Basic !!!",
            "Bearer abc",
            "Basic",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            let error = credentials(&with_auth(bad), &Params::default()).unwrap_err();
            assert_eq!(
                (error.code, error.basic),
                (Code::InvalidClient, true),
                "{bad}"
            );
        }
        let basic = format!("Basic {}", STANDARD.encode("rp:s"));
        let both = Params::parse("client_secret=s").unwrap();
        let error = credentials(&with_auth(&basic), &both).unwrap_err();
        assert_eq!(error.code, Code::InvalidRequest);
        let missing = credentials(&HeaderMap::new(), &Params::default()).unwrap_err();
        assert_eq!(missing.code, Code::InvalidClient);
    }

    #[test]
    fn secrets_compare_by_hash() {
        let (secret, hash) = crate::server::auth::token::new_token();
        assert!(secret_matches(&hash, &secret));
        assert!(!secret_matches(&hash, "guess"));
        assert!(!secret_matches(&[], &secret));
    }

    #[test]
    fn operators_register_plain_ids_and_exact_https_uris() {
        assert!(valid_client_id("rakennusvalvonta-1.0_x"));
        assert!(
            !valid_client_id("") && !valid_client_id("a b") && !valid_client_id(&"a".repeat(65))
        );
        assert!(valid_client_uri("https://rp.example/cb?x=1").is_ok());
        assert!(valid_client_uri("http://localhost:8080/cb").is_ok());
        assert!(valid_client_uri("http://127.0.0.1:8080/cb").is_ok());
        for bad in [
            "http://rp.example/cb",
            "https://rp.example/cb#f",
            "/cb",
            "javascript:alert(1)",
        ] {
            assert!(valid_client_uri(bad).is_err(), "{bad}");
        }
    }
}
