//! The size limits of a request (issue #5): a body over the limit, an address over 254
//! characters, a password over 256 characters refused before any hashing. Over HTTP against the
//! real server binary.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, Server, http_client, link_in, token_of};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ORIGIN};
use serde_json::Value;

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let server = Server::start();
    let mut browser = server.browser();
    let huge = "a".repeat(20 * 1024);
    let reply = browser
        .call("begin", &[("email", huge.as_str()), ("lang", "fi")])
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json(), Value::from("request_too_large"));
    // The rest of the body was never read, so the connection cannot carry another request; the
    // client is told so rather than finding out on its next request.
    assert_eq!(reply.connection.as_deref(), Some("close"));
    // A body over the limit without `Content-Length` is stopped while it is read.
    let chunks =
        futures_util::stream::iter((0..20).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 1024])));
    let unsized_body = http_client()
        .post(format!("{}/api/begin", server.base))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ORIGIN, &server.base)
        .body(reqwest::Body::wrap_stream(chunks));
    let reply = browser.send_request(unsized_body).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.connection.as_deref(), Some("close"));
    // And the next request works.
    assert_eq!(browser.get("/fi/login").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_address_over_254_characters_is_refused_everywhere() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let long = format!("{}@example.com", "a".repeat(255 - "@example.com".len()));
    assert_eq!(long.chars().count(), 255);
    for (function, form) in [
        ("begin", vec![("email", long.as_str()), ("lang", "fi")]),
        (
            "login",
            vec![
                ("email", long.as_str()),
                ("password", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        ),
        (
            "request_reset",
            vec![("email", long.as_str()), ("lang", "fi")],
        ),
        (
            "register",
            vec![
                ("full_name", "Pitkä Osoite"),
                ("email", long.as_str()),
                ("lang", "fi"),
            ],
        ),
        (
            "change_email",
            vec![
                ("new_email", long.as_str()),
                ("current", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        ),
    ] {
        let reply = browser.call(function, &form).await;
        assert_eq!(
            (reply.status, reply.json()),
            (StatusCode::BAD_REQUEST, Value::from("email_invalid")),
            "{function}"
        );
    }
}

#[tokio::test]
async fn a_password_over_256_characters_is_refused_before_any_hashing() {
    let server = Server::start();
    let mut browser = server.erkki_logged_in().await;
    let long = "a".repeat(257);
    // That no hash is computed for it is shown without timing by the unit tests
    // `login_attempts::tests::a_password_too_long_to_be_anyones_is_a_failure_without_hashing`
    // and `policy::tests::a_new_password_of_the_wrong_length_is_refused_without_a_hashing_slot`;
    // here, each place answers it with its own clear error.
    let reply = browser.login(ERKKI, &long, false).await;
    assert_eq!(reply.json(), Value::from("wrong_credentials"));
    let reply = browser
        .call(
            "change_password",
            &[
                ("current", &long),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = browser
        .call(
            "change_password",
            &[
                ("current", GOOD_PASSWORD),
                ("password", &long),
                ("confirm", &long),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.json(), Value::from("password_too_long"));
    let reply = browser
        .call(
            "change_email",
            &[
                ("new_email", "uusi@example.com"),
                ("current", &long),
                ("lang", "fi"),
            ],
        )
        .await;
    assert_eq!(reply.json(), Value::from("current_password_wrong"));
    // A mailed link refuses it too, and the link stays usable.
    browser
        .call("request_reset", &[("email", ERKKI), ("lang", "fi")])
        .await;
    let token = token_of(&link_in(&server.wait_for_mail(ERKKI, 2)));
    let reply = browser.set_password(&token, &long, &long).await;
    assert_eq!(reply.json(), Value::from("password_too_long"));
}
