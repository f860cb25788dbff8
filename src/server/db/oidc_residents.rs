//! What the OpenID Connect provider knows of residents besides their grants: their subjects
//! (`sub`), the consents they gave clients, the account and login time behind a session, and
//! the services an account has used, for "Omat tiedot".

use super::{Account, Db, EndedGrant, Flag, now};
use crate::server::ServerError;

/// An e-service an account has logged in to, for "Omat tiedot".
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UsedService {
    pub client_id: String,
    pub name: String,
    pub first_used_at: i64,
    pub last_used_at: i64,
    /// A grant of it has not ended: the service can still refresh its tokens.
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

impl Db {
    /// The account's subject for `sector` ('' or a pairwise client's id), made from
    /// `candidate` the first time.
    pub async fn subject(
        &self,
        account_id: i64,
        sector: &str,
        candidate: &str,
    ) -> Result<String, ServerError> {
        sqlx::query(
            "INSERT INTO oidc_subjects (account_id, sector, subject) VALUES ($1, $2, $3)
             ON CONFLICT (account_id, sector) DO NOTHING",
        )
        .bind(account_id)
        .bind(sector)
        .bind(candidate)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_scalar(
            "SELECT subject FROM oidc_subjects WHERE account_id = $1 AND sector = $2",
        )
        .bind(account_id)
        .bind(sector)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The account behind a grant, if it still has an address.
    pub async fn account_by_id(&self, account_id: i64) -> Result<Option<Account>, ServerError> {
        Ok(sqlx::query_as(
            "SELECT id, email, full_name, password_hash, language FROM accounts
             WHERE id = $1 AND email IS NOT NULL",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// When the live session with this id hash began (its login), if there is one.
    pub async fn session_started_at(&self, id_hash: &[u8]) -> Result<Option<i64>, ServerError> {
        Ok(
            sqlx::query_scalar("SELECT created_at FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The scopes (space-separated) the resident agreed to give the client.
    pub async fn consented_scope(
        &self,
        account_id: i64,
        client_id: &str,
    ) -> Result<Option<String>, ServerError> {
        Ok(sqlx::query_scalar(
            "SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2",
        )
        .bind(account_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records that the resident agreed to give the client `scope` (added to what they agreed
    /// to before).
    pub async fn record_consent(
        &self,
        account_id: i64,
        client_id: &str,
        scope: &str,
    ) -> Result<(), ServerError> {
        let before = self.consented_scope(account_id, client_id).await?;
        let mut scopes: Vec<&str> = before.as_deref().unwrap_or("").split(' ').collect();
        scopes.extend(scope.split(' '));
        scopes.retain(|s| !s.is_empty());
        scopes.sort_unstable();
        scopes.dedup();
        sqlx::query(
            "INSERT INTO oidc_consents (account_id, client_id, scope, granted_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, client_id)
             DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(account_id)
        .bind(client_id)
        .bind(scopes.join(" "))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The e-services `account_id` has logged in to (a code exchanged), the latest first.
    pub async fn services_of(&self, account_id: i64) -> Result<Vec<UsedService>, ServerError> {
        Ok(sqlx::query_as(
            "SELECT g.client_id, c.name, MIN(g.created_at) AS first_used_at,
                 MAX(g.created_at) AS last_used_at, MAX(CASE WHEN g.revoked_at IS NULL THEN 1 ELSE 0 END) AS active
             FROM oidc_grants g JOIN oidc_clients c ON c.client_id = g.client_id
             WHERE g.account_id = $1
             GROUP BY g.client_id, c.name ORDER BY last_used_at DESC, g.client_id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The resident's "revoke" of an e-service: every grant of theirs to it ends (its refresh
    /// and access tokens with it) and its consent is forgotten, so a service that asked for one
    /// asks again. Returns `None` when there was nothing to end (no grant in force, no
    /// consent), so a repeated revoke is not audited again; otherwise the grants that ended
    /// while their login session was still on, whose client is owed a back-channel logout.
    pub async fn revoke_service(
        &self,
        account_id: i64,
        client_id: &str,
    ) -> Result<Option<Vec<EndedGrant>>, ServerError> {
        let mut tx = self.pool.begin().await?;
        let ended: Vec<(String, i64, String, Flag)> = sqlx::query_as(
            "UPDATE oidc_grants SET revoked_at = $3
             WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL
             RETURNING client_id, account_id, sid, session_ended_at IS NULL",
        )
        .bind(account_id)
        .bind(client_id)
        .bind(now())
        .fetch_all(&mut *tx)
        .await?;
        let forgotten =
            sqlx::query("DELETE FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
                .bind(account_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        if ended.is_empty() && forgotten == 0 {
            return Ok(None);
        }
        Ok(Some(
            ended
                .into_iter()
                .filter(|(_, _, _, session_on)| session_on.0)
                .map(|(client_id, account_id, sid, _)| EndedGrant {
                    client_id,
                    account_id,
                    sid,
                })
                .collect(),
        ))
    }
}
