//! The login card inside an e-service's OpenID Connect login: which service the resident is
//! logging in to, named on the card.

use crate::model::AppError;
use leptos::prelude::*;

/// The name of the e-service whose authorization request `next` is (the card's `next`, set by
/// the provider), or `None` when `next` is not one from a registered client and redirect URI.
#[server(prefix = "/api", endpoint = "login_service")]
pub async fn login_service(next: String) -> Result<Option<String>, AppError> {
    super::context::finish(
        async {
            let state = super::context::state()?;
            let Some(query) = next
                .strip_prefix(crate::server::oidc::AUTHORIZE_PATH)
                .and_then(|rest| rest.strip_prefix('?'))
            else {
                return Ok(None);
            };
            let Ok(params) = crate::server::oidc::params::Params::parse(query) else {
                return Ok(None);
            };
            let Some(client_id) = params.get("client_id") else {
                return Ok(None);
            };
            let client = state.db.client(client_id).await?;
            Ok(client
                .filter(|c| {
                    params
                        .get("redirect_uri")
                        .is_some_and(|uri| c.redirect_uris.iter().any(|r| r == uri))
                })
                .map(|c| c.name))
        }
        .await,
    )
}
