//! "Luo uusi käyttäjätunnus": a new resident registers with a name and an address. The page
//! always gives the same answer; what happens next is told by mail to the address alone, so
//! nobody learns from the page whether an address has an account.

use crate::model::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context,
    crate::model::{Email, check_full_name},
    crate::server::auth::limits,
    crate::server::db::{LinkPurpose, MailKind, NewMail, Registration},
    tokio::time::Instant,
};

/// Creates the account (no password yet) and mails it the link that verifies the address and
/// sets the password. An address that already has an account gets, instead, a mail telling its
/// owner about the attempt, with links to log in or recover the password. Both within the
/// address's mail limit, which the page never shows; every answer takes as long.
#[server(prefix = "/api", endpoint = "register")]
pub async fn register(
    full_name: String,
    email: String,
    lang: String,
    next: Option<String>,
) -> Result<(), AppError> {
    context::finish(
        async {
            let started = Instant::now();
            let state = context::state()?;
            let lang = context::lang(&lang);
            let checked =
                check_full_name(&full_name).and_then(|name| Ok((name, Email::parse(&email)?)));
            let checked = context::count_lookup(&state, checked).await;
            let typed = [("full_name", full_name.as_str()), ("email", email.as_str())];
            let (full_name, email) = context::keep_typed(checked, &typed)?;
            match state.db.register_account(&email, &full_name).await? {
                Registration::Created(account_id) => {
                    if limits::reserve_quietly(&state.db, &email, MailKind::SetPasswordLink).await?
                    {
                        super::audit::send_link(
                            &state,
                            LinkPurpose::SetPassword,
                            account_id,
                            &email,
                            lang,
                            next.as_deref(),
                        )
                        .await?;
                    }
                    tracing::info!(account_id, "registered");
                }
                Registration::Exists(account) => {
                    if limits::reserve_quietly(&state.db, &email, MailKind::AccountExists).await? {
                        let mail = NewMail {
                            kind: MailKind::AccountExists,
                            recipient: email.clone(),
                            account_id: Some(account.id),
                            lang: account.mail_language(lang),
                            next: None,
                        };
                        state.db.queue(&[mail]).await?;
                    }
                    tracing::info!(
                        account_id = account.id,
                        "registration attempt for an existing address"
                    );
                }
            }
            limits::pad_since(started).await;
            let next = crate::model::next_query(next.as_deref());
            leptos_axum::redirect(&format!("/{}/register/sent{next}", lang.code()));
            Ok(())
        }
        .await,
    )
}
