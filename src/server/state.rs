//! What every request handler shares.

use super::{Config, auth::password::PasswordHasher, db::Db};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// The shared state behind one `Arc`: axum clones the state, and every route's service that
/// holds it, for each request. Cloned field by field (a dozen `Arc`s, counted up and down by
/// both cores) it was a third of the CPU of answering a cached login card.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What every handler reads through [`AppState`].
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: Db,
    pub hasher: PasswordHasher,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
