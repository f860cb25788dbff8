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

/// A relying party's back-channel logout endpoint on loopback: every body posted to it.
async fn logout_receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    logout_receiver_refusing(0).await
}

/// Like [`logout_receiver`], but the first `refusals` posts are answered 503 (down for a
/// moment) and not passed on.
async fn logout_receiver_refusing(
    refusals: usize,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (sender, received) = tokio::sync::mpsc::unbounded_channel();
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/backchannel",
        axum::routing::post(move |body: String| {
            let (sender, refused) = (sender.clone(), refused.clone());
            async move {
                use std::sync::atomic::Ordering;
                if refused.fetch_add(1, Ordering::SeqCst) < refusals {
                    return reqwest::StatusCode::SERVICE_UNAVAILABLE;
                }
                let _ = sender.send(body);
                reqwest::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test]
async fn each_client_of_the_ended_session_gets_a_signed_logout_token() {
    let server = Server::start();
    let (uri, mut received) = logout_receiver().await;
    let backchannel = ["--first-party", "--backchannel-logout-uri", uri.as_str()];
    let permits = add_client(&server, "permits", &backchannel);
    let mut pairwise_args = backchannel.to_vec();
    pairwise_args.push("--pairwise");
    let library = add_client(&server, "library", &pairwise_args);
    let quiet = add_client(&server, "quiet", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let mut id_claims = std::collections::BTreeMap::new();
    for rp in [&permits, &library, &quiet] {
        let issued = tokens(&server, &mut browser, rp, "openid").await;
        let claims = verified_claims(&server, rp, issued["id_token"].as_str().unwrap()).await;
        id_claims.insert(rp.id.clone(), claims);
    }
    let hint = tokens(&server, &mut browser, &permits, "openid").await;
    let path = format!(
        "/oauth2/logout?id_token_hint={}",
        hint["id_token"].as_str().unwrap()
    );
    assert_eq!(browser.get(&path).await.status, StatusCode::OK);

    let mut audiences = Vec::new();
    for _ in 0..2 {
        let body = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
            .await
            .expect("a logout token within 10 s")
            .unwrap();
        let (name, token) = url::form_urlencoded::parse(body.as_bytes()).next().unwrap();
        let token = token.into_owned();
        assert_eq!(name, "logout_token");
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
        let aud = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&token)
            .unwrap()
            .claims["aud"]
            .as_str()
            .unwrap()
            .to_owned();
        let rp = if aud == "permits" { &permits } else { &library };
        let claims = verified_claims(&server, rp, &token).await;
        let id = &id_claims[&aud];
        assert_eq!(claims["sub"], id["sub"], "{aud}: the subject it knows");
        assert_eq!(claims["sid"], id["sid"]);
        assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
        assert!(claims.get("nonce").is_none() && claims["jti"].is_string());
        audiences.push(aud);
    }
    audiences.sort();
    assert_eq!(
        audiences,
        ["library", "permits"],
        "not the client without a URI"
    );
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), received.recv())
            .await
            .is_err(),
        "one token per client"
    );
}

#[tokio::test]
async fn logging_out_here_ends_the_grants_and_tells_the_clients_within_seconds() {
    let server = Server::start();
    let (uri, mut received) = logout_receiver().await;
    let rp = add_client(
        &server,
        "permits",
        &["--first-party", "--backchannel-logout-uri", uri.as_str()],
    );
    let mut browser = server.erkki_logged_in().await;
    let online = tokens(&server, &mut browser, &rp, "openid email").await;
    let sid =
        verified_claims(&server, &rp, online["id_token"].as_str().unwrap()).await["sid"].clone();
    let access = online["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&server, access).await.status, StatusCode::OK);
    // KIRJAUDU ULOS on our own pages: the code that ends the session knows nothing of clients.
    let reply = browser.call("logout", &[("lang", "fi")]).await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{}",
        reply.body
    );
    let body = tokio::time::timeout(std::time::Duration::from_secs(20), received.recv())
        .await
        .expect("a logout token within seconds")
        .unwrap();
    let token = url::form_urlencoded::parse(body.as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    let claims = verified_claims(&server, &rp, &token).await;
    assert_eq!(claims["sid"], sid);
    assert_eq!(
        userinfo(&server, access).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_client_down_for_a_moment_gets_its_logout_token_on_a_retry() {
    let server = Server::start();
    let (uri, mut received) = logout_receiver_refusing(1).await;
    let rp = add_client(
        &server,
        "permits",
        &["--first-party", "--backchannel-logout-uri", uri.as_str()],
    );
    let mut browser = server.erkki_logged_in().await;
    let issued = tokens(&server, &mut browser, &rp, "openid").await;
    let sid =
        verified_claims(&server, &rp, issued["id_token"].as_str().unwrap()).await["sid"].clone();
    let path = format!(
        "/oauth2/logout?id_token_hint={}",
        issued["id_token"].as_str().unwrap()
    );
    assert_eq!(browser.get(&path).await.status, StatusCode::OK);
    // The first post is refused; the notice stays queued and is tried again 10 s later.
    let body = tokio::time::timeout(std::time::Duration::from_secs(40), received.recv())
        .await
        .expect("the logout token on a retry")
        .unwrap();
    let token = url::form_urlencoded::parse(body.as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    assert_eq!(verified_claims(&server, &rp, &token).await["sid"], sid);
    let queued = "SELECT count(*) FROM oidc_logout_notices";
    for _ in 0..50 {
        if server.sql_count(queued).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        server.sql_count(queued).await,
        0,
        "delivered, so no longer queued"
    );
    assert!(
        server
            .log()
            .contains("back-channel logout failed; retried later")
    );
}
