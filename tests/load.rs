//! The load test of #11: simulated residents doing the mixed journey at once for a minute
//! against two instances on one PostgreSQL database behind nginx: the login page, "Jatka", a
//! password login, their history and settings, a change of name, logging out, with a pause of
//! one to three seconds between steps (a person reading the page), each resident from an
//! address of their own. They arrive over the first ten seconds, not all in the same instant.
//! (A flood of logins without pauses is the other benchmark's, #12.) Every answer must be the
//! expected one and every logged-in request must find its session. Prints requests per second and the latencies.
//!
//! A minute long, so not part of the ordinary passes: scripts/test.sh runs it against the
//! release build (`ASIOINTI_BIN`) on PostgreSQL:
//! `cargo test --features ssr --test load -- --ignored --nocapture`.
//! `LOAD_RESIDENTS` and `LOAD_SECONDS` change its size (200 and 60).
#![cfg(feature = "ssr")]

mod common;
mod fleet;

use common::{Browser, GOOD_PASSWORD, link_in, token_of};
use fleet::Fleet;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn setting(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn resident(n: u64) -> String {
    format!("kuormitus.{n:04}@example.com")
}

/// What the residents saw: each request's latency, and what went wrong.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
    lost_sessions: u64,
    /// Logins answered "busy": the hashing queue was full. That is the service's answer to
    /// more logins than the machine hashes in time (a bounded queue, never a pile-up); the
    /// page asks the resident to try again, and so does the resident here. How many there
    /// are depends on the machine (beside other work, hashing at a lower priority waits), so
    /// they are counted and printed, not failed.
    busy: u64,
    logins: u64,
    journeys: u64,
}

/// Over how long the residents arrive, in milliseconds.
const RAMP_UP_MS: u64 = 10_000;

/// One resident's journeys from `start` until `until`.
async fn journeys(base: String, n: u64, start: Instant, until: Instant, tally: Arc<Mutex<Tally>>) {
    tokio::time::sleep_until(start.into()).await;
    let email = resident(n);
    let pause = || {
        let ms = 1_000 + rand_below(2_000);
        tokio::time::sleep(Duration::from_millis(ms))
    };
    let mut first = true;
    while Instant::now() < until {
        // A journey cut short by an error starts again after a pause, not at once.
        if !first {
            pause().await;
        }
        first = false;
        let mut browser = Browser::at_from(&base, &base, Some(address_of(n)));
        let step = |what: &str, started: Instant, ok: bool, detail: String| {
            let mut tally = tally.lock().unwrap();
            tally.latencies.push(started.elapsed());
            if !ok {
                tally.errors.push(format!("{email} {what}: {detail}"));
            }
            ok
        };
        let t = Instant::now();
        let page = browser.get("/fi/login").await;
        if !step(
            "login page",
            t,
            page.status == StatusCode::OK,
            page.status.to_string(),
        ) {
            continue;
        }
        pause().await;
        let t = Instant::now();
        let begun = browser.begin(&email, "fi").await;
        let next = serde_json::from_str::<Value>(&begun.body).unwrap_or_default();
        if !step("Jatka", t, next == "Password", begun.body.clone()) {
            continue;
        }
        pause().await;
        let mut t = Instant::now();
        let mut login = browser.login(&email, GOOD_PASSWORD, false).await;
        while is_busy(&login.body) && Instant::now() < until {
            tally.lock().unwrap().busy += 1;
            pause().await;
            t = Instant::now();
            login = browser.login(&email, GOOD_PASSWORD, false).await;
        }
        if is_busy(&login.body) {
            break; // the minute ran out while the resident was trying again
        }
        if !step(
            "login",
            t,
            login.status == StatusCode::OK,
            login.body.clone(),
        ) {
            continue;
        }
        tally.lock().unwrap().logins += 1;
        for path in ["/fi/history", "/fi/account"] {
            pause().await;
            let t = Instant::now();
            let page = browser.get(path).await;
            step(
                path,
                t,
                page.status == StatusCode::OK,
                page.status.to_string(),
            );
            let t = Instant::now();
            let user = browser.call("current_user", &[]).await;
            let known = user.status == StatusCode::OK
                && serde_json::from_str::<Value>(&user.body).is_ok_and(|u| !u.is_null());
            step(
                "current_user",
                t,
                user.status == StatusCode::OK,
                user.body.clone(),
            );
            if !known {
                tally.lock().unwrap().lost_sessions += 1;
            }
        }
        pause().await;
        let name = format!("Kuormitus {n}");
        let t = Instant::now();
        let renamed = browser
            .call("change_name", &[("full_name", &name), ("lang", "fi")])
            .await;
        step(
            "change_name",
            t,
            renamed.status == StatusCode::OK,
            renamed.body.clone(),
        );
        pause().await;
        let t = Instant::now();
        let out = browser.call("logout", &[("lang", "fi")]).await;
        let ok = out.status.is_success() || out.status.is_redirection();
        step("logout", t, ok, out.body.clone());
        tally.lock().unwrap().journeys += 1;
    }
}

/// The login's answer when the hashing queue is full (`AppError::Busy`, 503).
fn is_busy(body: &str) -> bool {
    serde_json::from_str::<Value>(body).is_ok_and(|v| v == "busy")
}

/// The n-th resident's own address, 127.0.x.y: residents of a city come from many addresses,
/// and the per-IP limits would otherwise take all of them for one crowded NAT.
fn address_of(n: u64) -> std::net::IpAddr {
    let n = u8::try_from(n % 250).unwrap_or(0);
    std::net::IpAddr::from([127, 0, 1 + n / 125, 2 + n % 125])
}

/// A number below `bound` from the clock's nanoseconds: enough to spread the pauses.
fn rand_below(bound: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos) % bound
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute long: scripts/test.sh runs it against the release build on PostgreSQL"]
async fn residents_at_once_for_a_minute_on_two_instances_lose_nothing() {
    assert!(
        common::on_postgres(),
        "two instances share a PostgreSQL database: set ASIOINTI_TEST_POSTGRES"
    );
    let residents = setting("LOAD_RESIDENTS", 200);
    let seconds = setting("LOAD_SECONDS", 60);
    let fleet = Fleet::start_with(2, &[("LOOKUPS_PER_IP", "100000000"), ("RUST_LOG", "warn")]);
    // Every resident registers and sets a password through the mailed link, twenty at once.
    let prepared = Instant::now();
    for chunk in (0..residents).collect::<Vec<_>>().chunks(20) {
        let registered = chunk.iter().map(|&n| {
            let base = fleet.base.clone();
            async move {
                let mut browser = Browser::at(&base, &base);
                let name = format!("Kuormitus {n}");
                let reply = browser
                    .call(
                        "register",
                        &[
                            ("full_name", &name),
                            ("email", &resident(n)),
                            ("lang", "fi"),
                        ],
                    )
                    .await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            }
        });
        futures_util::future::join_all(registered).await;
        for &n in chunk {
            let token = token_of(&link_in(&fleet.wait_for_mail(&resident(n), 1)));
            let mut browser = fleet.browser();
            let reply = browser
                .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        }
    }
    println!(
        "load: {residents} residents registered with a password in {:.0} s",
        prepared.elapsed().as_secs_f64()
    );

    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..residents)
        .map(|n| {
            let arrives = started + Duration::from_millis(n * RAMP_UP_MS / residents);
            tokio::spawn(journeys(
                fleet.base.clone(),
                n,
                arrives,
                until,
                tally.clone(),
            ))
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut tally = Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap();
    tally.latencies.sort();
    let requests = tally.latencies.len();
    println!(
        "load: {residents} residents for {elapsed:.0} s on 2 instances: {requests} requests, \
         {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, max {:.0} ms; {} journeys, {} logins \
         ({} busy, tried again); {} errors, {} lost sessions",
        requests as f64 / elapsed,
        percentile(&tally.latencies, 0.50),
        percentile(&tally.latencies, 0.99),
        percentile(&tally.latencies, 1.0),
        tally.journeys,
        tally.logins,
        tally.busy,
        tally.errors.len(),
        tally.lost_sessions
    );
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for error in &tally.errors {
        let (_, what) = error.split_once(' ').unwrap_or(("", error));
        *kinds.entry(what.chars().take(80).collect()).or_default() += 1;
    }
    println!("load: errors by kind {kinds:#?}");
    if !tally.errors.is_empty() {
        println!("{}", fleet.diagnostics());
    }
    assert!(
        tally.errors.is_empty(),
        "{:#?}",
        &tally.errors[..tally.errors.len().min(20)]
    );
    let served: std::collections::BTreeSet<String> = fleet.upstreams().into_iter().collect();
    assert_eq!(served.len(), 2, "both instances served: {served:?}");
    assert_eq!(tally.lost_sessions, 0);
    assert!(
        tally.logins >= residents,
        "every resident logged in at least once"
    );
}
