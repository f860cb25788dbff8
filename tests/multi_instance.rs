//! Two instances on one PostgreSQL database behind nginx (round robin, no sticky sessions):
//! whichever instance a request lands on, the resident's journey, session and limits are one.
//! Runs in the suite's PostgreSQL pass (scripts/test.sh); SQLite is one instance by design.
#![cfg(feature = "ssr")]

mod common;
mod fleet;

use common::{Browser, ERKKI, GOOD_PASSWORD, MAIJA, link_in, token_of};
use fleet::Fleet;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn is_logged_in(browser: &mut Browser) -> bool {
    let reply = browser.call("current_user", &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json() != Value::Null
}

#[tokio::test]
async fn two_instances_behind_a_load_balancer_are_one_service() {
    if !common::on_postgres() {
        eprintln!("two instances share a PostgreSQL database: this runs in the PostgreSQL pass");
        return;
    }
    let fleet = Fleet::start(2);

    // The seed's first login, its requests dealt to the two instances in turn.
    let mut browser = fleet.browser();
    assert_eq!(browser.begin(ERKKI, "fi").await.json(), "LinkSent");
    let token = token_of(&link_in(&fleet.wait_for_mail(ERKKI, 1)));
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut browser = fleet.browser();
    let reply = browser.login(ERKKI, GOOD_PASSWORD, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // The session made on one instance is valid on both.
    for _ in 0..6 {
        assert!(is_logged_in(&mut browser).await);
    }
    let page = browser.get("/fi/history").await;
    assert_eq!(page.status, StatusCode::OK);
    let served: BTreeSet<String> = fleet.upstreams().into_iter().collect();
    assert_eq!(served.len(), 2, "both instances answered: {served:?}");
    let upstreams = fleet.upstreams();
    assert!(
        upstreams.windows(2).filter(|w| w[0] != w[1]).count() >= upstreams.len() / 2,
        "requests alternated: {upstreams:?}"
    );
    // Logging out on one ends the session on both.
    let reply = browser.call("logout", &[("lang", "fi")]).await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{}",
        reply.body
    );
    for _ in 0..4 {
        assert!(!is_logged_in(&mut browser).await);
    }

    // Ten "Jatka" at once, spread over both instances: one mail, sent once.
    let mut browsers: Vec<Browser> = (0..10).map(|_| fleet.browser()).collect();
    let replies = futures_util::future::join_all(
        browsers
            .iter_mut()
            .map(|browser| async move { browser.begin(MAIJA, "fi").await.json() }),
    )
    .await;
    let sent = replies.iter().filter(|r| **r == json!("LinkSent")).count();
    assert_eq!(sent, 1, "{replies:?}");
    fleet.wait_for_mail(MAIJA, 1);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(fleet.mails_to(MAIJA).len(), 1, "one mail, delivered once");

    // Twelve wrong passwords at once over both instances are limited as one: at most the
    // five free ones are compared, the rest refused unhashed, and only those compared count.
    let mut browsers: Vec<Browser> = (0..12).map(|_| fleet.browser()).collect();
    let replies = futures_util::future::join_all(browsers.iter_mut().map(|browser| async move {
        let reply = browser.login(ERKKI, "väärä salasana tänään", false).await;
        (reply.status, reply.json())
    }))
    .await;
    let (tried, refused) = common::tried_and_refused(&replies);
    assert!(tried <= 5, "{replies:?}");
    assert_eq!(tried + refused, 12, "{replies:?}");
    let counted = "SELECT COUNT(*) FROM attempts WHERE kind = 'login_account'";
    assert_eq!(
        fleet.sql_count(counted).await,
        i64::try_from(tried).unwrap()
    );

    // Each instance made the first signing key in the background as it started: one was
    // stored, and both publish it.
    let mut published = BTreeSet::new();
    for _ in 0..4 {
        let jwks = browser.get("/oauth2/jwks").await;
        assert_eq!(jwks.status, StatusCode::OK);
        published.insert(jwks.body);
    }
    assert_eq!(published.len(), 1, "{published:?}");
    let keys = "SELECT COUNT(*) FROM oidc_signing_keys";
    assert_eq!(fleet.sql_count(keys).await, 1);
}
