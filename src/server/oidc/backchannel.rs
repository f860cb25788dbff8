//! The end of a login session, as clients learn it (OpenID Connect Back-Channel Logout 1.0).
//!
//! When a session ends, the grants it gave end too (except `offline_access` ones), and each
//! client that had one and registered a back-channel logout URI gets a signed logout token,
//! server to server, naming the session (`sid`) and the resident (`sub`, pairwise where the
//! client is). Sending is best effort and never holds up the resident: one attempt per client,
//! five seconds at most, no redirects followed; a failure is logged by client id alone.
//!
//! An RP-initiated logout ends its session's grants at once ([`end_grants`]); every other end
//! of a session (KIRJAUDU ULOS, a password change or reset, `support end-sessions`, expiry) is
//! found within seconds by [`spawn_sweep`], which compares the grants with the sessions table,
//! so the code that ends sessions need not know about clients.

use super::claims::{sid_of, subject};
use super::keys;
use crate::server::ServerError;
use crate::server::auth::token::new_token;
use crate::server::db::{Db, EndedGrant, now};
use serde_json::json;
use std::sync::OnceLock;
use std::time::Duration;

/// How long a logout token is valid, in seconds: it is sent at once.
const LOGOUT_TOKEN_TTL_SECS: i64 = 120;
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token and where it goes.
#[derive(Debug, Clone)]
pub struct Notice {
    pub client_id: String,
    pub uri: String,
    pub logout_token: String,
}

/// How often the provider looks for login sessions that ended elsewhere (logout, a password
/// change, support, expiry): the longest a client waits for its logout token.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Ends the grants of the session whose cookie hashes to `session_hash` and makes the logout
/// tokens owed (send them with [`send_all`]). For a logout through this module; any other end
/// of a session is found by [`spawn_sweep`].
pub async fn end_grants(
    db: &Db,
    issuer: &str,
    session_hash: &[u8],
) -> Result<Vec<Notice>, ServerError> {
    let ended = db.end_grants_of_session(&sid_of(session_hash)).await?;
    notices(db, issuer, ended).await
}

/// Every few seconds: the grants whose login session is gone end, and their clients are told.
/// This catches every way a session ends without the code that ends it knowing about clients.
pub fn spawn_sweep(db: Db, issuer: String) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            match db.end_grants_of_gone_sessions().await {
                Ok(ended) if ended.is_empty() => {}
                Ok(ended) => match notices(&db, &issuer, ended).await {
                    Ok(notices) => send_all(notices).await,
                    Err(error) => tracing::error!(%error, "back-channel logout tokens"),
                },
                Err(error) => tracing::error!(%error, "ending grants of ended sessions"),
            }
        }
    });
}

/// A logout token for each client (once per client and session) with a back-channel URI.
async fn notices(
    db: &Db,
    issuer: &str,
    ended: Vec<EndedGrant>,
) -> Result<Vec<Notice>, ServerError> {
    let mut seen = std::collections::HashSet::new();
    let mut notices = Vec::new();
    for grant in ended {
        if !seen.insert((grant.client_id.clone(), grant.sid.clone())) {
            continue;
        }
        let Some(client) = db.client(&grant.client_id).await? else {
            continue;
        };
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        let now = now();
        let claims = json!({
            "iss": issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_TTL_SECS,
            "jti": new_token().0,
            "sub": subject(db, grant.account_id, &client).await?,
            "sid": grant.sid,
            "events": { EVENT: {} },
        });
        let logout_token = keys::sign(db, "logout+jwt", &claims).await?;
        notices.push(Notice {
            client_id: grant.client_id,
            uri,
            logout_token,
        });
    }
    Ok(notices)
}

fn http() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(SEND_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .ok()
        })
        .as_ref()
}

/// Posts each logout token to its client, all at once.
pub async fn send_all(notices: Vec<Notice>) {
    let Some(http) = http() else {
        tracing::error!("no HTTP client for back-channel logout");
        return;
    };
    let mut sending = tokio::task::JoinSet::new();
    for notice in notices {
        sending.spawn(send(http, notice));
    }
    while sending.join_next().await.is_some() {}
}

async fn send(http: &'static reqwest::Client, notice: Notice) {
    let form = [("logout_token", notice.logout_token.as_str())];
    match http.post(&notice.uri).form(&form).send().await {
        Ok(response) if response.status().is_success() => {
            tracing::info!(client = notice.client_id, "back-channel logout sent");
        }
        Ok(response) => {
            let status = response.status().as_u16();
            tracing::warn!(
                client = notice.client_id,
                status,
                "back-channel logout refused"
            );
        }
        Err(_) => tracing::warn!(client = notice.client_id, "back-channel logout failed"),
    }
}
