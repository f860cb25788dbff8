//! "Luo uusi käyttäjätunnus" over HTTP against the real server binary.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, Server, link_in, token_of};
use reqwest::StatusCode;

const NEW: &str = "uusi.asukas@example.com";

async fn register(
    browser: &mut common::Browser,
    name: &str,
    email: &str,
    lang: &str,
) -> common::Reply {
    browser
        .call(
            "register",
            &[("full_name", name), ("email", email), ("lang", lang)],
        )
        .await
}

#[tokio::test]
async fn a_new_resident_registers_verifies_by_setting_a_password_and_logs_in() {
    let server = Server::start();
    let mut browser = server.browser();
    let page = browser.get("/fi/register").await.body;
    assert!(
        page.contains("Luo uusi käyttäjätunnus")
            && page.contains("Nimi")
            && page.contains("Käyttäjätunnus")
    );

    let reply = register(
        &mut browser,
        "  Uusi   Asukas ",
        "Uusi.Asukas@Example.com",
        "fi",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mail = server.wait_for_mail(NEW, 1);
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("Alla olevalla linkillä pääset asettamaan salasanasi")
    );
    let token = token_of(&link_in(&mail));

    // Not usable before the address is verified.
    assert_eq!(
        browser.login(NEW, GOOD_PASSWORD, false).await.json(),
        "wrong_credentials"
    );
    assert_eq!(
        browser
            .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        browser.login(NEW, GOOD_PASSWORD, false).await.status,
        StatusCode::OK
    );
    let me = browser.call("current_user", &[]).await.json();
    assert_eq!(
        (me["full_name"].as_str(), me["email"].as_str()),
        (Some("Uusi Asukas"), Some(NEW))
    );
}

#[tokio::test]
async fn registering_a_known_address_reveals_nothing_and_tells_the_owner() {
    let server = Server::start();
    let mut browser = server.browser();
    let fresh = register(&mut browser, "Uusi Asukas", NEW, "fi").await;
    let known = register(&mut browser, "Joku Muu", ERKKI, "fi").await;
    assert_eq!(
        (fresh.status, fresh.body.as_str()),
        (known.status, known.body.as_str())
    );

    let notice = server.wait_for_mail(ERKKI, 1);
    let text = notice["text"].as_str().unwrap();
    assert!(text.contains("Joku yritti juuri luoda"), "{text}");
    assert!(
        text.contains(&format!("{}/fi/login", server.base))
            && text.contains(&format!("{}/fi/forgot", server.base))
    );
    assert!(
        !text.contains("set-password"),
        "no link that could take over the account"
    );
    let names = server
        .sql_count("SELECT COUNT(*) FROM accounts WHERE full_name = 'Joku Muu'")
        .await;
    assert_eq!(names, 0, "the existing account is untouched");

    // Without JavaScript both land on the same page.
    let form = [("full_name", "Joku Muu"), ("email", ERKKI), ("lang", "fi")];
    let known = browser
        .post_form("register", "/fi/register", &form)
        .await
        .location;
    let form = [
        ("full_name", "Toinen Uusi"),
        ("email", "toinen.uusi@example.com"),
        ("lang", "fi"),
    ];
    let fresh = browser
        .post_form("register", "/fi/register", &form)
        .await
        .location;
    assert_eq!(known.as_deref(), Some("/fi/register/sent"));
    assert_eq!(known, fresh);
    let page = browser.get("/fi/register/sent").await.body;
    assert!(
        page.contains("Lähetimme antamaasi sähköpostiosoitteeseen linkin."),
        "{page}"
    );
}

#[tokio::test]
async fn registration_input_is_checked_with_localized_errors() {
    let server = Server::start();
    let mut browser = server.browser();
    assert_eq!(
        register(&mut browser, "  ", NEW, "fi").await.json(),
        "name_required"
    );
    assert_eq!(
        register(&mut browser, &"x".repeat(201), NEW, "fi")
            .await
            .json(),
        "name_too_long"
    );
    assert_eq!(
        register(&mut browser, "Uusi Asukas", "uusi@", "fi")
            .await
            .json(),
        "email_invalid"
    );
    assert_eq!(
        server
            .sql_count("SELECT COUNT(*) FROM accounts WHERE origin = 'registered'")
            .await,
        0
    );

    let form = [("full_name", ""), ("email", NEW), ("lang", "sv")];
    let back = browser
        .post_form("register", "/sv/register", &form)
        .await
        .location
        .unwrap();
    let page = browser
        .get(back.trim_start_matches(&server.base))
        .await
        .body;
    assert!(page.contains("Skriv ditt namn."), "{page}");
    assert!(
        page.contains(&format!("value=\"{NEW}\"")),
        "the typed address is kept: {page}"
    );
}

#[tokio::test]
async fn registration_mail_follows_the_page_language() {
    let server = Server::start();
    let mut browser = server.browser();
    register(&mut browser, "New Resident", NEW, "en").await;
    let mail = server.wait_for_mail(NEW, 1);
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("With the link below you can set your password")
    );
    assert!(link_in(&mail).contains("/en/set-password?token="));
}
