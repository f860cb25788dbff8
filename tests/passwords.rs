//! The password policy against the real server binary: every place that sets a password
//! refuses the same passwords with the same codes, the minimum is configurable, Unicode forms
//! are one password, and the strength meter's endpoint agrees with the policy.
#![cfg(feature = "ssr")]

mod common;

use common::{Browser, ERKKI, GOOD_PASSWORD, Options, Server, link_in, token_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// 256 and 257 characters of a passphrase that is otherwise fine.
fn of_length(chars: usize) -> String {
    "kuusi vihreää hevosta laulaa "
        .chars()
        .cycle()
        .take(chars)
        .collect()
}

/// Each refused (password, confirmation) with its code, in the policy's order.
fn refusals() -> Vec<(String, String, Value)> {
    let same = |p: &str, code: Value| (p.to_owned(), p.to_owned(), code);
    vec![
        same("lyhyt", json!({"password_too_short": {"min": 12}})),
        same(&of_length(257), json!("password_too_long")),
        (
            GOOD_PASSWORD.to_owned(),
            "toinen salasana tähän".to_owned(),
            json!("password_mismatch"),
        ),
        // On the SecLists top-100,000 list (as "leavemealone"), any case.
        same("LeaveMeAlone", json!("password_common")),
        same("kesä ja Esimerkki.Erkki", json!("password_personal")),
        same("talvella erkki hiihtää", json!("password_personal")),
        same("kissa1234567", json!("password_weak")),
    ]
}

async fn link_token(server: &Server, browser: &mut Browser) -> String {
    browser.begin(ERKKI, "fi").await;
    token_of(&link_in(&server.wait_for_mail(ERKKI, 1)))
}

#[tokio::test]
async fn set_password_refuses_each_rule_and_the_link_survives() {
    let server = Server::start();
    let mut browser = server.browser();
    let token = link_token(&server, &mut browser).await;
    for (password, confirm, code) in refusals() {
        let reply = browser.set_password(&token, &password, &confirm).await;
        assert!(reply.status.is_client_error(), "{code}: {}", reply.status);
        assert_eq!(reply.json(), code, "{password:?}");
    }
    // Exactly 256 characters is accepted; the refusals spent neither the link nor anything else.
    let longest = of_length(256);
    let reply = browser.set_password(&token, &longest, &longest).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        browser.login(ERKKI, &longest, false).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn change_password_refuses_each_rule_and_keeps_the_old_one() {
    let server = Server::start();
    let mut browser = server.browser();
    let token = link_token(&server, &mut browser).await;
    browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(
        browser.login(ERKKI, GOOD_PASSWORD, false).await.status,
        StatusCode::OK
    );
    for (password, confirm, code) in refusals() {
        let reply = browser
            .call(
                "change_password",
                &[
                    ("current", GOOD_PASSWORD),
                    ("password", &password),
                    ("confirm", &confirm),
                    ("lang", "fi"),
                ],
            )
            .await;
        assert!(reply.status.is_client_error(), "{code}: {}", reply.status);
        assert_eq!(reply.json(), code, "{password:?}");
    }
    // Still logged in with the old password, and it still works elsewhere.
    let mut other = server.browser();
    assert_eq!(
        other.login(ERKKI, GOOD_PASSWORD, false).await.status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .sql_count("SELECT COUNT(*) FROM outbox WHERE kind = 'password_changed'")
            .await,
        0,
        "no password-changed notice for a refused change"
    );
}

#[tokio::test]
async fn composed_and_decomposed_forms_are_one_password() {
    let server = Server::start();
    let mut browser = server.browser();
    let token = link_token(&server, &mut browser).await;
    // "é" as one code point when set, as "e" + combining acute accent at login.
    let composed = "kahvila café ja sen terassi";
    let decomposed = "kahvila cafe\u{301} ja sen terassi";
    let reply = browser.set_password(&token, composed, decomposed).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        server
            .browser()
            .login(ERKKI, decomposed, false)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        server.browser().login(ERKKI, composed, false).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_minimum_is_configurable_and_named_in_the_message() {
    let server = Server::start_with(Options {
        extra_env: vec![("PASSWORD_MIN_CHARS", "16".into())],
        ..Options::default()
    });
    let mut browser = server.browser();
    let token = link_token(&server, &mut browser).await;
    let fifteen = "hevonen laulaa!"; // fine by the default of 12
    let reply = browser.set_password(&token, fifteen, fifteen).await;
    assert_eq!(reply.json(), json!({"password_too_short": {"min": 16}}));
    // With JavaScript off the page shows the Finnish message with the configured number.
    let page = format!("/fi/set-password?token={token}");
    let form = [
        ("token", token.as_str()),
        ("password", fifteen),
        ("confirm", fifteen),
        ("lang", "fi"),
    ];
    let back = browser
        .post_form("set_password", &page, &form)
        .await
        .location
        .unwrap();
    let back = back.trim_start_matches(&server.base).to_owned();
    assert!(back.contains("__err="), "{back}");
    let body = browser.get(&back).await.body;
    assert!(
        body.contains("Salasanassa on oltava vähintään 16 merkkiä."),
        "{body}"
    );
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn the_strength_endpoint_scores_like_the_policy_and_changes_nothing() {
    let server = Server::start();
    let mut browser = server.browser();
    let token = link_token(&server, &mut browser).await;
    let score = |reply: common::Reply| -> u64 {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json().as_u64().unwrap()
    };
    let mut ask = async |password: &str, token: &str| {
        score(
            browser
                .call(
                    "password_strength",
                    &[("password", password), ("token", token)],
                )
                .await,
        )
    };
    assert!(ask("kissa1234567", &token).await <= 2, "weak");
    assert!(ask("salasana12345", "").await <= 2, "weak without an owner");
    assert_eq!(ask("LeaveMeAlone", "").await, 0, "common");
    assert!(ask(GOOD_PASSWORD, &token).await >= 3, "strong");
    // The link's owner is Erkki: his name is refused, so it scores 0 with his link only.
    assert_eq!(ask("talvella erkki hiihtää", &token).await, 0);
    assert!(ask("talvella erkki hiihtää", "").await >= 3);
    // Strong but too short is not "good": the server would refuse it.
    assert!(ask("Xq7#vR2!pL9", "").await <= 2);
    assert_eq!(ask(&of_length(257), "").await, 0);
    let dead = browser
        .call(
            "password_strength",
            &[("password", GOOD_PASSWORD), ("token", "not-a-token")],
        )
        .await;
    assert_eq!(dead.json(), json!("link_invalid"));
    // Scoring spent nothing: the link still sets the password.
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Logged in, the session names the owner.
    browser.login(ERKKI, GOOD_PASSWORD, false).await;
    let personal = browser
        .call(
            "password_strength",
            &[("password", "talvella erkki hiihtää"), ("token", "")],
        )
        .await;
    assert_eq!(personal.json(), json!(0));
}
