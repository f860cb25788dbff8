//! Errors a resident can see. Each has a stable code (for logs, tests and support) and a field
//! it belongs to; the words are in `i18n`. Internal detail never travels in here: the server
//! logs it and sends `Internal`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum AppError {
    #[error("name_required")]
    NameRequired,
    #[error("name_too_long")]
    NameTooLong,
    #[error("email_required")]
    EmailRequired,
    #[error("email_invalid")]
    EmailInvalid,
    #[error("password_required")]
    PasswordRequired,
    /// The current password, asked before a change of password or address, is wrong.
    #[error("current_password_wrong")]
    CurrentPasswordWrong,
    /// The new address is the one the account already has.
    #[error("email_unchanged")]
    EmailUnchanged,
    /// Another account took the address before this one confirmed it.
    #[error("email_taken")]
    EmailTaken,
    /// Shorter than the configured minimum (`min` characters).
    #[error("password_too_short")]
    PasswordTooShort { min: u32 },
    #[error("password_too_long")]
    PasswordTooLong,
    #[error("password_mismatch")]
    PasswordMismatch,
    /// On the list of the most common passwords.
    #[error("password_common")]
    PasswordCommon,
    /// Contains the e-mail address's local part or the resident's name.
    #[error("password_personal")]
    PasswordPersonal,
    /// Easy to guess (zxcvbn scores it below 3).
    #[error("password_weak")]
    PasswordWeak,
    /// Too many password checks are already waiting for the server: try again in a moment.
    #[error("busy")]
    Busy,
    /// The service cannot reach its database for a moment: try again shortly.
    #[error("unavailable")]
    Unavailable,
    /// The request's body is larger than any form of this service sends.
    #[error("request_too_large")]
    RequestTooLarge,
    /// Too many failed attempts: the next one is allowed in `minutes` minutes.
    #[error("too_many_attempts")]
    TooManyAttempts { minutes: u32 },
    /// A link or notice was mailed to this address a moment ago; another in `minutes` minutes.
    #[error("mail_limit")]
    MailLimit { minutes: u32 },
    /// A state-changing request that did not come from this service's own pages.
    #[error("cross_site")]
    CrossSite,
    /// Wrong address or password: one generic answer, so nothing is revealed about which.
    #[error("wrong_credentials")]
    WrongCredentials,
    /// The set-password link is unknown, used or expired.
    #[error("link_invalid")]
    LinkInvalid,
    #[error("not_logged_in")]
    NotLoggedIn,
    /// The request itself was malformed or could not reach the server.
    #[error("bad_request")]
    BadRequest,
    /// Something failed on the server; the detail is in the server log.
    #[error("internal")]
    Internal,
}

/// The form field an error is shown next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    /// The current password, asked before a change.
    Current,
    Email,
    Password,
    Confirm,
    /// Not one field: shown at the top of the form.
    Form,
}

impl AppError {
    /// The stable code: the same in every language and every release.
    pub fn code(self) -> String {
        self.to_string()
    }

    pub fn field(self) -> Field {
        match self {
            Self::NameRequired | Self::NameTooLong => Field::Name,
            Self::EmailRequired | Self::EmailInvalid | Self::EmailUnchanged => Field::Email,
            Self::CurrentPasswordWrong => Field::Current,
            Self::PasswordRequired
            | Self::PasswordTooShort { .. }
            | Self::PasswordTooLong
            | Self::PasswordCommon
            | Self::PasswordPersonal
            | Self::PasswordWeak => Field::Password,
            Self::PasswordMismatch => Field::Confirm,
            Self::WrongCredentials
            | Self::LinkInvalid
            | Self::EmailTaken
            | Self::NotLoggedIn
            | Self::BadRequest
            | Self::TooManyAttempts { .. }
            | Self::MailLimit { .. }
            | Self::CrossSite
            | Self::Busy
            | Self::Unavailable
            | Self::RequestTooLarge
            | Self::Internal => Field::Form,
        }
    }

    /// The HTTP status a script caller gets with this error.
    pub fn http_status(self) -> u16 {
        match self {
            Self::WrongCredentials | Self::NotLoggedIn => 401,
            Self::EmailTaken => 409,
            Self::CrossSite => 403,
            Self::RequestTooLarge => 413,
            Self::Busy | Self::Unavailable => 503,
            Self::TooManyAttempts { .. } | Self::MailLimit { .. } => 429,
            Self::LinkInvalid => 410,
            Self::Internal => 500,
            _ => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::Response(_) => Self::Internal,
            // A body without `Content-Length` that outgrew the limit while it was read: the
            // limit's error reaches us only as its message.
            ServerFnErrorErr::Deserialization(message) if message == BODY_LIMIT_MESSAGE => {
                Self::RequestTooLarge
            }
            _ => Self::BadRequest,
        }
    }
}

/// What `http_body_util::Limited` (axum's body limit) says when a body is over it.
const BODY_LIMIT_MESSAGE: &str = "length limit exceeded";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        assert_eq!(AppError::WrongCredentials.code(), "wrong_credentials");
        assert_eq!(
            serde_json::to_string(&AppError::LinkInvalid).unwrap(),
            "\"link_invalid\""
        );
    }

    #[test]
    fn errors_belong_to_their_fields() {
        assert_eq!(AppError::EmailInvalid.field(), Field::Email);
        assert_eq!(AppError::PasswordMismatch.field(), Field::Confirm);
        assert_eq!(AppError::Internal.field(), Field::Form);
    }
}
