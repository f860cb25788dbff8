//! Who is logged in, and logging out.

use crate::model::{AccountView, AppError};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context,
    crate::server::auth::{session, token},
    crate::server::db::AuditKind,
};

/// The logged-in resident, or `None`.
#[server(prefix = "/api", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<AccountView>, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let account = context::session_account(&state).await?;
            Ok(account.map(|a| AccountView {
                language: a
                    .language
                    .as_deref()
                    .and_then(crate::model::Lang::from_code),
                full_name: a.full_name,
                email: a.email,
            }))
        }
        .await,
    )
}

/// Ends the session on the server, clears the cookie and goes to the front page.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout(lang: String) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            if let Some(account) = context::session_account(&state).await? {
                let detail = Some("logged out".to_owned());
                let kind = AuditKind::SessionEnded;
                super::audit::record(&state, kind, Some(account.id), detail).await?;
            }
            if let Some(id) = context::cookie(session::CookieName::Session)? {
                state.db.delete_session(&token::hash_token(&id)).await?;
            }
            context::set_cookie(session::removal_cookie(
                session::CookieName::Session,
                state.config.secure_cookies(),
            ))?;
            leptos_axum::redirect(&format!("/{}", context::lang(&lang).code()));
            Ok(())
        }
        .await,
    )
}
