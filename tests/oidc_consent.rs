//! The consent page of a client that is not first-party, against the real server binary: asked
//! once, "do not allow" returns access_denied, and a cross-site post cannot consent.
#![cfg(feature = "ssr")]

mod common;
mod oidc_support;

use common::{Browser, Server};
use oidc_support::*;
use reqwest::StatusCode;

/// The consent form's post, as our own page sends it: the request's parameters and `decision`.
async fn answer(
    server: &Server,
    browser: &mut Browser,
    path: &str,
    decision: &str,
    site: &str,
) -> common::Reply {
    let mut form: Vec<(String, String)> = query_of(path).into_iter().collect();
    form.push(("decision".into(), decision.into()));
    let request = common::http_client()
        .post(format!("{}/oauth2/consent", server.base))
        .header("sec-fetch-site", site)
        .form(&form);
    browser.send_request(request).await
}

#[tokio::test]
async fn a_third_party_client_is_allowed_once_and_then_signs_in_without_asking() {
    let server = Server::start();
    let rp = add_client(&server, "shop", &[]);
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(&rp, &challenge, &[("scope", "openid email")]);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Kirjaudu palveluun Rakennusvalvonta"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Sähköpostiosoitteesi") && !page.body.contains("Nimesi"),
        "{}",
        page.body
    );
    assert!(page.body.contains("action=\"/oauth2/consent\""));

    let forged = answer(&server, &mut browser, &path, "allow", "cross-site").await;
    assert_eq!(
        (forged.status, forged.location),
        (StatusCode::FORBIDDEN, None)
    );
    assert_eq!(
        server.sql_count("SELECT count(*) FROM oidc_consents").await,
        0
    );

    let allowed = answer(&server, &mut browser, &path, "allow", "same-origin").await;
    let again = allowed.location.unwrap();
    assert!(
        again.starts_with("/oauth2/authorize?") && !again.contains("decision"),
        "{again}"
    );
    // Our own form's chain ends in a refresh to the client, not a redirect (form-action).
    let request = common::http_client()
        .get(format!("{}{again}", server.base))
        .header("sec-fetch-site", "same-origin");
    let reply = browser.send_request(request).await;
    let onward = onward_url(&reply);
    assert!(onward.starts_with(REDIRECT), "{onward}");
    let code = query_of(&onward)["code"].clone();
    let tokens = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);

    // Asked once: the next login goes straight through, also with prompt=none; prompt=consent
    // and a wider scope ask again.
    let straight = browser.get(&path).await;
    assert!(query_of(straight.location.as_deref().unwrap()).contains_key("code"));
    let silent = browser
        .get(&authorize_path(
            &rp,
            &challenge,
            &[("scope", "openid email"), ("prompt", "none")],
        ))
        .await;
    assert!(query_of(silent.location.as_deref().unwrap()).contains_key("code"));
    for (name, value) in [("prompt", "consent"), ("scope", "openid email profile")] {
        let reply = browser
            .get(&authorize_path(
                &rp,
                &challenge,
                &[
                    (name, value),
                    (
                        "scope",
                        if name == "scope" {
                            value
                        } else {
                            "openid email"
                        },
                    ),
                ],
            ))
            .await;
        assert_eq!(
            (reply.status, reply.location),
            (StatusCode::OK, None),
            "{name}={value}"
        );
    }
}

#[tokio::test]
async fn do_not_allow_returns_access_denied_with_state_and_iss() {
    let server = Server::start();
    let rp = add_client(&server, "shop", &[]);
    let mut browser = server.erkki_logged_in().await;
    let (_, challenge) = pkce();
    let path = authorize_path(&rp, &challenge, &[]);
    let denied = answer(&server, &mut browser, &path, "deny", "same-origin").await;
    let location = onward_url(&denied);
    assert!(location.starts_with(REDIRECT), "{location}");
    let params = query_of(&location);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "st-123");
    assert_eq!(params["iss"], server.public_url);
    assert_eq!(
        server.sql_count("SELECT count(*) FROM oidc_consents").await,
        0
    );
}
