//! Clients declared in `Leptos.toml` (`[[asiointi.clients]]`), for a fixed deployment whose
//! e-services are known in advance. At every start the file is the truth for them: a declared
//! client is added or brought up to date, and one that was declared before but is no longer in
//! the file is removed. Clients added with `asiointi clients add` are left alone, and the
//! command line refuses to change or remove a declared one (its next start would undo that).
//!
//! A confidential client's secret is never in the file: `secret_env` names the environment
//! variable that holds it, and only its SHA-256 reaches the database, as for a secret that
//! `clients add` made.

use super::clients::check_registration;
use crate::server::ServerError;
use crate::server::auth::token::hash_token;
use crate::server::db::{AuditEvent, AuditKind, ClientChange, Db, OidcClient};
use serde::Deserialize;

/// The shortest secret accepted from the environment, in characters: it is stored as a plain
/// SHA-256 (no slow hash), so it must be a random string, e.g. `openssl rand -base64 32`.
const SECRET_MIN_CHARS: usize = 32;

/// One `[[asiointi.clients]]` table, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredClient {
    id: String,
    name: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    backchannel_logout_uri: Option<String>,
    /// The environment variable holding a confidential client's secret; absent: a public client.
    #[serde(default)]
    secret_env: Option<String>,
    #[serde(default)]
    first_party: bool,
    #[serde(default)]
    pairwise: bool,
}

/// The declared clients, checked as `clients add` checks its arguments, their secrets read
/// from the environment through `env` and hashed.
pub fn validate(
    declared: Vec<DeclaredClient>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<OidcClient>, String> {
    let mut clients: Vec<OidcClient> = Vec::with_capacity(declared.len());
    for d in declared {
        let at = format!("Leptos.toml client {:?}", d.id);
        if clients.iter().any(|c| c.client_id == d.id) {
            return Err(format!("{at} is declared twice"));
        }
        let others: Vec<&String> = d
            .post_logout_redirect_uris
            .iter()
            .chain(&d.backchannel_logout_uri)
            .collect();
        check_registration(&d.id, &d.name, &d.redirect_uris, &others)
            .map_err(|e| format!("{at}: {e}"))?;
        let secret_hash = match &d.secret_env {
            None => None,
            Some(var) => {
                let secret = env(var).unwrap_or_default();
                if secret.trim().chars().count() < SECRET_MIN_CHARS {
                    return Err(format!(
                        "{at}: the environment variable {var} must hold the client's secret, \
                         at least {SECRET_MIN_CHARS} random characters"
                    ));
                }
                Some(hash_token(secret.trim()))
            }
        };
        clients.push(OidcClient {
            client_id: d.id,
            name: d.name.trim().to_owned(),
            secret_hash,
            first_party: d.first_party,
            pairwise: d.pairwise,
            backchannel_logout_uri: d.backchannel_logout_uri,
            redirect_uris: d.redirect_uris,
            post_logout_redirect_uris: d.post_logout_redirect_uris,
            declared: true,
            created_at: 0,
        });
    }
    Ok(clients)
}

/// Brings the database's declared clients in line with the configuration, recording each
/// change in the audit trail. Safe when several instances start at once: each change is one
/// transaction, and an instance that finds nothing to change records nothing.
pub async fn sync(db: &Db, clients: &[OidcClient]) -> Result<(), ServerError> {
    let changes = db.sync_declared_clients(clients).await?;
    record(db, &changes).await
}

async fn record(db: &Db, changes: &[(ClientChange, String)]) -> Result<(), ServerError> {
    for (change, client_id) in changes {
        let (kind, what) = match change {
            ClientChange::Added => (AuditKind::ClientAdded, "added"),
            ClientChange::Updated => (AuditKind::ClientChanged, "updated"),
            ClientChange::Removed => (AuditKind::ClientRemoved, "removed"),
        };
        tracing::info!(client_id, what, "client declared in Leptos.toml");
        let event = AuditEvent {
            detail: Some(format!(
                "client {client_id}: {what} as declared in Leptos.toml"
            )),
            ..AuditEvent::default()
        };
        db.record(kind, event).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        clients: Vec<DeclaredClient>,
    }

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<Vec<OidcClient>, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let lookup = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        validate(file.clients, lookup)
    }

    const PERMITS: &str = r#"
        [[clients]]
        id = "permits"
        name = " Rakennusvalvonta "
        redirect_uris = ["https://luvat.example.fi/cb"]
        secret_env = "PERMITS_SECRET"
        first_party = true

        [[clients]]
        id = "map"
        name = "Karttapalvelu"
        redirect_uris = ["https://kartta.example.fi/cb"]
        post_logout_redirect_uris = ["https://kartta.example.fi/"]
    "#;

    #[test]
    fn a_declared_client_gets_its_secret_from_the_environment_hashed() {
        let secret = "k3J9yq0Zr1VbW8sT2nM4xP6cA5dE7fG9hL0";
        let clients = parse(PERMITS, &[("PERMITS_SECRET", secret)]).unwrap();
        assert_eq!(clients[0].name, "Rakennusvalvonta");
        assert_eq!(clients[0].secret_hash, Some(hash_token(secret)));
        assert!(clients[0].first_party && clients[0].declared);
        assert!(clients[1].is_public() && !clients[1].first_party);
        assert_eq!(
            clients[1].post_logout_redirect_uris,
            ["https://kartta.example.fi/"]
        );
    }

    #[test]
    fn a_bad_declaration_stops_the_start_with_the_client_named() {
        let missing = parse(PERMITS, &[]).unwrap_err();
        assert!(
            missing.contains("\"permits\"") && missing.contains("PERMITS_SECRET"),
            "{missing}"
        );
        let short = parse(PERMITS, &[("PERMITS_SECRET", "hunter2")]).unwrap_err();
        assert!(short.contains("at least 32"), "{short}");
        let secret = [("PERMITS_SECRET", "k3J9yq0Zr1VbW8sT2nM4xP6cA5dE7fG9hL0")];
        let twice = PERMITS.replace("id = \"map\"", "id = \"permits\"");
        assert!(
            parse(&twice, &secret)
                .unwrap_err()
                .contains("declared twice")
        );
        let fragment = PERMITS.replace("kartta.example.fi/cb", "kartta.example.fi/cb#x");
        assert!(parse(&fragment, &secret).unwrap_err().contains("\"map\""));
        let unknown = PERMITS.replace("first_party", "trusted");
        assert!(
            parse(&unknown, &secret)
                .unwrap_err()
                .contains("unknown field")
        );
    }
}
