//! What the hourly purge removes of OpenID Connect: codes and tokens long expired, and the
//! grants nothing needs any more. Every login to an e-service makes a grant, so a resident who
//! uses the library daily makes hundreds a year; kept forever they would grow without bound.
//!
//! ```text
//! grant ──session ends──▶ ended ──revoked, or its last refresh token expired──▶ dead
//!   │                                                                            │
//!   └── kept while the session is on: a back-channel logout is owed at its end   ▼
//!                                        purged once dead before `before`, unless it is the
//!                                        first or the latest of its resident and e-service
//! ```
//!
//! The first and the latest grant of each resident and e-service stay: the settings page shows
//! when the resident first and last logged in to each service (`Db::services_of`).

use super::Db;
use crate::server::ServerError;

/// Grants that ended (their session over, and revoked or without a refresh token still in
/// force) before `$1`, but for the first and the latest of their resident and e-service.
const DEAD_GRANTS: &str = "DELETE FROM oidc_grants WHERE session_ended_at < $1
     AND (revoked_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM oidc_refresh_tokens r
         WHERE r.grant_id = oidc_grants.id AND r.expires_at >= $1))
     AND created_at > (SELECT MIN(o.created_at) FROM oidc_grants o
         WHERE o.account_id = oidc_grants.account_id AND o.client_id = oidc_grants.client_id)
     AND created_at < (SELECT MAX(o.created_at) FROM oidc_grants o
         WHERE o.account_id = oidc_grants.account_id AND o.client_id = oidc_grants.client_id)";

impl Db {
    /// Removes codes, access and refresh tokens that expired before `before`, and the grants
    /// dead since then (see the module's diagram); their tokens and codes go with them.
    /// Codes are kept a while after they expire so that a replayed code is still recognized as
    /// a reuse. Returns the rows removed.
    pub async fn purge_oidc(&self, before: i64) -> Result<u64, ServerError> {
        let mut removed = 0;
        for statement in [
            "DELETE FROM oidc_codes WHERE expires_at < $1",
            "DELETE FROM oidc_access_tokens WHERE expires_at < $1",
            "DELETE FROM oidc_refresh_tokens WHERE expires_at < $1",
            DEAD_GRANTS,
        ] {
            let done = sqlx::query(statement)
                .bind(before)
                .execute(&self.pool)
                .await?;
            removed += done.rows_affected();
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Email;
    use crate::server::db::oidc_grants::grant_for_tests as grant;
    use crate::server::db::{OidcClient, now};

    /// Sets a grant's times: created, session ended, revoked.
    async fn set(db: &Db, grant: i64, created: i64, ended: Option<i64>, revoked: Option<i64>) {
        sqlx::query(
            "UPDATE oidc_grants SET created_at = $2, session_ended_at = $3, revoked_at = $4
             WHERE id = $1",
        )
        .bind(grant)
        .bind(created)
        .bind(ended)
        .bind(revoked)
        .execute(&db.pool)
        .await
        .unwrap();
    }

    async fn grants(db: &Db) -> Vec<i64> {
        sqlx::query_scalar("SELECT id FROM oidc_grants ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn dead_grants_go_but_the_first_and_latest_of_each_service_and_the_live_stay() {
        let (_dir, db) = Db::temporary().await;
        let email = Email::parse("kirjasto@example.com").unwrap();
        db.import_legacy_account("kirjasto", &email, "Kirsi Kirjasto")
            .await
            .unwrap();
        let account = db.account_by_email(&email).await.unwrap().unwrap().id;
        assert!(db.add_client(&OidcClient::for_tests("rp")).await.unwrap());
        let (long_ago, far) = (now() - 30 * 86_400, now() + 30 * 86_400);
        let first = grant(&db, account, 1, None).await;
        let dead = grant(&db, account, 2, None).await;
        let dead_expired_refresh = grant(&db, account, 3, Some(long_ago)).await;
        let live_refresh = grant(&db, account, 4, Some(far)).await;
        let session_on = grant(&db, account, 5, None).await;
        let latest = grant(&db, account, 6, None).await;
        set(&db, first, 1_000, Some(1_100), Some(1_100)).await;
        set(&db, dead, 2_000, Some(2_100), Some(2_100)).await;
        // Session over, never revoked, its refresh token expired: dead too.
        set(&db, dead_expired_refresh, 3_000, Some(3_100), None).await;
        set(&db, live_refresh, 4_000, Some(4_100), None).await;
        set(&db, session_on, 5_000, None, Some(5_100)).await;
        set(&db, latest, 6_000, Some(6_100), Some(6_100)).await;
        let services = db.services_of(account).await.unwrap();

        let removed = db.purge_oidc(now() - 7 * 86_400).await.unwrap();

        assert_eq!(grants(&db).await, [first, live_refresh, session_on, latest]);
        // The expired refresh token, then the two dead grants (their access tokens and codes
        // go with them, uncounted).
        assert_eq!(removed, 1 + 2);
        let orphans: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM oidc_access_tokens t
             WHERE NOT EXISTS (SELECT 1 FROM oidc_grants g WHERE g.id = t.grant_id)",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(orphans, 0);
        assert_eq!(db.services_of(account).await.unwrap(), services);
        // A second purge finds nothing more.
        assert_eq!(db.purge_oidc(now() - 7 * 86_400).await.unwrap(), 0);
    }
}
