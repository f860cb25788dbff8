//! The audit trail: security events recorded by the running service and the command line,
//! read with `asiointi support audit`.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Server, link_in, link_to, token_of};
use reqwest::StatusCode;
use std::process::Command;

fn support(server: &Server, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .arg("support")
        .args(args)
        .env("DATABASE_URL", server.database_url())
        .env("PUBLIC_URL", &server.base)
        .env("USER", "tuki.testaaja")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    text
}

/// The event kinds `support audit` lists for `account`, oldest first.
fn kinds(text: &str) -> Vec<String> {
    let mut kinds: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|column| !column.is_empty())
                .nth(1)
        })
        .map(str::to_owned)
        .collect();
    kinds.reverse();
    kinds
}

#[tokio::test]
async fn a_residents_security_events_are_recorded_with_ip_and_browser_and_no_secrets() {
    let server = Server::start();
    let mut browser = server.browser();

    // First login of a carried-over account: link mailed, password set, a wrong then a right
    // password, logout.
    browser.begin(ERKKI, "fi").await;
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 1)));
    browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    let wrong = "väärä salasana ihan varmasti";
    assert_eq!(
        browser.login(ERKKI, wrong, false).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        browser.login(ERKKI, GOOD_PASSWORD, false).await.status,
        StatusCode::OK
    );

    // A new address, confirmed from the mailed link.
    let new_email = "erkki.uusi@example.com";
    let form = [
        ("new_email", new_email),
        ("current", GOOD_PASSWORD),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_email", &form).await.status,
        StatusCode::OK
    );
    let change_token = token_of(&link_to(
        &server.wait_for_mail(new_email, 1),
        "/confirm-email?token=",
    ));
    let reply = browser
        .call("confirm_email", &[("token", &change_token), ("lang", "fi")])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        browser.call("logout", &[("lang", "fi")]).await.status,
        StatusCode::OK
    );

    // Support sends a link and moves the account to yet another address.
    support(&server, &["send-link", new_email]);
    support(&server, &["set-email", "erkki", "erkki.kolmas@example.com"]);

    let text = support(&server, &["audit", "erkki"]);
    assert_eq!(
        kinds(&text),
        [
            "imported",
            "link_mailed",
            "password_set",
            "login_failed",
            "login_succeeded",
            "link_mailed",
            "email_changed",
            "session_ended",
            "support_link_sent",
            "support_email_set",
        ],
        "{text}"
    );
    assert!(text.contains("127.0.0.1"), "the client's address: {text}");
    assert!(text.contains("Firefox, Linux"), "the browser: {text}");
    assert!(text.contains("old username erkki"), "{text}");
    assert!(
        text.contains(&format!("{ERKKI} -> {new_email}")),
        "the change of address: {text}"
    );
    assert!(text.contains("by tuki.testaaja"), "the operator: {text}");

    // Nothing secret was stored: no password, no token, no link.
    for secret in [GOOD_PASSWORD, wrong, &token, &change_token, "token="] {
        let hits = server
            .sql_count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE replace(coalesce(detail, '') || coalesce(user_agent, ''), '{0}', '') <>
                     coalesce(detail, '') || coalesce(user_agent, '')",
                secret.replace('\'', "''")
            ))
            .await;
        assert_eq!(hits, 0, "{secret:?} in the audit trail");
    }

    // Another account's trail is its own.
    let text = support(&server, &["audit", MAIJA]);
    assert_eq!(kinds(&text), ["imported"], "{text}");
}

#[tokio::test]
async fn a_failed_login_on_an_address_without_an_account_is_recorded_without_an_account() {
    let server = Server::start();
    let mut browser = server.browser();
    let reply = browser
        .login("ei.ketaan@example.com", "mikä tahansa salasana", false)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        server
            .sql_count(
                "SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed' AND account_id IS NULL \
                 AND detail LIKE '%ei.ketaan@example.com%' AND ip = '127.0.0.1'"
            )
            .await,
        1
    );
}

#[tokio::test]
async fn the_import_records_each_created_and_merged_account() {
    let server = Server::start();
    // The harness imported tests/fixtures/users.csv at start.
    let imported = server
        .sql_count("SELECT COUNT(*) FROM audit_events WHERE kind = 'imported'")
        .await;
    let accounts = server
        .sql_count("SELECT COUNT(*) FROM accounts WHERE origin = 'legacy'")
        .await;
    assert_eq!(imported, accounts);
    let merged = server
        .sql_count("SELECT COUNT(*) FROM audit_events WHERE kind = 'merged'")
        .await;
    let extra_usernames = server
        .sql_count("SELECT COUNT(*) FROM legacy_usernames")
        .await
        - accounts;
    assert_eq!(merged, extra_usernames);
}
