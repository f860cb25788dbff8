//! `asiointi support …` against the database of a running server, whose sender delivers the
//! mail the commands queue.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Server, link_in, token_of};
use reqwest::StatusCode;
use std::process::Command;

fn support(server: &Server, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .arg("support")
        .args(args)
        .env("DATABASE_URL", server.database_url())
        .env("PUBLIC_URL", &server.base)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn find_shows_the_state_of_matching_accounts() {
    let server = Server::start();
    let (ok, text) = support(&server, &["find", "esimerkki"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("Erkki Esimerkki <esimerkki.erkki@example.com>"),
        "{text}"
    );
    assert!(text.contains("old usernames: erkki"), "{text}");
    assert!(
        text.contains("password set: no") && text.contains("last login: never"),
        "{text}"
    );
    assert!(!text.contains("Maija"), "{text}");

    // After a first login the state shows it.
    let mut browser = server.browser();
    browser.begin(ERKKI, "fi").await;
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 1)));
    browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    browser.login(ERKKI, GOOD_PASSWORD, false).await;
    let (_, text) = support(&server, &["find", "erkki"]);
    assert!(
        text.contains("password set: yes") && !text.contains("last login: never"),
        "{text}"
    );
    assert!(text.contains("locked: no"), "{text}");

    // Wrong passwords past the free ones make the account wait; find shows until when.
    for _ in 0..6 {
        browser
            .login(ERKKI, "väärä salasana taas kerran", false)
            .await;
    }
    let (_, text) = support(&server, &["find", "erkki"]);
    assert!(
        text.contains("locked: until") && text.contains("(too many wrong passwords)"),
        "{text}"
    );
    let (_, text) = support(&server, &["find", "maija"]);
    assert!(text.contains("locked: no"), "{text}");
    assert!(
        text.contains("Maija Meikäläinen") && text.contains("history rows: 0"),
        "{text}"
    );
    let (_, text) = support(&server, &["find", "%"]);
    assert!(
        text.contains("no account matches"),
        "a % is a character, not a wildcard: {text}"
    );
}

#[tokio::test]
async fn send_link_mails_a_fresh_set_password_link() {
    let server = Server::start();
    let (ok, text) = support(&server, &["send-link", MAIJA]);
    assert!(ok, "{text}");
    let token = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    let mut browser = server.browser();
    assert_eq!(
        browser
            .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    let (ok, text) = support(&server, &["send-link", "ei.ketaan@example.com"]);
    assert!(!ok && text.contains("no account has the address"), "{text}");
}

#[tokio::test]
async fn set_email_attaches_an_address_and_mails_the_link_there() {
    let server = Server::start();
    let new = "maija.uusi@example.com";
    let (ok, text) = support(&server, &["set-email", "maija", new]);
    assert!(ok, "{text}");
    let token = token_of(&link_in(&server.wait_for_mail(new, 1)));
    let mut browser = server.browser();
    assert_eq!(
        browser
            .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        browser.login(new, GOOD_PASSWORD, false).await.status,
        StatusCode::OK
    );

    let (ok, text) = support(&server, &["set-email", "erkki", new]);
    assert!(
        !ok && text.contains("another account already has"),
        "{text}"
    );
    let (ok, text) = support(&server, &["set-email", "nobody", "x@example.com"]);
    assert!(!ok && text.contains("no account"), "{text}");
}

#[tokio::test]
async fn end_sessions_logs_the_resident_out_everywhere() {
    let server = Server::start();
    server.give_password(ERKKI).await;
    let mut laptop = server.logged_in(ERKKI, false).await;
    let mut phone = server.logged_in(ERKKI, true).await;
    server.give_password(MAIJA).await;
    let mut maija = server.logged_in(MAIJA, false).await;

    let (ok, text) = support(&server, &["end-sessions", ERKKI]);
    assert!(ok && text.contains("2 session(s) ended"), "{text}");
    for browser in [&mut laptop, &mut phone] {
        assert_eq!(
            browser.call("current_user", &[]).await.json(),
            serde_json::Value::Null
        );
    }
    assert_eq!(
        maija.call("current_user", &[]).await.json()["email"],
        MAIJA,
        "another resident's session stays"
    );
    let (ok, text) = support(&server, &["end-sessions", "nobody"]);
    assert!(!ok && text.contains("no account"), "{text}");
}
