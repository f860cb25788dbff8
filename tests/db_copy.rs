//! `asiointi db copy`: a deployment that started on SQLite moves to PostgreSQL (in the suite's
//! SQLite pass: to another SQLite file) with all its data, and its residents and e-services
//! carry on as if nothing happened: passwords, sessions' rows, refresh tokens, signing keys.
#![cfg(feature = "ssr")]

mod common;
mod oidc_support;

use common::{ERKKI, GOOD_PASSWORD, Options, Server};
use oidc_support::*;
use reqwest::StatusCode;
use std::process::Command;

fn copy(from: &str, to: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .args(["db", "copy", "--from", from, "--to", to])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

async fn count(url: &str, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut common::connect(url).await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_deployment_moves_to_a_new_database_with_everything_and_carries_on() {
    let source_dir = tempfile::tempdir().unwrap();
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        source_dir.path().join("asiointi.db").display()
    );
    let server = Server::start_with(Options {
        database: Some(sqlite.clone()),
        ..Options::default()
    });
    // What a running deployment holds: accounts and their password, sessions, mail, the audit
    // trail, attempt counts, an e-service with a grant and a refresh token, a signing key.
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(&rp, &challenge, &[("scope", "openid offline_access")]);
    let code = query_of(browser.get(&path).await.location.as_deref().unwrap())["code"].clone();
    let tokens = exchange(&server, &rp, Auth::Basic, &code, &verifier)
        .await
        .json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let mut stranger = server.browser();
    stranger.login(ERKKI, "not the password", false).await;
    drop(server);

    let target_dir = tempfile::tempdir().unwrap();
    let target = common::test_database(&target_dir);
    let output = copy(&sqlite, &target);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("in one transaction"), "{stdout}");
    // Every table arrived whole, and the report says how much of each.
    let mut total = 0;
    for line in stdout.lines().filter(|l| !l.starts_with("copied")) {
        let (table, rows) = line.split_once(": ").unwrap();
        let rows: i64 = rows.parse().unwrap();
        assert_eq!(count(&sqlite, table).await, rows, "{table}");
        assert_eq!(count(&target, table).await, rows, "{table}");
        total += rows;
    }
    for table in [
        "accounts",
        "sessions",
        "outbox",
        "tokens",
        "audit_events",
        "attempts",
    ] {
        assert!(count(&target, table).await > 0, "{table} had rows to copy");
    }
    assert!(stdout.lines().count() >= 20 && total > 0, "{stdout}");
    let accounts = "SELECT id, email, password_hash FROM accounts ORDER BY id";
    let read = |url: String| async move {
        sqlx::query_as::<_, (i64, Option<String>, Option<String>)>(accounts)
            .fetch_all(&mut common::connect(&url).await)
            .await
            .unwrap()
    };
    assert_eq!(read(sqlite.clone()).await, read(target.clone()).await);

    // A second copy finds the target in use and changes nothing.
    let again = copy(&sqlite, &target);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(
        count(&target, "accounts").await,
        count(&sqlite, "accounts").await
    );

    // The service on the copy: the password works, the e-service's refresh token and secret
    // work, and new rows get ids after the copied ones.
    let server = Server::start_with(Options {
        database: Some(target.clone()),
        ..Options::default()
    });
    let mut browser = server.browser();
    let login = browser.login(ERKKI, GOOD_PASSWORD, false).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let refreshed = refresh(&server, &rp, &refresh_token).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let history = browser.get("/fi/history").await;
    assert_eq!(history.status, StatusCode::OK);
    let newest: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_events")
        .fetch_one(&mut common::connect(&target).await)
        .await
        .unwrap();
    let copied_newest: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_events")
        .fetch_one(&mut common::connect(&sqlite).await)
        .await
        .unwrap();
    assert!(newest > copied_newest, "new events after the copied ones");
}
