//! The end of a login session, as clients learn it (OpenID Connect Back-Channel Logout 1.0).
//!
//! When a session ends, the grants it gave end too (except `offline_access` ones), and each
//! client that had one and registered a back-channel logout URI is owed a signed logout token,
//! server to server, naming the session (`sid`) and the resident (`sub`, pairwise where the
//! client is). What is owed is queued in the database (`oidc_logout_notices`) and delivered by
//! whichever instance claims it first, so a client that is down for a moment, or an instance
//! that stops mid-way, loses no logout:
//!
//! ```text
//!  grant ends ──▶ queued ──claim (lease = backoff)──▶ POST logout_token (5 s, no redirects)
//!                   ▲                                   │ 2xx ──▶ removed
//!                   └──── due again after 10 s, 20 s, … ┘ else; after the 8th try ──▶ removed, logged
//! ```
//!
//! Delivery never holds up the resident, and a failure is logged by client id alone. An
//! RP-initiated logout or a revocation in the settings queues at once and starts a delivery
//! ([`deliver_due`]); every other end of a session (KIRJAUDU ULOS, a password change or reset,
//! `support end-sessions`, expiry) is found within seconds by [`spawn_sweep`], which compares
//! the grants with the sessions table, so the code that ends sessions need not know about
//! clients.

use super::claims::{sid_of, subject};
use super::keys;
use crate::server::ServerError;
use crate::server::auth::token::new_token;
use crate::server::db::{Db, LogoutNotice, now};
use serde_json::json;
use std::sync::OnceLock;
use std::time::Duration;

/// How long a logout token is valid, in seconds: it is signed at each attempt.
const LOGOUT_TOKEN_TTL_SECS: i64 = 120;
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Tries before a notice is given up: with the doubling waits, about 21 minutes in all.
const MAX_ATTEMPTS: i64 = 8;
/// Notices claimed at once by one instance.
const CLAIM_BATCH: i64 = 32;

/// How often the provider looks for login sessions that ended elsewhere (logout, a password
/// change, support, expiry) and for notices due again: the longest a client waits for its
/// logout token.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Ends the grants of the session whose cookie hashes to `session_hash` and queues the logout
/// tokens owed (deliver them with [`deliver_due`]). For a logout through this module; any other
/// end of a session is found by [`spawn_sweep`].
pub async fn end_grants(db: &Db, session_hash: &[u8]) -> Result<(), ServerError> {
    let ended = db.end_grants_of_session(&sid_of(session_hash)).await?;
    db.queue_logout_notices(&ended).await?;
    Ok(())
}

/// Every few seconds: the grants whose login session is gone end, their clients' notices are
/// queued, and every notice due is delivered.
pub fn spawn_sweep(db: Db, issuer: String) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            let queued = match db.end_grants_of_gone_sessions().await {
                Ok(ended) => db.queue_logout_notices(&ended).await.map(drop),
                Err(error) => Err(error),
            };
            if let Err(error) = queued {
                tracing::error!(%error, "ending grants of ended sessions");
            }
            deliver_due(db.clone(), issuer.clone()).await;
        }
    });
}

/// Delivers every notice due now (claimed by this instance), each in its own task.
pub async fn deliver_due(db: Db, issuer: String) {
    let Some(http) = http() else {
        tracing::error!("no HTTP client for back-channel logout");
        return;
    };
    loop {
        let claimed = match db.claim_logout_notices(CLAIM_BATCH).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(%error, "claiming back-channel logout notices");
                return;
            }
        };
        if claimed.is_empty() {
            return;
        }
        let mut sending = tokio::task::JoinSet::new();
        for notice in claimed {
            let (db, issuer) = (db.clone(), issuer.clone());
            sending.spawn(async move { deliver(&db, http, &issuer, notice).await });
        }
        while let Some(done) = sending.join_next().await {
            if let Ok(Err(error)) = done {
                tracing::error!(%error, "back-channel logout");
            }
        }
    }
}

/// One attempt at one notice: removed when the client took it, when it cannot be sent any
/// more (client gone, URI removed) or after the last try; otherwise left for its retry.
async fn deliver(
    db: &Db,
    http: &'static reqwest::Client,
    issuer: &str,
    notice: LogoutNotice,
) -> Result<(), ServerError> {
    let client = db.client(&notice.client_id).await?;
    let Some((client, uri)) = client.and_then(|c| {
        let uri = c.backchannel_logout_uri.clone()?;
        Some((c, uri))
    }) else {
        return db.drop_logout_notice(notice.id).await;
    };
    let now = now();
    let claims = json!({
        "iss": issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_TTL_SECS,
        "jti": new_token().0,
        "sub": subject(db, notice.account_id, &client).await?,
        "sid": notice.sid,
        "events": { EVENT: {} },
    });
    let logout_token = keys::sign(db, "logout+jwt", &claims).await?;
    let form = [("logout_token", logout_token.as_str())];
    let client_id = notice.client_id.as_str();
    let status = match http.post(&uri).form(&form).send().await {
        Ok(response) if response.status().is_success() => {
            tracing::info!(client = client_id, "back-channel logout sent");
            return db.drop_logout_notice(notice.id).await;
        }
        Ok(response) => Some(response.status().as_u16()),
        Err(_) => None,
    };
    let attempt = notice.attempts;
    if attempt >= MAX_ATTEMPTS {
        tracing::warn!(
            client = client_id,
            status,
            attempt,
            "back-channel logout given up"
        );
        return db.drop_logout_notice(notice.id).await;
    }
    tracing::warn!(
        client = client_id,
        status,
        attempt,
        "back-channel logout failed; retried later"
    );
    Ok(())
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
