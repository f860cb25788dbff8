//! The OpenID Connect provider's registry: clients (relying parties) with their exact URIs, and
//! the RS256 signing keys. Read on every request, so a change by the command line takes effect
//! in a running server at once.

use super::{Db, Flag, now};
use crate::server::ServerError;

/// A registered client as the provider uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    pub client_id: String,
    pub name: String,
    /// SHA-256 of the secret; `None` for a public client.
    pub secret_hash: Option<Vec<u8>>,
    /// A city service trusted without a consent page.
    pub first_party: bool,
    /// Gets a subject of its own for each resident.
    pub pairwise: bool,
    pub backchannel_logout_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Owned by `Leptos.toml` (see `oidc::declared`), not by the command line.
    pub declared: bool,
    pub created_at: i64,
}

impl OidcClient {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// A public first-party client named `id` with one redirect URI, for the database's unit
    /// tests to adjust with `..OidcClient::for_tests(id)`.
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str) -> OidcClient {
        OidcClient {
            client_id: id.into(),
            name: id.into(),
            secret_hash: None,
            first_party: true,
            pairwise: false,
            backchannel_logout_uri: None,
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            declared: false,
            created_at: 0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    name: String,
    secret_hash: Option<Vec<u8>>,
    #[sqlx(try_from = "Flag")]
    first_party: bool,
    #[sqlx(try_from = "Flag")]
    pairwise: bool,
    backchannel_logout_uri: Option<String>,
    #[sqlx(try_from = "Flag")]
    declared: bool,
    created_at: i64,
}

/// A stored signing key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub private_key_pem: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

const CLIENT_COLUMNS: &str = "client_id, name, secret_hash, first_party, pairwise, \
     backchannel_logout_uri, declared, created_at";
/// Stores a client's redirect and post-logout URIs.
pub(super) async fn insert_uris(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    client: &OidcClient,
) -> Result<(), ServerError> {
    let redirect = client.redirect_uris.iter().map(|u| ("redirect", u));
    let post_logout = client.post_logout_redirect_uris.iter();
    for (kind, uri) in redirect.chain(post_logout.map(|u| ("post_logout", u))) {
        sqlx::query(
            "INSERT INTO oidc_client_uris (client_id, kind, uri) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(&client.client_id)
        .bind(kind)
        .bind(uri)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const KEY_COLUMNS: &str = "kid, private_key_pem, created_at, retired_at";

impl Db {
    /// Registers `client` (its `created_at` is ignored); `false` when the id is taken.
    pub async fn add_client(&self, client: &OidcClient) -> Result<bool, ServerError> {
        let mut tx = self.pool.begin().await?;
        let added = sqlx::query(
            "INSERT INTO oidc_clients (client_id, name, secret_hash, first_party, pairwise,
                 backchannel_logout_uri, declared, created_at, secret_set_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $3 IS NULL THEN NULL ELSE $8 END)
             ON CONFLICT DO NOTHING",
        )
        .bind(&client.client_id)
        .bind(&client.name)
        .bind(&client.secret_hash)
        .bind(Flag(client.first_party))
        .bind(Flag(client.pairwise))
        .bind(&client.backchannel_logout_uri)
        .bind(Flag(client.declared))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if added.rows_affected() == 0 {
            return Ok(false);
        }
        insert_uris(&mut tx, client).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The client with this id, with its URIs.
    pub async fn client(&self, client_id: &str) -> Result<Option<OidcClient>, ServerError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE client_id = $1");
        let row: Option<ClientRow> = sqlx::query_as(&sql)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.with_uris(row).await?)),
            None => Ok(None),
        }
    }

    /// Every client, by id.
    pub async fn clients(&self) -> Result<Vec<OidcClient>, ServerError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY client_id");
        let rows: Vec<ClientRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        let mut clients = Vec::with_capacity(rows.len());
        for row in rows {
            clients.push(self.with_uris(row).await?);
        }
        Ok(clients)
    }

    async fn with_uris(&self, row: ClientRow) -> Result<OidcClient, ServerError> {
        let uris: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, uri FROM oidc_client_uris WHERE client_id = $1 ORDER BY kind, uri",
        )
        .bind(&row.client_id)
        .fetch_all(&self.pool)
        .await?;
        let of = |kind: &str| {
            uris.iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, u)| u.clone())
                .collect()
        };
        Ok(OidcClient {
            redirect_uris: of("redirect"),
            post_logout_redirect_uris: of("post_logout"),
            client_id: row.client_id,
            name: row.name,
            secret_hash: row.secret_hash,
            first_party: row.first_party,
            pairwise: row.pairwise,
            backchannel_logout_uri: row.backchannel_logout_uri,
            declared: row.declared,
            created_at: row.created_at,
        })
    }

    /// Removes a client and everything issued to it; `false` when there was none (or it is
    /// declared in `Leptos.toml`, which would add it again).
    pub async fn remove_client(&self, client_id: &str) -> Result<bool, ServerError> {
        let removed = sqlx::query("DELETE FROM oidc_clients WHERE client_id = $1 AND declared = 0")
            .bind(client_id)
            .execute(&self.pool)
            .await?;
        Ok(removed.rows_affected() == 1)
    }

    /// Replaces a confidential client's secret; `false` when there is no such confidential
    /// client (a public one has no secret to rotate) or it is declared in `Leptos.toml`.
    pub async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &[u8],
    ) -> Result<bool, ServerError> {
        let done = sqlx::query(
            "UPDATE oidc_clients SET secret_hash = $2, secret_set_at = $3
             WHERE client_id = $1 AND secret_hash IS NOT NULL AND declared = 0",
        )
        .bind(client_id)
        .bind(secret_hash)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores `pem` as the first signing key unless there is one already (several instances
    /// starting at once: only one key wins). Returns whether this one was stored.
    pub async fn add_first_signing_key(&self, kid: &str, pem: &str) -> Result<bool, ServerError> {
        let mut tx = self.begin_write().await?;
        self.lock(&mut tx, "oidc_signing_keys").await?;
        let added = sqlx::query(
            "INSERT INTO oidc_signing_keys (kid, private_key_pem, created_at)
             SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM oidc_signing_keys WHERE retired_at IS NULL)",
        )
        .bind(kid)
        .bind(pem)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(added.rows_affected() == 1)
    }

    /// Makes `pem` the signing key; the previous one is retired (still published for a while).
    pub async fn rotate_signing_key(&self, kid: &str, pem: &str) -> Result<(), ServerError> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE oidc_signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_signing_keys (kid, private_key_pem, created_at) VALUES ($1, $2, $3)",
        )
        .bind(kid)
        .bind(pem)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The key that signs now: the newest one not retired.
    pub async fn current_signing_key(&self) -> Result<Option<SigningKeyRow>, ServerError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM oidc_signing_keys WHERE retired_at IS NULL
             ORDER BY created_at DESC, kid LIMIT 1"
        );
        Ok(sqlx::query_as(&sql).fetch_optional(&self.pool).await?)
    }

    /// The keys to publish: the current one first, then those retired after `retired_since`,
    /// the most recently retired first.
    pub async fn published_signing_keys(
        &self,
        retired_since: i64,
    ) -> Result<Vec<SigningKeyRow>, ServerError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM oidc_signing_keys
             WHERE retired_at IS NULL OR retired_at > $1
             ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, retired_at DESC,
                 created_at DESC, kid"
        );
        Ok(sqlx::query_as(&sql)
            .bind(retired_since)
            .fetch_all(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, secret: Option<Vec<u8>>) -> OidcClient {
        OidcClient {
            name: "Rakennusvalvonta".into(),
            secret_hash: secret,
            redirect_uris: vec![
                "https://rp.example/cb".into(),
                "https://rp.example/b".into(),
            ],
            post_logout_redirect_uris: vec!["https://rp.example/".into()],
            ..OidcClient::for_tests(id)
        }
    }

    #[tokio::test]
    async fn clients_are_added_once_read_back_rotated_and_removed() {
        let (_dir, db) = Db::temporary().await;
        let permits = client("permits", Some(vec![1; 32]));
        assert!(db.add_client(&permits).await.unwrap());
        assert!(!db.add_client(&permits).await.unwrap(), "the id is taken");
        let public = client("map", None);
        assert!(db.add_client(&public).await.unwrap());
        let read = db.client("permits").await.unwrap().unwrap();
        assert_eq!(
            read.redirect_uris,
            ["https://rp.example/b", "https://rp.example/cb"]
        );
        assert_eq!(read.post_logout_redirect_uris, ["https://rp.example/"]);
        assert_eq!(read.secret_hash, Some(vec![1; 32]));
        assert!(db.client("nobody").await.unwrap().is_none());
        assert!(db.set_client_secret("permits", &[2; 32]).await.unwrap());
        assert!(
            !db.set_client_secret("map", &[2; 32]).await.unwrap(),
            "public"
        );
        let ids: Vec<_> = db
            .clients()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.client_id)
            .collect();
        assert_eq!(ids, ["map", "permits"]);
        assert!(db.remove_client("map").await.unwrap());
        assert!(!db.remove_client("map").await.unwrap());
        assert!(db.client("map").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_first_key_is_stored_once_and_rotation_keeps_the_old_one_published() {
        let (_dir, db) = Db::temporary().await;
        assert!(db.add_first_signing_key("k1", "pem1").await.unwrap());
        assert!(!db.add_first_signing_key("k2", "pem2").await.unwrap());
        assert_eq!(db.current_signing_key().await.unwrap().unwrap().kid, "k1");
        db.rotate_signing_key("k3", "pem3").await.unwrap();
        assert_eq!(db.current_signing_key().await.unwrap().unwrap().kid, "k3");
        let published = db.published_signing_keys(now() - 60).await.unwrap();
        assert_eq!(published.len(), 2);
        assert!(
            published
                .iter()
                .any(|k| k.kid == "k1" && k.retired_at.is_some())
        );
        let later = db.published_signing_keys(now() + 60).await.unwrap();
        assert_eq!(later.len(), 1, "the retired key leaves the JWKS in time");
    }
}
