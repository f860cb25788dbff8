//! No raw token is ever written to the database or its files (issue #9): the outbox says what a
//! mail is, and the sender mints a link's token at delivery, storing only its hash. Checked the
//! way an attacker with a copy would look: the bytes of the database file, its WAL, and a backup.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Options, Server, link_in, link_to, token_of};
use reqwest::StatusCode;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The database file, its WAL, and a fresh backup of it (`VACUUM INTO`), as bytes.
async fn database_files(server: &Server) -> Vec<(PathBuf, Vec<u8>)> {
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

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
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
        assert_eq!(assert_nowhere(&server, secret).await, 3);
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
        assert_eq!(assert_nowhere(&server, token).await, 3);
    }
    // The links still work: what is stored is enough to check them.
    let reply = maija
        .set_password(&reset, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}
