//! `db …`: moving a deployment's data between databases.

use crate::server::ServerError;
use crate::server::db::{Db, PoolSettings};

pub async fn run(args: &[String]) -> Result<(), ServerError> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["copy", "--from", from, "--to", to] | ["copy", "--to", to, "--from", from] => {
            copy(from, to).await
        }
        _ => Err(ServerError::Config(format!(
            "unknown db command {args:?}; see `asiointi help`"
        ))),
    }
}

/// Copies every row of `from` into the empty database `to` (both migrated first) and prints
/// the rows copied per table.
async fn copy(from: &str, to: &str) -> Result<(), ServerError> {
    let source = Db::open(from, false, PoolSettings::default()).await?;
    let target = Db::open(to, true, PoolSettings::default()).await?;
    let copied = source.copy_into(&target).await?;
    let total: u64 = copied.iter().map(|(_, rows)| rows).sum();
    for (table, rows) in copied {
        println!("{table}: {rows}");
    }
    println!("copied {total} row(s) in one transaction");
    Ok(())
}
