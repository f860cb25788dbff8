//! The HTTP server: pages rendered by Leptos, server functions under `/api`, static files, and
//! the development mailbox.

use super::auth::password::PasswordHasher;
use super::db::{Db, NewTransaction};
use super::{AppState, Config, ServerError, mail};
use crate::app::{App, shell};
use crate::model::{Email, IsoDate};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use leptos::config::{LeptosOptions, get_configuration};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The demo resident a local run starts with, as in the city's user guide.
const DEMO_NAME: &str = "Erkki Esimerkki";
const DEMO_EMAIL: &str = "esimerkki.erkki@example.com";
const DEMO_LEGACY_USERNAME: &str = "erkki";
/// The demo resident's example transactions, two pages of history in the services' own (Finnish)
/// words, one a line: date | service | reference | status | description.
const DEMO_HISTORY: &str = "\
2018-11-20|Rakennuslupa|RL-2018-0311|Vireillä|Autotallin rakentaminen
2018-09-04|Tilavaraus|TV-2018-1187|Hyväksytty|Liikuntahalli, sali 2, 4.10.2018 klo 18–20
2018-06-12|Pysäköintilupa|PL-2018-0456|Hyväksytty|Asukaspysäköintitunnus, vyöhyke K
2018-03-05|Maa-aineslupa|MA-2018-0007|Käsitelty|Soranotto, tila Mäkelä 5:12
2018-01-22|Tilavaraus|TV-2018-0093|Peruttu|Nuorisotalon kerhohuone 10.2.2018
2017-10-30|Rakennuslupa|RL-2017-0042|Hyväksytty|Omakotitalon laajennus
2017-08-15|Kaivulupa|KL-2017-0219|Käsitelty|Vesijohdon liitos katualueella
2017-05-09|Tilavaraus|TV-2017-0512|Hyväksytty|Kaupungintalon juhlasali 3.6.2017
2017-02-14|Toimenpidelupa|TL-2017-0025|Hylätty|Aidan rakentaminen tontin rajalle
2016-11-03|Maa-aineslupa|MA-2016-0014|Käsitelty|Luvan jatkaminen
2016-06-21|Tilavaraus|TV-2016-0688|Hyväksytty|Urheilukenttä, juhannuskisat
2016-03-10|Rakennuslupa|RL-2016-0101|Käsitelty|Saunarakennus";
/// How often expired sessions and spent tokens are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// Spent tokens are kept this long for support questions, in seconds (a week).
const KEEP_SPENT_TOKENS_SECS: i64 = 7 * 86_400;

/// Leptos's own settings (site root, address), from cargo-leptos's environment.
pub fn leptos_options() -> Result<LeptosOptions, ServerError> {
    let mut options = get_configuration(None)
        .map_err(|e| ServerError::Config(e.to_string()))?
        .leptos_options;
    if options.output_name.is_empty() {
        // Built by plain `cargo` rather than cargo-leptos (e.g. for the integration tests).
        options.output_name = env!("CARGO_PKG_NAME").into();
    }
    Ok(options)
}

/// Opens the database, starts the mail sender and serves until interrupted.
pub async fn serve() -> Result<(), ServerError> {
    let leptos_options = leptos_options()?;
    let development = leptos_options.env == leptos::config::Env::DEV;
    let config = Arc::new(Config::load(development).map_err(ServerError::Config)?);
    let db = Db::connect(&config.database_url).await?;
    if config.development && db.account_count().await? == 0 {
        let email =
            Email::parse(DEMO_EMAIL).map_err(|_| ServerError::Config("demo e-mail".into()))?;
        db.import_legacy_account(DEMO_LEGACY_USERNAME, &email, DEMO_NAME)
            .await?;
        let transactions = match db.account_by_email(&email).await? {
            Some(account) => add_demo_history(&db, account.id).await?,
            None => 0,
        };
        tracing::info!(
            transactions,
            "empty database: created the demo account {DEMO_EMAIL} (no password yet)"
        );
    }
    let mail_queued = Arc::new(Notify::new());
    mail::sender::spawn(db.clone(), config.clone(), mail_queued.clone())?;
    spawn_purge(db.clone(), config.unverified_account_ttl);
    let parallel_hashes = std::thread::available_parallelism().map_or(1, |n| n.get());
    let addr = leptos_options.site_addr;
    let state = AppState {
        leptos_options,
        config,
        db,
        hasher: PasswordHasher::new(parallel_hashes),
        mail_queued,
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// The rows of [`DEMO_HISTORY`].
fn demo_history() -> Result<Vec<NewTransaction<'static>>, ServerError> {
    let bad = |line: &str| ServerError::Config(format!("demo transaction: {line}"));
    DEMO_HISTORY
        .lines()
        .map(|line| match line.split('|').collect::<Vec<_>>()[..] {
            [date, service, reference, status, description] => Ok(NewTransaction {
                occurred_on: IsoDate::parse(date).ok_or_else(|| bad(line))?,
                service,
                reference,
                status,
                description,
            }),
            _ => Err(bad(line)),
        })
        .collect()
}

/// Gives the demo account its example transactions.
async fn add_demo_history(db: &Db, account_id: i64) -> Result<usize, ServerError> {
    let transactions = demo_history()?;
    for transaction in &transactions {
        db.add_transaction(account_id, transaction).await?;
    }
    Ok(transactions.len())
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let mut router = Router::new()
        .route("/", get(|| async { Redirect::to("/fi") }))
        // The front pages are `/fi`, `/sv`, `/en`; `/fi/` is the same page.
        .route(
            "/{lang}/",
            get(|Path(lang): Path<String>| async move { Redirect::permanent(&format!("/{lang}")) }),
        )
        .route("/api/{*fn_name}", get(server_fn).post(server_fn));
    if state.config.dev_mailbox() {
        router = router.route("/dev/mail", get(dev_mailbox));
    }
    router
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(access_log())
        .with_state(state)
}

/// One log line per request with method, path (never the query, which may carry a token),
/// status and latency.
fn access_log() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&Request<Body>) -> tracing::Span + Clone,
> {
    tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(|request: &Request<Body>| {
            tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
        })
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO))
}

async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.clone()), request).await
}

/// Lists the outbox so that someone running the service locally without SMTP can open the
/// links. Served only in development with no `SMTP_URL`.
async fn dev_mailbox(State(state): State<AppState>) -> Response {
    match state.db.recent_mails(50).await {
        Ok(mails) => Html(mail_list_html(&mails)).into_response(),
        Err(error) => {
            tracing::error!(%error, "dev mailbox");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn mail_list_html(mails: &[super::db::OutboxMail]) -> String {
    use super::mail::templates::escape;
    let mut items = String::new();
    for mail in mails {
        items.push_str(&format!(
            "<article><h2>{subject}</h2><p>To: {to} · queued at {at} (UNIX time)</p><pre>{body}</pre></article>",
            subject = escape(&mail.subject),
            to = escape(&mail.recipient),
            at = mail.created_at,
            body = linkify(&escape(&mail.body_text)),
        ));
    }
    if mails.is_empty() {
        items.push_str("<p>No mail yet.</p>");
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development mailbox</title>\
         <link rel=\"stylesheet\" href=\"/pkg/asiointi.css\"></head><body><main id=\"main\" class=\"dev-mail\">\
         <h1>Development mailbox</h1><p>Mail queued by this local run (SMTP_URL is not set).</p>{items}</main></body></html>"
    )
}

/// Turns the lines of an (escaped) mail body that are URLs into links.
fn linkify(escaped: &str) -> String {
    escaped
        .lines()
        .map(|line| {
            if line.starts_with("http://") || line.starts_with("https://") {
                format!("<a href=\"{line}\">{line}</a>")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Hourly, and once at start: expired sessions, old spent tokens, and registrations never
/// verified within `unverified_ttl`.
fn spawn_purge(db: Db, unverified_ttl: Duration) {
    let unverified_secs = i64::try_from(unverified_ttl.as_secs()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            match db.purge_expired(KEEP_SPENT_TOKENS_SECS).await {
                Ok(removed) => tracing::debug!(removed, "purged expired sessions and tokens"),
                Err(error) => tracing::error!(%error, "purge failed"),
            }
            match db.purge_unverified(unverified_secs).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed registrations never verified"),
                Err(error) => tracing::error!(%error, "purge of unverified registrations failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HISTORY_PER_PAGE, page_count};

    #[test]
    fn the_demo_history_is_two_pages_newest_first() {
        let transactions = demo_history().unwrap();
        assert_eq!(page_count(transactions.len() as u64, HISTORY_PER_PAGE), 2);
        let dates: Vec<String> = transactions
            .iter()
            .map(|t| t.occurred_on.to_string())
            .collect();
        assert!(dates.windows(2).all(|pair| pair[0] > pair[1]), "{dates:?}");
        for t in &transactions {
            assert!(!t.service.is_empty() && !t.reference.is_empty() && !t.status.is_empty());
            assert!(!t.description.is_empty());
        }
    }
}
