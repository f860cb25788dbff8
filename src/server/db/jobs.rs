//! Periodic jobs shared by the instances of a deployment: each period, one instance runs a job.

use super::{Db, now};
use crate::server::ServerError;

impl Db {
    /// Claims this period's run of job `name`: `true` for exactly one of the instances that ask
    /// within `period_secs` of the last run (the others are told to skip it). A run that then
    /// fails is not retried before the next period, as if it had run.
    pub async fn claim_job(&self, name: &str, period_secs: i64) -> Result<bool, ServerError> {
        sqlx::query("INSERT INTO jobs (name, last_run_at) VALUES ($1, 0) ON CONFLICT DO NOTHING")
            .bind(name)
            .execute(&self.pool)
            .await?;
        // One statement: on PostgreSQL a second instance's update waits for the first one's
        // row lock, then finds the row moved on and changes nothing.
        let now = now();
        let claimed = sqlx::query(
            "UPDATE jobs SET last_run_at = $2 WHERE name = $1 AND last_run_at <= $2 - $3",
        )
        .bind(name)
        .bind(now)
        .bind(period_secs)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn of_instances_asking_at_once_one_runs_the_job_once_a_period() {
        let (_dir, db) = Db::temporary().await;
        let other = db.clone();
        let (a, b, c) = tokio::join!(
            db.claim_job("purge", 3600),
            other.claim_job("purge", 3600),
            db.claim_job("purge", 3600)
        );
        let runs = [a.unwrap(), b.unwrap(), c.unwrap()];
        assert_eq!(runs.iter().filter(|&&run| run).count(), 1, "{runs:?}");
        assert!(
            !db.claim_job("purge", 3600).await.unwrap(),
            "not again this period"
        );
        assert!(db.claim_job("other", 3600).await.unwrap(), "jobs are apart");
        sqlx::query("UPDATE jobs SET last_run_at = last_run_at - 3600")
            .execute(&db.pool)
            .await
            .unwrap();
        assert!(
            db.claim_job("purge", 3600).await.unwrap(),
            "the next period"
        );
    }
}
