//! The first login after the username change, over HTTP against the real server binary.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Server, link_in, token_of};
use reqwest::StatusCode;
use serde_json::Value;

/// Sets the password of a carried-over account through the mailed link; returns the token.
async fn set_password_via_mail(server: &Server, email: &str) -> String {
    let mut browser = server.browser();
    let before = server.mails_to(email).len();
    assert_eq!(browser.begin(email, "fi").await.json(), "LinkSent");
    let token = token_of(&link_in(&server.wait_for_mail(email, before + 1)));
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    token
}

fn error(status: StatusCode, code: &str) -> (StatusCode, Value) {
    (status, Value::from(code))
}

#[tokio::test]
async fn carried_over_account_sets_a_password_from_the_mail_and_logs_in() {
    let server = Server::start();
    let mut browser = server.browser();

    // Malformed and unknown addresses.
    let reply = browser.begin("erkki@", "fi").await;
    assert_eq!(
        (reply.status, reply.json()),
        error(StatusCode::BAD_REQUEST, "email_invalid")
    );
    assert_eq!(browser.begin("", "fi").await.json(), "email_required");
    assert_eq!(
        browser.begin("tuntematon@example.com", "fi").await.json(),
        "Unknown"
    );
    let card = browser.get("/fi/login").await.body;
    assert!(
        card.contains("Järjestelmä ei tunnistanut sähköpostiosoitettasi."),
        "{card}"
    );

    // A carried-over account: the link is mailed, and the card says so.
    let reply = browser.begin(" Esimerkki.Erkki@Example.com ", "fi").await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::OK, Value::from("LinkSent"))
    );
    let card = browser.get("/fi/login").await.body;
    assert!(
        card.contains("Sähköpostiisi on lähetetty linkki, jonka avulla voit asettaa salasanan.")
    );
    let mail = server.wait_for_mail(ERKKI, 1);
    let text = mail["text"].as_str().unwrap();
    for expected in [
        "Alla olevalla linkillä pääset asettamaan salasanasi Asiointipalvelussa.",
        &format!("Käyttäjätunnus: {ERKKI}"),
        "Tämä on palvelun automaattisesti lähettämä viesti. Älä vastaa tähän viestiin.",
        "Ongelmatilanteissa ota yhteys kuntaan.",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    assert!(
        mail["html"].as_str().unwrap().contains("<a href="),
        "HTML alternative"
    );
    let link = link_in(&mail);
    assert!(
        link.starts_with(&format!("{}/fi/set-password?token=", server.base)),
        "{link}"
    );
    let token = token_of(&link);
    assert_eq!(token.len(), 43);

    // The link's page, and the password rules.
    let page = browser
        .get(&format!("/fi/set-password?token={token}"))
        .await
        .body;
    for expected in [
        "Vaihda salasana",
        "Uusi salasana",
        "Vahvista uusi salasana",
        ERKKI,
    ] {
        assert!(page.contains(expected), "{expected:?}");
    }
    let short = browser.set_password(&token, "lyhyt", "lyhyt").await;
    assert_eq!(
        (short.status, short.json()),
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"password_too_short": {"min": 12}})
        )
    );
    let mismatch = browser
        .set_password(&token, GOOD_PASSWORD, "something else entirely")
        .await;
    assert_eq!(mismatch.json(), "password_mismatch");
    let done = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let page = browser.get("/fi/set-password/done").await.body;
    assert!(
        page.contains(
            "Salasanan vaihto onnistui, voit nyt kirjautua palveluun uudella salasanalla."
        )
    );
    assert!(page.contains("Siirry kirjautumaan"));

    // Back on the card, "link sent" is over: the address waits next to "Jatka".
    let card = browser.get("/fi/login").await.body;
    assert!(
        !card.contains("Sähköpostiisi on lähetetty linkki"),
        "{card}"
    );
    assert!(
        card.contains("Jatka") && card.contains(&format!("value=\"{ERKKI}\"")),
        "{card}"
    );

    // The link is single use.
    let again = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(
        (again.status, again.json()),
        error(StatusCode::GONE, "link_invalid")
    );
    let page = browser
        .get(&format!("/fi/set-password?token={token}"))
        .await
        .body;
    assert!(page.contains("Linkki ei ole enää voimassa"), "{page}");

    // Logging in again: Jatka leads to the password, and no new mail is sent.
    assert_eq!(browser.begin(ERKKI, "fi").await.json(), "Password");
    let card = browser.get("/fi/login").await.body;
    assert!(card.contains("Muista kirjautumiseni tässä tietokoneessa"));
    assert!(card.contains("Unohtuiko käyttäjätunnus tai salasana?"));
    let wrong = browser.login(ERKKI, "väärä salasana tämä", false).await;
    assert_eq!(
        (wrong.status, wrong.json()),
        error(StatusCode::UNAUTHORIZED, "wrong_credentials")
    );
    let unknown = browser
        .login("tuntematon@example.com", GOOD_PASSWORD, false)
        .await;
    assert_eq!(
        unknown.json(),
        "wrong_credentials",
        "the same answer for an unknown address"
    );
    let ok = browser.login(ERKKI, GOOD_PASSWORD, false).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(server.mails_to(ERKKI).len(), 1, "no second mail");

    let home = browser.get("/fi").await.body;
    assert!(
        home.contains("Erkki Esimerkki (esimerkki.erkki@example.com)"),
        "{home}"
    );
    assert!(home.contains("KIRJAUDU ULOS") && home.contains("FIN"));
    let account = browser.get("/fi/account").await.body;
    assert!(account.contains("Omat tiedot") && account.contains("Erkki Esimerkki"));
    let log = server.log();
    assert!(!log.contains(&token), "the token is never logged");
    assert!(!log.contains(GOOD_PASSWORD), "the password is never logged");
}

#[tokio::test]
async fn remember_me_makes_the_cookie_persistent_and_the_other_is_not() {
    let server = Server::start();
    set_password_via_mail(&server, ERKKI).await;

    let mut remembered = server.browser();
    assert_eq!(
        remembered.login(ERKKI, GOOD_PASSWORD, true).await.status,
        StatusCode::OK
    );
    let cookie = remembered
        .set_cookie_named("asiointi_session")
        .unwrap()
        .clone();
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let mut browser_session = server.browser();
    browser_session.login(ERKKI, GOOD_PASSWORD, false).await;
    let cookie = browser_session
        .set_cookie_named("asiointi_session")
        .unwrap()
        .clone();
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );

    let ids = [
        &remembered.cookies["asiointi_session"],
        &browser_session.cookies["asiointi_session"],
    ];
    assert_ne!(ids[0], ids[1], "a new id per login");
    let persistent = server
        .sql_count("SELECT COUNT(*) FROM sessions WHERE persistent = 1")
        .await;
    assert_eq!(persistent, 1);
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let server = Server::start();
    set_password_via_mail(&server, ERKKI).await;
    let mut browser = server.browser();
    browser.login(ERKKI, GOOD_PASSWORD, false).await;
    let copied_cookie = browser.cookies["asiointi_session"].clone();
    assert_eq!(
        browser.call("current_user", &[]).await.json()["email"],
        ERKKI
    );

    assert_eq!(
        browser.call("logout", &[("lang", "fi")]).await.status,
        StatusCode::OK
    );
    let removal = browser.set_cookie_named("asiointi_session").unwrap();
    assert!(removal.contains("Max-Age=0"), "cookie cleared: {removal}");
    assert_eq!(browser.call("current_user", &[]).await.json(), Value::Null);

    // Even a copy of the old cookie is worthless now.
    let mut replay = server.browser();
    replay
        .cookies
        .insert("asiointi_session".into(), copied_cookie);
    assert_eq!(replay.call("current_user", &[]).await.json(), Value::Null);
    assert_eq!(server.sql_count("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn expired_links_and_sessions_are_refused() {
    let server = Server::start();
    let mut browser = server.browser();
    browser.begin(MAIJA, "fi").await;
    let token = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    server
        .sql(&format!(
            "UPDATE tokens SET expires_at = {}",
            common::unix_now() - 1
        ))
        .await;
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.json(), "link_invalid");
    assert_eq!(
        browser
            .call("check_link", &[("token", &token)])
            .await
            .json(),
        "link_invalid"
    );
    assert_eq!(
        browser
            .call("check_link", &[("token", "made-up")])
            .await
            .json(),
        "link_invalid"
    );

    // A new Jatka (once the 5-minute mail limit has passed) mails a new link, and the old one
    // stays dead.
    server
        .sql("UPDATE attempts SET at = at - 300 WHERE kind = 'mail'")
        .await;
    browser.begin(MAIJA, "fi").await;
    let fresh = token_of(&link_in(&server.wait_for_mail(MAIJA, 2)));
    assert_ne!(fresh, token);
    let reply = browser
        .set_password(&fresh, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    browser.login(MAIJA, GOOD_PASSWORD, false).await;
    assert_eq!(
        browser.call("current_user", &[]).await.json()["full_name"],
        "Maija Meikäläinen"
    );
    server
        .sql(&format!(
            "UPDATE sessions SET expires_at = {}",
            common::unix_now() - 1
        ))
        .await;
    let after_expiry = browser.call("current_user", &[]).await.json();
    assert_eq!(after_expiry, Value::Null, "expiry enforced by the server");
}

#[tokio::test]
async fn setting_the_password_voids_every_other_open_link() {
    let server = Server::start();
    let mut browser = server.browser();
    browser.begin(MAIJA, "fi").await;
    // Past the 5-minute limit on set-password mails.
    server
        .sql("UPDATE attempts SET at = at - 300 WHERE kind = 'mail'")
        .await;
    browser.begin(MAIJA, "fi").await;
    let first = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    let second = token_of(&link_in(&server.wait_for_mail(MAIJA, 2)));
    let reply = browser
        .set_password(&second, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        browser
            .call("check_link", &[("token", &first)])
            .await
            .json(),
        "link_invalid"
    );
}

#[tokio::test]
async fn the_mail_follows_the_language_the_resident_was_using() {
    let server = Server::start();
    let mut browser = server.browser();
    browser.begin(ERKKI, "en").await;
    let mail = server.wait_for_mail(ERKKI, 1);
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("With the link below you can set your password for the E-services."));
    assert!(link_in(&mail).starts_with(&format!("{}/en/set-password?token=", server.base)));
    let page = browser.get("/en/login").await.body;
    assert!(page.contains("A link for setting your password has been sent to your e-mail."));
    assert!(page.contains("lang=\"en\""));
}

#[tokio::test]
async fn links_use_public_url_not_the_host_header() {
    let server = Server::start();
    reqwest::Client::new()
        .post(format!("{}/api/begin", server.base))
        .header("Host", "evil.example.net")
        .form(&[("email", ERKKI), ("lang", "fi")])
        .send()
        .await
        .unwrap();
    let link = link_in(&server.wait_for_mail(ERKKI, 1));
    assert!(link.starts_with(&server.base), "{link}");
}

#[tokio::test]
async fn forms_work_without_javascript() {
    let server = Server::start();
    let mut browser = server.browser();
    let relative = |url: String| url.trim_start_matches(&server.base).to_owned();

    // A refused address: back to the card with the error and the typed text.
    let form = [("email", "erkki@esimerkki"), ("lang", "fi")];
    let reply = browser.post_form("begin", "/fi/login", &form).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let back = relative(reply.location.unwrap());
    assert!(
        back.starts_with("/fi/login?") && back.contains("__err="),
        "{back}"
    );
    let page = browser.get(&back).await.body;
    assert!(page.contains("Tarkista sähköpostiosoite."), "{page}");
    assert!(
        page.contains("value=\"erkki@esimerkki\""),
        "typed text kept"
    );

    // Jatka, the mail, the link page, a mismatch, then success.
    let reply = browser
        .post_form("begin", "/fi/login", &[("email", ERKKI), ("lang", "fi")])
        .await;
    let back = relative(reply.location.unwrap());
    assert!(
        back.starts_with("/fi/login") && !back.contains("__err"),
        "{back}"
    );
    assert!(
        browser
            .get("/fi/login")
            .await
            .body
            .contains("Sähköpostiisi on lähetetty linkki")
    );
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 1)));
    let page = format!("/fi/set-password?token={token}");
    let mismatch = [
        ("token", token.as_str()),
        ("password", GOOD_PASSWORD),
        ("confirm", "toinen salasana tähän"),
        ("lang", "fi"),
    ];
    let back = relative(
        browser
            .post_form("set_password", &page, &mismatch)
            .await
            .location
            .unwrap(),
    );
    assert!(back.contains("__err="), "{back}");
    assert!(
        browser
            .get(&back)
            .await
            .body
            .contains("Salasanat eivät täsmää.")
    );
    let good = [
        ("token", token.as_str()),
        ("password", GOOD_PASSWORD),
        ("confirm", GOOD_PASSWORD),
        ("lang", "fi"),
    ];
    let reply = browser.post_form("set_password", &page, &good).await;
    assert_eq!(
        (reply.status, reply.location.as_deref()),
        (StatusCode::FOUND, Some("/fi/set-password/done"))
    );

    // Log in and out.
    browser
        .post_form("begin", "/fi/login", &[("email", ERKKI), ("lang", "fi")])
        .await;
    let login = [
        ("email", ERKKI),
        ("password", GOOD_PASSWORD),
        ("lang", "fi"),
    ];
    let reply = browser.post_form("login", "/fi/login", &login).await;
    assert_eq!(reply.location.as_deref(), Some("/fi"));
    assert!(
        browser
            .get("/fi")
            .await
            .body
            .contains("Erkki Esimerkki (esimerkki.erkki@example.com)")
    );
    let reply = browser.post_form("logout", "/fi", &[("lang", "fi")]).await;
    assert_eq!(reply.location.as_deref(), Some("/fi"));
    assert!(browser.get("/fi").await.body.contains("Kirjaudu sisään"));
}

#[tokio::test]
async fn the_card_does_not_fail_when_smtp_is_down_and_the_mail_waits() {
    let server = Server::start_with(common::Options {
        smtp: false,
        ..Default::default()
    });
    let mut browser = server.browser();
    let reply = browser.begin(ERKKI, "fi").await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::OK, Value::from("LinkSent"))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while server
        .sql_count("SELECT COUNT(*) FROM outbox WHERE attempts > 0")
        .await
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the sender never tried: {}",
            server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let waiting = server
        .sql_count(
            "SELECT COUNT(*) FROM outbox
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at > created_at",
        )
        .await;
    assert_eq!(waiting, 1, "queued for a retry later");
}

#[tokio::test]
async fn pages_and_the_development_mailbox() {
    let server = Server::start();
    let mut browser = server.browser();
    assert_eq!(browser.get("/").await.location.as_deref(), Some("/fi"));
    assert_eq!(browser.get("/fi").await.status, StatusCode::OK);
    assert_eq!(browser.get("/sv/").await.location.as_deref(), Some("/sv"));
    let login = browser.get("/fi/login").await.body;
    for text in [
        "Kirjautuminen",
        "Käyttäjätunnus",
        "Jatka",
        "Luo uusi käyttäjätunnus",
        "Kirjautumisjärjestelmä on muuttunut",
        "Jos et pääse kirjautumaan, ota yhteys tukeen:",
        "Kaupungin asiointipalvelu, puh. 044 797 8523",
    ] {
        assert!(login.contains(text), "{text}");
    }
    let english = browser.get("/en/login").await.body;
    assert!(
        english.contains("Username")
            && english.contains("Continue")
            && english.contains("lang=\"en\"")
    );
    assert_eq!(browser.get("/de/login").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        browser.get("/dev/mail").await.status,
        StatusCode::NOT_FOUND,
        "off in production"
    );
    // No default or demo account in production (ASVS 6.3.2): only the two imported ones.
    assert_eq!(server.sql_count("SELECT COUNT(*) FROM accounts").await, 2);
}

#[tokio::test]
async fn swedish_card_and_mail() {
    let server = Server::start();
    let mut browser = server.browser();
    let card = browser.get("/sv/login").await.body;
    for text in [
        "Inloggning",
        "Användarnamn",
        "Fortsätt",
        "SVE",
        "lang=\"sv\"",
    ] {
        assert!(card.contains(text), "{text}");
    }
    browser.begin(ERKKI, "sv").await;
    let mail = server.wait_for_mail(ERKKI, 1);
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("Med länken nedan kan du ställa in ditt lösenord")
    );
    assert!(link_in(&mail).starts_with(&format!("{}/sv/set-password?token=", server.base)));
}

#[tokio::test]
async fn protected_pages_send_to_the_login_card_and_back() {
    let server = Server::start();
    let mut browser = server.browser();
    let reply = browser.get("/fi/account").await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.location.as_deref(),
        Some("/fi/login?next=/fi/account")
    );
    let card = browser.get("/fi/login?next=/fi/account").await.body;
    assert!(card.contains("Kirjautuminen"));

    // After logging in with `next`, the resident lands back on the page; other sites are refused.
    set_password_via_mail(&server, ERKKI).await;
    browser.begin(ERKKI, "fi").await;
    let card = browser.get("/fi/login?next=/fi/account").await.body;
    assert!(
        card.contains("name=\"next\" value=\"/fi/account\""),
        "{card}"
    );
    let form = [
        ("email", ERKKI),
        ("password", GOOD_PASSWORD),
        ("lang", "fi"),
        ("next", "/fi/account"),
    ];
    let reply = browser
        .post_form("login", "/fi/login?next=/fi/account", &form)
        .await;
    assert_eq!(reply.location.as_deref(), Some("/fi/account"));
    assert_eq!(browser.get("/fi/account").await.status, StatusCode::OK);

    let mut other = server.browser();
    let form = [
        ("email", ERKKI),
        ("password", GOOD_PASSWORD),
        ("lang", "fi"),
        ("next", "//evil.example/"),
    ];
    let reply = other.post_form("login", "/fi/login", &form).await;
    assert_eq!(reply.location.as_deref(), Some("/fi"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = Server::start();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        "/fi/login",
        "/fi/set-password?token=x",
        "/api/login_flow",
        "/pkg/nothing.js",
    ] {
        let request = if path.starts_with("/api/") {
            http.post(format!("{}{path}", server.base))
        } else {
            http.get(format!("{}{path}", server.base))
        };
        let response = request.send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        // Pages get a policy with a nonce, other responses a fixed one (tests/requests.rs).
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        // A page whose address carries a token sends no Referer at all.
        let referrer = if path.contains("token=") {
            "no-referrer"
        } else {
            "same-origin"
        };
        assert_eq!(headers["referrer-policy"], referrer, "{path}");
        // Pages and answers are never cached; the build's own files may be.
        let cache = headers.get("cache-control").map(|v| v.to_str().unwrap());
        if path.starts_with("/pkg/") {
            assert_ne!(cache, Some("no-store"), "{path}");
        } else {
            assert_eq!(cache, Some("no-store"), "{path}");
        }
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
}

#[tokio::test]
async fn over_https_cookies_are_secure_and_hsts_is_sent() {
    let public = ("PUBLIC_URL", "https://asiointi.example.fi".to_owned());
    let server = Server::start_with(common::Options {
        extra_env: vec![public],
        ..Default::default()
    });
    let mut browser = server.browser();
    browser.begin(ERKKI, "fi").await;
    assert!(
        browser
            .set_cookie_named("__Host-asiointi_login")
            .unwrap()
            .contains("Secure")
    );
    let link = link_in(&server.wait_for_mail(ERKKI, 1));
    assert!(
        link.starts_with("https://asiointi.example.fi/fi/set-password?token="),
        "{link}"
    );
    let response = reqwest::get(format!("{}/fi/login", server.base))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}
