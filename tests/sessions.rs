//! Sessions against the real server binary: idle and absolute timeouts, fresh ids at login and
//! at a password change, sessions ended by a reset, ids stored hashed, `__Host-` cookies.
//! Time passes by moving the stored times back in the test's database.
#![cfg(feature = "ssr")]

mod common;

use common::{Browser, ERKKI, GOOD_PASSWORD, Server, link_in, token_of};
use reqwest::StatusCode;
use serde_json::Value;

const NEW_PASSWORD: &str = "talvi tulee taas pian";

/// Erkki's password set through his first link; returns nothing, he is not logged in.
async fn erkki_with_password(server: &Server) {
    server.give_password(ERKKI).await;
}

async fn logged_in(server: &Server, remember: bool) -> Browser {
    server.logged_in(ERKKI, remember).await
}

/// Whether the browser's session cookie is a live login.
async fn is_logged_in(browser: &mut Browser) -> bool {
    let reply = browser.call("current_user", &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json() != Value::Null
}

fn session_id(browser: &Browser) -> String {
    browser.cookies["asiointi_session"].clone()
}

#[tokio::test]
async fn an_unused_session_ends_after_its_idle_limit_and_a_remembered_one_later() {
    let server = Server::start();
    erkki_with_password(&server).await;
    let mut plain = logged_in(&server, false).await;
    let mut remembered = logged_in(&server, true).await;
    // 31 minutes unused: past the 30-minute limit of a plain login, not of a remembered one.
    server
        .sql("UPDATE sessions SET last_seen_at = last_seen_at - 31 * 60")
        .await;
    assert!(!is_logged_in(&mut plain).await, "plain login idle too long");
    assert!(
        is_logged_in(&mut remembered).await,
        "remembered login lasts"
    );
    // Eight days unused: past the remembered login's week.
    server
        .sql("UPDATE sessions SET last_seen_at = last_seen_at - 8 * 86400")
        .await;
    assert!(!is_logged_in(&mut remembered).await);
}

#[tokio::test]
async fn using_a_session_keeps_it_alive_with_at_most_one_write_a_minute() {
    let server = Server::start_with(common::Options {
        extra_env: vec![("SESSION_IDLE_MINUTES", "5".to_owned())],
        ..Default::default()
    });
    erkki_with_password(&server).await;
    let mut browser = logged_in(&server, false).await;
    let fresh = || {
        format!(
            "SELECT count(*) FROM sessions WHERE last_seen_at >= {} - 5",
            common::unix_now()
        )
    };
    let used_ago = |secs: i64| {
        format!(
            "UPDATE sessions SET last_seen_at = {}",
            common::unix_now() - secs
        )
    };
    // Used 30 seconds ago: within the minute, no write.
    server.sql(&used_ago(30)).await;
    assert!(is_logged_in(&mut browser).await);
    assert_eq!(
        server.sql_count(&fresh()).await,
        0,
        "no write within a minute"
    );
    // Used four minutes ago (limit five): still live, and the use is recorded.
    server.sql(&used_ago(240)).await;
    assert!(is_logged_in(&mut browser).await);
    assert_eq!(server.sql_count(&fresh()).await, 1, "last use refreshed");
    // Six minutes: past the configured limit.
    server.sql(&used_ago(360)).await;
    assert!(!is_logged_in(&mut browser).await);
}

#[tokio::test]
async fn the_absolute_limit_ends_even_an_active_session() {
    let server = Server::start();
    erkki_with_password(&server).await;
    let mut plain = logged_in(&server, false).await;
    let mut remembered = logged_in(&server, true).await;
    let lifetimes = "SELECT count(*) FROM sessions WHERE
        (persistent = 0 AND expires_at - created_at = 12 * 3600)
        OR (persistent = 1 AND expires_at - created_at = 30 * 86400)";
    assert_eq!(server.sql_count(lifetimes).await, 2, "12 hours and 30 days");
    // Logged in long ago but used a moment ago.
    let now = common::unix_now();
    server
        .sql(&format!(
            "UPDATE sessions SET expires_at = {} - 1, last_seen_at = {now}",
            now
        ))
        .await;
    assert!(!is_logged_in(&mut plain).await);
    assert!(!is_logged_in(&mut remembered).await);
}

#[tokio::test]
async fn login_always_issues_a_new_session_id_stored_only_as_its_hash() {
    let server = Server::start();
    erkki_with_password(&server).await;
    // An id planted before the login (session fixation) is never adopted.
    let mut browser = server.browser();
    browser
        .cookies
        .insert("asiointi_session".into(), "planted-by-someone".into());
    browser.login(ERKKI, GOOD_PASSWORD, false).await;
    let first = session_id(&browser);
    assert_ne!(first, "planted-by-someone");
    assert!(first.len() >= 43, "{first}");
    browser.login(ERKKI, GOOD_PASSWORD, false).await;
    assert_ne!(session_id(&browser), first, "every login a new id");
    // The session this browser had ended with the login that replaced it; each login is one
    // event in the trail.
    assert_eq!(server.sql_count("SELECT count(*) FROM sessions").await, 1);
    let logins = "SELECT count(*) FROM audit_events WHERE kind = 'login_succeeded'";
    assert_eq!(server.sql_count(logins).await, 2);
    // The database holds SHA-256 hashes (32 bytes), never the ids themselves.
    let stored = format!(
        "SELECT count(*) FROM sessions WHERE CAST(id_hash AS TEXT) IN ('{first}', '{}')",
        session_id(&browser)
    );
    assert_eq!(server.sql_count(&stored).await, 0);
    assert_eq!(
        server
            .sql_count("SELECT count(*) FROM sessions WHERE length(id_hash) <> 32")
            .await,
        0
    );
}

#[tokio::test]
async fn a_password_change_renews_this_session_s_id_and_ends_the_others() {
    let server = Server::start();
    erkki_with_password(&server).await;
    let mut this = logged_in(&server, true).await;
    let mut other = logged_in(&server, false).await;
    let old_id = session_id(&this);
    let reply = this
        .call(
            "change_password",
            &[
                ("current", GOOD_PASSWORD),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let renewed = this.set_cookie_named("asiointi_session").unwrap().clone();
    let new_id = session_id(&this);
    assert_ne!(new_id, old_id);
    // Still remembered, for what is left of its 30 days (not extended).
    let max_age: i64 = renewed
        .split("Max-Age=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (30 * 86400 - 60..=30 * 86400).contains(&max_age),
        "{renewed}"
    );
    assert!(is_logged_in(&mut this).await, "the new id works");
    assert!(
        !is_logged_in(&mut other).await,
        "the other device is logged out"
    );
    this.cookies.insert("asiointi_session".into(), old_id);
    assert!(!is_logged_in(&mut this).await, "the old id no longer works");
    assert_eq!(server.sql_count("SELECT count(*) FROM sessions").await, 1);
}

#[tokio::test]
async fn setting_a_password_through_a_reset_link_ends_every_session() {
    let server = Server::start();
    erkki_with_password(&server).await;
    let mut first = logged_in(&server, true).await;
    let mut second = logged_in(&server, false).await;
    let mut anyone = server.browser();
    let reply = anyone
        .call("request_reset", &[("email", ERKKI), ("lang", "fi")])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 2)));
    let reply = anyone
        .set_password(&token, NEW_PASSWORD, NEW_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(!is_logged_in(&mut first).await);
    assert!(!is_logged_in(&mut second).await);
    assert_eq!(server.sql_count("SELECT count(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn over_https_every_cookie_has_the_host_prefix() {
    let public = ("PUBLIC_URL", "https://asiointi.example.fi".to_owned());
    let server = Server::start_with(common::Options {
        extra_env: vec![public],
        ..Default::default()
    });
    let mut browser = server.browser();
    browser.begin(ERKKI, "fi").await;
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 1)));
    browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    browser.login(ERKKI, GOOD_PASSWORD, false).await;
    let session = browser
        .set_cookie_named("__Host-asiointi_session")
        .unwrap()
        .clone();
    // A refused form without JavaScript keeps what was typed in the third cookie.
    browser
        .post_form(
            "request_reset",
            "/fi/forgot",
            &[("email", "erkki@"), ("lang", "fi")],
        )
        .await;
    let typed = browser
        .set_cookie_named("__Host-asiointi_typed")
        .unwrap()
        .clone();
    browser.call("restart_login", &[]).await;
    let flow = browser
        .set_cookie_named("__Host-asiointi_login")
        .unwrap()
        .clone();
    for cookie in [&session, &typed, &flow] {
        assert!(
            cookie.contains("; Secure")
                && cookie.contains("; Path=/")
                && cookie.contains("HttpOnly"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain"), "{cookie}");
    }
    assert!(
        browser
            .cookies
            .keys()
            .all(|name| name.starts_with("__Host-"))
    );
    // The server reads the session under its prefixed name.
    assert!(is_logged_in(&mut browser).await);
    // And ignores the plain name over https.
    let id = browser.cookies.remove("__Host-asiointi_session").unwrap();
    browser.cookies.insert("asiointi_session".into(), id);
    assert!(!is_logged_in(&mut browser).await);
}
