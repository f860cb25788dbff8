//! The backups of docs/operations.md, taken while the service runs and restored into a new
//! database that a new server then serves: SQLite's `.backup`, PostgreSQL's `pg_dump` and
//! `pg_restore`, whichever the suite runs on.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, Options, Server};
use reqwest::StatusCode;
use std::process::Command;

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_a_working_service() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    assert_eq!(browser.get("/fi/history").await.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let restored = if common::on_postgres() {
        let dump = dir.path().join("asiointi.dump");
        run(Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(&dump)
            .arg(server.database_url()));
        let target = common::test_database(&dir);
        run(Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "--dbname", &target])
            .arg(&dump));
        target
    } else {
        let file = server.database_url();
        let file = file
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let backup = dir.path().join("backup.db");
        run(Command::new("sqlite3")
            .arg(&file)
            .arg(format!(".backup '{}'", backup.display())));
        format!("sqlite://{}", backup.display())
    };
    let accounts = "SELECT COUNT(*) FROM accounts WHERE password_hash IS NOT NULL";
    assert_eq!(server.sql_count(accounts).await, 1);
    drop(server);

    let server = Server::start_with(Options {
        database: Some(restored),
        ..Options::default()
    });
    assert_eq!(server.sql_count(accounts).await, 1);
    let mut browser = server.browser();
    let login = browser.login(ERKKI, GOOD_PASSWORD, false).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(browser.get("/fi/history").await.status, StatusCode::OK);
}
