//! Request parameters of the OAuth endpoints, from a query string or a form body. RFC 6749 3.1:
//! a parameter may appear once, and one sent without a value counts as omitted.

use super::SCOPES;
use super::error::{Code, OAuthError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, header};

/// Longest parameter value accepted, in bytes: far above any real one (a redirect URI, a
/// state), a bound on what hostile input makes us keep.
const VALUE_MAX_BYTES: usize = 2048;

/// Decoded parameters in their order.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text; a repeated parameter is refused.
    pub fn parse(text: &str) -> Result<Params, OAuthError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
            if value.is_empty() {
                continue;
            }
            if value.len() > VALUE_MAX_BYTES {
                return Err(OAuthError::invalid_request("a parameter is too long"));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(OAuthError::invalid_request("a parameter is repeated"));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params(pairs))
    }

    /// A posted form's parameters (the token, revocation, authorization and logout endpoints):
    /// anything but `application/x-www-form-urlencoded` UTF-8 text is an `invalid_request`.
    pub fn from_form(
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Params, OAuthError> {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let body =
            body.map_err(|_| OAuthError::invalid_request("the body is unreadable or too large"))?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| OAuthError::invalid_request("the body is not UTF-8"))?;
        Params::parse(text)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value of a parameter that must be there.
    pub fn require(&self, name: &str, missing: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or(OAuthError::invalid_request(missing))
    }

    /// These parameters without `drop`, plus `add`, encoded again (for the `next` of the login
    /// card, which brings the resident back to the same request).
    pub fn encode_without(&self, drop: &[&str], add: &[(&str, String)]) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            if !drop.contains(&name.as_str()) {
                out.append_pair(name, value);
            }
        }
        for (name, value) in add {
            out.append_pair(name, value);
        }
        out.finish()
    }
}

// The values of the authorization request's parameters.

/// The requested scopes the provider knows, in a fixed order; `openid` is required.
pub fn known_scopes(requested: &str) -> Result<String, OAuthError> {
    let asked: Vec<&str> = requested.split(' ').collect();
    if !asked.contains(&"openid") {
        return Err(OAuthError::new(
            Code::InvalidScope,
            "the openid scope is required",
        ));
    }
    let known: Vec<&str> = SCOPES.into_iter().filter(|s| asked.contains(s)).collect();
    Ok(known.join(" "))
}

/// RFC 7636 4.2: BASE64URL(SHA-256(verifier)) is 43 characters.
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn optional_number(value: Option<&str>, bad: &'static str) -> Result<Option<i64>, OAuthError> {
    value
        .map(|v| {
            v.parse::<u32>()
                .map(i64::from)
                .map_err(|_| OAuthError::invalid_request(bad))
        })
        .transpose()
}

/// The `prompt` values (OIDC Core 3.1.2.1); `select_account` needs nothing here.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

impl Prompt {
    pub fn parse(value: Option<&str>) -> Result<Prompt, OAuthError> {
        let mut prompt = Prompt::default();
        for part in value.unwrap_or("").split(' ').filter(|p| !p.is_empty()) {
            match part {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => {}
                _ => return Err(OAuthError::invalid_request("unknown prompt value")),
            }
        }
        if prompt.none && (prompt.login || prompt.consent) {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined",
            ));
        }
        Ok(prompt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_omitted() {
        let params = Params::parse("a=1&b=&c=x%20y").unwrap();
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        assert!(Params::parse("a=1&a=2").is_err());
        assert!(Params::parse(&format!("a={}", "x".repeat(3000))).is_err());
        assert_eq!(
            params.encode_without(&["a"], &[("d", "1 2".into())]),
            "c=x+y&d=1+2"
        );
    }

    #[test]
    fn scopes_need_openid_and_unknown_ones_are_dropped() {
        assert_eq!(known_scopes("email openid x").unwrap(), "openid email");
        assert_eq!(known_scopes("openid").unwrap(), "openid");
        assert_eq!(known_scopes("email").unwrap_err().code, Code::InvalidScope);
    }

    #[test]
    fn prompt_values_and_pkce_challenges() {
        assert_eq!(
            Prompt::parse(Some("login consent")).unwrap(),
            Prompt {
                none: false,
                login: true,
                consent: true
            }
        );
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("bogus")).is_err());
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_s256_challenge("short") && !is_s256_challenge(&"+".repeat(43)));
    }
}
