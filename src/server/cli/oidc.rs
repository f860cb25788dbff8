//! `clients …` and `keys rotate`: the operators' side of the OpenID Connect provider. Everything
//! is written to the database, which a running service reads on every request, so no restart is
//! needed. A client secret is printed once, as `client_secret=<secret>` on a line of its own,
//! and only its hash is kept.

use crate::server::auth::token::new_token;
use crate::server::db::{AuditEvent, AuditKind, Db, OidcClient};
use crate::server::oidc::clients::check_registration;
use crate::server::oidc::keys;
use crate::server::{Config, ServerError};

/// `asiointi clients …`.
pub async fn clients(args: &[String]) -> Result<(), ServerError> {
    let db = open().await?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["add", ..] => add(&db, AddOptions::parse(&args[1..])?).await,
        ["list"] => list(&db).await,
        ["remove", id] => {
            refuse_declared(&db, id).await?;
            if !db.remove_client(id).await? {
                return Err(ServerError::Config(format!("no client {id:?}")));
            }
            by_operator(
                &db,
                AuditKind::ClientRemoved,
                format!("client {id}: removed"),
            )
            .await?;
            println!("client {id} removed, with everything issued to it");
            Ok(())
        }
        ["rotate-secret", id] => {
            refuse_declared(&db, id).await?;
            let (secret, hash) = new_token();
            if !db.set_client_secret(id, &hash).await? {
                return Err(ServerError::Config(format!(
                    "no confidential client {id:?} (a public client has no secret)"
                )));
            }
            let what = format!("client {id}: new secret");
            by_operator(&db, AuditKind::ClientSecretRotated, what).await?;
            println!("client {id}: new secret; the old one no longer works");
            println!("client_secret={secret}");
            Ok(())
        }
        _ => Err(ServerError::Config(format!(
            "unknown clients command {args:?}; see `asiointi help`"
        ))),
    }
}

/// `asiointi keys rotate`.
pub async fn keys(args: &[String]) -> Result<(), ServerError> {
    if args != ["rotate"] {
        return Err(ServerError::Config(format!(
            "unknown keys command {args:?}; see `asiointi help`"
        )));
    }
    let db = open().await?;
    let kid = keys::rotate(&db).await?;
    by_operator(
        &db,
        AuditKind::SigningKeyRotated,
        format!("new signing key {kid}"),
    )
    .await?;
    println!(
        "new signing key {kid}; the previous key stays in the JWKS for {} hours",
        keys::RETIRED_KEY_PUBLISHED_SECS / 3600
    );
    Ok(())
}

/// A client declared in `Leptos.toml` is changed there: the next start would undo the command.
async fn refuse_declared(db: &Db, id: &str) -> Result<(), ServerError> {
    match db.client(id).await? {
        Some(client) if client.declared => Err(ServerError::Config(format!(
            "client {id:?} is declared in Leptos.toml: change or remove it there"
        ))),
        _ => Ok(()),
    }
}

/// Records an operator's change of the registry in the audit trail.
async fn by_operator(db: &Db, kind: AuditKind, what: String) -> Result<(), ServerError> {
    let event = AuditEvent {
        detail: Some(format!("{what} (by an operator, command line)")),
        ..AuditEvent::default()
    };
    db.record(kind, event).await
}

async fn open() -> Result<Db, ServerError> {
    let config = Config::load(false).map_err(ServerError::Config)?;
    Db::open(&config.database_url, true, config.database_pool).await
}

/// `clients add`'s arguments.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AddOptions {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub public: bool,
    pub first_party: bool,
    pub pairwise: bool,
}

impl AddOptions {
    pub fn parse(args: &[String]) -> Result<AddOptions, ServerError> {
        let bad = |text: String| ServerError::Config(text);
        let mut options = AddOptions::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .cloned()
                    .ok_or_else(|| bad(format!("{arg} needs a value")))
            };
            match arg.as_str() {
                "--id" => options.id = value()?,
                "--name" => options.name = value()?,
                "--redirect-uri" => options.redirect_uris.push(value()?),
                "--post-logout-redirect-uri" => options.post_logout_redirect_uris.push(value()?),
                "--backchannel-logout-uri" => options.backchannel_logout_uri = Some(value()?),
                "--public" => options.public = true,
                "--first-party" => options.first_party = true,
                "--pairwise" => options.pairwise = true,
                other => return Err(bad(format!("unknown argument {other:?}"))),
            }
        }
        let others: Vec<&String> = options
            .post_logout_redirect_uris
            .iter()
            .chain(&options.backchannel_logout_uri)
            .collect();
        check_registration(&options.id, &options.name, &options.redirect_uris, &others)
            .map_err(|e| bad(format!("{e} (--id, --name, --redirect-uri…)")))?;
        Ok(options)
    }
}

async fn add(db: &Db, options: AddOptions) -> Result<(), ServerError> {
    let secret = (!options.public).then(new_token);
    let client = OidcClient {
        client_id: options.id.clone(),
        name: options.name.trim().to_owned(),
        secret_hash: secret.as_ref().map(|(_, hash)| hash.clone()),
        first_party: options.first_party,
        pairwise: options.pairwise,
        backchannel_logout_uri: options.backchannel_logout_uri,
        redirect_uris: options.redirect_uris,
        post_logout_redirect_uris: options.post_logout_redirect_uris,
        declared: false,
        created_at: 0,
    };
    if !db.add_client(&client).await? {
        return Err(ServerError::Config(format!(
            "a client {:?} exists already",
            client.client_id
        )));
    }
    let kind = if client.is_public() {
        "public"
    } else {
        "confidential"
    };
    let what = format!("client {}: added ({kind})", client.client_id);
    by_operator(db, AuditKind::ClientAdded, what).await?;
    println!("client {} added ({kind})", client.client_id);
    if let Some((secret, _)) = secret {
        println!("client_secret={secret}");
    }
    Ok(())
}

async fn list(db: &Db) -> Result<(), ServerError> {
    let clients = db.clients().await?;
    if clients.is_empty() {
        println!("no clients");
    }
    for c in &clients {
        let mut traits = vec![if c.is_public() {
            "public"
        } else {
            "confidential"
        }];
        if c.first_party {
            traits.push("first-party");
        }
        if c.pairwise {
            traits.push("pairwise");
        }
        if c.declared {
            traits.push("declared in Leptos.toml");
        }
        println!("{} {:?} ({})", c.client_id, c.name, traits.join(", "));
        for uri in &c.redirect_uris {
            println!("    redirect: {uri}");
        }
        for uri in &c.post_logout_redirect_uris {
            println!("    post-logout redirect: {uri}");
        }
        if let Some(uri) = &c.backchannel_logout_uri {
            println!("    back-channel logout: {uri}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn add_reads_repeated_uris_and_flags() {
        let options = AddOptions::parse(&args(
            "--id permits --name Rakennusvalvonta --redirect-uri https://a.example/cb \
             --redirect-uri http://localhost:8080/cb --first-party --pairwise --public",
        ))
        .unwrap();
        assert_eq!(options.redirect_uris.len(), 2);
        assert!(options.first_party && options.pairwise && options.public);
    }

    #[test]
    fn add_refuses_what_it_cannot_register() {
        for bad in [
            "--name N --redirect-uri https://a.example/cb",
            "--id x --redirect-uri https://a.example/cb",
            "--id x --name N",
            "--id x --name N --redirect-uri http://a.example/cb",
            "--id x --name N --redirect-uri https://a.example/cb --bogus",
            "--id x --name N --redirect-uri",
        ] {
            assert!(AddOptions::parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
