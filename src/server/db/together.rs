//! Several writes that belong together sent as one. Each statement is a round trip to the
//! database (on SQLite to the connection's own thread: sqlx runs one per connection), and a
//! login's writes were its largest cost besides the hash (issue #12).
//!
//! The statements keep their own text, each numbered from `$1`; [`together`] numbers their
//! placeholders on from one to the next, so the caller binds each statement's values in turn.
//! PostgreSQL runs them as one statement (all but the last as data-modifying `WITH` parts,
//! which see one snapshot and so must not depend on each other's effects); SQLite has no such
//! parts and runs them as one script inside a transaction (see [`Db::write_together`]).
//!
//! The script relies on sqlx 0.8's SQLite driver running every statement of a query's text,
//! which sqlx has deprecated (launchbadge/sqlx#3108). Should an upgrade drop it, run the
//! statements one by one in that transaction; `writes_together_are_all_or_nothing` fails first
//! (a script cut to its first statement would succeed where it must fail).

use super::{Backend, Db};
use crate::server::ServerError;
use sqlx::any::AnyArguments;

impl Db {
    /// Runs `query`, made from [`together`]'s text, as one write, all or nothing, synced later
    /// (see [`Db::unsynced`]): on PostgreSQL the one statement is atomic on its own; on SQLite
    /// the script runs in a transaction, which a failed statement rolls back whole.
    pub(super) async fn write_together<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, AnyArguments<'q>>,
    ) -> Result<(), ServerError> {
        match self.backend {
            Backend::Postgres => {
                query.execute(&self.unsynced).await?;
            }
            Backend::Sqlite => {
                let mut tx = self.begin_unsynced_write().await?;
                query.execute(&mut *tx).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

/// `statements` as one text for [`Db::write_together`], their placeholders numbered on from
/// one statement to the next (a statement's `$1` becomes `$4` after one that used `$1`–`$3`).
pub(super) fn together(backend: Backend, statements: &[&str]) -> String {
    let parts = numbered_on(statements);
    match (backend, parts.split_last()) {
        (_, None) => String::new(),
        (Backend::Sqlite, Some(_)) => parts.join(";\n"),
        (Backend::Postgres, Some((last, before))) if !before.is_empty() => {
            let with: Vec<String> = (before.iter().enumerate())
                .map(|(i, part)| format!("part{i} AS ({part})"))
                .collect();
            format!("WITH {}\n{last}", with.join(",\n"))
        }
        (Backend::Postgres, Some((last, _))) => last.clone(),
    }
}

/// `queries` as one, their rows one after the other (`UNION ALL`), placeholders numbered on
/// as in [`together`]: one round trip where there were several.
pub(super) fn union_all(queries: &[&str]) -> String {
    numbered_on(queries).join("\nUNION ALL\n")
}

/// `statements` with their placeholders numbered on from one to the next.
fn numbered_on(statements: &[&str]) -> Vec<String> {
    let mut offset = 0;
    let mut parts = Vec::with_capacity(statements.len());
    for statement in statements {
        let (text, highest) = renumbered(statement, offset);
        offset += highest;
        parts.push(text);
    }
    parts
}

/// `sql` with each placeholder `$n` made `$(n + offset)`, and the highest `n` it used. Our
/// statements hold no `$` but in placeholders (no string literals with one).
fn renumbered(sql: &str, offset: usize) -> (String, usize) {
    let mut text = String::with_capacity(sql.len() + 8);
    let mut highest = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        text.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match after[..digits].parse::<usize>() {
            Ok(n) => {
                highest = highest.max(n);
                text.push_str(&format!("${}", n + offset));
            }
            Err(_) => text.push('$'),
        }
        rest = &after[digits..];
    }
    text.push_str(rest);
    (text, highest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Email;

    #[test]
    fn placeholders_are_numbered_on_from_one_statement_to_the_next() {
        let statements = [
            "DELETE FROM a WHERE id IN ($1, $2)",
            "INSERT INTO b (x, y, z) VALUES ($1, $2, $1)",
            "UPDATE c SET x = $1 WHERE id = $10",
        ];
        assert_eq!(
            together(Backend::Sqlite, &statements),
            "DELETE FROM a WHERE id IN ($1, $2);\n\
             INSERT INTO b (x, y, z) VALUES ($3, $4, $3);\n\
             UPDATE c SET x = $5 WHERE id = $14"
        );
        assert_eq!(
            together(Backend::Postgres, &statements),
            "WITH part0 AS (DELETE FROM a WHERE id IN ($1, $2)),\n\
             part1 AS (INSERT INTO b (x, y, z) VALUES ($3, $4, $3))\n\
             UPDATE c SET x = $5 WHERE id = $14"
        );
        assert_eq!(together(Backend::Postgres, &statements[..1]), statements[0]);
        assert_eq!(
            renumbered("SELECT '$', $ 1", 3),
            ("SELECT '$', $ 1".into(), 0)
        );
    }

    /// A statement that fails undoes the ones before it, on either database.
    #[tokio::test]
    async fn writes_together_are_all_or_nothing() {
        let (_dir, db) = Db::temporary().await;
        let email = Email::parse("erkki@example.com").unwrap();
        db.import_legacy_account("erkki", &email, "Erkki Esimerkki")
            .await
            .unwrap();
        let account = db.account_by_email(&email).await.unwrap().unwrap().id;
        let rename = "UPDATE accounts SET full_name = $1 WHERE id = $2";
        // The second statement breaks the foreign key to the accounts.
        let session = "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at,
             expires_at, persistent) VALUES ($1, $2, 0, 0, 0, 0)";
        let sql = together(db.backend, &[rename, session]);
        let write = |owner: i64| {
            let query = sqlx::query(&sql).bind("Erkki Muutettu").bind(account);
            db.write_together(query.bind(vec![1u8; 32]).bind(owner))
        };
        let name = async || {
            let found = db.account_by_email(&email).await.unwrap();
            found.unwrap().full_name
        };
        assert!(write(account + 1000).await.is_err());
        assert_eq!(
            name().await,
            "Erkki Esimerkki",
            "the first write was undone"
        );
        // Both go through together, after the failure: it left no lock held.
        write(account).await.unwrap();
        assert_eq!(name().await, "Erkki Muutettu");
    }
}
