//! The back-channel logout notices owed to clients, until delivered (see `oidc::backchannel`).

use super::{Db, EndedGrant, now};
use crate::server::ServerError;

/// A notice claimed for one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LogoutNotice {
    pub id: i64,
    pub client_id: String,
    pub account_id: i64,
    pub sid: String,
    /// Tries so far, this one included.
    pub attempts: i64,
}

/// The first retry's wait, in seconds; each further one waits twice as long.
const FIRST_RETRY_SECS: i64 = 10;

impl Db {
    /// Queues a notice for each ended grant whose client has a back-channel logout URI, once
    /// per client and session. Returns how many were queued.
    pub async fn queue_logout_notices(&self, ended: &[EndedGrant]) -> Result<u64, ServerError> {
        let now = now();
        let mut queued = 0;
        for grant in ended {
            queued += sqlx::query(
                "INSERT INTO oidc_logout_notices (client_id, account_id, sid, created_at,
                     next_attempt_at)
                 SELECT client_id, $2, $3, $4, $4 FROM oidc_clients
                 WHERE client_id = $1 AND backchannel_logout_uri IS NOT NULL
                 ON CONFLICT DO NOTHING",
            )
            .bind(&grant.client_id)
            .bind(grant.account_id)
            .bind(&grant.sid)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(queued)
    }

    /// Claims up to `limit` notices due now for one attempt each: their next attempt moves to
    /// after the backoff, which is also this attempt's lease (an instance that stops mid-way
    /// leaves the notice to be tried again then, by any instance).
    pub async fn claim_logout_notices(&self, limit: i64) -> Result<Vec<LogoutNotice>, ServerError> {
        let now = now();
        let sql = format!(
            "UPDATE oidc_logout_notices
             SET attempts = attempts + 1,
                 next_attempt_at = $1 + $3 * (CAST(1 AS BIGINT)
                     << CAST(CASE WHEN attempts < 16 THEN attempts ELSE 16 END AS INTEGER))
             WHERE id IN (SELECT id FROM oidc_logout_notices WHERE next_attempt_at <= $1
                          ORDER BY next_attempt_at LIMIT $2{})
             RETURNING id, client_id, account_id, sid, attempts",
            self.skip_locked()
        );
        Ok(sqlx::query_as(&sql)
            .bind(now)
            .bind(limit)
            .bind(FIRST_RETRY_SECS)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Removes a notice: delivered, or given up.
    pub async fn drop_logout_notice(&self, id: i64) -> Result<(), ServerError> {
        sqlx::query("DELETE FROM oidc_logout_notices WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::OidcClient;

    #[tokio::test]
    async fn a_notice_is_queued_once_claimed_by_one_and_retried_after_its_backoff() {
        let (_dir, db) = Db::temporary().await;
        for (id, uri) in [
            ("permits", Some("https://luvat.example/bc")),
            ("quiet", None),
        ] {
            let client = OidcClient {
                backchannel_logout_uri: uri.map(str::to_owned),
                ..OidcClient::for_tests(id)
            };
            assert!(db.add_client(&client).await.unwrap());
        }
        let ended = |client: &str| EndedGrant {
            client_id: client.into(),
            account_id: 7,
            sid: "sid-1".into(),
        };
        let grants = [ended("permits"), ended("permits"), ended("quiet")];
        assert_eq!(db.queue_logout_notices(&grants).await.unwrap(), 1);

        let (first, second) =
            tokio::join!(db.claim_logout_notices(10), db.claim_logout_notices(10));
        let mut claimed = first.unwrap();
        claimed.extend(second.unwrap());
        assert_eq!(claimed.len(), 1, "one instance claims it");
        assert_eq!(
            (claimed[0].client_id.as_str(), claimed[0].attempts),
            ("permits", 1)
        );
        assert!(
            db.claim_logout_notices(10).await.unwrap().is_empty(),
            "not due again yet"
        );
        let due: i64 = sqlx::query_scalar("SELECT next_attempt_at - $1 FROM oidc_logout_notices")
            .bind(now())
            .fetch_one(&db.pool)
            .await
            .unwrap();
        // Due again in the future, no later than the first retry's delay (however long the
        // machine took between the claim and this read).
        assert!((1..=FIRST_RETRY_SECS).contains(&due), "{due}");

        sqlx::query("UPDATE oidc_logout_notices SET next_attempt_at = 0")
            .execute(&db.pool)
            .await
            .unwrap();
        let again = db.claim_logout_notices(10).await.unwrap();
        assert_eq!(again[0].attempts, 2);
        db.drop_logout_notice(again[0].id).await.unwrap();
        sqlx::query("UPDATE oidc_logout_notices SET next_attempt_at = 0")
            .execute(&db.pool)
            .await
            .unwrap();
        assert!(db.claim_logout_notices(10).await.unwrap().is_empty());
    }
}
