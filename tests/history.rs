//! Asiointihistoria over HTTP against the real server binary: only for a logged-in resident,
//! only their own transactions, newest first, a page at a time, kept by the account.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, MAIJA, Server, link_in, token_of};
use reqwest::StatusCode;
use serde_json::Value;

/// Sets the password of a carried-over account through the mailed link.
async fn set_password_via_mail(server: &Server, email: &str) {
    let mut browser = server.browser();
    let before = server.mails_to(email).len();
    assert_eq!(browser.begin(email, "fi").await.json(), "LinkSent");
    let token = token_of(&link_in(&server.wait_for_mail(email, before + 1)));
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// A browser logged in as `email`.
async fn logged_in(server: &Server, email: &str) -> common::Browser {
    let mut browser = server.browser();
    let reply = browser.login(email, GOOD_PASSWORD, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    browser
}

/// Records a transaction for the account that has `email` now.
async fn add(server: &Server, email: &str, date: &str, reference: &str, status: &str) {
    server
        .sql(&format!(
            "INSERT INTO transactions (account_id, occurred_on, service, reference, status, description)
             SELECT id, '{date}', 'Rakennuslupa', '{reference}', '{status}', 'Kuvaus {reference}'
             FROM accounts WHERE email = '{email}'"
        ))
        .await;
}

/// Erkki's twelve transactions, inserted out of order: E-01 (January 2017) is the oldest; E-11
/// and E-12 share a day, and E-12, recorded later, counts as the newer.
async fn add_erkkis_history(server: &Server) {
    for n in [5, 11, 1, 9, 3, 12, 7, 2, 10, 4, 8, 6] {
        let month = n.min(11);
        let status = if n % 2 == 0 {
            "Hyväksytty"
        } else {
            "Käsitelty"
        };
        add(
            server,
            ERKKI,
            &format!("2017-{month:02}-15"),
            &format!("E-{n:02}"),
            status,
        )
        .await;
    }
}

/// A page's HTML without the empty comments (`<!>`) Leptos puts after reactive text.
async fn html(browser: &mut common::Browser, path: &str) -> String {
    let reply = browser.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}");
    reply.body.replace("<!>", "")
}

fn references(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["reference"].as_str().unwrap().to_owned())
        .collect()
}

fn erkki_refs(numbers: impl IntoIterator<Item = u32>) -> Vec<String> {
    numbers.into_iter().map(|n| format!("E-{n:02}")).collect()
}

#[tokio::test]
async fn only_a_logged_in_resident_has_a_history() {
    let server = Server::start();
    let mut browser = server.browser();

    let reply = browser.call("history", &[("page", "1")]).await;
    assert_eq!(
        (reply.status, reply.json()),
        (StatusCode::UNAUTHORIZED, Value::from("not_logged_in"))
    );

    let reply = browser.get("/fi/history").await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.location.as_deref(),
        Some("/fi/login?next=/fi/history")
    );
    let reply = browser.get("/en/history?page=2").await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.location.as_deref(),
        Some("/en/login?next=/en/history%3Fpage%3D2")
    );

    // Logging in with `next` comes back to the history.
    set_password_via_mail(&server, ERKKI).await;
    let form = [
        ("email", ERKKI),
        ("password", GOOD_PASSWORD),
        ("lang", "fi"),
        ("next", "/fi/history"),
    ];
    let reply = browser
        .post_form("login", "/fi/login?next=/fi/history", &form)
        .await;
    assert_eq!(reply.location.as_deref(), Some("/fi/history"));
    let page = html(&mut browser, "/fi/history").await;
    assert!(
        page.contains("<h1 id=\"history-title\">Asiointihistoria</h1>"),
        "{page}"
    );
}

#[tokio::test]
async fn residents_see_their_own_transactions_newest_first_a_page_at_a_time() {
    let server = Server::start();
    set_password_via_mail(&server, ERKKI).await;
    set_password_via_mail(&server, MAIJA).await;

    // An empty history says so.
    let mut maija = logged_in(&server, MAIJA).await;
    let empty = maija.call("history", &[("page", "1")]).await.json();
    assert_eq!(
        (&empty["total"], &empty["page"], &empty["pages"]),
        (&Value::from(0), &Value::from(1), &Value::from(1))
    );
    let page = html(&mut maija, "/fi/history").await;
    assert!(
        page.contains("Sinulla ei ole vielä asiointihistoriaa."),
        "{page}"
    );
    assert!(!page.contains("<table"), "no empty table");

    add_erkkis_history(&server).await;
    add(&server, MAIJA, "2018-12-24", "M-01", "Vireillä").await;
    add(&server, MAIJA, "2016-01-02", "M-02", "Käsitelty").await;

    // Erkki: twelve, ten to a page, newest first; the rest on page 2.
    let mut erkki = logged_in(&server, ERKKI).await;
    let first = erkki.call("history", &[("page", "1")]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first = first.json();
    assert_eq!(
        (&first["total"], &first["page"], &first["pages"]),
        (&Value::from(12), &Value::from(1), &Value::from(2))
    );
    assert_eq!(references(&first), erkki_refs((3..=12).rev()));
    assert_eq!(first["items"][0]["occurred_on"], "2017-11-15");
    assert_eq!(first["items"][0]["status"], "Hyväksytty");
    assert_eq!(first["items"][0]["description"], "Kuvaus E-12");
    let second = erkki.call("history", &[("page", "2")]).await.json();
    assert_eq!(second["page"], 2);
    assert_eq!(references(&second), erkki_refs([2, 1]));

    // A page past the last is the last; page 0 is the first.
    let past = erkki.call("history", &[("page", "9")]).await.json();
    assert_eq!(
        (past["page"].clone(), references(&past)),
        (Value::from(2), erkki_refs([2, 1]))
    );
    let zero = erkki.call("history", &[("page", "0")]).await.json();
    assert_eq!(zero["page"], 1);

    // Maija's are hers alone, and Erkki's never show to her.
    let hers = maija.call("history", &[("page", "1")]).await.json();
    assert_eq!(references(&hers), ["M-01", "M-02"]);
    assert_eq!(hers["pages"], 1);
    for page in ["/fi/history", "/fi/history?page=2"] {
        let body = html(&mut erkki, page).await;
        assert!(!body.contains("M-01") && !body.contains("M-02"), "{body}");
    }
    let body = html(&mut maija, "/fi/history").await;
    assert!(body.contains("M-01") && !body.contains("E-0"), "{body}");

    // The page itself, in Finnish: an accessible table and plain paging links.
    let body = html(&mut erkki, "/fi/history").await;
    for expected in [
        "<h1 id=\"history-title\">Asiointihistoria</h1>",
        "<caption id=\"history-caption\">Asiointisi uusimmasta vanhimpaan</caption>",
        "<th scope=\"col\">Päivämäärä</th>",
        "<th scope=\"col\">Palvelu</th>",
        "<th scope=\"col\">Viite</th>",
        "<th scope=\"col\">Tila</th>",
        "<th scope=\"col\">Kuvaus</th>",
        "<time datetime=\"2017-11-15\">15.11.2017</time>",
        "Sivu 1 / 2",
        "href=\"/fi/history?page=2\"",
        "Seuraava",
        "aria-label=\"Asiointihistorian sivut\"",
        "href=\"/fi/history\"",
    ] {
        assert!(body.contains(expected), "{expected:?} not in {body}");
    }
    assert!(!body.contains("Edellinen"), "no previous page on page 1");
    let at = |text: &str| {
        body.find(text)
            .unwrap_or_else(|| panic!("{text} in {body}"))
    };
    assert!(at("E-12") < at("E-11") && at("E-11") < at("E-03"));
    assert!(!body.contains("E-02<"), "E-02 is on page 2");

    let body = html(&mut erkki, "/fi/history?page=2").await;
    for expected in [
        "Sivu 2 / 2",
        "href=\"/fi/history?page=1\"",
        "Edellinen",
        "E-02",
        "E-01",
    ] {
        assert!(body.contains(expected), "{expected:?} not in {body}");
    }
    assert!(
        !body.contains("Seuraava") && !body.contains("E-12"),
        "{body}"
    );

    // Swedish and English: the words, and the dates their way.
    let body = html(&mut erkki, "/sv/history").await;
    for expected in [
        "Ärendehistorik",
        "<th scope=\"col\">Datum</th>",
        "<th scope=\"col\">Referens</th>",
        "<time datetime=\"2017-11-15\">2017-11-15</time>",
        "Sida 1 / 2",
        "Nästa",
        "href=\"/sv/history?page=2\"",
    ] {
        assert!(body.contains(expected), "{expected:?} not in {body}");
    }
    let body = html(&mut erkki, "/en/history?page=2").await;
    for expected in [
        "Transaction history",
        "<th scope=\"col\">Description</th>",
        "<time datetime=\"2017-02-15\">15 Feb 2017</time>",
        "Page 2 of 2",
        "Previous",
    ] {
        assert!(body.contains(expected), "{expected:?} not in {body}");
    }
    let body = html(&mut maija, "/en/history").await;
    assert!(
        !body.contains("Page 1 of 1") && !body.contains("Next"),
        "one page needs no paging: {body}"
    );
}

#[tokio::test]
async fn the_history_stays_with_the_account_when_its_address_changes() {
    let server = Server::start();
    set_password_via_mail(&server, ERKKI).await;
    add_erkkis_history(&server).await;
    let mut before = logged_in(&server, ERKKI).await;
    assert_eq!(
        before.call("history", &[("page", "1")]).await.json()["total"],
        12
    );

    let new_address = "erkki.uusi@example.com";
    server
        .sql(&format!(
            "UPDATE accounts SET email = '{new_address}' WHERE email = '{ERKKI}'"
        ))
        .await;

    // The old address no longer logs in; the new one does, and the history is there.
    let mut old = server.browser();
    assert_eq!(
        old.login(ERKKI, GOOD_PASSWORD, false).await.json(),
        "wrong_credentials"
    );
    let mut after = logged_in(&server, new_address).await;
    let first = after.call("history", &[("page", "1")]).await.json();
    assert_eq!(first["total"], 12);
    assert_eq!(references(&first), erkki_refs((3..=12).rev()));
    let second = after.call("history", &[("page", "2")]).await.json();
    assert_eq!(references(&second), erkki_refs([2, 1]));
    let page = html(&mut after, "/fi/history").await;
    assert!(
        page.contains(&format!("({new_address})")) && page.contains("E-12"),
        "{page}"
    );

    // The session from before the change belongs to the same account.
    assert_eq!(
        before.call("history", &[("page", "2")]).await.json()["total"],
        12
    );
}
