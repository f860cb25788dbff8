//! The periodic jobs: hourly purges of what has expired. Every instance runs the timer, and
//! each hour one of them does the work ([`Db::claim_job`]); running a purge twice would be
//! harmless too, but would record the audit retention purge twice.

use super::Config;
use super::db::Db;
use std::time::Duration;

/// How often the purges run, across the deployment.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// How often an instance asks whether a run is due: a run is at most this late when the
/// instance that ran the last one has stopped.
const ASK_EVERY: Duration = Duration::from_secs(60);
/// Spent tokens are kept this long for support questions, in seconds (a week).
const KEEP_SPENT_TOKENS_SECS: i64 = 7 * 86_400;

/// Starts the timer of the purges: expired sessions, old spent tokens, registrations never
/// verified in time, attempt counts that decide nothing any more, old OpenID Connect codes,
/// tokens and dead grants, and audit events past their retention.
pub fn spawn_purge(db: Db, config: &Config) {
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let unverified_secs = secs(config.unverified_account_ttl);
    let audit_retention_secs = secs(config.audit_retention);
    let period_secs = secs(PURGE_EVERY);
    let idle = config.idle_limits();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(ASK_EVERY);
        loop {
            every.tick().await;
            match db.claim_job("purge", period_secs).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::error!(%error, "could not tell whether the purge is due");
                    continue;
                }
            }
            match db.purge_expired(KEEP_SPENT_TOKENS_SECS, idle).await {
                Ok(removed) => tracing::debug!(removed, "purged expired sessions and tokens"),
                Err(error) => tracing::error!(%error, "purge failed"),
            }
            if let Err(error) = db
                .purge_oidc(super::db::now() - KEEP_SPENT_TOKENS_SECS)
                .await
            {
                tracing::error!(%error, "purge of old OpenID Connect codes and grants failed");
            }
            if let Err(error) = db.purge_attempts(super::auth::limits::KEEP_SECS).await {
                tracing::error!(%error, "purge of old attempt counts failed");
            }
            match db.purge_unverified(unverified_secs).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed registrations never verified"),
                Err(error) => tracing::error!(%error, "purge of unverified registrations failed"),
            }
            match db.purge_audit(audit_retention_secs).await {
                Ok(removed) => tracing::info!(removed, "audit retention purge ran"),
                Err(error) => tracing::error!(%error, "audit retention purge failed"),
            }
        }
    });
}
