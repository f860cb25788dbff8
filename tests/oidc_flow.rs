//! The OpenID Connect provider against the real server binary, as a relying party sees it:
//! discovery, an authorization with a live session, the code exchange, the id_token checked
//! against the JWKS, UserInfo, refresh token rotation, revocation, the login card round trip,
//! public and pairwise clients, and key rotation.
#![cfg(feature = "ssr")]

mod common;
mod oidc_support;

use common::{ERKKI, GOOD_PASSWORD, Server};
use oidc_support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn discovery_points_at_the_endpoints_under_the_exact_issuer() {
    let server = Server::start();
    let mut browser = server.browser();
    let meta = browser
        .get("/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(meta["issuer"], server.public_url.as_str());
    assert!(!server.public_url.ends_with('/'));
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
    ] {
        let url = meta[endpoint].as_str().unwrap();
        assert!(url.starts_with(&server.public_url), "{endpoint}: {url}");
    }
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        meta["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    let jwks = browser.get("/oauth2/jwks").await.json();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        1,
        "a key made at first start"
    );
}

#[tokio::test]
async fn a_logged_in_resident_gets_a_code_and_the_client_tokens_claims_and_rotation() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    assert!(
        rp.secret.is_some(),
        "a confidential client's secret is printed once"
    );
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;

    let reply = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    let claims = verified_claims(&server, &rp, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(claims["email"], ERKKI);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Erkki Esimerkki");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    let sub = claims["sub"].as_str().unwrap().to_owned();
    assert!(!sub.contains('@') && sub.len() >= 32, "{sub}");
    assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - claims["auth_time"].as_i64().unwrap()).abs() < 120);

    let info = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    assert_eq!(info.json()["sub"], sub.as_str());
    assert_eq!(info.json()["email"], ERKKI);

    // Refresh: a new pair, the same subject; the spent refresh token, shown again, ends the
    // whole family, the new tokens included.
    let first_refresh = tokens["refresh_token"].as_str().unwrap();
    let reply = refresh(&server, &rp, first_refresh).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let rotated = reply.json();
    let second_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh);
    let again = verified_claims(&server, &rp, rotated["id_token"].as_str().unwrap()).await;
    assert_eq!(again["sub"], sub.as_str());
    let new_access = rotated["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&server, new_access).await.status, StatusCode::OK);

    let reused = refresh(&server, &rp, first_refresh).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST);
    assert_eq!(reused.json()["error"], "invalid_grant");
    assert_eq!(
        refresh(&server, &rp, second_refresh).await.json()["error"],
        "invalid_grant"
    );
    assert_eq!(
        userinfo(&server, new_access).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Stored hashed only.
    let clear = format!(
        "SELECT count(*) FROM oidc_refresh_tokens WHERE CAST(token_hash AS TEXT) = '{first_refresh}'"
    );
    assert_eq!(server.sql_count(&clear).await, 0);
    assert_eq!(
        server
            .sql_count("SELECT count(*) FROM oidc_refresh_tokens")
            .await,
        2
    );
    assert!(!server.log().contains(first_refresh) && !server.log().contains(&code));
}

#[tokio::test]
async fn without_a_session_the_login_card_comes_back_to_the_request() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    server.give_password(ERKKI).await;
    let (verifier, challenge) = pkce();
    let mut browser = server.browser();
    let path = authorize_path(
        &rp,
        &challenge,
        &[("ui_locales", "sv-FI fi"), ("login_hint", ERKKI)],
    );
    let reply = browser.get(&path).await;
    let location = reply.location.unwrap();
    assert!(location.starts_with("/sv/login?"), "{location}");
    let params = query_of(&location);
    assert_eq!(params["login_hint"], ERKKI);
    let next = params["next"].clone();
    assert!(next.starts_with("/oauth2/authorize?"), "{next}");
    // The card, in Swedish, has the e-service's suggested address filled in.
    let card = browser.get(&location).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(card.body.contains("lang=\"sv\""), "{}", card.body);
    assert!(
        card.body.contains(&format!("value=\"{ERKKI}\"")),
        "{}",
        card.body
    );
    assert!(
        card.body.contains("Logga in på tjänsten Rakennusvalvonta"),
        "{}",
        card.body
    );
    // Only a registered client's own request names a service.
    let forged = location.replace("redirect_uri", "redirect_urx");
    assert!(!browser.get(&forged).await.body.contains("Rakennusvalvonta"));

    // The login card's password step posts `next` along.
    browser.begin(ERKKI, "sv").await;
    let form = [
        ("email", ERKKI),
        ("password", GOOD_PASSWORD),
        ("lang", "sv"),
        ("next", next.as_str()),
    ];
    let login = browser.call("login", &form).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(login.location.as_deref(), Some(next.as_str()));
    let reply = browser.get(&next).await;
    let back = query_of(reply.location.as_deref().unwrap());
    assert_eq!(back["state"], "st-123");
    let tokens = exchange(&server, &rp, Auth::Post, &back["code"], &verifier).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
}

#[tokio::test]
async fn prompt_login_and_max_age_ask_again_and_do_not_loop() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let (_, challenge) = pkce();
    for forced in [("prompt", "login"), ("max_age", "0")] {
        // The login is at least a second old when max_age=0 is checked.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let reply = browser
            .get(&authorize_path(&rp, &challenge, &[forced]))
            .await;
        let location = reply.location.unwrap();
        assert!(location.starts_with("/fi/login?"), "{forced:?}: {location}");
        let next = query_of(&location)["next"].clone();
        assert!(
            !next.contains("prompt=") && !next.contains("max_age=") && next.contains("auth_after=")
        );
        // Logging in again satisfies the request it comes back to.
        let form = [
            ("email", ERKKI),
            ("password", GOOD_PASSWORD),
            ("lang", "fi"),
            ("next", next.as_str()),
        ];
        assert_eq!(browser.call("login", &form).await.status, StatusCode::OK);
        let reply = browser.get(&next).await;
        assert!(
            query_of(reply.location.as_deref().unwrap()).contains_key("code"),
            "{forced:?}"
        );
    }
}

#[tokio::test]
async fn a_public_client_uses_pkce_alone_and_a_pairwise_one_sees_its_own_subject() {
    let server = Server::start();
    let public = add_client(&server, "map", &["--public", "--first-party"]);
    assert!(public.secret.is_none(), "no secret for a public client");
    let pairwise = add_client(&server, "library", &["--first-party", "--pairwise"]);
    let mut browser = server.erkki_logged_in().await;
    let mut subjects = Vec::new();
    for (rp, auth) in [(&public, Auth::None), (&pairwise, Auth::Basic)] {
        let (verifier, challenge) = pkce();
        let code = code_for(&server, &mut browser, rp, &challenge).await;
        let reply = exchange(&server, rp, auth, &code, &verifier).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", rp.id, reply.body);
        let claims = verified_claims(&server, rp, reply.json()["id_token"].as_str().unwrap()).await;
        let info = userinfo(&server, reply.json()["access_token"].as_str().unwrap()).await;
        assert_eq!(
            info.json()["sub"],
            claims["sub"],
            "UserInfo tells the same subject"
        );
        subjects.push(claims["sub"].as_str().unwrap().to_owned());
    }
    assert_ne!(
        subjects[0], subjects[1],
        "the pairwise client has a subject of its own"
    );
    // A public client that sends a secret is refused.
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &public, &challenge).await;
    let with_secret = oidc_support::Rp {
        secret: Some("guess".into()),
        ..public
    };
    let reply = exchange(&server, &with_secret, Auth::Post, &code, &verifier).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "invalid_client");
}

#[tokio::test]
async fn revocation_ends_a_refresh_token_s_grant_and_operators_manage_clients_and_keys() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    let tokens = exchange(&server, &rp, Auth::Basic, &code, &verifier)
        .await
        .json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    // Another client cannot revoke it; unknown tokens are answered alike.
    let other = add_client(&server, "other", &["--first-party"]);
    let form = [("token", refresh_token)];
    assert_eq!(
        post(&server, "/oauth2/revoke", &other, Auth::Basic, &form)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(userinfo(&server, access).await.status, StatusCode::OK);
    let reply = post(&server, "/oauth2/revoke", &rp, Auth::Basic, &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        userinfo(&server, access).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&server, &rp, refresh_token).await.json()["error"],
        "invalid_grant"
    );

    // rotate-secret: the old secret stops working at once.
    let output = cli(&server, &["clients", "rotate-secret", "permits"]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("client_secret="))
        .unwrap()
        .to_owned();
    let form = [("token", "x")];
    assert_eq!(
        post(&server, "/oauth2/revoke", &rp, Auth::Basic, &form)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let rotated = Rp {
        secret: Some(secret),
        ..rp
    };
    assert_eq!(
        post(&server, "/oauth2/revoke", &rotated, Auth::Basic, &form)
            .await
            .status,
        StatusCode::OK
    );
    let listed = String::from_utf8_lossy(&cli(&server, &["clients", "list"]).stdout).into_owned();
    assert!(
        listed.contains("permits") && listed.contains(REDIRECT),
        "{listed}"
    );
    assert!(!listed.contains(rotated.secret.as_deref().unwrap()));
    assert!(
        cli(&server, &["clients", "remove", "other"])
            .status
            .success()
    );
    let reply = browser.get(&authorize_path(&other, &challenge, &[])).await;
    assert_eq!(
        (reply.status, reply.location),
        (StatusCode::BAD_REQUEST, None)
    );

    // keys rotate: new tokens are signed with the new key; the JWKS keeps the old one.
    let old_jwks = browser.get("/oauth2/jwks").await.json();
    assert!(cli(&server, &["keys", "rotate"]).status.success());
    let jwks = browser.get("/oauth2/jwks").await.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(jwks["keys"][1]["kid"], old_jwks["keys"][0]["kid"]);
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rotated, &challenge).await;
    let tokens = exchange(&server, &rotated, Auth::Basic, &code, &verifier)
        .await
        .json();
    let id_token = tokens["id_token"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
    verified_claims(&server, &rotated, id_token).await;
}

#[tokio::test]
async fn a_posted_authorization_request_without_nonce_also_gets_a_code() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(&rp, &challenge, &[("nonce", "")]);
    let form: Vec<(String, String)> = query_of(&path).into_iter().collect();
    let request = common::http_client()
        .post(format!("{}/oauth2/authorize", server.base))
        .form(&form);
    let reply = browser.send_request(request).await;
    let back = query_of(reply.location.as_deref().unwrap_or_default());
    assert_eq!(back["state"], "st-123");
    let tokens = exchange(&server, &rp, Auth::Basic, &back["code"], &verifier).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let claims = verified_claims(&server, &rp, tokens.json()["id_token"].as_str().unwrap()).await;
    assert!(claims.get("nonce").is_none());
}
