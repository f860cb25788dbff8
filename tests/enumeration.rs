//! Account enumeration (issue #5): with `account_enumeration = protect` the login card's
//! "Jatka" tells nothing about an address; registration and recovery never do, in either mode.
#![cfg(feature = "ssr")]

mod common;

use common::{Browser, ERKKI, MAIJA, Options, Server, link_in};
use reqwest::StatusCode;
use std::time::Instant;

const UNKNOWN: &str = "ei.ketaan@example.com";

fn mode(mode: &str, behind_proxy: bool) -> Options {
    let mut extra_env = vec![("ACCOUNT_ENUMERATION", mode.to_owned())];
    if behind_proxy {
        extra_env.push(("BEHIND_PROXY", "true".into()));
    }
    Options {
        extra_env,
        ..Options::default()
    }
}

async fn queued_to(server: &Server, email: &str) -> i64 {
    server
        .sql_count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE recipient = '{email}'"
        ))
        .await
}

/// Gives Erkki a password through the link "Jatka" mails to him (in either mode).
async fn erkki_with_password(server: &Server) {
    server.give_password(ERKKI).await;
}

#[tokio::test]
async fn protect_mode_gives_every_address_the_same_step_and_words_and_the_right_mail() {
    let server = Server::start_with(mode("protect", false));
    erkki_with_password(&server).await;
    assert_eq!(queued_to(&server, ERKKI).await, 1);

    // With a password, carried over without one, no account: the same answer and card.
    let mut pages = Vec::new();
    for email in [ERKKI, MAIJA, UNKNOWN] {
        let mut browser = server.browser();
        let reply = browser.begin(email, "fi").await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "\"Password\"")
        );
        let flow = browser.call("login_flow", &[]).await.json();
        assert_eq!(flow["step"], "Password", "{flow}");
        assert_eq!(flow["mail_notice"], true, "{flow}");
        let html = browser.get("/fi/login").await.body;
        // The card (the page around it carries a fresh nonce each time).
        let start = html.find("<main").unwrap();
        let end = html.find("</main>").unwrap();
        let page = html[start..end].replace(email, "OSOITE");
        assert!(
            page.contains("Jos sinulla ei vielä ole salasanaa, lähetimme sähköpostiisi linkin sen asettamiseen."),
            "{page}"
        );
        // A wrong password is refused alike.
        let wrong = browser.login(email, "väärä salasana tähän", false).await;
        assert_eq!(
            (wrong.status, wrong.body.as_str()),
            (StatusCode::UNAUTHORIZED, "\"wrong_credentials\"")
        );
        pages.push(page);
    }
    assert_eq!(pages[0], pages[1]);
    assert_eq!(pages[0], pages[2]);

    // The mail says what applies: the link, how to create an account, nothing.
    let link = server.wait_for_mail(MAIJA, 1);
    assert!(link_in(&link).contains("/fi/set-password?token="));
    let none = server.wait_for_mail(UNKNOWN, 1);
    let text = none["text"].as_str().unwrap();
    assert!(
        text.contains("mutta osoitteella ei ole käyttäjätunnusta"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/fi/register", server.base)),
        "{text}"
    );
    assert!(text.contains("044 797 8523"), "support contact: {text}");
    assert!(!text.contains("set-password"), "{text}");
    assert_eq!(
        queued_to(&server, ERKKI).await,
        1,
        "no mail to a password holder"
    );

    // Again within five minutes: the same answer, and no more mail.
    for email in [ERKKI, MAIJA, UNKNOWN] {
        let reply = server.browser().begin(email, "fi").await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "\"Password\"")
        );
    }
    assert_eq!(queued_to(&server, MAIJA).await, 1);
    assert_eq!(queued_to(&server, UNKNOWN).await, 1);

    // The "no account" mail's link works: registering right away still mails the link.
    let form = [
        ("full_name", "Uusi Asukas"),
        ("email", UNKNOWN),
        ("lang", "fi"),
    ];
    server.browser().call("register", &form).await;
    let mail = server.wait_for_mail(UNKNOWN, 2);
    assert!(link_in(&mail).contains("/set-password?token="));
}

/// The median of `samples`, in milliseconds.
fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[tokio::test]
async fn protect_mode_answers_take_the_same_time_for_every_kind_of_address() {
    const RUNS: usize = 15;
    let server = Server::start_with(mode("protect", true));
    erkki_with_password(&server).await;
    let mut times: [Vec<f64>; 3] = Default::default();
    for run in 0..RUNS {
        // Fresh unknown addresses take the slowest path every time (a mail is queued).
        let unknown = format!("tuntematon{run}@example.com");
        for (kind, email) in [ERKKI, MAIJA, unknown.as_str()].into_iter().enumerate() {
            let mut browser: Browser = server.browser();
            browser.forwarded_for = Some(format!("198.51.100.{}", run * 3 + kind + 1));
            let started = Instant::now();
            let reply = browser.begin(email, "fi").await;
            times[kind].push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(reply.body, "\"Password\"");
        }
    }
    let [erkki, maija, unknown] = times.map(median);
    for m in [erkki, maija, unknown] {
        assert!(
            m >= 400.0,
            "padded to the minimum: {erkki} {maija} {unknown}"
        );
    }
    let spread = erkki.max(maija).max(unknown) - erkki.min(maija).min(unknown);
    assert!(
        spread < 25.0,
        "medians in ms: password {erkki:.1}, carried over {maija:.1}, unknown {unknown:.1}"
    );
    assert!(queued_to(&server, "tuntematon14@example.com").await == 1);
}

/// Recovery and registration answer alike for known and unknown addresses, and for a repeat
/// that the mail limit keeps from sending, by script and by plain form.
async fn recovery_and_registration_reveal_nothing(mode_name: &str) {
    let server = Server::start_with(mode(mode_name, false));
    erkki_with_password(&server).await;
    let mut browser = server.browser();
    let reset = |email: &'static str| [("email", email), ("lang", "fi")];
    let register =
        |email: &'static str| [("full_name", "Joku Muu"), ("email", email), ("lang", "fi")];
    let mut answers = Vec::new();
    // Known with a password, carried over, unknown; then the same again (mail-limited).
    for email in [ERKKI, MAIJA, UNKNOWN, ERKKI, MAIJA, UNKNOWN] {
        let reply = browser.call("request_reset", &reset(email)).await;
        let form = browser
            .post_form("request_reset", "/fi/forgot", &reset(email))
            .await;
        answers.push((
            reply.status,
            reply.body,
            form.status,
            form.location,
            browser.set_cookies.clone(),
        ));
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "{mode_name}: {answers:?}"
    );
    assert_eq!(answers[0].3.as_deref(), Some("/fi/forgot/sent"));
    // Only one reset mail each despite four requests.
    let resets = server
        .sql_count("SELECT COUNT(*) FROM outbox WHERE kind = 'reset_password_link'")
        .await;
    assert_eq!(resets, 2, "{mode_name}");

    let mut answers = Vec::new();
    for email in [
        ERKKI,
        MAIJA,
        "uusi.asukas@example.com",
        ERKKI,
        "toinen.uusi@example.com",
    ] {
        let reply = browser.call("register", &register(email)).await;
        answers.push((reply.status, reply.body, browser.set_cookies.clone()));
    }
    for email in [ERKKI, "kolmas.uusi@example.com"] {
        let form = browser
            .post_form("register", "/fi/register", &register(email))
            .await;
        assert_eq!(
            (form.status, form.location.as_deref()),
            (StatusCode::FOUND, Some("/fi/register/sent")),
            "{mode_name}"
        );
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "{mode_name}: {answers:?}"
    );
    // Erkki was told once of the attempts to register his address (limit), not four times.
    let told = server
        .sql_count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE recipient = '{ERKKI}' AND kind = 'account_exists'"
        ))
        .await;
    assert_eq!(told, 1, "{mode_name}");
}

#[tokio::test]
async fn recovery_and_registration_reveal_nothing_when_helpful() {
    recovery_and_registration_reveal_nothing("helpful").await;
}

#[tokio::test]
async fn recovery_and_registration_reveal_nothing_when_protecting() {
    recovery_and_registration_reveal_nothing("protect").await;
}

#[tokio::test]
async fn an_unknown_mode_stops_the_server_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
        )
        .env("ACCOUNT_ENUMERATION", "strict")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_ENV", "PROD")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ACCOUNT_ENUMERATION"), "{stderr}");
}
