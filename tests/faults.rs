//! Nothing is lost when a part fails (#11): the SMTP server, an instance killed with `kill -9`
//! in the middle of work, the only instance killed while residents change passwords. Each test
//! prints its figures.
#![cfg(feature = "ssr")]

mod common;
mod fleet;
mod relay;

use common::{Browser, ERKKI, GOOD_PASSWORD, Options, Server, link_in, token_of};
use fleet::Fleet;
use relay::{Relay, through};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Kills process `pid` with SIGKILL after `delay`.
async fn kill_9_after(pid: u32, delay: Duration) {
    tokio::time::sleep(delay).await;
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

/// The n-th new resident's address.
fn resident(n: usize) -> String {
    format!("asukas.{n:03}@example.com")
}

async fn register(browser: &mut Browser, n: usize) -> StatusCode {
    let email = resident(n);
    let name = format!("Asukas {n}");
    browser
        .call(
            "register",
            &[("full_name", &name), ("email", &email), ("lang", "fi")],
        )
        .await
        .status
}

/// The mails received so far, by recipient, each as its `Message-ID`.
fn message_ids(mails: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut by_recipient: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for mail in mails {
        let to = mail["to"][0].as_str().unwrap().to_owned();
        let id = mail["message_id"].as_str().unwrap().to_owned();
        by_recipient.entry(to).or_default().push(id);
    }
    by_recipient
}

/// Waits until every address in `expected` has a mail, or `limit` passes.
fn wait_for_each(mails: impl Fn() -> Vec<Value>, expected: &BTreeSet<String>, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let got: BTreeSet<String> = message_ids(&mails()).into_keys().collect();
        let missing: Vec<_> = expected.difference(&got).collect();
        if missing.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no mail to {missing:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test]
async fn a_hundred_links_asked_while_smtp_is_down_arrive_once_each_when_it_is_back() {
    let mut server = Server::start_with(Options {
        smtp: false,
        extra_env: vec![("LOOKUPS_PER_IP", "1000".into())],
        ..Options::default()
    });
    let mut browser = server.browser();
    for n in 0..100 {
        assert_eq!(register(&mut browser, n).await, StatusCode::OK);
    }
    // Every mail has been tried and has failed: the SMTP server is down.
    let tried = "SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND sent_at IS NULL";
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.sql_count(tried).await < 100 {
        assert!(Instant::now() < deadline, "{}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.start_smtp();
    let expected: BTreeSet<String> = (0..100).map(resident).collect();
    let started = Instant::now();
    wait_for_each(
        || server.mails_to("@example.com"),
        &expected,
        Duration::from_secs(120),
    );
    // Let any stray copy arrive before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = server.mails_to("@example.com");
    let by_recipient = message_ids(&mails);
    println!(
        "SMTP down, 100 links asked: {} mails arrived {:.0} s after it came back, {} recipients",
        mails.len(),
        started.elapsed().as_secs_f64(),
        by_recipient.len()
    );
    assert_eq!(mails.len(), 100, "none twice");
    assert!(by_recipient.values().all(|ids| ids.len() == 1));
    // The link minted at the delivery that worked is the one that works.
    let mail = server.wait_for_mail(&resident(42), 1);
    let reply = browser
        .set_password(&token_of(&link_in(&mail)), GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn an_instance_killed_during_a_burst_leaves_every_answered_link_to_the_other() {
    if !common::on_postgres() {
        eprintln!("several instances share a PostgreSQL database: this runs in that pass");
        return;
    }
    let mut fleet = Fleet::start_with(
        2,
        &[("MAIL_LEASE_SECONDS", "10"), ("LOOKUPS_PER_IP", "1000")],
    );
    let base = fleet.base.clone();
    // A hundred registrations, ten at a time; the second instance is killed after the third
    // round, while requests are in flight.
    let mut answered = BTreeSet::new();
    let mut unanswered = 0;
    for round in 0..10 {
        let requests = (0..10).map(|i| {
            let base = base.clone();
            async move {
                let mut browser = Browser::at(&base, &base);
                (round * 10 + i, register(&mut browser, round * 10 + i).await)
            }
        });
        let burst = futures_util::future::join_all(requests);
        let replies = if round == 3 {
            let pid = fleet.servers[1].pid();
            let (replies, ()) = tokio::join!(burst, kill_9_after(pid, Duration::from_millis(20)));
            replies
        } else {
            burst.await
        };
        for (n, status) in replies {
            if status == StatusCode::OK {
                answered.insert(resident(n));
            } else {
                unanswered += 1;
            }
        }
    }
    fleet.servers[1].kill();
    let expected = answered.clone();
    wait_for_each(
        || fleet.mails_to("@example.com"),
        &expected,
        Duration::from_secs(90),
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let by_recipient = message_ids(&fleet.mails_to("@example.com"));
    let copies: usize = by_recipient.values().map(|ids| ids.len() - 1).sum();
    println!(
        "kill -9 during 100 link requests: {} answered, {unanswered} not, {} mails to the \
         answered, {copies} duplicate(s)",
        answered.len(),
        answered
            .iter()
            .filter(|a| by_recipient.contains_key(*a))
            .count()
    );
    assert!(answered.len() >= 90, "{answered:?}");
    for address in &answered {
        let ids: BTreeSet<_> = by_recipient[address].iter().collect();
        assert_eq!(ids.len(), 1, "{address}: one mail, whatever the attempts");
    }
    // A copy is possible only for a mail the killed sender had handed to the SMTP server but
    // not yet marked sent: at most the one it was delivering.
    assert!(copies <= 1, "{by_recipient:?}");
}

#[tokio::test]
async fn the_only_instance_killed_during_password_changes_keeps_every_acknowledged_one() {
    let mut server = Server::start();
    server.give_password(ERKKI).await;
    let mut browser = server.logged_in(ERKKI, true).await;
    let password = |n: usize| format!("{GOOD_PASSWORD} kierros {n}");
    let mut current = GOOD_PASSWORD.to_owned();
    let mut acknowledged = 0;
    let started = Instant::now();
    // Changes one after another, the server killed in the middle of one of them.
    let in_flight = loop {
        let next = password(acknowledged + 1);
        let form = [
            ("current", current.as_str()),
            ("password", next.as_str()),
            ("confirm", next.as_str()),
            ("lang", "fi"),
        ];
        let kill_now = started.elapsed() > Duration::from_millis(1500);
        let reply = if kill_now {
            let pid = server.pid();
            let (reply, ()) = tokio::join!(
                browser.try_call("change_password", &form),
                kill_9_after(pid, Duration::from_millis(30))
            );
            reply
        } else {
            browser.try_call("change_password", &form).await
        };
        // No answer (the server died) or not acknowledged: this one was in flight.
        if !reply.is_ok_and(|reply| reply.status == StatusCode::OK) {
            break next;
        }
        acknowledged += 1;
        current = next;
        if kill_now {
            // The change finished before the kill; the next one is the one in flight.
            server.kill();
            break password(acknowledged + 1);
        }
    };
    server.kill();
    server.restart();
    let works = |password: String| {
        let mut browser = server.browser();
        async move {
            let reply = browser.login(ERKKI, &password, false).await;
            reply.status == StatusCode::OK
        }
    };
    let last = works(current.clone()).await;
    let interrupted = works(in_flight).await;
    println!(
        "kill -9 during password changes: {acknowledged} acknowledged; after the restart the \
         last acknowledged works: {last}, the interrupted one took effect: {interrupted}"
    );
    assert!(acknowledged > 0);
    // The last acknowledged password works, unless the interrupted change after it was
    // committed before the kill (and then exactly that one does).
    assert!(last != interrupted, "exactly one of the two works");
    if common::on_postgres() {
        assert_eq!(server.sql_count("SELECT COUNT(*) FROM accounts").await, 2);
    } else {
        assert_eq!(server.sql_rows("PRAGMA integrity_check").await, ["ok"]);
    }
}

async fn status_and_body(browser: &mut Browser, path: &str) -> (StatusCode, String) {
    let reply = browser.get(path).await;
    (reply.status, reply.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_unreachable_residents_are_asked_to_try_again_and_it_recovers() {
    const TRY_AGAIN: &str = "Palvelu on hetken poissa käytöstä";
    if !common::on_postgres() {
        sqlite_lock_held_past_the_busy_timeout().await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = common::test_database(&dir);
    let parsed = url::Url::parse(&database).unwrap();
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let mut relay = Relay::start(upstream).await;
    let server = Server::start_with(Options {
        database: Some(through(&database, &relay)),
        ..Options::default()
    });
    let mut browser = server.erkki_logged_in().await;
    assert_eq!(
        status_and_body(&mut browser, "/fi/history").await.0,
        StatusCode::OK
    );

    relay.cut();
    let started = Instant::now();
    let (status, body) = status_and_body(&mut browser, "/fi/history").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains(TRY_AGAIN), "{body}");
    let reply = browser.call("current_user", &[]).await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::SERVICE_UNAVAILABLE, Value::from("unavailable"))
    );
    let mut other = server.browser();
    let login = other.login(ERKKI, GOOD_PASSWORD, false).await;
    assert_eq!(
        (login.status, login.json()),
        (StatusCode::SERVICE_UNAVAILABLE, Value::from("unavailable"))
    );
    let ready = common::http_client()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let alive = common::http_client()
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
    let outage = started.elapsed();

    // Back: no restart, no operator; the same session works.
    relay.restore().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = common::http_client()
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .unwrap();
        if ready.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "never ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered = started.elapsed() - outage;
    assert_eq!(
        status_and_body(&mut browser, "/fi/history").await.0,
        StatusCode::OK
    );
    let login = other.login(ERKKI, GOOD_PASSWORD, false).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let log = server.log();
    assert!(!log.contains("panicked"), "{log}");
    println!(
        "database unreachable: 503 with the try-again text for {:.1} s of requests, ready again \
         {:.1} s after it was back",
        outage.as_secs_f64(),
        recovered.as_secs_f64()
    );
}

/// SQLite's form of the same: another process holds the write lock past the busy timeout.
/// Pages that only read still load (WAL); a change is answered "try again", then works once
/// the lock is gone.
async fn sqlite_lock_held_past_the_busy_timeout() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let mut holder = server.db().await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(
        status_and_body(&mut browser, "/fi/history").await.0,
        StatusCode::OK
    );
    let rename = [("full_name", "Erkki Uusinimi"), ("lang", "fi")];
    let reply = browser.call("change_name", &rename).await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::SERVICE_UNAVAILABLE, Value::from("unavailable"))
    );
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    let reply = browser.call("change_name", &rename).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(!server.log().contains("panicked"));
}
