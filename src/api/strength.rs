//! The strength meter under a new-password field: the server's own policy scores what is typed,
//! so the meter agrees with what the server will decide, and the browser needs neither the
//! blocklist nor zxcvbn. Changes no state.

use crate::model::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {super::context, crate::model::Email, crate::server::auth::policy};

/// Score 0–4 for `password`; 3 and 4 are passwords the server accepts (the confirmation
/// aside). The owner's address and name come from the set-password link's `token` when given,
/// else from the session; with neither, only the common-password list and zxcvbn count.
#[server(prefix = "/api", endpoint = "password_strength")]
pub async fn password_strength(password: String, token: String) -> Result<u8, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (email, full_name) = if token.is_empty() {
                match context::session_account(&state).await? {
                    Some(account) => (account.email, account.full_name),
                    None => (String::new(), String::new()),
                }
            } else {
                let target = state
                    .db
                    .link_target(&context::token_hash(&token)?)
                    .await?
                    .ok_or(AppError::LinkInvalid)?;
                let full_name = full_name_of(&state, &target.email).await?;
                (target.email, full_name)
            };
            let min_chars = state.config.password_min_chars;
            let score = state
                .hasher
                .judge(move || {
                    let owner = policy::Owner {
                        email: &email,
                        full_name: &full_name,
                    };
                    policy::strength(&password, min_chars, &owner)
                })
                .await?;
            Ok(score)
        }
        .await,
    )
}

/// The configured shortest password, in characters, for the hint under a new-password field.
#[server(prefix = "/api", endpoint = "password_min_chars")]
pub async fn password_min_chars() -> Result<u32, AppError> {
    context::finish(
        async {
            let min = context::state()?.config.password_min_chars;
            Ok(u32::try_from(min).unwrap_or(u32::MAX))
        }
        .await,
    )
}

/// The full name of the account with this address (empty if none), for the password policy.
#[cfg(feature = "ssr")]
pub(crate) async fn full_name_of(
    state: &crate::server::AppState,
    email: &str,
) -> Result<String, AppError> {
    let email = Email::parse(email)?;
    Ok(state
        .db
        .account_by_email(&email)
        .await?
        .map(|account| account.full_name)
        .unwrap_or_default())
}
