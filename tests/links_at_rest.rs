//! No raw token is ever written to the database or its files (issue #9): the outbox says what a
//! mail is, and the sender mints a link's token at delivery, storing only its hash. Checked the
//! way an attacker with a copy would look: the bytes of the database file, its WAL, and a backup.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Options, Server, link_in, link_to, token_of};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What an attacker with a copy would have. SQLite: the database file, its WAL, and a fresh
/// backup of it (`VACUUM INTO`). PostgreSQL: a backup (`pg_dump`), the database's files in the
/// server's data directory and the server's write-ahead log.
async fn database_files(server: &Server) -> Vec<(PathBuf, Vec<u8>)> {
    if common::on_postgres() {
        let url = server.database_url();
        let dump = Command::new("pg_dump").arg(&url).output().unwrap();
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        let mut db = server.db().await;
        let data: String = sqlx::query_scalar("SHOW data_directory")
            .fetch_one(&mut db)
            .await
            .unwrap();
        // Written out of the WAL into the database's own files, as a copy of them would be.
        sqlx::query("CHECKPOINT").execute(&mut db).await.unwrap();
        let oid: String = sqlx::query_scalar(
            "SELECT oid::text FROM pg_database WHERE datname = current_database()",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        let data = PathBuf::from(data);
        let mut files = vec![(PathBuf::from("pg_dump"), dump.stdout)];
        files.extend(files_under(&data.join("base").join(oid)));
        files.extend(files_under(&data.join("pg_wal")));
        return files;
    }
    let db = server.dir.path().join("test.db");
    let backup = server.dir.path().join("backup.db");
    let _ = std::fs::remove_file(&backup);
    server
        .sql(&format!("VACUUM INTO '{}'", backup.display()))
        .await;
    [db.clone(), db.with_extension("db-wal"), backup]
        .into_iter()
        .filter_map(|path| Some((path.clone(), std::fs::read(&path).ok()?)))
        .collect()
}

/// Every readable file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            files.push((path, bytes));
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    memchr::memmem::find(haystack, needle.as_bytes()).is_some()
}

/// Asserts that no file of the database holds `secret`; returns how many were searched.
async fn assert_nowhere(server: &Server, secret: &str) -> usize {
    let files = database_files(server).await;
    for (path, bytes) in &files {
        assert!(
            !contains(bytes, secret),
            "{} holds {secret:?}",
            path.display()
        );
    }
    files.len()
}

#[tokio::test]
async fn while_smtp_is_down_no_link_is_stored_anywhere() {
    let server = Server::start_with(Options {
        smtp: false,
        ..Options::default()
    });
    let mut browser = server.browser();
    assert_eq!(browser.begin(ERKKI, "fi").await.json(), "LinkSent");
    // Wait for the sender's first attempt, which mints a token and then fails to connect.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server
        .sql_count("SELECT COUNT(*) FROM outbox WHERE attempts > 0")
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "never tried: {}", server.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let minted = "SELECT COUNT(*) FROM tokens WHERE outbox_id IS NOT NULL";
    assert_eq!(server.sql_count(minted).await, 1, "the attempt minted one");
    // Only its hash is stored: no link, no address of the set-password page, anywhere.
    for secret in ["token=", "set-password", "RecoverPassword"] {
        assert!(assert_nowhere(&server, secret).await >= 3);
    }
}

#[tokio::test]
async fn after_the_journeys_no_token_is_in_the_database_its_wal_or_a_backup() {
    let server = Server::start();
    // The seed's first login: "Jatka", the mailed link, a password, a login.
    let mut erkki = server.browser();
    assert_eq!(erkki.begin(ERKKI, "fi").await.json(), "LinkSent");
    let first = token_of(&link_in(&server.wait_for_mail(ERKKI, 1)));
    let reply = erkki
        .set_password(&first, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut erkki = server.logged_in(ERKKI, false).await;
    // A change of address: its confirmation link goes to the new address.
    let reply = erkki
        .call(
            "change_email",
            &[
                ("new_email", "erkki.uusi@example.com"),
                ("current", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{}",
        reply.body
    );
    let confirm = token_of(&link_to(
        &server.wait_for_mail("erkki.uusi@example.com", 1),
        "/confirm-email?token=",
    ));
    // A forgotten password, with the link left unused.
    let mut maija = server.browser();
    maija
        .call("request_reset", &[("email", MAIJA), ("lang", "fi")])
        .await;
    let reset = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    for token in [&first, &confirm, &reset] {
        assert!(assert_nowhere(&server, token).await >= 3);
    }
    // The links still work: what is stored is enough to check them.
    let reply = maija
        .set_password(&reset, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}
