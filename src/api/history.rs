//! The logged-in resident's transaction history.

use crate::model::{AppError, HistoryPage};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context,
    crate::model::{HISTORY_PER_PAGE, TransactionView, clamp_page, page_count},
};

/// One page (1-based) of the logged-in resident's own transactions, newest first. A page past
/// the last gives the last page. The history belongs to the session's account, whatever its
/// e-mail address is now.
#[server(prefix = "/api", endpoint = "history")]
pub async fn history(page: u32) -> Result<HistoryPage, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let account = context::session_account(&state)
                .await?
                .ok_or(AppError::NotLoggedIn)?;
            let (rows, total) = state
                .db
                .history_page(account.id, page, HISTORY_PER_PAGE)
                .await?;
            let pages = page_count(total, HISTORY_PER_PAGE);
            Ok(HistoryPage {
                items: rows
                    .into_iter()
                    .map(|row| TransactionView {
                        occurred_on: row.occurred_on,
                        service: row.service,
                        reference: row.reference,
                        status: row.status,
                        description: row.description,
                    })
                    .collect(),
                page: clamp_page(page, pages),
                pages,
                total,
            })
        }
        .await,
    )
}
