//! Limits on guessing passwords and on the e-mail step's mail and lookups (issue #5), over HTTP
//! against the real server binary. The passing of time is simulated by moving the stored
//! attempt times back.
#![cfg(feature = "ssr")]

mod common;

use common::{Browser, ERKKI, GOOD_PASSWORD, MAIJA, Options, Server, link_in, token_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WRONG: &str = "väärä salasana tähän";

/// Gives `email` (a carried-over account) a password through its first-login link.
async fn with_password(server: &Server, email: &str) {
    let mut browser = server.browser();
    let before = server.mails_to(email).len();
    assert_eq!(browser.begin(email, "fi").await.json(), "LinkSent");
    let token = token_of(&link_in(&server.wait_for_mail(email, before + 1)));
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

fn too_many(minutes: u32) -> Value {
    json!({ "too_many_attempts": { "minutes": minutes } })
}

/// A login's status and JSON answer.
async fn login(browser: &mut Browser, email: &str, password: &str) -> (StatusCode, Value) {
    let reply = browser.login(email, password, false).await;
    (
        reply.status,
        serde_json::from_str(&reply.body).unwrap_or(Value::Null),
    )
}

fn wrong() -> (StatusCode, Value) {
    (StatusCode::UNAUTHORIZED, json!("wrong_credentials"))
}

fn waits(minutes: u32) -> (StatusCode, Value) {
    (StatusCode::TOO_MANY_REQUESTS, too_many(minutes))
}

/// Moves the stored attempt times of `kind` back by `secs`, as if that much time had passed.
async fn pass(server: &Server, kind: &str, secs: i64) {
    server
        .sql(&format!(
            "UPDATE attempts SET at = at - {secs} WHERE kind = '{kind}'"
        ))
        .await;
}

fn behind_proxy() -> Options {
    Options {
        extra_env: vec![("BEHIND_PROXY", "true".into())],
        ..Options::default()
    }
}

fn client(server: &Server, ip: &str) -> Browser {
    let mut browser = server.browser();
    browser.forwarded_for = Some(ip.to_owned());
    browser
}

#[tokio::test]
async fn after_the_free_failures_even_the_right_password_waits_and_a_success_resets() {
    let server = Server::start();
    with_password(&server, ERKKI).await;
    let mut browser = server.browser();
    for _ in 0..5 {
        assert_eq!(login(&mut browser, ERKKI, WRONG).await, wrong());
    }
    assert_eq!(
        login(&mut browser, ERKKI, GOOD_PASSWORD).await,
        waits(1),
        "during the wait the right password is refused too"
    );
    // A minute later one more attempt; another failure doubles the wait.
    pass(&server, "login_account", 61).await;
    assert_eq!(login(&mut browser, ERKKI, WRONG).await, wrong());
    assert_eq!(login(&mut browser, ERKKI, GOOD_PASSWORD).await, waits(2));
    pass(&server, "login_account", 121).await;
    let (status, _) = login(&mut browser, ERKKI, GOOD_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let left = server
        .sql_count("SELECT COUNT(*) FROM attempts WHERE kind = 'login_account'")
        .await;
    assert_eq!(left, 0, "a success resets the account's count");

    // The free failures are free again.
    let mut other = server.browser();
    for _ in 0..5 {
        assert_eq!(login(&mut other, ERKKI, WRONG).await, wrong());
    }
    assert_eq!(login(&mut other, ERKKI, GOOD_PASSWORD).await, waits(1));
}

#[tokio::test]
async fn the_card_shows_the_wait_and_keeps_the_address_without_javascript() {
    let server = Server::start();
    with_password(&server, ERKKI).await;
    let mut browser = server.browser();
    let reply = browser
        .post_form("begin", "/fi/login", &[("email", ERKKI), ("lang", "fi")])
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let form = [("email", ERKKI), ("password", WRONG), ("lang", "fi")];
    let back = browser
        .post_form("login", "/fi/login", &form)
        .await
        .location
        .unwrap();
    let page = browser
        .get(back.trim_start_matches(&server.base))
        .await
        .body;
    assert!(
        page.contains("Käyttäjätunnus tai salasana on väärin."),
        "{page}"
    );
    for _ in 1..5 {
        browser.post_form("login", "/fi/login", &form).await;
    }
    let back = browser
        .post_form("login", "/fi/login", &form)
        .await
        .location
        .unwrap();
    let back = back.trim_start_matches(&server.base);
    assert!(
        back.starts_with("/fi/login?") && back.contains("__err="),
        "{back}"
    );
    let page = browser.get(back).await.body;
    assert!(
        page.contains("Liian monta epäonnistunutta yritystä. Yritä uudelleen 1 minuutin kuluttua."),
        "{page}"
    );
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(
        page.contains(&format!("value=\"{ERKKI}\"")),
        "the address stays: {page}"
    );
}

#[tokio::test]
async fn unknown_addresses_are_throttled_exactly_like_known_ones() {
    let server = Server::start();
    with_password(&server, ERKKI).await;
    let addresses = [ERKKI, MAIJA, "ei.ketaan@example.com"];
    let mut answers = Vec::new();
    for email in addresses {
        let mut browser = server.browser();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let reply = browser.login(email, WRONG, false).await;
            seen.push((reply.status, reply.body));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1], "with a password / without one");
    assert_eq!(answers[0], answers[2], "with a password / no account");
    assert_eq!(answers[0][4].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0][5].0, StatusCode::TOO_MANY_REQUESTS);
    let unknown = server
        .sql_count("SELECT COUNT(*) FROM attempts WHERE subject = 'ei.ketaan@example.com'")
        .await;
    assert_eq!(unknown, 5, "counted by the address, lower-cased");
}

#[tokio::test]
async fn one_client_is_limited_across_accounts_and_its_success_does_not_reset_it() {
    let server = Server::start_with(behind_proxy());
    with_password(&server, MAIJA).await;
    let mut guesser = client(&server, "198.51.100.7");
    for n in 0..20 {
        let email = format!("arvaus{n}@example.com");
        assert_eq!(login(&mut guesser, &email, WRONG).await, wrong(), "{n}");
    }
    assert_eq!(
        login(&mut guesser, "arvaus99@example.com", WRONG).await,
        waits(1)
    );
    assert_eq!(login(&mut guesser, MAIJA, GOOD_PASSWORD).await, waits(1));
    // Maija herself, elsewhere, is not held up.
    let mut maija = client(&server, "203.0.113.9");
    assert_eq!(
        login(&mut maija, MAIJA, GOOD_PASSWORD).await.0,
        StatusCode::OK
    );

    pass(&server, "login_ip", 61).await;
    assert_eq!(
        login(&mut guesser, MAIJA, GOOD_PASSWORD).await.0,
        StatusCode::OK
    );
    // The success did not reset the client's count: one more failure, and a doubled wait.
    assert_eq!(
        login(&mut guesser, "arvaus20@example.com", WRONG).await,
        wrong()
    );
    assert_eq!(
        login(&mut guesser, "arvaus21@example.com", WRONG).await,
        waits(2)
    );
}

#[tokio::test]
async fn at_most_a_hundred_failures_a_day_then_the_window_frees_up() {
    let server = Server::start();
    with_password(&server, ERKKI).await;
    // 99 failures over the past day, the newest 22 hours ago.
    server
        .sql(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 99)
             INSERT INTO attempts (kind, subject, detail, at)
             SELECT 'login_account', '{ERKKI}', '', {} - 80000 + i * 10 FROM n",
            common::unix_now()
        ))
        .await;
    let mut browser = server.browser();
    assert_eq!(
        login(&mut browser, ERKKI, WRONG).await,
        wrong(),
        "the 100th"
    );
    let (status, body) = login(&mut browser, ERKKI, GOOD_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Until the oldest counted failure is a day old: 86 400 − 79 990 s ≈ 107 minutes.
    let minutes = body["too_many_attempts"]["minutes"].as_u64().unwrap();
    assert!((106..=108).contains(&minutes), "{body}");

    // Not for good: once the oldest failures leave the window, the resident gets in.
    pass(&server, "login_account", 6_500).await;
    assert_eq!(
        login(&mut browser, ERKKI, GOOD_PASSWORD).await.0,
        StatusCode::OK
    );
}

async fn queued_to(server: &Server, email: &str) -> i64 {
    server
        .sql_count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE recipient = '{email}'"
        ))
        .await
}

#[tokio::test]
async fn a_second_jatka_within_five_minutes_sends_no_mail_and_says_so() {
    let server = Server::start();
    let mut browser = server.browser();
    assert_eq!(browser.begin(MAIJA, "fi").await.json(), "LinkSent");
    server.wait_for_mail(MAIJA, 1);
    let again = browser.begin(MAIJA, "fi").await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.json(), json!({ "mail_limit": { "minutes": 5 } }));
    assert_eq!(queued_to(&server, MAIJA).await, 1, "no second mail");
    // The card stays at "link sent".
    let flow = browser.call("login_flow", &[]).await.json();
    assert_eq!(flow["step"], "LinkSent", "{flow}");

    // Without JavaScript: the same card, with the limit told above it.
    let back = browser
        .post_form("begin", "/fi/login", &[("email", MAIJA), ("lang", "fi")])
        .await
        .location
        .unwrap();
    let page = browser
        .get(back.trim_start_matches(&server.base))
        .await
        .body;
    assert!(
        page.contains("Lähetimme tähän osoitteeseen viestin juuri äsken. Katso sähköpostisi tai yritä uudelleen 5 minuutin kuluttua."),
        "{page}"
    );
    assert!(page.contains("Sähköpostiisi on lähetetty linkki"), "{page}");
    assert_eq!(queued_to(&server, MAIJA).await, 1);

    // Five minutes later another link goes, up to five a day.
    for n in 2..=5 {
        pass(&server, "mail", 301).await;
        assert_eq!(browser.begin(MAIJA, "fi").await.json(), "LinkSent", "{n}");
        assert_eq!(queued_to(&server, MAIJA).await, n);
    }
    pass(&server, "mail", 301).await;
    let capped = browser.begin(MAIJA, "fi").await;
    assert_eq!(capped.status, StatusCode::TOO_MANY_REQUESTS);
    let minutes = capped.json()["mail_limit"]["minutes"].as_u64().unwrap();
    assert!(
        minutes > 60,
        "the daily cap waits for the oldest mail: {minutes}"
    );
    assert_eq!(queued_to(&server, MAIJA).await, 5);
}

#[tokio::test]
async fn one_client_gets_a_budget_of_lookups_across_the_email_forms() {
    let server = Server::start_with(behind_proxy());
    let mut prober = client(&server, "198.51.100.20");
    for n in 0..30 {
        let reply = prober.begin(&format!("kokeilu{n}@example.com"), "fi").await;
        assert_eq!(reply.json(), "Unknown", "{n}");
    }
    let refused = prober.begin("kokeilu30@example.com", "fi").await;
    assert_eq!(
        (refused.status, refused.json()),
        (StatusCode::TOO_MANY_REQUESTS, too_many(10))
    );
    let reset = prober
        .call("request_reset", &[("email", ERKKI), ("lang", "fi")])
        .await;
    assert_eq!(
        (reset.status, reset.json()),
        (StatusCode::TOO_MANY_REQUESTS, too_many(10))
    );
    let form = [
        ("full_name", "Uusi Asukas"),
        ("email", "uusi@example.com"),
        ("lang", "fi"),
    ];
    let register = prober.call("register", &form).await;
    assert_eq!(register.json(), too_many(10));
    assert_eq!(queued_to(&server, ERKKI).await, 0);

    // Without JavaScript the card tells the wait and keeps the typed address.
    let back = prober
        .post_form(
            "begin",
            "/fi/login",
            &[("email", "kokeilu31@example.com"), ("lang", "fi")],
        )
        .await
        .location
        .unwrap();
    let page = prober.get(back.trim_start_matches(&server.base)).await.body;
    assert!(
        page.contains("Yritä uudelleen 10 minuutin kuluttua."),
        "{page}"
    );
    assert!(page.contains("value=\"kokeilu31@example.com\""), "{page}");

    // Another client is not affected, and the budget comes back with time.
    let mut neighbour = client(&server, "198.51.100.21");
    assert_eq!(neighbour.begin(MAIJA, "fi").await.json(), "LinkSent");
    pass(&server, "lookup_ip", 600).await;
    assert_eq!(
        prober.begin("kokeilu32@example.com", "fi").await.json(),
        "Unknown"
    );
}

/// Requests sent at the same moment cannot all slip under a limit: each limit counts before it
/// checks, and sees the requests counted before it.
#[tokio::test]
async fn requests_at_the_same_moment_do_not_slip_past_the_limits() {
    let server = Server::start();
    // Ten "Jatka" presses at once (ten tabs, a double click, a script): one mail.
    let mut browsers: Vec<Browser> = (0..10).map(|_| server.browser()).collect();
    let replies = futures_util::future::join_all(
        browsers
            .iter_mut()
            .map(|browser| async move { browser.begin(MAIJA, "fi").await.json() }),
    )
    .await;
    let sent = replies.iter().filter(|r| **r == json!("LinkSent")).count();
    assert_eq!(sent, 1, "{replies:?}");
    assert_eq!(queued_to(&server, MAIJA).await, 1, "one mail");

    // Twelve wrong passwords at once: the five free ones are tried; the rest are refused
    // unhashed — "busy" while those five still run (they might yet succeed), or told to wait
    // once they have failed — whatever the machine's speed decides of the two.
    with_password(&server, ERKKI).await;
    let mut browsers: Vec<Browser> = (0..12).map(|_| server.browser()).collect();
    let replies = futures_util::future::join_all(
        browsers
            .iter_mut()
            .map(|browser| async move { login(browser, ERKKI, WRONG).await }),
    )
    .await;
    let (tried, refused) = common::tried_and_refused(&replies);
    // At most the five free ones are compared (on a loaded machine one may also find the
    // hashing queue full and be answered "busy"), every other one is refused unhashed, and
    // only those compared are counted.
    assert!(tried <= 5, "{replies:?}");
    assert_eq!(tried + refused, 12, "{replies:?}");
    let counted = "SELECT COUNT(*) FROM attempts WHERE kind = 'login_account'";
    assert_eq!(
        server.sql_count(counted).await,
        i64::try_from(tried).unwrap(),
        "refused attempts are not counted"
    );
}
