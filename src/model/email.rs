//! The e-mail address, which is now the username.

use super::AppError;
use serde::{Deserialize, Serialize};

/// Longest address SMTP can carry (RFC 5321 path limit minus the angle brackets).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest local part (RFC 5321 4.5.3.1.1).
const LOCAL_MAX_CHARS: usize = 64;

/// A syntactically valid e-mail address in its canonical form: trimmed and lower-case, so that
/// `Erkki@Example.com` and `erkki@example.com` are the same username.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Validates what a resident typed. Deliberately pragmatic: one `@`, a local part without
    /// spaces or control characters, and a domain of at least two dot-separated labels.
    pub fn parse(input: &str) -> Result<Email, AppError> {
        let address = input.trim();
        if address.is_empty() {
            return Err(AppError::EmailRequired);
        }
        if address.chars().count() > EMAIL_MAX_CHARS {
            return Err(AppError::EmailInvalid);
        }
        let (local, domain) = address.split_once('@').ok_or(AppError::EmailInvalid)?;
        let local_ok = !local.is_empty()
            && local.chars().count() <= LOCAL_MAX_CHARS
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.chars().count() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Email(address.to_lowercase()))
        } else {
            Err(AppError::EmailInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_canonicalises() {
        let email = Email::parse("  Esimerkki.Erkki@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "esimerkki.erkki@example.com");
        assert_eq!(email.local_part(), "esimerkki.erkki");
        assert!(Email::parse("matti+asiointi@heinola.fi").is_ok());
        assert!(Email::parse("äiti@esimerkki.fi").is_ok());
        assert!(Email::parse("a@mäntyharju.fi").is_ok());
    }

    #[test]
    fn empty_is_required_not_invalid() {
        assert_eq!(Email::parse("   "), Err(AppError::EmailRequired));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "erkki",
            "erkki@",
            "@example.com",
            "erkki@example",
            "erkki@@example.com",
            "erk ki@example.com",
            "erkki@exa mple.com",
            ".erkki@example.com",
            "erk..ki@example.com",
            "erkki@-example.com",
            "erkki@example..com",
            "erkki@example.com'; DROP TABLE accounts;--",
            "erkki\u{0}@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(AppError::EmailInvalid), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(AppError::EmailInvalid));
    }
}
