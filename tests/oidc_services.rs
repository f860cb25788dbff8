//! "Omat tiedot" lists the e-services a resident has used and revokes one; the audit trail
//! records the provider's events; clients declared in Leptos.toml. Against the real binary.
#![cfg(feature = "ssr")]

mod common;
mod oidc_support;

use common::{ERKKI, Options, Server};
use oidc_support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_settings_list_the_services_used_and_revoking_one_ends_its_tokens_and_consent() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let before = browser.call("my_services", &[]).await;
    assert_eq!(before.json(), serde_json::json!([]), "{}", before.body);

    let (verifier, challenge) = pkce();
    let path = authorize_path(&rp, &challenge, &[("scope", "openid offline_access")]);
    let reply = browser.get(&path).await;
    let code = query_of(reply.location.as_deref().unwrap())["code"].clone();
    let tokens = exchange(&server, &rp, Auth::Basic, &code, &verifier)
        .await
        .json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let account = format!("(SELECT id FROM accounts WHERE email = '{ERKKI}')");
    server
        .sql(&format!(
            "INSERT INTO oidc_consents (account_id, client_id, scope, granted_at)
             VALUES ({account}, 'permits', 'openid', 0)"
        ))
        .await;

    let listed = browser.call("my_services", &[]).await.json();
    assert_eq!(listed[0]["client_id"], "permits");
    assert_eq!(listed[0]["name"], "Rakennusvalvonta");
    assert_eq!(listed[0]["active"], true);
    let page = browser.get("/fi/account").await;
    assert!(page.body.contains("Käyttämäsi palvelut"), "{}", page.body);
    assert!(page.body.contains("Peru käyttöoikeus"), "{}", page.body);

    // Without JavaScript: the form posts and the settings page says what was done.
    let form = [("client", "permits"), ("lang", "fi")];
    let revoked = browser
        .post_form("revoke_service", "/fi/account", &form)
        .await;
    assert_eq!(
        revoked.location.as_deref(),
        Some("/fi/account?saved=services")
    );
    let page = browser.get("/fi/account?saved=services").await;
    assert!(
        page.body.contains("Palvelun käyttöoikeus on peruttu."),
        "{}",
        page.body
    );

    let refused = refresh(&server, &rp, &refresh_token).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.json()["error"], "invalid_grant");
    let userinfo = userinfo(&server, &access_token).await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        server.sql_count("SELECT count(*) FROM oidc_consents").await,
        0
    );
    let after = browser.call("my_services", &[]).await.json();
    assert_eq!(after[0]["active"], false);
    assert!(
        !browser
            .get("/fi/account")
            .await
            .body
            .contains("Peru käyttöoikeus")
    );

    let kinds = |kind: &str| {
        format!(
            "SELECT count(*) FROM audit_events WHERE kind = '{kind}' AND detail LIKE 'client permits%'"
        )
    };
    assert_eq!(server.sql_count(&kinds("client_added")).await, 1);
    assert_eq!(server.sql_count(&kinds("oidc_login")).await, 1);
    assert_eq!(server.sql_count(&kinds("oidc_revoked")).await, 1);
    // The same form posted again (a reload, a second click) ends nothing and records nothing.
    let again = browser
        .post_form("revoke_service", "/fi/account", &form)
        .await;
    assert_eq!(
        again.location.as_deref(),
        Some("/fi/account?saved=services")
    );
    assert_eq!(server.sql_count(&kinds("oidc_revoked")).await, 1);
    // Another resident's session cannot revoke for Erkki, nor see his services.
    let other = server.browser().call("my_services", &[]).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED, "{}", other.body);
}

#[tokio::test]
async fn replays_and_client_revocations_are_in_the_audit_trail_without_any_token() {
    let server = Server::start();
    let rp = add_client(&server, "permits", &["--first-party"]);
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(&rp, &challenge, &[("scope", "openid offline_access")]);
    let code = query_of(browser.get(&path).await.location.as_deref().unwrap())["code"].clone();
    let tokens = exchange(&server, &rp, Auth::Basic, &code, &verifier)
        .await
        .json();
    let replay = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(replay.json()["error"], "invalid_grant");

    let (verifier, challenge) = pkce();
    let path = authorize_path(&rp, &challenge, &[("scope", "openid offline_access")]);
    let code = query_of(browser.get(&path).await.location.as_deref().unwrap())["code"].clone();
    let second = exchange(&server, &rp, Auth::Basic, &code, &verifier)
        .await
        .json();
    let refresh_token = second["refresh_token"].as_str().unwrap();
    let form = [("token", refresh_token)];
    let revoked = post(&server, "/oauth2/revoke", &rp, Auth::Basic, &form).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);

    let details: Vec<String> = server
        .sql_rows(
            "SELECT kind || ': ' || detail FROM audit_events WHERE kind LIKE 'oidc_%' ORDER BY id",
        )
        .await;
    assert_eq!(
        details,
        [
            "oidc_login: client permits",
            "oidc_revoked: client permits: a used code was presented again; the grant is revoked",
            "oidc_login: client permits",
            "oidc_revoked: client permits: revoked by the client",
        ]
    );
    let trail = server
        .sql_rows("SELECT coalesce(detail, '') FROM audit_events")
        .await
        .join("\n");
    let log = server.log();
    for secret in [
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
        refresh_token,
        &code,
        rp.secret.as_deref().unwrap(),
    ] {
        assert!(!trail.contains(secret) && !log.contains(secret));
    }
}

#[tokio::test]
async fn a_client_declared_in_leptos_toml_is_registered_at_start_and_owned_by_the_file() {
    let secret = "c2VjcmV0LWZyb20tdGhlLWVudmlyb25tZW50LTEyMzQ1Njc4";
    let declared = format!(
        "{}\n[[asiointi.clients]]\nid = \"permits\"\nname = \"Rakennusvalvonta\"\n\
         redirect_uris = [\"{REDIRECT}\"]\nsecret_env = \"PERMITS_SECRET\"\nfirst_party = true\n",
        std::fs::read_to_string("Leptos.toml").unwrap()
    );
    let server = Server::start_with(Options {
        leptos_toml: Some(declared),
        extra_env: vec![("PERMITS_SECRET", secret.to_owned())],
        ..Options::default()
    });
    let rp = Rp {
        id: "permits".into(),
        secret: Some(secret.into()),
        redirect: REDIRECT.into(),
    };
    let mut browser = server.erkki_logged_in().await;
    let (verifier, challenge) = pkce();
    let code = code_for(&server, &mut browser, &rp, &challenge).await;
    let tokens = exchange(&server, &rp, Auth::Basic, &code, &verifier).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);

    let listed = cli(&server, &["clients", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("declared in Leptos.toml"), "{listed}");
    for command in [
        ["clients", "remove", "permits"],
        ["clients", "rotate-secret", "permits"],
    ] {
        let refused = cli(&server, &command);
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("declared in Leptos.toml"), "{said}");
    }
    assert_eq!(
        server
            .sql_count("SELECT count(*) FROM audit_events WHERE kind = 'client_added' AND detail LIKE '%declared in Leptos.toml'")
            .await,
        1
    );
    assert!(!server.log().contains(secret));
}
