//! What logins through OpenID Connect clients leave behind: authorization codes, grants (one
//! per exchanged code: the family of its tokens), access and refresh tokens, consents and
//! subjects. Codes and tokens are looked up by their SHA-256; using one marks it in the same
//! statement that finds it, so two requests racing with one code cannot both win.

use super::{Db, now};
use crate::server::ServerError;

/// A code to store, with what its exchange must match and what the tokens will say.
#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    pub code_hash: &'a [u8],
    pub client_id: &'a str,
    pub account_id: i64,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub code_challenge: &'a str,
    pub sid: &'a str,
    /// The login session's stored id hash, to notice when it ends.
    pub session_hash: &'a [u8],
    pub auth_time: i64,
    pub expires_at: i64,
}

/// A code as found at its exchange.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub client_id: String,
    pub account_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub sid: String,
    pub session_hash: Vec<u8>,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// What presenting a code or refresh token found.
#[derive(Debug, Clone)]
pub enum Taken<T> {
    /// Unused until now, and now marked used.
    Fresh(T),
    /// Used before: what was issued from it is revoked now. The account whose grant this
    /// revoked, when it was live until now (for the audit trail).
    Reused(Option<i64>),
    Unknown,
}

/// A grant: what one login gave one client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub client_id: String,
    pub account_id: i64,
    pub scope: String,
    pub sid: String,
    pub auth_time: i64,
    pub revoked_at: Option<i64>,
}

/// New tokens for a grant: hashes and expiry times.
#[derive(Debug, Clone, Copy)]
pub struct NewTokens<'a> {
    pub access_hash: &'a [u8],
    pub access_expires_at: i64,
    /// With the `offline_access` scope.
    pub refresh: Option<(&'a [u8], i64)>,
}

/// A grant whose login session ended: to whom a back-channel logout is owed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EndedGrant {
    pub client_id: String,
    pub account_id: i64,
    pub sid: String,
}

/// The session of a grant ended at `$1`; the grant ends too unless it has `offline_access`.
const END_GRANTS: &str = "UPDATE oidc_grants SET session_ended_at = $1,
     revoked_at = CASE WHEN revoked_at IS NULL AND ' ' || scope || ' ' NOT LIKE '% offline_access %'
         THEN $1 ELSE revoked_at END";
const ENDED: &str = "RETURNING client_id, account_id, sid";

const GRANT_COLUMNS: &str =
    "g.id, g.client_id, g.account_id, g.scope, g.sid, g.auth_time, g.revoked_at";

impl Db {
    pub async fn insert_code(&self, code: &NewCode<'_>) -> Result<(), ServerError> {
        sqlx::query(
            "INSERT INTO oidc_codes (code_hash, client_id, account_id, redirect_uri, scope, nonce,
                 code_challenge, sid, session_hash, auth_time, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(code.code_hash)
        .bind(code.client_id)
        .bind(code.account_id)
        .bind(code.redirect_uri)
        .bind(code.scope)
        .bind(code.nonce)
        .bind(code.code_challenge)
        .bind(code.sid)
        .bind(code.session_hash)
        .bind(code.auth_time)
        .bind(now())
        .bind(code.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks a code used and returns it; a code used before revokes the grant it gave.
    pub async fn take_code(&self, code_hash: &[u8]) -> Result<Taken<CodeRow>, ServerError> {
        let fresh: Option<CodeRow> = sqlx::query_as(
            "UPDATE oidc_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL
             RETURNING client_id, account_id, redirect_uri, scope, nonce, code_challenge, sid,
                 session_hash, auth_time, expires_at",
        )
        .bind(code_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        if let Some(code) = fresh {
            return Ok(Taken::Fresh(code));
        }
        let used = sqlx::query_scalar::<_, Option<i64>>(
            "SELECT grant_id FROM oidc_codes WHERE code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?;
        match used {
            None => Ok(Taken::Unknown),
            Some(None) => Ok(Taken::Reused(None)),
            Some(Some(grant)) => Ok(Taken::Reused(self.revoke_grant(grant).await?)),
        }
    }

    /// Starts the grant of an exchanged code and issues its first tokens, in one transaction.
    pub async fn start_grant(
        &self,
        code_hash: &[u8],
        code: &CodeRow,
        tokens: NewTokens<'_>,
    ) -> Result<i64, ServerError> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let grant: i64 = sqlx::query_scalar(
            "INSERT INTO oidc_grants (client_id, account_id, scope, sid, session_hash, auth_time,
                 created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&code.client_id)
        .bind(code.account_id)
        .bind(&code.scope)
        .bind(&code.sid)
        .bind(&code.session_hash)
        .bind(code.auth_time)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE oidc_codes SET grant_id = $2 WHERE code_hash = $1")
            .bind(code_hash)
            .bind(grant)
            .execute(&mut *tx)
            .await?;
        insert_tokens(&mut tx, grant, tokens, now).await?;
        tx.commit().await?;
        Ok(grant)
    }

    /// Marks a refresh token used and returns its grant; a token used before revokes its grant
    /// (the family), and so does presenting one of a revoked or expired grant.
    pub async fn take_refresh_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Taken<GrantRow>, ServerError> {
        let now = now();
        let fresh: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE oidc_refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL
             RETURNING grant_id, expires_at",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((grant, expires_at)) = fresh {
            return match self.grant(grant).await? {
                Some(g) if g.revoked_at.is_none() && expires_at > now => Ok(Taken::Fresh(g)),
                _ => Ok(Taken::Unknown),
            };
        }
        let used: Option<i64> =
            sqlx::query_scalar("SELECT grant_id FROM oidc_refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        match used {
            None => Ok(Taken::Unknown),
            Some(grant) => Ok(Taken::Reused(self.revoke_grant(grant).await?)),
        }
    }

    /// Issues further tokens for a live grant (a refresh); `false` if it was revoked meanwhile.
    ///
    /// `BEGIN IMMEDIATE`: the transaction reads before it writes, and a deferred one would hold
    /// a read snapshot that another connection's commit makes stale; SQLite then refuses the
    /// upgrade to a write at once with SQLITE_BUSY ("database is locked"), without waiting for
    /// the busy timeout, and the client got a 500 for its refresh. Taking the write lock first
    /// makes a concurrent refresh wait its turn instead.
    pub async fn add_tokens(&self, grant: i64, tokens: NewTokens<'_>) -> Result<bool, ServerError> {
        let mut tx = self.begin_write().await?;
        let live: Option<i64> =
            sqlx::query_scalar("SELECT id FROM oidc_grants WHERE id = $1 AND revoked_at IS NULL")
                .bind(grant)
                .fetch_optional(&mut *tx)
                .await?;
        if live.is_none() {
            return Ok(false);
        }
        insert_tokens(&mut tx, grant, tokens, now()).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn grant(&self, id: i64) -> Result<Option<GrantRow>, ServerError> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM oidc_grants g WHERE g.id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Ends every token of a grant. Returns its account when it was live until now.
    pub async fn revoke_grant(&self, id: i64) -> Result<Option<i64>, ServerError> {
        Ok(sqlx::query_scalar(
            "UPDATE oidc_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
             RETURNING account_id",
        )
        .bind(id)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks the grants of login session `sid` as ended with it (its logout): they end too,
    /// but not those with `offline_access`, which outlive the session by design. Returns, once
    /// per grant, its client and account, for the back-channel logout.
    pub async fn end_grants_of_session(&self, sid: &str) -> Result<Vec<EndedGrant>, ServerError> {
        let sql = format!("{END_GRANTS} WHERE sid = $2 AND session_ended_at IS NULL {ENDED}");
        Ok(sqlx::query_as(&sql)
            .bind(now())
            .bind(sid)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Like [`Db::end_grants_of_session`] for every grant whose login session is gone, however
    /// it ended: logout, a password change, support, expiry.
    pub async fn end_grants_of_gone_sessions(&self) -> Result<Vec<EndedGrant>, ServerError> {
        let sql = format!(
            "{END_GRANTS} WHERE session_ended_at IS NULL AND NOT EXISTS
                 (SELECT 1 FROM sessions s WHERE s.id_hash = oidc_grants.session_hash
                  AND s.expires_at > $1) {ENDED}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(now())
            .fetch_all(&self.pool)
            .await?)
    }

    /// The live grant of an unexpired access token.
    pub async fn access_token_grant(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<GrantRow>, ServerError> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM oidc_access_tokens t JOIN oidc_grants g ON g.id = t.grant_id
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND g.revoked_at IS NULL"
        );
        Ok(sqlx::query_as(&sql)
            .bind(token_hash)
            .bind(now())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// RFC 7009: a refresh token of `client_id` revokes its grant, an access token ends alone.
    /// Tokens of other clients and unknown tokens are left alone. Returns the account whose
    /// grant a refresh token revoked now (for the audit trail; an access token's end is not
    /// recorded: it would have expired within minutes anyway).
    pub async fn revoke_token(
        &self,
        token_hash: &[u8],
        client_id: &str,
    ) -> Result<Option<i64>, ServerError> {
        let refresh: Option<i64> = sqlx::query_scalar(
            "SELECT g.id FROM oidc_refresh_tokens t JOIN oidc_grants g ON g.id = t.grant_id
             WHERE t.token_hash = $1 AND g.client_id = $2",
        )
        .bind(token_hash)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(grant) = refresh {
            return self.revoke_grant(grant).await;
        }
        sqlx::query(
            "DELETE FROM oidc_access_tokens WHERE token_hash = $1
             AND grant_id IN (SELECT id FROM oidc_grants WHERE client_id = $2)",
        )
        .bind(token_hash)
        .bind(client_id)
        .execute(&self.pool)
        .await?;
        Ok(None)
    }
}

async fn insert_tokens(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    grant: i64,
    tokens: NewTokens<'_>,
    now: i64,
) -> Result<(), ServerError> {
    sqlx::query(
        "INSERT INTO oidc_access_tokens (token_hash, grant_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(tokens.access_hash)
    .bind(grant)
    .bind(now)
    .bind(tokens.access_expires_at)
    .execute(&mut **tx)
    .await?;
    if let Some((hash, expires_at)) = tokens.refresh {
        sqlx::query(
            "INSERT INTO oidc_refresh_tokens (token_hash, grant_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(grant)
        .bind(now)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// For tests: a grant of `account` to client "rp" through a real code `[n; 32]`, with the
/// access token `[100 + n; 32]` and, given `refresh_until`, the refresh token `[200 + n; 32]`.
#[cfg(test)]
pub(super) async fn grant_for_tests(
    db: &Db,
    account: i64,
    n: u8,
    refresh_until: Option<i64>,
) -> i64 {
    let code_hash = [n; 32];
    let far = now() + 600;
    db.insert_code(&NewCode {
        code_hash: &code_hash,
        client_id: "rp",
        account_id: account,
        redirect_uri: "https://rp.example/cb",
        scope: "openid offline_access",
        nonce: None,
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        sid: "sid",
        session_hash: &[7; 32],
        auth_time: now(),
        expires_at: far,
    })
    .await
    .expect("a code");
    let Ok(Taken::Fresh(code)) = db.take_code(&code_hash).await else {
        panic!("a fresh code");
    };
    let refresh_hash = [200 + n; 32];
    let tokens = NewTokens {
        access_hash: &[100 + n; 32],
        access_expires_at: far,
        refresh: refresh_until.map(|until| (&refresh_hash[..], until)),
    };
    db.start_grant(&code_hash, &code, tokens)
        .await
        .expect("a grant")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Email;
    use crate::server::db::OidcClient;

    /// Concurrent refreshes (each reads its grant, then writes its tokens) all succeed: none is
    /// refused with "database is locked" because another committed in between.
    #[tokio::test]
    async fn concurrent_refreshes_of_live_grants_all_get_their_tokens() {
        let (_dir, db) = Db::temporary().await;
        let email = Email::parse("rinnakkain@example.com").unwrap();
        db.import_legacy_account("rinnakkain", &email, "Rinna Rinnakkain")
            .await
            .unwrap();
        let account = db.account_by_email(&email).await.unwrap().unwrap().id;
        let client = OidcClient::for_tests("rp");
        assert!(db.add_client(&client).await.unwrap());
        let far = now() + 600;
        let mut grants = Vec::new();
        for n in 0..4u8 {
            grants.push(grant_for_tests(&db, account, n, Some(far)).await);
        }

        let refreshes = (0..64u8).map(|n| {
            let db = db.clone();
            let grant = grants[usize::from(n) % grants.len()];
            tokio::spawn(async move {
                let (access, refresh) = ([n; 31], [n; 33]);
                let tokens = NewTokens {
                    access_hash: &access,
                    access_expires_at: far,
                    refresh: Some((&refresh, far)),
                };
                db.add_tokens(grant, tokens).await
            })
        });
        for refresh in futures_util::future::join_all(refreshes).await {
            assert!(refresh.unwrap().expect("no database is locked"));
        }
    }
}
