//! Types shared by the server and the browser: nothing secret, nothing server-only.

mod account;
mod email;
mod error;
mod history;
mod lang;
mod time;

pub use account::{AccountView, ServiceView, SessionView, describe_user_agent};
pub use email::{EMAIL_MAX_CHARS, Email};
pub use error::{AppError, Field};
pub use history::{
    HISTORY_PER_PAGE, HistoryPage, IsoDate, TransactionView, clamp_page, page_count, page_offset,
};
pub use lang::Lang;
pub use time::{LocalTime, helsinki};

use serde::{Deserialize, Serialize};

/// Where the login card is: decided on the server from the last "Jatka" of this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginStep {
    /// Ask for the e-mail address.
    Email,
    /// The account has a password: ask for it.
    Password,
    /// A carried-over account without a password: the set-password link was mailed.
    LinkSent,
    /// No account has this address.
    Unknown,
}

impl LoginStep {
    /// Stable name used in the login-flow cookie.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Password => "password",
            Self::LinkSent => "link_sent",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Email, Self::Password, Self::LinkSent, Self::Unknown]
            .into_iter()
            .find(|step| step.as_str() == s)
    }
}

/// The login card's state: the step and the address it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFlow {
    pub step: LoginStep,
    pub email: String,
    /// The password step also says that a set-password link or a "no account" mail may be on
    /// its way (`account_enumeration = protect`, where every address gets this step).
    #[serde(default)]
    pub mail_notice: bool,
}

/// Longest `next` path followed, in bytes: room for an e-service's authorization request,
/// a bound for what a link or form can make us carry.
pub const NEXT_MAX_BYTES: usize = 4096;

/// `path` if it is a path on this site (`/fi/account?x=1`), so that a `next` parameter cannot
/// send a resident to another site (`//evil.example`, `https://…`, `/\\evil.example`).
pub fn local_path(path: &str) -> Option<&str> {
    if path.len() > NEXT_MAX_BYTES {
        return None;
    }
    let rest = path.strip_prefix('/')?;
    let safe =
        !rest.starts_with('/') && !rest.starts_with('\\') && !path.chars().any(|c| c.is_control());
    safe.then_some(path)
}

/// `text` percent-encoded for a query string value: every byte but RFC 3986's unreserved ones.
/// For carrying `next` from page to page, on the server and in the browser alike.
pub fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The value of `name` in a raw query string (`a=1&next=%2Fx`), decoded once as a form
/// (`+` is a space). leptos_router 0.8's `use_query_map` decodes values twice (`query_pairs`,
/// then `Url::unescape`), which turns `next=%2F…%253A…` into something else than was sent; so
/// `next` is read from the raw query with this.
pub fn query_param(search: &str, name: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| decode_form(key) == name)
        .map(|(_, value)| decode_form(value))
}

fn decode_form(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
        match (bytes[i], hex(i + 1).zip(hex(i + 2))) {
            (b'+', _) => out.push(b' '),
            (b'%', Some((high, low))) => {
                out.extend(u8::try_from(high * 16 + low).ok());
                i += 2;
            }
            (byte, _) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string `?next=…` for a local `next`, or nothing.
pub fn next_query(next: Option<&str>) -> String {
    next.and_then(local_path)
        .map(|next| format!("?next={}", query_value(next)))
        .unwrap_or_default()
}

/// Longest full name accepted, in characters: room for any real name, a bound for the rest.
pub const NAME_MAX_CHARS: usize = 200;

/// Checks a full name as typed and returns it trimmed, inner runs of white space folded.
pub fn check_full_name(name: &str) -> Result<String, AppError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    // A name of control characters alone is no name.
    if name.is_empty() || name.chars().any(char::is_control) {
        Err(AppError::NameRequired)
    } else if name.chars().count() > NAME_MAX_CHARS {
        Err(AppError::NameTooLong)
    } else {
        Ok(name)
    }
}

/// Shortest password accepted by default, in characters (NIST SP 800-63B asks for at least 8;
/// we ask 12). The server's `password_min_chars` setting decides; the policy itself is on the
/// server (`server::auth::policy`), since it needs the blocklist and zxcvbn.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted, in characters: bounds the hashing work a request can cause.
pub const PASSWORD_MAX_CHARS: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_survives_the_trip_through_a_query_string_once_decoded() {
        let next = "/oauth2/authorize?redirect_uri=https%3A%2F%2Frp.example%2Fcb%3Fa%3D1%26b%3D2&state=a+b%25";
        let query = next_query(Some(next));
        assert_eq!(query_param(&query, "next").as_deref(), Some(next));
        assert_eq!(
            query_param("x=1&next=%2Fa+b&y", "next").as_deref(),
            Some("/a b")
        );
        assert_eq!(
            query_param("?y&next=%zz%2", "next").as_deref(),
            Some("%zz%2")
        );
        assert_eq!(query_param("a=1", "next"), None);
        assert_eq!(next_query(Some("//evil.example")), "");
    }

    #[test]
    fn full_names_are_trimmed_and_bounded() {
        assert_eq!(
            check_full_name("  Erkki   Esimerkki "),
            Ok("Erkki Esimerkki".into())
        );
        assert_eq!(check_full_name(" \t "), Err(AppError::NameRequired));
        assert_eq!(check_full_name("Erkki\u{0}"), Err(AppError::NameRequired));
        assert_eq!(
            check_full_name(&"a".repeat(201)),
            Err(AppError::NameTooLong)
        );
        assert_eq!(check_full_name(&"ä".repeat(200)), Ok("ä".repeat(200)));
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/fi/account"), Some("/fi/account"));
        assert_eq!(local_path("/sv/history?page=2"), Some("/sv/history?page=2"));
        for hostile in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "",
            "/fi\n/x",
        ] {
            assert_eq!(local_path(hostile), None, "{hostile:?}");
        }
    }

    #[test]
    fn login_step_round_trips() {
        for step in [
            LoginStep::Email,
            LoginStep::Password,
            LoginStep::LinkSent,
            LoginStep::Unknown,
        ] {
            assert_eq!(LoginStep::parse(step.as_str()), Some(step));
        }
        assert_eq!(LoginStep::parse("admin"), None);
    }
}
