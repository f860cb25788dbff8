//! A flood of logins from one client IP — a school class or an office behind one NAT address at
//! 8:00 — over HTTP against the real server binary (issue #9): a request the hasher could not
//! take is answered "busy" and never counts as a failed attempt, and a flood of refusals is one
//! audit event per waiting subject with its count, not one row per request.
#![cfg(feature = "ssr")]

mod common;

use common::{Browser, ERKKI, GOOD_PASSWORD, Options, Server};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WRONG: &str = "väärä salasana tähän";

/// `n` browsers log in as `email` with `password` at the same moment; each answer's status and
/// JSON body.
async fn at_once(
    server: &Server,
    n: usize,
    email: &str,
    password: &str,
) -> Vec<(StatusCode, Value)> {
    let mut browsers: Vec<Browser> = (0..n).map(|_| server.browser()).collect();
    futures_util::future::join_all(browsers.iter_mut().map(|browser| async move {
        let reply = browser.login(email, password, false).await;
        let body = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
        (reply.status, body)
    }))
    .await
}

#[tokio::test]
async fn a_flood_of_right_passwords_is_never_counted_as_guessing() {
    // One hashing slot: a burst of forty finds the queue (one running, eight waiting) full.
    let server = Server::start_with(Options {
        extra_env: vec![("HASHING_SLOTS", "1".into())],
        ..Options::default()
    });
    server.give_password(ERKKI).await;
    let (mut logged_in, mut busy, mut rounds) = (0, 0, 0);
    // Bursts until some were answered "busy" (the first almost always has): every burst
    // before the fix locked the address out after twenty of them.
    while busy == 0 || rounds < 3 {
        assert!(rounds < 30, "no burst ever filled the hashing queue");
        rounds += 1;
        for (status, body) in at_once(&server, 40, ERKKI, GOOD_PASSWORD).await {
            match status {
                StatusCode::OK => logged_in += 1,
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert_eq!(body, json!("busy"));
                    busy += 1;
                }
                other => panic!("a right password was answered {other}: {body}"),
            }
        }
    }
    let counted = "SELECT COUNT(*) FROM attempts WHERE kind IN ('login_account', 'login_ip')";
    let failures = server.sql_count(counted).await;
    let audit = |kind: &str| format!("SELECT COUNT(*) FROM audit_events WHERE kind = '{kind}'");
    let (succeeded, failed, throttled) = (
        server.sql_count(&audit("login_succeeded")).await,
        server.sql_count(&audit("login_failed")).await,
        server.sql_count(&audit("login_throttled")).await,
    );
    println!(
        "flood of right passwords from one IP: {rounds} bursts of 40, {logged_in} logged in, \
         {busy} busy; failures recorded {failures}; audit: {succeeded} succeeded, {failed} \
         failed, {throttled} throttled"
    );
    assert_eq!(failures, 0, "a login that was never checked was counted");
    assert_eq!((succeeded, failed, throttled), (logged_in, 0, 0));
    // "Busy" is the service protecting itself, not an error for the operator to chase.
    let errors: Vec<_> = server
        .log()
        .lines()
        .filter(|l| l.contains("ERROR"))
        .map(str::to_owned)
        .collect();
    assert!(
        errors.is_empty(),
        "{busy} busy answers logged errors: {errors:?}"
    );
    // And the address is not locked out afterwards.
    server.logged_in(ERKKI, false).await;
}

#[tokio::test]
async fn a_flood_of_refused_logins_is_one_audit_event_per_waiting_subject() {
    let server = Server::start();
    server.give_password(ERKKI).await;
    let mut browser = server.browser();
    // Five free failures for the address; then it must wait, and fifty more at once are refused.
    for _ in 0..5 {
        let reply = browser.login(ERKKI, WRONG, false).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    }
    let refused = at_once(&server, 50, ERKKI, WRONG).await;
    let statuses: Vec<StatusCode> = refused.iter().map(|(status, _)| *status).collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}\n{}",
        server.log()
    );
    // One client trying many addresses: with the five above, fifteen more failures are the
    // IP's twenty free ones; then it waits whichever address it tries.
    for i in 0..15 {
        let reply = browser
            .login(&format!("kokeilu{i}@example.com"), WRONG, false)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    }
    let mut browsers: Vec<Browser> = (0..30).map(|_| server.browser()).collect();
    let sprayed = futures_util::future::join_all(browsers.iter_mut().enumerate().map(
        |(i, browser)| async move {
            browser
                .login(&format!("toinen{i}@example.com"), WRONG, false)
                .await
                .status
        },
    ))
    .await;
    assert!(
        sprayed
            .iter()
            .all(|status| *status == StatusCode::TOO_MANY_REQUESTS),
        "{sprayed:?}\n{}",
        server.log()
    );
    let rows: Vec<(Option<i64>, String, i64)> = sqlx::query_as(
        "SELECT account_id, COALESCE(detail, ''), repeats FROM audit_events
         WHERE kind = 'login_throttled' ORDER BY id",
    )
    .fetch_all(&mut server.db().await)
    .await
    .unwrap();
    println!("flood of refusals: 80 refused, audit rows {rows:?}");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].0.is_some() && rows[0].2 == 50,
        "the address: {rows:?}"
    );
    assert_eq!(
        (rows[1].0, rows[1].1.as_str(), rows[1].2),
        (None, "client 127.0.0.1 waiting after failures", 30)
    );
    let failed = "SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed'";
    assert_eq!(
        server.sql_count(failed).await,
        20,
        "each checked failure is its own event"
    );
}
