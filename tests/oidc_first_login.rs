//! A carried-over resident's first login inside an e-service's login: the card mails the
//! set-password link, the link's page sets the password, and the login card then goes on with
//! the e-service's request, instead of dropping the resident on our front page. The same for a
//! forgotten password. Against the real binary, with real SMTP.
#![cfg(feature = "ssr")]

mod common;
mod oidc_support;

use common::{ERKKI, GOOD_PASSWORD, Server, link_in, token_of};
use oidc_support::*;
use reqwest::StatusCode;

/// The login card's `next` for an authorization request that met no session.
async fn card_next(browser: &mut common::Browser, path: &str) -> String {
    let reply = browser.get(path).await;
    let card = reply.location.clone().unwrap_or_default();
    assert!(card.starts_with("/fi/login?"), "{card}");
    let next = query_of(&card)["next"].clone();
    assert!(next.starts_with("/oauth2/authorize?"), "{next}");
    next
}

#[tokio::test]
async fn the_first_login_of_a_carried_over_account_returns_into_the_e_services_login() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let (verifier, challenge) = pkce();
    let mut browser = server.browser();
    let next = card_next(&mut browser, &authorize_path(&rp, &challenge, &[])).await;

    // "Jatka" on the card: the account has no password, so the link is mailed.
    let form = [("email", ERKKI), ("lang", "fi"), ("next", next.as_str())];
    let step = browser.call("begin", &form).await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.body);
    let link = link_in(&server.wait_for_mail(ERKKI, 1));
    let linked_next = query_of(&link)["next"].clone();
    assert_eq!(linked_next, next, "the link carries the request on: {link}");

    // The link's page, without JavaScript: the form carries `next` to the confirmation page.
    let page = browser.get(link.trim_start_matches(&server.base)).await;
    assert!(page.body.contains("name=\"next\""), "{}", page.body);
    let token = token_of(&link);
    let form = [
        ("token", token.as_str()),
        ("password", GOOD_PASSWORD),
        ("confirm", GOOD_PASSWORD),
        ("lang", "fi"),
        ("next", next.as_str()),
    ];
    let set = browser
        .post_form("set_password", "/fi/set-password", &form)
        .await;
    let done = set.location.clone().unwrap_or_default();
    assert!(
        done.starts_with("/fi/set-password/done?next="),
        "{done} {}",
        set.body
    );
    let page = browser.get(&done).await;
    let to_card = page
        .body
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.starts_with("/fi/login?next="))
        .unwrap_or_else(|| panic!("no way back to the card: {}", page.body));
    assert_eq!(query_of(to_card)["next"], next);
    // The card's form carries it on exactly (percent-escapes and all: leptos_router's own
    // query map would decode it twice).
    let card = browser.get(&to_card.replace("&amp;", "&")).await;
    let field = format!("name=\"next\" value=\"{}\"", next.replace('&', "&amp;"));
    assert!(card.body.contains(&field), "{field} in {}", card.body);

    // The login card with that `next` logs in and goes on with the e-service's request.
    let form = [
        ("email", ERKKI),
        ("password", GOOD_PASSWORD),
        ("lang", "fi"),
        ("next", next.as_str()),
    ];
    let login = browser.call("login", &form).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let back = browser.get(&next).await;
    let location = back.location.clone().unwrap_or_default();
    assert!(location.starts_with(REDIRECT), "{location}");
    let code = query_of(&location)["code"].clone();
    let tokens = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
}

#[tokio::test]
async fn a_forgotten_password_inside_an_e_services_login_also_returns_into_it() {
    let server = Server::start();
    server.give_password(ERKKI).await;
    let rp = add_client(&server, "permits", &["--first-party"]);
    let (_, challenge) = pkce();
    let mut browser = server.browser();
    let next = card_next(&mut browser, &authorize_path(&rp, &challenge, &[])).await;
    let card = browser
        .get(&format!(
            "/fi/login?next={}",
            asiointi::model::query_value(&next)
        ))
        .await;
    assert!(card.body.contains("/fi/register?next="), "{}", card.body);

    let before = server.mails_to(ERKKI).len();
    let form = [("email", ERKKI), ("lang", "fi"), ("next", next.as_str())];
    let sent = browser
        .post_form("request_reset", "/fi/forgot", &form)
        .await;
    let landed = sent.location.clone().unwrap_or_default();
    assert!(landed.starts_with("/fi/forgot/sent?next="), "{landed}");
    let link = link_in(&server.wait_for_mail(ERKKI, before + 1));
    assert_eq!(query_of(&link)["next"], next, "{link}");
    // A `next` that leaves the site is never carried.
    let form = [
        ("email", ERKKI),
        ("lang", "fi"),
        ("next", "//evil.example/x"),
    ];
    let sent = browser
        .post_form("request_reset", "/fi/forgot", &form)
        .await;
    assert_eq!(sent.location.as_deref(), Some("/fi/forgot/sent"));
}
