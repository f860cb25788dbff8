//! OAuth 2.0 errors (RFC 6749 5.2, 4.1.2.1; OIDC Core 3.1.2.6; RFC 6750 3.1) as the endpoints
//! answer them: JSON `{error, error_description}` with the status the RFCs give. Hostile input
//! always maps to one of these, never to a 5xx; only a fault of ours is `server_error`.

use crate::server::ServerError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The standard error codes the provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    /// RFC 6750: a bearer token that is missing, expired or revoked.
    InvalidToken,
    ServerError,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidRequest => "invalid_request",
            Code::InvalidClient => "invalid_client",
            Code::InvalidGrant => "invalid_grant",
            Code::UnauthorizedClient => "unauthorized_client",
            Code::UnsupportedGrantType => "unsupported_grant_type",
            Code::UnsupportedResponseType => "unsupported_response_type",
            Code::InvalidScope => "invalid_scope",
            Code::AccessDenied => "access_denied",
            Code::LoginRequired => "login_required",
            Code::ConsentRequired => "consent_required",
            Code::RequestNotSupported => "request_not_supported",
            Code::RequestUriNotSupported => "request_uri_not_supported",
            Code::InvalidToken => "invalid_token",
            Code::ServerError => "server_error",
        }
    }
}

/// An error with a short description for the client's developer (never a secret, a token or
/// anything about the resident).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: Code,
    pub description: &'static str,
    /// The client tried HTTP Basic authentication: a 401 then names the scheme (RFC 6749 5.2).
    pub basic: bool,
}

impl OAuthError {
    pub fn new(code: Code, description: &'static str) -> OAuthError {
        OAuthError {
            code,
            description,
            basic: false,
        }
    }

    pub fn invalid_request(description: &'static str) -> OAuthError {
        Self::new(Code::InvalidRequest, description)
    }

    pub fn invalid_grant(description: &'static str) -> OAuthError {
        Self::new(Code::InvalidGrant, description)
    }

    pub fn status(&self) -> StatusCode {
        match self.code {
            Code::InvalidClient | Code::InvalidToken => StatusCode::UNAUTHORIZED,
            Code::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<ServerError> for OAuthError {
    fn from(error: ServerError) -> OAuthError {
        if error.is_unstorable_text() {
            tracing::warn!("an OpenID Connect request held a character the database cannot store");
            return OAuthError::new(Code::InvalidRequest, "a parameter holds a NUL character");
        }
        tracing::error!(%error, "OpenID Connect request failed");
        OAuthError::new(Code::ServerError, "internal error")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        });
        let mut response = (self.status(), Json(body)).into_response();
        let challenge = match self.code {
            Code::InvalidClient if self.basic => Some("Basic realm=\"asiointi\""),
            Code::InvalidToken => Some("Bearer error=\"invalid_token\""),
            _ => None,
        };
        if let Some(challenge) = challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_and_token_errors_are_401_with_their_challenge_others_400() {
        let mut basic = OAuthError::new(Code::InvalidClient, "x");
        basic.basic = true;
        let response = basic.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"asiointi\""
        );
        let post = OAuthError::new(Code::InvalidClient, "x").into_response();
        assert_eq!(post.status(), StatusCode::UNAUTHORIZED);
        assert!(post.headers().get(header::WWW_AUTHENTICATE).is_none());
        let bearer = OAuthError::new(Code::InvalidToken, "x").into_response();
        assert!(
            bearer.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let grant = OAuthError::invalid_grant("x").into_response();
        assert_eq!(grant.status(), StatusCode::BAD_REQUEST);
    }
}
