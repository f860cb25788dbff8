//! The HTTP server: pages rendered by Leptos, server functions under `/api`, static files, the
//! load balancer's probes and the development mailbox.
//!
//! An instance holds nothing a request needs beyond what is in the database, so any instance
//! can answer any request. On SIGTERM (or Ctrl-C) it stops accepting connections, finishes the
//! requests in flight, lets its mail sender finish the mail it is delivering (handing back one
//! it claimed but had not begun) and exits.

pub(crate) mod guard;
pub mod headers;
mod health;
mod page_cache;
pub mod page_script;

pub use guard::BODY_LIMIT_BYTES;

use super::auth::password::PasswordHasher;
use super::db::Db;
use super::state::Shared;
use super::{AppState, Config, ServerError, mail};
use crate::app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{any, get};
use leptos::config::{LeptosOptions, get_configuration};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use std::sync::Arc;
use tokio::sync::watch;
use tower_http::classify::ServerErrorsFailureClass;

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
    let db = Db::open(&config.database_url, true, config.database_pool).await?;
    if config.development {
        super::demo::seed_if_empty(&db).await?;
    }
    super::oidc::keys::spawn_first_key(db.clone());
    super::oidc::declared::sync(&db, &config.clients).await?;
    super::oidc::backchannel::spawn_sweep(db.clone(), config.public_url.clone());
    let (stop, stopping) = watch::channel(false);
    let sender = mail::sender::spawn(db.clone(), config.clone(), stopping)?;
    super::jobs::spawn_purge(db.clone(), &config);
    let mail_lease = config.mail_lease;
    let addr = leptos_options.site_addr;
    let state = AppState::new(Shared {
        leptos_options,
        hasher: PasswordHasher::new(config.hashing_slots)?,
        config,
        db,
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    let app = router(state, sender.dev_mailbox)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("stopping: finishing the requests in flight");
            let _ = stop.send(true);
        })
        .await?;
    // The sender's delivery in progress ends within its SMTP timeouts, a tenth of the lease.
    if let Some(stopped) = sender.stopped
        && tokio::time::timeout(mail_lease, stopped).await.is_err()
    {
        tracing::warn!("the mail sender did not stop in time; its mail is taken over later");
    }
    tracing::info!("stopped");
    Ok(())
}

fn router(state: AppState, dev_mailbox: Option<mail::dev_mailbox::DevMailbox>) -> Router {
    let secure = state.config.secure_cookies();
    let routes = generate_route_list(App);
    // Each page's render gets the app's state and the nonce its policy allows.
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            headers::provide_page_nonce();
        }
    };
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            headers::LiveReload::of(&state.leptos_options),
            headers::page_policy_layer,
        ))
        // The anonymous login cards, rendered once (see page_cache).
        .layer(axum::middleware::from_fn_with_state(
            page_cache::PageCache::new(!state.config.development),
            page_cache::serve,
        ));
    let mut router = pages
        .route("/", get(|| async { Redirect::to("/fi") }))
        // The front pages are `/fi`, `/sv`, `/en`; `/fi/` is the same page.
        .route(
            "/{lang}/",
            get(|Path(lang): Path<String>| async move { Redirect::permanent(&format!("/{lang}")) }),
        )
        .route(page_script::PATH.as_str(), get(page_script::serve))
        .route("/api/{*fn_name}", any(server_fn))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(super::oidc::router());
    if let Some(mailbox) = dev_mailbox {
        router = router.route("/dev/mail", get(move || async move { mailbox.page() }));
    }
    let router = router
        // Server functions (leptos registers each at its own path, and unknown ones fall to the
        // route above) only run behind the guard: `POST` only, from our own pages. The body
        // limit also stops a body without `Content-Length` while it is read; nothing else here
        // takes a body.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard_api,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(
            super::fn_status::api_error_status,
        ));
    headers::with_security_headers(with_access_log(router), secure).with_state(state)
}

/// One log line per request with method, path (never the query, which may carry a token),
/// status and latency. A server error is logged again as an ERROR, but for 503: "busy" and
/// "database unavailable, try again" are the service protecting itself under load (each cause
/// is logged where it arises), and a flood must not bury real errors under thousands of lines.
fn with_access_log(router: Router<AppState>) -> Router<AppState> {
    router.layer(tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(|request: &Request<Body>| {
            tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
        })
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO))
        .on_failure(|failure, latency: std::time::Duration, _: &tracing::Span| {
            if !is_try_again(&failure) {
                tracing::error!(?latency, "response failed: {failure}");
            }
        }))
}

/// Whether a failed response is a 503, the "try again in a moment" of a service under load.
fn is_try_again(failure: &ServerErrorsFailureClass) -> bool {
    matches!(
        failure,
        ServerErrorsFailureClass::StatusCode(axum::http::StatusCode::SERVICE_UNAVAILABLE)
    )
}

/// The client's address from the TCP peer, or from the last `X-Forwarded-For` entry when the
/// service is `behind_proxy`.
pub fn client_ip(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    behind_proxy: bool,
) -> Option<std::net::IpAddr> {
    if behind_proxy {
        return headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|last| last.trim().parse().ok());
    }
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.clone()), request).await
}

/// Resolves at SIGTERM (what a service manager or orchestrator sends) or Ctrl-C.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
