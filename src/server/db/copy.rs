//! `asiointi db copy`: every row of one database into another, empty one, in one transaction
//! of the target: how a deployment that started on SQLite moves to PostgreSQL. Both databases
//! are migrated to the same schema first, so each table has the same columns on both; values
//! are read as the target's column types and written as they were.

use super::{Backend, Db};
use crate::server::ServerError;
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// Every table with data, each after the tables it refers to. `audit_kinds` is not among them:
/// the migrations fill it alike on both sides. A test checks that no table is missing.
const COPIED_TABLES: [&str; 20] = [
    "accounts",
    "legacy_usernames",
    "transactions",
    "outbox",
    "tokens",
    "sessions",
    "attempts",
    "audit_events",
    "audit_purges",
    "oidc_clients",
    "oidc_client_uris",
    "oidc_signing_keys",
    "oidc_grants",
    "oidc_codes",
    "oidc_access_tokens",
    "oidc_refresh_tokens",
    "oidc_consents",
    "oidc_subjects",
    "oidc_logout_notices",
    "jobs",
];

/// Most values bound in one statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const VALUES_PER_STATEMENT: usize = 30_000;
/// Most rows in one statement: enough to make a million rows quick.
const ROWS_PER_STATEMENT: usize = 500;

/// What a column holds, as the target declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    Integer,
    Text,
    Blob,
}

/// One value on its way, typed for the target.
enum Value {
    Integer(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl Db {
    /// Copies every row of this database into `target`, which must be empty, in one
    /// transaction of the target: all of it or, on any error, nothing. Returns the rows copied
    /// per table, in [`COPIED_TABLES`] order. Run it with the service stopped: what is written
    /// to this database during the copy is not copied.
    pub async fn copy_into(&self, target: &Db) -> Result<Vec<(&'static str, u64)>, ServerError> {
        for table in COPIED_TABLES {
            let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&target.pool)
                .await?;
            if rows > 0 {
                return Err(ServerError::Config(format!(
                    "the target is not empty: {table} has {rows} row(s); copy only into a new \
                     database"
                )));
            }
        }
        let mut source = self.begin_read().await?;
        let mut tx = target.begin_write().await?;
        let mut copied = Vec::with_capacity(COPIED_TABLES.len());
        let mut with_ids = Vec::new();
        for table in COPIED_TABLES {
            let columns = target.columns_of(&mut tx, table).await?;
            if columns.iter().any(|(name, _)| name == "id") {
                with_ids.push(table);
            }
            let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
            let select = format!("SELECT {} FROM {table}", names.join(", "));
            let per_statement =
                (VALUES_PER_STATEMENT / columns.len().max(1)).min(ROWS_PER_STATEMENT);
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_statement);
            let mut count = 0u64;
            let mut rows = sqlx::query(&select).fetch(&mut *source);
            while let Some(row) = rows.try_next().await? {
                batch.push(values_of(&row, &columns)?);
                if batch.len() == per_statement {
                    count += insert(&mut tx, table, &names, std::mem::take(&mut batch)).await?;
                }
            }
            drop(rows);
            count += insert(&mut tx, table, &names, batch).await?;
            copied.push((table, count));
        }
        if target.backend == Backend::Postgres {
            // Rows came with their ids; the identity columns' next values must follow them.
            for table in with_ids {
                target.advance_identity(&mut tx, table).await?;
            }
        }
        tx.commit().await?;
        source.commit().await?;
        Ok(copied)
    }

    /// The columns of `table` in the target's schema, in order, with their types.
    async fn columns_of(
        &self,
        tx: &mut Transaction<'static, Any>,
        table: &str,
    ) -> Result<Vec<(String, ColumnType)>, ServerError> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT name, upper(type) FROM pragma_table_info($1) ORDER BY cid",
            Backend::Postgres => {
                "SELECT column_name::text, upper(data_type::text) FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position"
            }
        };
        let columns: Vec<(String, String)> =
            sqlx::query_as(sql).bind(table).fetch_all(&mut **tx).await?;
        columns
            .into_iter()
            .map(|(name, declared)| {
                let kind = match declared.as_str() {
                    "INTEGER" | "BIGINT" | "SMALLINT" => ColumnType::Integer,
                    "TEXT" => ColumnType::Text,
                    "BLOB" | "BYTEA" => ColumnType::Blob,
                    other => {
                        return Err(ServerError::Config(format!(
                            "{table}.{name}: no copy for the column type {other}"
                        )));
                    }
                };
                Ok((name, kind))
            })
            .collect()
    }

    /// Sets the identity sequence of `table`'s `id` column past its largest id.
    async fn advance_identity(
        &self,
        tx: &mut Transaction<'static, Any>,
        table: &str,
    ) -> Result<(), ServerError> {
        let sequence: Option<String> =
            sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')::text")
                .bind(table)
                .fetch_one(&mut **tx)
                .await?;
        if let Some(sequence) = sequence {
            sqlx::query(&format!(
                "SELECT setval($1, (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ))
            .bind(sequence)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// The values of `row`, read as the target's column types.
fn values_of(row: &AnyRow, columns: &[(String, ColumnType)]) -> Result<Vec<Value>, ServerError> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                ColumnType::Integer => Value::Integer(row.try_get::<Option<i64>, _>(i)?),
                ColumnType::Text => Value::Text(row.try_get(i)?),
                ColumnType::Blob => Value::Blob(row.try_get(i)?),
            })
        })
        .collect()
}

/// Inserts `rows` into `table` in one statement; returns how many.
async fn insert(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    names: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<u64, ServerError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let width = names.len();
    let tuples: Vec<String> = (0..rows.len())
        .map(|r| {
            let placeholders: Vec<String> =
                (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        tuples.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for value in rows.into_iter().flatten() {
        query = match value {
            Value::Integer(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Blob(v) => query.bind(v),
        };
    }
    Ok(query.execute(&mut **tx).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table the migrations make holds data to copy, but the kinds list they fill.
    #[tokio::test]
    async fn every_table_of_the_schema_is_copied() {
        let (_dir, db) = Db::temporary().await;
        let sql = match db.backend() {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'"
            }
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'"
            }
        };
        let mut tables: Vec<String> = sqlx::query_scalar(sql).fetch_all(&db.pool).await.unwrap();
        tables.retain(|t| t != "audit_kinds");
        tables.sort();
        let mut copied: Vec<String> = COPIED_TABLES.iter().map(|t| t.to_string()).collect();
        copied.sort();
        assert_eq!(tables, copied);
    }
}
