//! Keeping the clients declared in `Leptos.toml` in the registry (see `oidc::declared`).

use super::oidc_clients::insert_uris;
use super::{Db, Flag, OidcClient, now};
use crate::server::ServerError;

/// What a start changed for a declared client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientChange {
    Added,
    Updated,
    Removed,
}

impl Db {
    /// Adds each of `declared` that is missing, updates each that differs (taking over a client
    /// of the same id that the command line added), and removes the declared clients that are
    /// no longer in `declared`, with everything issued to them. Returns what changed.
    pub async fn sync_declared_clients(
        &self,
        declared: &[OidcClient],
    ) -> Result<Vec<(ClientChange, String)>, ServerError> {
        let mut changes = Vec::new();
        for client in declared {
            let id = client.client_id.clone();
            match self.client(&id).await? {
                None => {
                    if self.add_client(client).await? {
                        changes.push((ClientChange::Added, id));
                    }
                }
                Some(stored) => {
                    let same = OidcClient {
                        created_at: stored.created_at,
                        ..client.clone()
                    } == stored;
                    if !same {
                        self.replace_client(client).await?;
                        changes.push((ClientChange::Updated, id));
                    }
                }
            }
        }
        let stale: Vec<String> =
            sqlx::query_scalar("SELECT client_id FROM oidc_clients WHERE declared = 1")
                .fetch_all(&self.pool)
                .await?;
        for id in stale {
            if declared.iter().any(|c| c.client_id == id) {
                continue;
            }
            let removed =
                sqlx::query("DELETE FROM oidc_clients WHERE client_id = $1 AND declared = 1")
                    .bind(&id)
                    .execute(&self.pool)
                    .await?;
            if removed.rows_affected() == 1 {
                changes.push((ClientChange::Removed, id));
            }
        }
        Ok(changes)
    }

    /// Overwrites a client's settings and URIs with `client`'s, keeping what was issued to it.
    async fn replace_client(&self, client: &OidcClient) -> Result<(), ServerError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE oidc_clients SET name = $2, first_party = $4, pairwise = $5,
                 backchannel_logout_uri = $6, declared = $7,
                 secret_set_at = CASE WHEN $3 IS NULL THEN NULL
                                      WHEN secret_hash IS NOT DISTINCT FROM $3 THEN secret_set_at ELSE $8 END,
                 secret_hash = $3
             WHERE client_id = $1",
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
        sqlx::query("DELETE FROM oidc_client_uris WHERE client_id = $1")
            .bind(&client.client_id)
            .execute(&mut *tx)
            .await?;
        insert_uris(&mut tx, client).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(id: &str, name: &str, uris: &[&str]) -> OidcClient {
        OidcClient {
            name: name.into(),
            secret_hash: Some(vec![7; 32]),
            redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
            declared: true,
            ..OidcClient::for_tests(id)
        }
    }

    #[tokio::test]
    async fn the_file_adds_updates_and_removes_its_clients_and_leaves_the_others() {
        let (_dir, db) = Db::temporary().await;
        let by_hand = OidcClient {
            declared: false,
            ..declared("library", "Kirjasto", &["https://kirjasto.example/cb"])
        };
        assert!(db.add_client(&by_hand).await.unwrap());
        let permits = declared("permits", "Rakennusvalvonta", &["https://luvat.example/cb"]);
        let maps = declared("maps", "Karttapalvelu", &["https://kartta.example/cb"]);

        let first = db
            .sync_declared_clients(&[permits.clone(), maps.clone()])
            .await
            .unwrap();
        assert_eq!(
            first,
            [
                (ClientChange::Added, "permits".into()),
                (ClientChange::Added, "maps".into())
            ]
        );
        // Another instance starting with the same file changes nothing.
        let again = db
            .sync_declared_clients(&[permits.clone(), maps.clone()])
            .await
            .unwrap();
        assert!(again.is_empty(), "{again:?}");
        // The command line cannot remove or re-key a declared client.
        assert!(!db.remove_client("permits").await.unwrap());
        assert!(!db.set_client_secret("permits", &[9; 32]).await.unwrap());

        let renamed = declared("permits", "Luvat", &["https://luvat.example/new"]);
        let next = db.sync_declared_clients(&[renamed]).await.unwrap();
        assert_eq!(
            next,
            [
                (ClientChange::Updated, "permits".into()),
                (ClientChange::Removed, "maps".into())
            ]
        );
        let stored = db.client("permits").await.unwrap().unwrap();
        assert_eq!(stored.name, "Luvat");
        assert_eq!(stored.redirect_uris, ["https://luvat.example/new"]);
        assert!(db.client("maps").await.unwrap().is_none());
        // The client added by hand is untouched.
        let library = db.client("library").await.unwrap().unwrap();
        assert_eq!(
            library,
            OidcClient {
                created_at: library.created_at,
                ..by_hand
            }
        );
    }
}
