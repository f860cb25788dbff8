//! "Omat tiedot": the e-services the resident has logged in to through this login (OpenID
//! Connect), and revoking one. Every function acts on the session's own account only.

use crate::model::{AppError, ServiceView};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context, super::settings::back_to_settings, crate::server::db::AuditKind,
    crate::server::oidc::backchannel,
};

/// The services this account has used, the latest first.
#[server(prefix = "/api", endpoint = "my_services")]
pub async fn my_services() -> Result<Vec<ServiceView>, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (account, _) = context::require_login(&state).await?;
            let services = state.db.services_of(account.id).await?;
            Ok(services
                .into_iter()
                .map(|s| ServiceView {
                    client_id: s.client_id,
                    name: s.name,
                    first_used_at: s.first_used_at,
                    last_used_at: s.last_used_at,
                    active: s.active,
                })
                .collect())
        }
        .await,
    )
}

/// Ends every grant of this account to `client` (its refresh tokens stop working) and forgets
/// the consent given to it; a client with a back-channel logout URI is told of each login
/// session of the resident's that it loses.
#[server(prefix = "/api", endpoint = "revoke_service")]
pub async fn revoke_service(client: String, lang: String) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (account, _) = context::require_login(&state).await?;
            if client.is_empty() || client.len() > 64 {
                return Err(AppError::BadRequest);
            }
            // Revoking what is already revoked (a second click, a reloaded form) ends nothing
            // and is not audited again.
            if let Some(ended) = state.db.revoke_service(account.id, &client).await? {
                let detail = Some(format!(
                    "client {client}: revoked by the resident in the settings"
                ));
                super::audit::record(&state, AuditKind::OidcRevoked, Some(account.id), detail)
                    .await?;
                state.db.queue_logout_notices(&ended).await?;
                let issuer = state.config.public_url.clone();
                tokio::spawn(backchannel::deliver_due(state.db.clone(), issuer));
            }
            back_to_settings(context::lang(&lang), "services");
            Ok(())
        }
        .await,
    )
}
