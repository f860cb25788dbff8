//! RP-initiated logout and CORS of the OpenID Connect provider, against the real server binary.
#![cfg(feature = "ssr")]

mod common;
mod oidc_support;

use common::{Browser, Server};
use oidc_support::*;
use reqwest::StatusCode;

const BYE: &str = "https://rp.example/bye";

/// Erkki logged in, and `rp`'s tokens from a login with `scope`.
async fn tokens(server: &Server, browser: &mut Browser, rp: &Rp, scope: &str) -> serde_json::Value {
    let (verifier, challenge) = pkce();
    let reply = browser
        .get(&authorize_path(rp, &challenge, &[("scope", scope)]))
        .await;
    let code = query_of(reply.location.as_deref().unwrap())["code"].clone();
    let reply = exchange(server, rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

async fn logged_in_here(browser: &mut Browser) -> bool {
    let reply = browser.call("current_user", &[]).await;
    reply.json() != serde_json::Value::Null
}

#[tokio::test]
async fn an_id_token_hint_of_this_session_logs_out_and_returns_to_a_registered_uri() {
    let server = Server::start();
    let rp = add_client(
        &server,
        "permits",
        &["--first-party", "--post-logout-redirect-uri", BYE],
    );
    let mut browser = server.erkki_logged_in().await;
    let online = tokens(&server, &mut browser, &rp, "openid email").await;
    let offline = tokens(&server, &mut browser, &rp, "openid offline_access").await;
    let hint = online["id_token"].as_str().unwrap();

    let logout = |uri: &str, hint: &str| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("id_token_hint", hint)
            .append_pair("post_logout_redirect_uri", uri)
            .append_pair("state", "s1");
        format!("/oauth2/logout?{}", query.finish())
    };
    // Refused without redirecting: an unregistered URI, a hint we did not sign.
    let reply = browser.get(&logout("https://evil.example/", hint)).await;
    assert_eq!(
        (reply.status, reply.location),
        (StatusCode::BAD_REQUEST, None)
    );
    let at = hint.len() - 10;
    let swapped = if &hint[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{swapped}{}", &hint[..at], &hint[at + 1..]);
    let reply = browser.get(&logout(BYE, &forged)).await;
    assert_eq!(
        (reply.status, reply.location),
        (StatusCode::BAD_REQUEST, None)
    );
    assert!(logged_in_here(&mut browser).await);

    let reply = browser.get(&logout(BYE, hint)).await;
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("{BYE}?state=s1").as_str())
    );
    assert!(!logged_in_here(&mut browser).await, "the session ended");
    let (_, challenge) = pkce();
    let reply = browser
        .get(&authorize_path(&rp, &challenge, &[("prompt", "none")]))
        .await;
    assert_eq!(
        query_of(reply.location.as_deref().unwrap())["error"],
        "login_required"
    );
    // The session's grants end with it, except offline access, which outlives it by design.
    let access = |t: &serde_json::Value| t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        userinfo(&server, &access(&online)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        userinfo(&server, &access(&offline)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_a_hint_the_resident_confirms_on_our_own_page() {
    let server = Server::start();
    add_client(
        &server,
        "permits",
        &["--first-party", "--post-logout-redirect-uri", BYE],
    );
    let mut browser = server.erkki_logged_in().await;
    let path = format!("/oauth2/logout?client_id=permits&post_logout_redirect_uri={BYE}&state=s2");
    let reply = browser.get(&path).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .body
            .contains("<form method=\"post\" action=\"/oauth2/logout\">"),
        "{}",
        reply.body
    );
    assert!(
        logged_in_here(&mut browser).await,
        "nothing ended by a mere link"
    );

    let form = [
        ("client_id", "permits"),
        ("post_logout_redirect_uri", BYE),
        ("state", "s2"),
        ("confirm", "yes"),
    ];
    let url = format!("{}/oauth2/logout", server.base);
    let forged = common::http_client()
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .form(&form);
    let reply = browser.send_request(forged).await;
    assert_eq!(
        reply.location, None,
        "a cross-site post only shows the question again"
    );
    assert!(logged_in_here(&mut browser).await);
    let own = common::http_client()
        .post(&url)
        .header("sec-fetch-site", "same-origin")
        .form(&form);
    let reply = browser.send_request(own).await;
    // After our own form, a refresh rather than a redirect (form-action 'self').
    assert_eq!(reply.location, None);
    assert_eq!(onward_url(&reply), format!("{BYE}?state=s2"));
    assert!(!logged_in_here(&mut browser).await);
}

#[tokio::test]
async fn the_cookie_free_endpoints_allow_any_origin_and_authorize_does_not() {
    let server = Server::start();
    let http = common::http_client();
    let url = |path: &str| format!("{}{path}", server.base);
    let preflight = http
        .request(reqwest::Method::OPTIONS, url("/oauth2/token"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(
        preflight.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let discovery = http
        .get(url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.headers()["access-control-allow-origin"], "*");
    let meta: serde_json::Value = discovery.json().await.unwrap();
    assert_eq!(
        meta["end_session_endpoint"],
        format!("{}/oauth2/logout", server.public_url)
    );
    let authorize = http.get(url("/oauth2/authorize")).send().await.unwrap();
    assert!(
        authorize
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
