//! "Unohtuiko käyttäjätunnus tai salasana?" over HTTP against the real server binary.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Server, link_in, token_of};
use reqwest::StatusCode;
use serde_json::Value;

const NEW_PASSWORD: &str = "uusi salasana syksyllä";

/// Gives Erkki a password through his first-login link.
async fn erkki_with_password(server: &Server) {
    let mut browser = server.browser();
    browser.begin(ERKKI, "fi").await;
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 1)));
    assert_eq!(
        browser
            .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

async fn request_reset(browser: &mut common::Browser, email: &str) -> common::Reply {
    browser
        .call("request_reset", &[("email", email), ("lang", "fi")])
        .await
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_mailed_link() {
    let server = Server::start();
    erkki_with_password(&server).await;
    let mut other_device = server.browser();
    other_device.login(ERKKI, GOOD_PASSWORD, true).await;
    assert_eq!(
        other_device.call("current_user", &[]).await.json()["email"],
        ERKKI
    );

    let mut browser = server.browser();
    let page = browser.get("/fi/forgot").await.body;
    for text in [
        "Unohtuiko käyttäjätunnus tai salasana?",
        "Käyttäjätunnuksesi on jatkossa sähköpostiosoitteesi",
        "044 797 8523",
    ] {
        assert!(page.contains(text), "{text:?}");
    }
    let reply = request_reset(&mut browser, "Esimerkki.Erkki@example.com").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mail = server.wait_for_mail(ERKKI, 2);
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains(
            "Alla olevalla linkillä pääset vaihtamaan unohtuneen salasanasi Asiointipalvelussa."
        ),
        "{text}"
    );
    assert!(text.contains("Linkki on voimassa tunnin"), "{text}");
    let lifetime = server
        .sql_count("SELECT expires_at - created_at FROM tokens WHERE purpose = 'reset_password'")
        .await;
    assert_eq!(lifetime, 3600, "one hour, as configured");

    let token = token_of(&link_in(&mail));
    assert!(
        browser
            .get(&format!("/fi/set-password?token={token}"))
            .await
            .body
            .contains(ERKKI)
    );
    let reply = browser
        .set_password(&token, NEW_PASSWORD, NEW_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        browser.set_cookie_named("asiointi_session").is_none(),
        "no automatic login"
    );

    // The resident is told, and every session has ended.
    let notice = server.wait_for_mail(ERKKI, 3);
    assert_eq!(
        notice["subject"],
        "Salasanasi on vaihdettu – Asiointipalvelu"
    );
    assert_eq!(
        other_device.call("current_user", &[]).await.json(),
        Value::Null,
        "other sessions signed out"
    );

    // The old password no longer works; the new one does; the link is spent.
    assert_eq!(
        browser.login(ERKKI, GOOD_PASSWORD, false).await.json(),
        "wrong_credentials"
    );
    assert_eq!(
        browser.login(ERKKI, NEW_PASSWORD, false).await.status,
        StatusCode::OK
    );
    assert_eq!(
        browser
            .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
            .await
            .json(),
        "link_invalid"
    );
}

#[tokio::test]
async fn the_answer_does_not_reveal_whether_an_address_has_an_account() {
    let server = Server::start();
    let mut browser = server.browser();
    let known = request_reset(&mut browser, MAIJA).await;
    let unknown = request_reset(&mut browser, "ei.ketaan@example.com").await;
    assert_eq!(
        (known.status, known.body.as_str()),
        (unknown.status, unknown.body.as_str())
    );
    server.wait_for_mail(MAIJA, 1);
    assert!(server.mails_to("ei.ketaan@example.com").is_empty());

    // Without JavaScript both land on the same page.
    let form = [("email", MAIJA), ("lang", "fi")];
    let known = browser
        .post_form("request_reset", "/fi/forgot", &form)
        .await
        .location;
    let form = [("email", "ei.ketaan@example.com"), ("lang", "fi")];
    let unknown = browser
        .post_form("request_reset", "/fi/forgot", &form)
        .await
        .location;
    assert_eq!(known.as_deref(), Some("/fi/forgot/sent"));
    assert_eq!(known, unknown);
    let page = browser.get("/fi/forgot/sent").await.body;
    assert!(
        page.contains("Jos osoitteella on käyttäjätunnus, siihen on nyt lähetetty linkki"),
        "{page}"
    );

    // A malformed address is refused as such, which tells nothing about accounts.
    assert_eq!(
        request_reset(&mut browser, "ei osoite").await.json(),
        "email_invalid"
    );
}

#[tokio::test]
async fn a_carried_over_account_can_also_use_the_forgotten_password_page() {
    let server = Server::start();
    let mut browser = server.browser();
    request_reset(&mut browser, MAIJA).await;
    let token = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    assert_eq!(
        browser
            .set_password(&token, NEW_PASSWORD, NEW_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        browser.login(MAIJA, NEW_PASSWORD, false).await.status,
        StatusCode::OK
    );
}
