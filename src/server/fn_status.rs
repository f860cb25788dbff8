//! Server-function answers carry their error's HTTP status.
//!
//! leptos answers every server-function error with 500 and lets the function set another
//! status (`api::context::finish` does). An error raised before the function runs — a missing
//! field, a value that is not UTF-8, a body that is not a form — keeps that 500, so a hostile
//! request would look like a server fault. This gives every error answer the status of its
//! [`AppError`]: a 5xx then always means a fault of ours.

use crate::model::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Middleware: the answers of server functions (`/api/…`) get their error's status.
pub async fn api_error_status(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !api {
        return response;
    }
    let response = with_error_status(response).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        // The body was read only up to the limit.
        super::http::guard::closing(response)
    } else {
        response
    }
}

/// Our error bodies are a few dozen bytes of JSON; anything longer is not one of them.
const ERROR_BODY_MAX_BYTES: usize = 4 * 1024;

/// `response` with the status of the `AppError` in its body, when it is a 500 carrying one.
pub async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_MAX_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some(status) = serde_json::from_slice::<AppError>(&bytes)
        .ok()
        .and_then(|error| StatusCode::from_u16(error.http_status()).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn status_of(status: StatusCode, body: &'static str) -> StatusCode {
        let response = Response::builder()
            .status(status)
            .body(Body::from(body))
            .unwrap();
        with_error_status(response).await.status()
    }

    #[tokio::test]
    async fn an_error_before_the_function_ran_gets_its_own_status() {
        assert_eq!(
            status_of(StatusCode::INTERNAL_SERVER_ERROR, "\"bad_request\"").await,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(
                StatusCode::INTERNAL_SERVER_ERROR,
                "{\"too_many_attempts\":{\"minutes\":2}}"
            )
            .await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            status_of(StatusCode::INTERNAL_SERVER_ERROR, "\"internal\"").await,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status_of(StatusCode::INTERNAL_SERVER_ERROR, "not ours").await,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status_of(StatusCode::OK, "\"bad_request\"").await,
            StatusCode::OK
        );
    }
}
