//! Requests against the real server binary: forged cross-site requests, methods, the
//! Content-Security-Policy and its nonce, the referrer policy of token pages. The size limits
//! are in request_limits.rs.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, Options, Server, http_client, link_in, token_of};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ORIGIN, VARY};
use serde_json::Value;

const RENAMED: &str = "SELECT count(*) FROM accounts WHERE full_name = 'Hyökkääjän Nimi'";
const RENAME: [(&str, &str); 2] = [("full_name", "Hyökkääjän Nimi"), ("lang", "fi")];

#[tokio::test]
async fn a_request_from_another_origin_is_refused_and_changes_nothing() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let url = format!("{}/api/change_name", server.base);
    // A script on another site.
    let forged = http_client()
        .post(&url)
        .header(ORIGIN, "https://evil.example")
        .form(&RENAME);
    let reply = browser.send_request(forged).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json(), Value::from("cross_site"));
    // A plain form on another site, in a Swedish browser: a page saying so, with a way back.
    let forged = http_client()
        .post(&url)
        .header(ORIGIN, "https://evil.example")
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .header("accept-language", "sv-FI,sv;q=0.8")
        .form(&RENAME);
    let reply = browser.send_request(forged).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.body.contains("Begäran behandlades inte"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("href=\"/sv\""), "{}", reply.body);
    // A sandboxed or privacy-hiding page sends "null".
    let forged = http_client()
        .post(&url)
        .header(ORIGIN, "null")
        .form(&RENAME);
    assert_eq!(
        browser.send_request(forged).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(server.sql_count(RENAMED).await, 0, "nothing changed");
    // The same request from our own pages works.
    let reply = browser.call("change_name", &RENAME).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(server.sql_count(RENAMED).await, 1);
}

#[tokio::test]
async fn sec_fetch_site_decides_before_origin() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let url = format!("{}/api/change_name", server.base);
    for site in ["cross-site", "same-site"] {
        let forged = http_client()
            .post(&url)
            .header("sec-fetch-site", site)
            .form(&RENAME);
        let reply = browser.send_request(forged).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{site}");
        assert_eq!(reply.json(), Value::from("cross_site"));
    }
    // A current browser's own form on a page with `Referrer-Policy: no-referrer` (the token
    // pages) sends `Origin: null`; Sec-Fetch-Site, which comes first, vouches for it.
    assert_eq!(server.sql_count(RENAMED).await, 0);
    let own = http_client()
        .post(&url)
        .header(ORIGIN, "null")
        .header("sec-fetch-site", "same-origin")
        .form(&RENAME);
    assert_eq!(browser.send_request(own).await.status, StatusCode::OK);
    assert_eq!(server.sql_count(RENAMED).await, 1);
}

#[tokio::test]
async fn a_request_with_neither_header_is_not_from_a_browser_and_passes() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let plain = http_client()
        .post(format!("{}/api/change_name", server.base))
        .form(&RENAME);
    let reply = browser.send_request(plain).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(server.sql_count(RENAMED).await, 1);
}

#[tokio::test]
async fn server_functions_answer_only_post() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    for function in [
        "logout?lang=fi",
        "change_name?full_name=X&lang=fi",
        "end_other_sessions?lang=fi",
        "current_user",
    ] {
        let url = format!("{}/api/{function}", server.base);
        let response = http_client().get(&url).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{function}"
        );
        assert_eq!(response.headers()["allow"], "POST");
        let reply = browser.send_request(http_client().get(&url)).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{function}");
    }
    // Still logged in, name unchanged.
    assert_ne!(browser.call("current_user", &[]).await.json(), Value::Null);
    assert_eq!(
        server
            .sql_count("SELECT count(*) FROM accounts WHERE full_name = 'X'")
            .await,
        0
    );
}

/// The nonce of `script-src` in a policy.
fn nonce_of(policy: &str) -> String {
    let scripts = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_else(|| panic!("no script-src: {policy}"));
    assert!(scripts.contains("'wasm-unsafe-eval'"), "{scripts}");
    assert!(!scripts.contains("unsafe-inline"), "{scripts}");
    assert!(
        !policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"),
        "{policy}"
    );
    scripts
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce: {scripts}"))
        .to_owned()
}

/// Checks a page's policy against its scripts and returns the policy's nonce.
fn assert_policy_fits_scripts(path: &str, policy: &str, body: &str) -> String {
    let nonce = nonce_of(policy);
    assert!(nonce.len() >= 16, "{nonce}");
    let scripts: Vec<&str> = body.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "{path} has its hydration script");
    for script in scripts {
        let tag = script.split('>').next().unwrap();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: <script{tag}>"
        );
    }
    assert!(!body.contains(" style=\""), "{path}: no inline styles");
    for directive in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "style-src 'self'",
    ] {
        assert!(policy.contains(directive), "{path}: {policy}");
    }
    nonce
}

#[tokio::test]
async fn every_page_has_a_fresh_nonce_that_all_its_scripts_carry() {
    let server = Server::start();
    let mut seen = Vec::new();
    for path in [
        "/fi/login",
        "/fi/login",
        "/sv/forgot",
        "/en/register",
        "/fi/set-password?token=x",
        "/fi/no-such-page",
    ] {
        let response = http_client()
            .get(format!("{}{path}", server.base))
            .header(ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.text().await.unwrap();
        let nonce = assert_policy_fits_scripts(path, &policy, &body);
        assert!(!seen.contains(&nonce), "a new nonce for every response");
        seen.push(nonce);
    }
    // The pages of a logged-in resident, the history (end-to-end runs once saw it without its
    // policy) many times over.
    let mut browser = server.erkki_logged_in().await;
    for path in ["/fi", "/fi/account", "/en/history", "/en/history?page=2"]
        .into_iter()
        .cycle()
        .take(40)
    {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let policy = reply.headers["content-security-policy"].to_str().unwrap();
        let nonce = assert_policy_fits_scripts(path, policy, &reply.body);
        assert!(!seen.contains(&nonce), "a new nonce for every response");
        seen.push(nonce);
    }
}

#[tokio::test]
async fn responses_that_are_not_pages_get_a_strict_fixed_policy() {
    let server = Server::start();
    for request in [
        http_client().post(format!("{}/api/login_flow", server.base)),
        http_client().post(format!("{}/api/no_such_function", server.base)),
        http_client().get(format!("{}/api/current_user", server.base)),
    ] {
        let response = request.send().await.unwrap();
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(!policy.contains("script-src"), "{policy}");
    }
}

#[tokio::test]
async fn pages_that_carry_a_token_send_no_referrer() {
    let server = Server::start();
    for (path, policy) in [
        ("/fi/set-password?token=abc", "no-referrer"),
        ("/sv/confirm-email?token=abc", "no-referrer"),
        ("/fi/set-password?lang=x&token=abc", "no-referrer"),
        ("/fi/login", "same-origin"),
        ("/fi/set-password/done", "same-origin"),
    ] {
        let response = http_client()
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["referrer-policy"], policy, "{path}");
    }
}

#[tokio::test]
async fn without_javascript_a_refused_token_form_comes_back_with_its_error() {
    let server = Server::start();
    let mut browser = server.browser();
    browser.begin(ERKKI, "fi").await;
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 1)));
    // The page sends no Referer, so the way back is built from the form itself.
    let reply = browser
        .post_form_without_referer(
            "set_password",
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", "jotain muuta"),
                ("lang", "sv"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let back = reply.location.unwrap();
    assert!(
        back.starts_with(&format!("/sv/set-password?token={token}&")),
        "{back}"
    );
    assert!(back.contains("__err="), "{back}");
    let page = browser.get(&back).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Lösenorden stämmer inte överens"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("value=\"{token}\"")),
        "the form keeps its token"
    );
    // The link still works.
    let reply = browser
        .post_form_without_referer(
            "set_password",
            &[
                ("token", &token),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.location.as_deref(), Some("/fi/set-password/done"));
    // The e-mail confirmation page does the same; a token that is not ours never becomes a path.
    let reply = browser
        .post_form_without_referer(
            "confirm_email",
            &[("token", "x/../../y\"z"), ("lang", "en")],
        )
        .await;
    let back = reply.location.unwrap();
    assert!(back.starts_with("/en/confirm-email?token=xyz&"), "{back}");
    assert!(back.contains("__err="), "{back}");
}

#[tokio::test]
async fn the_builds_files_come_precompressed_as_the_browser_accepts_and_are_revalidated() {
    // A site root of its own, as `cargo leptos build --release --precompress` leaves it: each
    // file beside its brotli and gzip copies (their bytes here only tell them apart).
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("asiointi.js"), "plain").unwrap();
    std::fs::write(pkg.join("asiointi.js.br"), "brotli").unwrap();
    std::fs::write(pkg.join("asiointi.js.gz"), "gzip").unwrap();
    let server = Server::start_with(Options {
        extra_env: vec![("LEPTOS_SITE_ROOT", site.path().display().to_string())],
        ..Options::default()
    });
    let url = format!("{}/pkg/asiointi.js", server.base);
    for (accepts, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "brotli"),
        ("gzip", Some("gzip"), "gzip"),
        ("identity", None, "plain"),
    ] {
        let reply = http_client()
            .get(&url)
            .header(ACCEPT_ENCODING, accepts)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK, "{accepts}");
        let headers = reply.headers().clone();
        let got = headers.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap());
        assert_eq!(got, encoding, "{accepts}");
        assert_eq!(headers[VARY], "accept-encoding");
        assert_eq!(headers[CACHE_CONTROL], "no-cache");
        assert_eq!(reply.text().await.unwrap(), body, "{accepts}");
    }
    // The page that loads them is never stored.
    let page = http_client()
        .get(format!("{}/fi/login", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn the_navigation_script_is_a_file_of_its_own_kept_for_good() {
    let server = Server::start();
    let page = http_client()
        .get(format!("{}/fi/login", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // One script tag names it, deferred (it runs once the page is parsed); the page does not
    // carry its text.
    let tag = page
        .split("<script")
        .find(|tag| tag.contains("/pkg/page-"))
        .unwrap_or_else(|| panic!("no navigation script: {page}"));
    assert!(tag.contains(" defer"), "<script{tag}");
    assert!(!page.contains("keepTyped"), "not inline");
    let src = tag
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let name = src.trim_start_matches("/pkg/page-").trim_end_matches(".js");
    assert!(
        name.len() == 16 && name.chars().all(|c| c.is_ascii_hexdigit()),
        "{src}"
    );
    let reply = http_client()
        .get(format!("{}{src}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let headers = reply.headers().clone();
    assert_eq!(
        headers[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    assert!(reply.text().await.unwrap().contains("function keepTyped("));
    // Another name under /pkg/ is not it.
    let other = http_client()
        .get(format!("{}/pkg/page-0000000000000000.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_anonymous_login_card_is_one_page_for_everyone_but_its_nonce() {
    let server = Server::start();
    // (the page's policy's nonce, the page with that nonce written as NONCE)
    let load = |path: &str| {
        let url = format!("{}{path}", server.base);
        async move {
            let reply = http_client().get(url).send().await.unwrap();
            assert_eq!(reply.status(), StatusCode::OK);
            let policy = reply.headers()["content-security-policy"].to_str().unwrap();
            let nonce = nonce_of(policy);
            let page = reply.text().await.unwrap();
            assert!(page.contains(&format!("nonce=\"{nonce}\"")), "{page}");
            (nonce.clone(), page.replace(&nonce, "NONCE"))
        }
    };
    let (first_nonce, first) = load("/fi/login").await;
    let (second_nonce, second) = load("/fi/login").await;
    let (third_nonce, third) = load("/fi/login").await;
    assert_eq!(first, second);
    assert_eq!(second, third);
    assert!(first_nonce != second_nonce && second_nonce != third_nonce);
    // Each language is its own page.
    let (_, swedish) = load("/sv/login").await;
    assert!(swedish.contains("lang=\"sv\"") && swedish != first);
    // What depends on the visitor is rendered for them: the way back after logging in...
    let (_, with_next) = load("/fi/login?next=/fi/history").await;
    assert!(with_next.contains("/fi/history"), "{with_next}");
    // ...and the card's remembered step (a cookie): the password step, the address shown.
    let mut browser = server.browser();
    browser.begin(ERKKI, "fi").await;
    let remembered = browser.get("/fi/login").await;
    assert!(remembered.body.contains(ERKKI), "{}", remembered.body);
    let (_, after) = load("/fi/login").await;
    assert_eq!(after, first, "nobody else sees that step");
}
