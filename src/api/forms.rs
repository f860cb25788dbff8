//! What a refused form had in it, for showing it again with JavaScript off.

#[cfg(feature = "ssr")]
use super::context;
use crate::model::AppError;
use leptos::prelude::*;

/// The fields this browser typed into its last refused form (never a password).
#[server(prefix = "/api", endpoint = "typed_values")]
pub async fn typed_values() -> Result<Vec<(String, String)>, AppError> {
    context::finish(context::typed())
}
