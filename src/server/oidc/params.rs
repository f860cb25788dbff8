//! Request parameters of the OAuth endpoints, from a query string or a form body. RFC 6749 3.1:
//! a parameter may appear once, and one sent without a value counts as omitted.

use super::error::OAuthError;

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
}
