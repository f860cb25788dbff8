//! The set-password page opened from the mailed link.

use crate::model::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {super::context, crate::server::auth::token};

/// Longest token accepted: tokens are 43 characters; anything much longer is not ours.
#[cfg(feature = "ssr")]
const TOKEN_MAX_CHARS: usize = 128;

/// The username a still-usable link belongs to, shown on the page; `LinkInvalid` otherwise.
#[server(prefix = "/api", endpoint = "check_link")]
pub async fn check_link(token: String) -> Result<String, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            if token.is_empty() || token.len() > TOKEN_MAX_CHARS {
                return Err(AppError::LinkInvalid);
            }
            state
                .db
                .set_password_link_email(&token::hash_token(&token))
                .await?
                .ok_or(AppError::LinkInvalid)
        }
        .await,
    )
}

/// Sets the password with the link's token. On success the link is spent, every other open
/// link of the account is void, and the resident goes to the confirmation page.
#[server(prefix = "/api", endpoint = "set_password")]
pub async fn set_password(
    token: String,
    password: String,
    confirm: String,
    lang: String,
) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let lang = context::lang(&lang);
            if token.is_empty() || token.len() > TOKEN_MAX_CHARS {
                return Err(AppError::LinkInvalid);
            }
            crate::model::check_new_password(&password, &confirm)?;
            let token_hash = token::hash_token(&token);
            // Checked before hashing so that a dead link costs no argon2 work; the update below
            // checks again atomically.
            if state
                .db
                .set_password_link_email(&token_hash)
                .await?
                .is_none()
            {
                return Err(AppError::LinkInvalid);
            }
            let password_hash = state.hasher.hash(password).await?;
            let account_id = state
                .db
                .set_password_with_link(&token_hash, &password_hash)
                .await?
                .ok_or(AppError::LinkInvalid)?;
            tracing::info!(account_id, "password set with a mailed link");
            leptos_axum::redirect(&format!("/{}/set-password/done", lang.code()));
            Ok(())
        }
        .await,
    )
}
