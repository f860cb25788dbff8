//! The transaction history of accounts ("Asiointihistoria").

use super::Db;
use crate::model::{IsoDate, clamp_page, page_count, page_offset};
use crate::server::ServerError;

/// A transaction row as the server reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TransactionRow {
    pub id: i64,
    /// An ISO date, `YYYY-MM-DD`.
    pub occurred_on: String,
    pub service: String,
    pub reference: String,
    pub status: String,
    pub description: String,
}

/// A transaction to record for an account.
#[derive(Debug, Clone, Copy)]
pub struct NewTransaction<'a> {
    /// The day; stored as `YYYY-MM-DD`, so only valid dates reach the table.
    pub occurred_on: IsoDate,
    pub service: &'a str,
    pub reference: &'a str,
    pub status: &'a str,
    pub description: &'a str,
}

impl Db {
    /// One page (1-based) of an account's transactions, newest first, and how many it has in
    /// all. A page past the last gives the last page; page 0 gives the first.
    pub async fn history_page(
        &self,
        account_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<TransactionRow>, u64), ServerError> {
        // One read snapshot, so that the count and the rows agree.
        let mut tx = self.begin_page_read().await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM transactions WHERE account_id = $1")
                .bind(account_id)
                .fetch_one(&mut *tx)
                .await?;
        let total = u64::try_from(total).unwrap_or(0);
        let page = clamp_page(page, page_count(total, per_page));
        let offset = i64::try_from(page_offset(page, per_page)).unwrap_or(i64::MAX);
        let rows = sqlx::query_as(
            "SELECT id, occurred_on, service, reference, status, description
             FROM transactions WHERE account_id = $1
             ORDER BY occurred_on DESC, id DESC
             LIMIT $2 OFFSET $3",
        )
        .bind(account_id)
        .bind(i64::from(per_page))
        .bind(offset)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((rows, total))
    }

    /// Records a transaction of an account; returns its id.
    pub async fn add_transaction(
        &self,
        account_id: i64,
        transaction: &NewTransaction<'_>,
    ) -> Result<i64, ServerError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO transactions (account_id, occurred_on, service, reference, status, description)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account_id)
        .bind(transaction.occurred_on.to_string())
        .bind(transaction.service)
        .bind(transaction.reference)
        .bind(transaction.status)
        .bind(transaction.description)
        .fetch_one(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Email;

    fn on(date: &str, reference: &'static str) -> NewTransaction<'static> {
        NewTransaction {
            occurred_on: IsoDate::parse(date).unwrap(),
            service: "Tilavaraus",
            reference,
            status: "Käsitelty",
            description: "",
        }
    }

    async fn account(db: &Db, name: &str) -> i64 {
        let email = Email::parse(&format!("{name}@example.com")).unwrap();
        db.import_legacy_account(name, &email, name).await.unwrap();
        db.account_by_email(&email).await.unwrap().unwrap().id
    }

    #[tokio::test]
    async fn pages_are_newest_first_and_only_the_accounts_own() {
        let (_dir, db) = Db::temporary().await;
        let (erkki, maija) = (account(&db, "erkki").await, account(&db, "maija").await);
        assert_eq!(db.history_page(erkki, 1, 2).await.unwrap(), (vec![], 0));

        // Inserted out of order; two on the same day, where the later insert counts as newer.
        for (date, reference) in [
            ("2017-05-02", "B"),
            ("2018-01-15", "D"),
            ("2016-11-30", "A"),
            ("2017-05-02", "C"),
            ("2018-02-01", "E"),
        ] {
            db.add_transaction(erkki, &on(date, reference))
                .await
                .unwrap();
        }
        db.add_transaction(maija, &on("2019-01-01", "MAIJA"))
            .await
            .unwrap();

        let references =
            |rows: Vec<TransactionRow>| rows.into_iter().map(|r| r.reference).collect::<Vec<_>>();
        let (first, total) = db.history_page(erkki, 1, 2).await.unwrap();
        assert_eq!(
            (references(first), total),
            (vec!["E".into(), "D".into()], 5)
        );
        let (second, _) = db.history_page(erkki, 2, 2).await.unwrap();
        assert_eq!(references(second), ["C", "B"]);
        let (last, _) = db.history_page(erkki, 3, 2).await.unwrap();
        assert_eq!(references(last), ["A"]);
        let (past_the_end, _) = db.history_page(erkki, 9, 2).await.unwrap();
        assert_eq!(references(past_the_end), ["A"], "clamped to the last page");
        let (zero, _) = db.history_page(erkki, 0, 2).await.unwrap();
        assert_eq!(references(zero), ["E", "D"], "page 0 is the first");

        let (theirs, total) = db.history_page(maija, 1, 10).await.unwrap();
        assert_eq!((references(theirs), total), (vec!["MAIJA".into()], 1));
        let row = &db.history_page(erkki, 3, 2).await.unwrap().0[0];
        assert_eq!(
            (
                row.occurred_on.as_str(),
                row.service.as_str(),
                row.status.as_str()
            ),
            ("2016-11-30", "Tilavaraus", "Käsitelty")
        );
    }
}
