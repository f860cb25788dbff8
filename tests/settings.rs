//! The resident's settings over HTTP against the real server binary.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Server, link_in, link_to, token_of};
use reqwest::StatusCode;
use serde_json::Value;

const NEW_PASSWORD: &str = "talvi tulee taas pian";
const NEW_EMAIL: &str = "erkki.uusi@example.com";

#[tokio::test]
async fn settings_need_a_login() {
    let server = Server::start();
    let mut browser = server.browser();
    for (function, form) in [
        ("change_name", vec![("full_name", "X"), ("lang", "fi")]),
        ("set_language", vec![("language", "sv"), ("lang", "fi")]),
        (
            "change_password",
            vec![
                ("current", "a"),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
                ("lang", "fi"),
            ],
        ),
        (
            "change_email",
            vec![("new_email", NEW_EMAIL), ("current", "a"), ("lang", "fi")],
        ),
        ("end_other_sessions", vec![("lang", "fi")]),
        ("my_sessions", vec![]),
    ] {
        let reply = browser.call(function, &form).await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::UNAUTHORIZED, Value::from("not_logged_in")),
            "{function}"
        );
    }
}

#[tokio::test]
async fn name_and_language_of_mail() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let reply = browser
        .call(
            "change_name",
            &[("full_name", "  Erkki  Uusinimi "), ("lang", "fi")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        browser.call("current_user", &[]).await.json()["full_name"],
        "Erkki Uusinimi"
    );
    assert_eq!(
        browser
            .call("change_name", &[("full_name", ""), ("lang", "fi")])
            .await
            .json(),
        "name_required"
    );
    let page = browser.get("/fi/account?saved=name").await.body;
    assert!(
        page.contains("Nimi on tallennettu.") && page.contains("Erkki Uusinimi"),
        "{page}"
    );

    // A chosen language rules every mail, whatever page the resident uses.
    browser
        .call("set_language", &[("language", "sv"), ("lang", "fi")])
        .await;
    assert_eq!(
        browser.call("current_user", &[]).await.json()["language"],
        "Sv"
    );
    browser
        .call("request_reset", &[("email", ERKKI), ("lang", "fi")])
        .await;
    let mail = server.wait_for_mail(ERKKI, 2);
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("Med länken nedan kan du byta ditt glömda lösenord"),
        "{mail}"
    );
    assert_eq!(
        browser
            .call("set_language", &[("language", "de"), ("lang", "fi")])
            .await
            .json(),
        "bad_request"
    );
    browser
        .call("set_language", &[("language", ""), ("lang", "fi")])
        .await;
    assert_eq!(
        browser.call("current_user", &[]).await.json()["language"],
        Value::Null
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_the_others() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let mut other_device = server.browser();
    other_device.login(ERKKI, GOOD_PASSWORD, true).await;

    let form = [
        ("current", "väärä salasana"),
        ("password", NEW_PASSWORD),
        ("confirm", NEW_PASSWORD),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_password", &form).await.json(),
        "current_password_wrong"
    );
    let form = [
        ("current", GOOD_PASSWORD),
        ("password", NEW_PASSWORD),
        ("confirm", "eri salasana tässä"),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_password", &form).await.json(),
        "password_mismatch"
    );
    let form = [
        ("current", GOOD_PASSWORD),
        ("password", NEW_PASSWORD),
        ("confirm", NEW_PASSWORD),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_password", &form).await.status,
        StatusCode::OK
    );

    assert_eq!(
        browser.call("current_user", &[]).await.json()["email"],
        ERKKI,
        "this session stays"
    );
    assert_eq!(
        other_device.call("current_user", &[]).await.json(),
        Value::Null,
        "the others end"
    );
    let notice = server.wait_for_mail(ERKKI, 2);
    assert_eq!(
        notice["subject"],
        "Salasanasi on vaihdettu – Asiointipalvelu"
    );
    assert_eq!(
        browser.login(ERKKI, GOOD_PASSWORD, false).await.json(),
        "wrong_credentials"
    );
    assert_eq!(
        browser.login(ERKKI, NEW_PASSWORD, false).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn changing_the_address_waits_for_the_new_one_to_be_confirmed() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;

    let form = [
        ("new_email", NEW_EMAIL),
        ("current", "väärä"),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_email", &form).await.json(),
        "current_password_wrong"
    );
    let form = [
        ("new_email", ERKKI),
        ("current", GOOD_PASSWORD),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_email", &form).await.json(),
        "email_unchanged"
    );
    let form = [
        ("new_email", NEW_EMAIL),
        ("current", GOOD_PASSWORD),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_email", &form).await.status,
        StatusCode::OK
    );

    // A notice to the old address, the link to the new one; the old one is still the username.
    let notice = server.wait_for_mail(ERKKI, 2);
    assert_eq!(
        notice["subject"],
        "Käyttäjätunnuksesi vaihtoa on pyydetty – Asiointipalvelu"
    );
    let mail = server.wait_for_mail(NEW_EMAIL, 1);
    let token = token_of(&link_to(&mail, "/confirm-email?token="));
    assert_eq!(browser.begin(ERKKI, "fi").await.json(), "Password");
    assert_eq!(browser.begin(NEW_EMAIL, "fi").await.json(), "Unknown");

    // Opening the link changes nothing by itself; the button does.
    let page = browser
        .get(&format!("/fi/confirm-email?token={token}"))
        .await
        .body;
    assert!(
        page.contains(NEW_EMAIL) && page.contains("Vahvista osoite"),
        "{page}"
    );
    assert_eq!(browser.begin(NEW_EMAIL, "fi").await.json(), "Unknown");
    let reply = browser
        .call("confirm_email", &[("token", &token), ("lang", "fi")])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        browser.call("current_user", &[]).await.json()["email"],
        NEW_EMAIL
    );
    assert_eq!(
        browser.login(NEW_EMAIL, GOOD_PASSWORD, false).await.status,
        StatusCode::OK
    );
    assert_eq!(browser.begin(ERKKI, "fi").await.json(), "Unknown");
    assert_eq!(
        browser
            .call("confirm_email", &[("token", &token), ("lang", "fi")])
            .await
            .json(),
        "link_invalid"
    );
}

#[tokio::test]
async fn an_address_taken_meanwhile_is_refused_at_confirmation() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let form = [
        ("new_email", MAIJA),
        ("current", GOOD_PASSWORD),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_email", &form).await.status,
        StatusCode::OK,
        "nothing revealed yet"
    );
    let mail = server.wait_for_mail(MAIJA, 1);
    let token = token_of(&link_to(&mail, "/confirm-email?token="));
    let reply = browser
        .call("confirm_email", &[("token", &token), ("lang", "fi")])
        .await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::CONFLICT, Value::from("email_taken"))
    );
    assert_eq!(
        browser.call("current_user", &[]).await.json()["email"],
        ERKKI
    );
}

#[tokio::test]
async fn sessions_are_listed_and_ended_one_by_one_or_all_others() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let mut phone = server.browser();
    phone.login(ERKKI, GOOD_PASSWORD, true).await;
    let mut laptop = server.browser();
    laptop.login(ERKKI, GOOD_PASSWORD, false).await;

    let sessions = browser.call("my_sessions", &[]).await.json();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(
        sessions.iter().filter(|s| s["this_device"] == true).count(),
        1
    );
    assert_eq!(
        sessions.iter().filter(|s| s["remembered"] == true).count(),
        1
    );
    let phone_id = sessions.iter().find(|s| s["remembered"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another resident cannot end Erkki's sessions.
    let mut maija = server.browser();
    maija.begin(MAIJA, "fi").await;
    let token = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    maija
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    maija.login(MAIJA, GOOD_PASSWORD, false).await;
    maija
        .call("end_session", &[("session", &phone_id), ("lang", "fi")])
        .await;
    assert_eq!(phone.call("current_user", &[]).await.json()["email"], ERKKI);

    browser
        .call("end_session", &[("session", &phone_id), ("lang", "fi")])
        .await;
    assert_eq!(phone.call("current_user", &[]).await.json(), Value::Null);
    assert_eq!(
        laptop.call("current_user", &[]).await.json()["email"],
        ERKKI
    );
    browser.call("end_other_sessions", &[("lang", "fi")]).await;
    assert_eq!(laptop.call("current_user", &[]).await.json(), Value::Null);
    assert_eq!(
        browser
            .call("my_sessions", &[])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let page = browser.get("/fi/account").await.body;
    assert!(
        page.contains("Tämä laite") && page.contains("Kirjaudu ulos kaikilta muilta laitteilta"),
        "{page}"
    );
}

/// The current password asked in the settings is limited like the login card's: a stolen
/// session cannot be used to guess it.
#[tokio::test]
async fn guessing_the_current_password_in_the_settings_is_limited_like_logging_in() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let form = [
        ("current", "arvaus arvauksen perään"),
        ("password", NEW_PASSWORD),
        ("confirm", NEW_PASSWORD),
        ("lang", "fi"),
    ];
    for _ in 0..5 {
        assert_eq!(
            browser.call("change_password", &form).await.json(),
            "current_password_wrong"
        );
    }
    let reply = browser.call("change_password", &form).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(reply.json()["too_many_attempts"]["minutes"].as_u64() >= Some(1));
    // Even the right current password waits now, and so does the login card.
    let right = [
        ("current", GOOD_PASSWORD),
        ("password", NEW_PASSWORD),
        ("confirm", NEW_PASSWORD),
        ("lang", "fi"),
    ];
    assert_eq!(
        browser.call("change_password", &right).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut other = server.browser();
    assert_eq!(
        other.login(ERKKI, GOOD_PASSWORD, false).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        server
            .sql_count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed'")
            .await,
        5
    );
}
