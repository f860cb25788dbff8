//! Types shared by the server and the browser: nothing secret, nothing server-only.

mod account;
mod email;
mod error;
mod history;
mod lang;
mod time;

pub use account::{AccountView, SessionView, describe_user_agent};
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

/// `path` if it is a path on this site (`/fi/account?x=1`), so that a `next` parameter cannot
/// send a resident to another site (`//evil.example`, `https://…`, `/\\evil.example`).
pub fn local_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let safe =
        !rest.starts_with('/') && !rest.starts_with('\\') && !path.chars().any(|c| c.is_control());
    safe.then_some(path)
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

/// Shortest password accepted, in characters (NIST SP 800-63B asks for at least 8; we ask 12).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted, in characters: bounds the hashing work a request can cause.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Checks a new password and its confirmation; counts characters, not bytes.
pub fn check_new_password(password: &str, confirm: &str) -> Result<(), AppError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        Err(AppError::PasswordTooShort {
            min: PASSWORD_MIN_CHARS as u32,
        })
    } else if chars > PASSWORD_MAX_CHARS {
        Err(AppError::PasswordTooLong)
    } else if password != confirm {
        Err(AppError::PasswordMismatch)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_counts_characters_not_bytes() {
        let eleven_umlauts = "ä".repeat(11);
        assert_eq!(
            check_new_password(&eleven_umlauts, &eleven_umlauts),
            Err(AppError::PasswordTooShort { min: 12 })
        );
        let twelve = "ä".repeat(12);
        assert_eq!(check_new_password(&twelve, &twelve), Ok(()));
        let too_long = "x".repeat(257);
        assert_eq!(
            check_new_password(&too_long, &too_long),
            Err(AppError::PasswordTooLong)
        );
        assert_eq!(
            check_new_password(&"x".repeat(256), &"x".repeat(256)),
            Ok(())
        );
    }

    #[test]
    fn mismatch_is_reported_after_length() {
        assert_eq!(
            check_new_password("long enough pw", "long enough pX"),
            Err(AppError::PasswordMismatch)
        );
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
