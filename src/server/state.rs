//! What every request handler shares.

use super::{Config, auth::password::PasswordHasher, db::Db};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: Db,
    pub hasher: PasswordHasher,
    /// Wakes the mail sender when a mail is queued, so it goes out at once instead of at the
    /// next poll.
    pub mail_queued: Arc<Notify>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
