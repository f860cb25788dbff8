//! What the OpenID Connect provider refuses, against the real server binary: an unknown client
//! or unregistered redirect URI (an error page here, never a redirect), requests without PKCE or
//! with `plain`, a wrong verifier, a reused code (which also revokes what it gave), a wrong or
//! missing client secret, an expired code, `prompt=none` without a session, hostile bodies.
#![cfg(feature = "ssr")]

mod common;
mod oidc_support;

use common::Server;
use oidc_support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn an_unknown_client_or_unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let (_, challenge) = pkce();
    let stranger = Rp {
        id: "nobody".into(),
        secret: None,
        redirect: REDIRECT.into(),
    };
    let elsewhere = Rp {
        id: rp.id.clone(),
        secret: None,
        redirect: "https://evil.example/cb".into(),
    };
    let prefix = Rp {
        id: rp.id.clone(),
        secret: None,
        redirect: format!("{REDIRECT}/more"),
    };
    for (what, path) in [
        ("unknown client", authorize_path(&stranger, &challenge, &[])),
        (
            "unregistered redirect",
            authorize_path(&elsewhere, &challenge, &[]),
        ),
        (
            "not an exact match",
            authorize_path(&prefix, &challenge, &[]),
        ),
        (
            "no redirect_uri",
            authorize_path(&rp, &challenge, &[("redirect_uri", "")]),
        ),
        (
            "no client_id",
            authorize_path(&rp, &challenge, &[("client_id", "")]),
        ),
        (
            "repeated parameter",
            format!("{}&client_id=permits", authorize_path(&rp, &challenge, &[])),
        ),
    ] {
        let reply = browser.get(&path).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(reply.location, None, "{what}: never redirected");
        assert!(
            reply.body.contains("Kirjautuminen ei onnistu"),
            "{what}: {}",
            reply.body
        );
        assert!(!reply.body.contains("evil.example"), "{what}");
    }
}

/// The error a request with `overrides` is sent back to the client with.
async fn error_back(
    server: &Server,
    browser: &mut common::Browser,
    rp: &Rp,
    overrides: &[(&str, &str)],
) -> String {
    let (_, challenge) = pkce();
    let reply = browser
        .get(&authorize_path(rp, &challenge, overrides))
        .await;
    let location = reply
        .location
        .unwrap_or_else(|| panic!("{overrides:?}: {}", reply.body));
    assert!(location.starts_with(REDIRECT), "{location}");
    let params = query_of(&location);
    assert_eq!(params["state"], "st-123", "{overrides:?}");
    assert_eq!(params["iss"], server.public_url, "{overrides:?}");
    assert!(!params.contains_key("code"), "{overrides:?}");
    params["error"].clone()
}

#[tokio::test]
async fn requests_without_pkce_s256_or_openid_go_back_with_their_error() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let plain = [
        ("code_challenge_method", "plain"),
        (
            "code_challenge",
            "a-plain-challenge-of-enough-length-1234567890",
        ),
    ];
    for (overrides, error) in [
        (&[("code_challenge", "")][..], "invalid_request"),
        (&[("code_challenge_method", "")][..], "invalid_request"),
        (&plain[..], "invalid_request"),
        (&[("code_challenge", "short")][..], "invalid_request"),
        (
            &[("response_type", "token")][..],
            "unsupported_response_type",
        ),
        (&[("response_type", "")][..], "invalid_request"),
        (&[("scope", "email")][..], "invalid_scope"),
        (&[("prompt", "none login")][..], "invalid_request"),
        (&[("max_age", "soon")][..], "invalid_request"),
        (&[("request", "eyJ.x.y")][..], "request_not_supported"),
    ] {
        assert_eq!(
            error_back(&server, &mut browser, &rp, overrides).await,
            error,
            "{overrides:?}"
        );
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required_and_without_consent_consent_required() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut stranger = server.browser();
    assert_eq!(
        error_back(&server, &mut stranger, &rp, &[("prompt", "none")]).await,
        "login_required"
    );
    let third = add_client(&server, "shop", &[]);
    let mut browser = server.erkki_logged_in().await;
    assert_eq!(
        error_back(&server, &mut browser, &third, &[("prompt", "none")]).await,
        "consent_required"
    );
}

#[tokio::test]
async fn a_wrong_verifier_a_reused_code_and_an_expired_code_are_invalid_grants() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;

    let (_, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    let (wrong, _) = pkce();
    let reply = exchange(&server, &rp, Auth::Basic, &code, &wrong).await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let missing = exchange(&server, &rp, Auth::Basic, &code, "").await;
    assert_eq!(missing.json()["error"], "invalid_request");

    // Reused: refused, and the tokens the first exchange gave are revoked.
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    let first = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let access = first.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&server, &access).await.status, StatusCode::OK);
    let second = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(second.json()["error"], "invalid_grant");
    assert_eq!(
        userinfo(&server, &access).await.status,
        StatusCode::UNAUTHORIZED
    );
    let refresh_token = first.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        refresh(&server, &rp, &refresh_token).await.json()["error"],
        "invalid_grant"
    );

    // Expired: a minute at most.
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    server
        .sql("UPDATE oidc_codes SET expires_at = expires_at - 61, created_at = created_at - 61")
        .await;
    let reply = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(reply.json()["error"], "invalid_grant");

    // Another client's code, and a redirect_uri that differs from the request's.
    let other = add_client(&server, "other", &["--first-party"]);
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    assert_eq!(
        exchange(&server, &other, Auth::Basic, &code, &verifier)
            .await
            .json()["error"],
        "invalid_grant"
    );
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    let moved = Rp {
        id: rp.id.clone(),
        secret: rp.secret.clone(),
        redirect: "https://rp.example/other".into(),
    };
    assert_eq!(
        exchange(&server, &moved, Auth::Basic, &code, &verifier)
            .await
            .json()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_client_secret_is_invalid_client() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    let wrong = Rp {
        id: rp.id.clone(),
        secret: Some("not-the-secret".into()),
        redirect: rp.redirect.clone(),
    };
    let basic = exchange(&server, &wrong, Auth::Basic, &code, &verifier).await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert_eq!(basic.json()["error"], "invalid_client");
    let post = exchange(&server, &wrong, Auth::Post, &code, &verifier).await;
    assert_eq!(
        (post.status, post.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let none = exchange(&server, &rp, Auth::None, &code, &verifier).await;
    assert_eq!(
        (none.status, none.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let unknown = Rp {
        id: "nobody".into(),
        ..wrong
    };
    assert_eq!(
        exchange(&server, &unknown, Auth::Basic, &code, &verifier)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The code was never taken by those: the right client still gets its tokens.
    assert_eq!(
        exchange(&server, &rp, Auth::Basic, &code, &verifier)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn hostile_requests_to_the_endpoints_get_oauth_errors_never_a_5xx() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let http = common::http_client();
    let url = |path: &str| format!("{}{path}", server.base);
    let cases = [
        http.post(url("/oauth2/token"))
            .body("grant_type=authorization_code"),
        http.post(url("/oauth2/token"))
            .header("content-type", "application/json")
            .body("{}"),
        http.post(url("/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![0xff, 0xfe]),
        http.post(url("/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=password&client_id=permits"),
        http.post(url("/oauth2/token"))
            .header("authorization", "Basic %%%")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=x"),
        http.post(url("/oauth2/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("client_id=permits&x={}", "a".repeat(40_000))),
        http.post(url("/oauth2/revoke"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("token=abc"),
        http.get(url("/oauth2/userinfo")),
        http.get(url("/oauth2/userinfo"))
            .header("authorization", "Bearer not-a-token"),
        http.get(url("/oauth2/authorize?client_id=%ff%fe")),
        http.post(url("/oauth2/authorize")).body(vec![0xff; 100]),
    ];
    for (i, request) in cases.into_iter().enumerate() {
        let reply = server.browser().send_request(request).await;
        assert!(
            reply.status.is_client_error(),
            "case {i}: {} {}",
            reply.status,
            reply.body
        );
        if reply.body.starts_with('{') {
            assert!(
                reply.json()["error"].is_string(),
                "case {i}: {}",
                reply.body
            );
        }
    }
    // A body over the limit is refused unread, and the connection is not reused.
    let large = http
        .post(url("/oauth2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("client_id=permits&x={}", "a".repeat(40_000)));
    let reply = server.browser().send_request(large).await;
    assert_eq!(reply.connection.as_deref(), Some("close"));
    let unsupported = post(
        &server,
        "/oauth2/token",
        &rp,
        Auth::Basic,
        &[("grant_type", "password")],
    )
    .await;
    assert_eq!(unsupported.json()["error"], "unsupported_grant_type");
    assert!(!server.log().contains(rp.secret.as_deref().unwrap()));
}
