//! The first login after the username change, over HTTP against the real server binary.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Server, link_in, token_of};
use reqwest::StatusCode;

/// Sets the password of a carried-over account through the mailed link; returns the token.
async fn set_password_via_mail(server: &Server, email: &str) -> String {
    let mut browser = server.browser();
    let before = server.mails_to(email).len();
    let reply = browser
        .call("begin", &[("email", email), ("lang", "fi")])
        .await;
    assert_eq!(reply.json(), "LinkSent");
    let token = token_of(&link_in(&server.wait_for_mail(email, before + 1)));
    let reply = browser
        .call(
            "set_password",
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    token
}

#[tokio::test]
async fn carried_over_account_sets_a_password_from_the_mail_and_logs_in() {
    let server = Server::start();
    let mut browser = server.browser();

    // Malformed and unknown addresses.
    let reply = browser
        .call("begin", &[("email", "erkki@"), ("lang", "fi")])
        .await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::BAD_REQUEST, "email_invalid".into())
    );
    let reply = browser
        .call("begin", &[("email", ""), ("lang", "fi")])
        .await;
    assert_eq!(reply.json(), "email_required");
    let reply = browser
        .call(
            "begin",
            &[("email", "tuntematon@example.com"), ("lang", "fi")],
        )
        .await;
    assert_eq!(reply.json(), "Unknown");
    let card = browser.get("/fi/login").await.body;
    assert!(
        card.contains("Järjestelmä ei tunnistanut sähköpostiosoitettasi."),
        "{card}"
    );

    // A carried-over account: the link is mailed, and the card says so.
    let reply = browser
        .call(
            "begin",
            &[("email", " Esimerkki.Erkki@Example.com "), ("lang", "fi")],
        )
        .await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::OK, "LinkSent".into())
    );
    let card = browser.get("/fi/login").await.body;
    assert!(
        card.contains("Sähköpostiisi on lähetetty linkki, jonka avulla voit asettaa salasanan."),
        "{card}"
    );
    let mail = server.wait_for_mail(ERKKI, 1);
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("Alla olevalla linkillä pääset asettamaan salasanasi Asiointipalvelussa.")
    );
    assert!(text.contains(&format!("Käyttäjätunnus: {ERKKI}")));
    assert!(
        text.contains(
            "Tämä on palvelun automaattisesti lähettämä viesti. Älä vastaa tähän viestiin."
        )
    );
    assert!(text.contains("Ongelmatilanteissa ota yhteys kuntaan."));
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
    assert!(
        page.contains("Vaihda salasana")
            && page.contains("Uusi salasana")
            && page.contains("Vahvista uusi salasana")
    );
    assert!(page.contains(ERKKI), "the page names the username");
    let short = browser
        .call(
            "set_password",
            &[
                ("token", &token),
                ("password", "lyhyt"),
                ("confirm", "lyhyt"),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(
        (short.status, short.json()),
        (StatusCode::BAD_REQUEST, "password_too_short".into())
    );
    let mismatch = browser
        .call(
            "set_password",
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", "something else entirely"),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(mismatch.json(), "password_mismatch");
    let done = browser
        .call(
            "set_password",
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let page = browser.get("/fi/set-password/done").await.body;
    assert!(
        page.contains(
            "Salasanan vaihto onnistui, voit nyt kirjautua palveluun uudella salasanalla."
        )
    );
    assert!(page.contains("Siirry kirjautumaan"));

    // The link is single use.
    let again = browser
        .call(
            "set_password",
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(
        (again.status, again.json()),
        (StatusCode::GONE, "link_invalid".into())
    );
    let page = browser
        .get(&format!("/fi/set-password?token={token}"))
        .await
        .body;
    assert!(page.contains("Linkki ei ole enää voimassa"), "{page}");

    // Logging in again: Jatka leads to the password, and no new mail is sent.
    let reply = browser
        .call("begin", &[("email", ERKKI), ("lang", "fi")])
        .await;
    assert_eq!(reply.json(), "Password");
    let card = browser.get("/fi/login").await.body;
    assert!(
        card.contains("Muista kirjautumiseni tässä tietokoneessa")
            && card.contains("Unohtuiko käyttäjätunnus tai salasana?")
    );
    let wrong = browser
        .call(
            "login",
            &[
                ("email", ERKKI),
                ("password", "väärä salasana tämä"),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.json()),
        (StatusCode::UNAUTHORIZED, "wrong_credentials".into())
    );
    let unknown = browser
        .call(
            "login",
            &[
                ("email", "tuntematon@example.com"),
                ("password", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(
        unknown.json(),
        "wrong_credentials",
        "the same answer for an unknown address"
    );
    let ok = browser
        .call(
            "login",
            &[
                ("email", ERKKI),
                ("password", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(server.mails_to(ERKKI).len(), 1, "no second mail");

    let home = browser.get("/fi/").await.body;
    assert!(
        home.contains("Erkki Esimerkki (esimerkki.erkki@example.com)"),
        "{home}"
    );
    assert!(home.contains("KIRJAUDU ULOS") && home.contains("FIN"));
    let account = browser.get("/fi/account").await.body;
    assert!(account.contains("Omat tiedot") && account.contains("Erkki Esimerkki"));
    assert!(!server.log().contains(&token), "the token is never logged");
    assert!(
        !server.log().contains(GOOD_PASSWORD),
        "the password is never logged"
    );
}

#[tokio::test]
async fn remember_me_makes_the_cookie_persistent_and_the_other_is_not() {
    let server = Server::start();
    set_password_via_mail(&server, ERKKI).await;

    let mut remembered = server.browser();
    let reply = remembered
        .call(
            "login",
            &[
                ("email", ERKKI),
                ("password", GOOD_PASSWORD),
                ("remember", "on"),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let cookie = remembered
        .set_cookie_named("asiointi_session")
        .unwrap()
        .clone();
    assert!(
        cookie.contains("Max-Age=2592000")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let mut browser_session = server.browser();
    browser_session
        .call(
            "login",
            &[
                ("email", ERKKI),
                ("password", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    let cookie = browser_session
        .set_cookie_named("asiointi_session")
        .unwrap()
        .clone();
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );

    assert_ne!(
        remembered.cookies["asiointi_session"], browser_session.cookies["asiointi_session"],
        "a new id per login"
    );
    assert_eq!(
        server
            .sql_count("SELECT COUNT(*) FROM sessions WHERE persistent = 1")
            .await,
        1
    );
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let server = Server::start();
    set_password_via_mail(&server, ERKKI).await;
    let mut browser = server.browser();
    browser
        .call(
            "login",
            &[
                ("email", ERKKI),
                ("password", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    let stolen_cookie = browser.cookies["asiointi_session"].clone();
    assert_eq!(
        browser.call("current_user", &[]).await.json()["email"],
        ERKKI
    );

    let reply = browser.call("logout", &[("lang", "fi")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        browser
            .set_cookie_named("asiointi_session")
            .unwrap()
            .contains("Max-Age=0"),
        "cookie cleared"
    );
    assert_eq!(
        browser.call("current_user", &[]).await.json(),
        serde_json::Value::Null
    );

    // Even a copy of the old cookie is worthless now.
    let mut replay = server.browser();
    replay
        .cookies
        .insert("asiointi_session".into(), stolen_cookie);
    assert_eq!(
        replay.call("current_user", &[]).await.json(),
        serde_json::Value::Null
    );
    assert_eq!(server.sql_count("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn expired_links_and_sessions_are_refused() {
    let server = Server::start();
    let mut browser = server.browser();
    browser
        .call("begin", &[("email", MAIJA), ("lang", "fi")])
        .await;
    let token = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    server
        .sql("UPDATE tokens SET expires_at = strftime('%s','now') - 1")
        .await;
    let reply = browser
        .call(
            "set_password",
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
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

    // A new Jatka mails a new link, and the old one stays dead.
    browser
        .call("begin", &[("email", MAIJA), ("lang", "fi")])
        .await;
    let fresh = token_of(&link_in(&server.wait_for_mail(MAIJA, 2)));
    assert_ne!(fresh, token);
    let reply = browser
        .call(
            "set_password",
            &[
                ("token", &fresh),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    browser
        .call(
            "login",
            &[
                ("email", MAIJA),
                ("password", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(
        browser.call("current_user", &[]).await.json()["full_name"],
        "Maija Meikäläinen"
    );
    server
        .sql("UPDATE sessions SET expires_at = strftime('%s','now') - 1")
        .await;
    assert_eq!(
        browser.call("current_user", &[]).await.json(),
        serde_json::Value::Null,
        "expiry enforced by the server"
    );
}

#[tokio::test]
async fn setting_the_password_voids_every_other_open_link() {
    let server = Server::start();
    let mut browser = server.browser();
    browser
        .call("begin", &[("email", MAIJA), ("lang", "fi")])
        .await;
    browser
        .call("begin", &[("email", MAIJA), ("lang", "fi")])
        .await;
    let first = token_of(&link_in(&server.wait_for_mail(MAIJA, 1)));
    let second = token_of(&link_in(&server.wait_for_mail(MAIJA, 2)));
    let reply = browser
        .call(
            "set_password",
            &[
                ("token", &second),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
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
    browser
        .call("begin", &[("email", ERKKI), ("lang", "en")])
        .await;
    let mail = server.wait_for_mail(ERKKI, 1);
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("With the link below you can set your password for the E-services.")
    );
    assert!(link_in(&mail).starts_with(&format!("{}/en/set-password?token=", server.base)));
    let page = browser.get("/en/login").await.body;
    assert!(
        page.contains("A link for setting your password has been sent to your e-mail."),
        "{page}"
    );
    assert!(page.contains("lang=\"en\""));
}

#[tokio::test]
async fn links_use_public_url_not_the_host_header() {
    let server = Server::start();
    let http = reqwest::Client::new();
    http.post(format!("{}/api/begin", server.base))
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

    // A refused address: back to the card with the error and the typed text.
    let reply = browser
        .post_form(
            "begin",
            "/fi/login",
            &[("email", "erkki@esimerkki"), ("lang", "fi")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let back = reply.location.unwrap();
    assert!(
        back.starts_with(&format!("{}/fi/login?", server.base)) && back.contains("__err="),
        "{back}"
    );
    let page = browser
        .get(back.trim_start_matches(&server.base))
        .await
        .body;
    assert!(page.contains("Tarkista sähköpostiosoite."), "{page}");
    assert!(
        page.contains("value=\"erkki@esimerkki\""),
        "typed text kept"
    );

    // Jatka, the mail, the link page, a mismatch, then success.
    let reply = browser
        .post_form("begin", "/fi/login", &[("email", ERKKI), ("lang", "fi")])
        .await;
    let back = reply.location.unwrap();
    assert!(
        back.starts_with(&format!("{}/fi/login", server.base)) && !back.contains("__err"),
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
    let reply = browser
        .post_form(
            "set_password",
            &page,
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", "toinen salasana tähän"),
                ("lang", "fi"),
            ],
        )
        .await;
    let back = reply.location.unwrap();
    assert!(back.contains("__err="), "{back}");
    assert!(
        browser
            .get(back.trim_start_matches(&server.base))
            .await
            .body
            .contains("Salasanat eivät täsmää.")
    );
    let reply = browser
        .post_form(
            "set_password",
            &page,
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(
        (reply.status, reply.location.as_deref()),
        (StatusCode::FOUND, Some("/fi/set-password/done"))
    );

    // Log in and out.
    browser
        .post_form("begin", "/fi/login", &[("email", ERKKI), ("lang", "fi")])
        .await;
    let reply = browser
        .post_form(
            "login",
            "/fi/login",
            &[
                ("email", ERKKI),
                ("password", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.location.as_deref(), Some("/fi/"));
    assert!(
        browser
            .get("/fi/")
            .await
            .body
            .contains("Erkki Esimerkki (esimerkki.erkki@example.com)")
    );
    let reply = browser.post_form("logout", "/fi/", &[("lang", "fi")]).await;
    assert_eq!(reply.location.as_deref(), Some("/fi/"));
    assert!(browser.get("/fi/").await.body.contains("Kirjaudu sisään"));
}

#[tokio::test]
async fn the_card_does_not_fail_when_smtp_is_down_and_the_mail_waits() {
    let server = Server::start_with(common::Options {
        smtp: false,
        ..Default::default()
    });
    let mut browser = server.browser();
    let reply = browser
        .call("begin", &[("email", ERKKI), ("lang", "fi")])
        .await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::OK, "LinkSent".into())
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
    assert_eq!(
        server.sql_count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at > created_at").await,
        1,
        "queued for a retry later"
    );
}

#[tokio::test]
async fn pages_and_the_development_mailbox() {
    let server = Server::start();
    let mut browser = server.browser();
    let root = browser.get("/").await;
    assert_eq!(root.location.as_deref(), Some("/fi/"));
    let login = browser.get("/fi/login").await.body;
    for text in [
        "Kirjautuminen",
        "Käyttäjätunnus",
        "Jatka",
        "Luo uusi käyttäjätunnus",
        "Kirjautumisjärjestelmä on muuttunut",
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
}
