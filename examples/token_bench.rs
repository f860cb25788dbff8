//! A benchmark of the OpenID Connect token endpoint, not a test: how many authorization codes
//! the release server issues and exchanges per second, against the bound that argon2id puts
//! on password logins (the same crate and parameters, every core busy, in this process).
//!
//! It prepares a temporary SQLite database through the library (an account with a login
//! session, a confidential first-party client), starts the release binary on it, then:
//! 1. for `SECONDS`, `CONNECTIONS` clients ask `/oauth2/authorize` with the session cookie
//!    (each answer a fresh code),
//! 2. the same clients exchange every code at `/oauth2/token` (`client_secret_basic`, PKCE),
//! 3. argon2id hashes run on every core for `SECONDS`: the most password logins per second
//!    this machine could do.
//!
//! ```sh
//! cargo leptos build --release
//! cargo run --release --features ssr --example token_bench [SECONDS [CONNECTIONS]]
//! ```
//! `ASIOINTI_BIN` names another server binary (default `target/release/asiointi`).

use asiointi::server::auth::password::PasswordHasher;
use asiointi::server::auth::session::CookieName;
use asiointi::server::auth::token::new_token;
use asiointi::server::db::{AuditEvent, Db, Forget, NewSession, OidcClient, Registration, now};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REDIRECT: &str = "https://rp.example/callback";
const VERIFIER: &str = "bench-verifier-0123456789-0123456789-0123456789";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let seconds = Duration::from_secs(args.next().transpose()?.unwrap_or(10));
    let connections = args.next().transpose()?.unwrap_or(16) as usize;
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );

    let db = Db::connect(&url).await?;
    let email = asiointi::model::Email::parse("bench@example.com")?;
    let Registration::Created(account_id) = db.register_account(&email, "Penkki Testaaja").await?
    else {
        return Err("the fresh database has the account already".into());
    };
    let (cookie, cookie_hash) = new_token();
    let session = NewSession {
        id_hash: &cookie_hash,
        account_id,
        expires_at: now() + 3600,
        persistent: false,
        user_agent: None,
    };
    db.start_session(&session, None, AuditEvent::default(), Forget::default())
        .await?;
    let (secret, secret_hash) = new_token();
    db.add_client(&OidcClient {
        client_id: "bench".into(),
        name: "Penkki".into(),
        secret_hash: Some(secret_hash),
        first_party: true,
        pairwise: false,
        backchannel_logout_uri: None,
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![],
        declared: false,
        created_at: 0,
    })
    .await?;
    drop(db);

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let binary = std::env::var("ASIOINTI_BIN").unwrap_or_else(|_| "target/release/asiointi".into());
    let mut server = std::process::Command::new(&binary)
        .env("DATABASE_URL", &url)
        .env("PUBLIC_URL", &base)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_ENV", "PROD")
        .env("SMTP_URL", "")
        .env("RUST_LOG", "warn")
        .spawn()
        .map_err(|e| format!("{binary}: {e} (build it with `cargo leptos build --release`)"))?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(connections)
        .build()?;
    let started = Instant::now();
    while http
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .await
        .is_err()
    {
        if started.elapsed() > Duration::from_secs(20) {
            server.kill()?;
            return Err("the server did not start".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let authorize = format!(
        "{base}/oauth2/authorize?response_type=code&client_id=bench&scope=openid%20email\
         &redirect_uri={}&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
        asiointi::model::query_value(REDIRECT)
    );
    let session = format!("{}={cookie}", CookieName::Session.name(false));
    let codes = Arc::new(Mutex::new(Vec::new()));
    let issued = run(connections, Some(Instant::now() + seconds), {
        let (http, codes) = (http.clone(), codes.clone());
        move || {
            let (http, codes, authorize, session) = (
                http.clone(),
                codes.clone(),
                authorize.clone(),
                session.clone(),
            );
            async move {
                let reply = http.get(&authorize).header("cookie", session).send().await;
                let code = reply.ok().and_then(|reply| {
                    let location = reply.headers().get("location")?.to_str().ok()?;
                    url_param(location, "code")
                });
                let issued = code.is_some();
                if let (Some(code), Ok(mut codes)) = (code, codes.lock()) {
                    codes.push(code);
                }
                Some(issued)
            }
        }
    })
    .await;

    let queue = Arc::new(Mutex::new(std::mem::take(
        &mut *codes.lock().map_err(|_| "lock")?,
    )));
    let total = queue.lock().map_err(|_| "lock")?.len();
    let exchanged = run(connections, None, {
        let (http, queue, base, secret) = (http.clone(), queue.clone(), base.clone(), secret);
        move || {
            let (http, queue, base, secret) =
                (http.clone(), queue.clone(), base.clone(), secret.clone());
            async move {
                let code = queue.lock().ok()?.pop()?;
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                ];
                let reply = http
                    .post(format!("{base}/oauth2/token"))
                    .basic_auth("bench", Some(&secret))
                    .form(&form)
                    .send()
                    .await;
                Some(reply.is_ok_and(|r| r.status().is_success()))
            }
        }
    })
    .await;
    server.kill()?;
    let _ = server.wait();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let hasher = PasswordHasher::with_queue(cores, cores * 4)?;
    let hashes = run(cores * 2, Some(Instant::now() + seconds), move || {
        let hasher = hasher.clone();
        async move { Some(hasher.hash("correct horse battery".into()).await.is_ok()) }
    })
    .await;

    println!("token endpoint benchmark: {connections} connections, {cores} cores");
    print_row("codes issued (GET /oauth2/authorize)", &issued);
    print_row("codes exchanged (POST /oauth2/token)", &exchanged);
    print_row("argon2id hashes, every core (login bound)", &hashes);
    println!("codes exchanged: {} of {total} issued", exchanged.ok);
    if hashes.per_second() > 0.0 {
        println!(
            "exchanges per second / password logins per second: {:.1}",
            exchanged.per_second() / hashes.per_second()
        );
    }
    Ok(())
}

/// What a phase did: answers that succeeded, failures, its wall time and each latency.
struct Phase {
    ok: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

fn print_row(what: &str, phase: &Phase) {
    println!(
        "{what:<45} {:>9.1}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} ok, {} failed)",
        phase.per_second(),
        phase.percentile(0.5).as_secs_f64() * 1000.0,
        phase.percentile(0.99).as_secs_f64() * 1000.0,
        phase.ok,
        phase.failed
    );
}

/// Runs `work` on `workers` tasks, each again and again, until `deadline` (if any) has
/// passed or `work` answers `None` (nothing left to do). `Some(ok)` is one request done.
async fn run<F, Fut>(workers: usize, deadline: Option<Instant>, work: F) -> Phase
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Option<bool>> + Send,
{
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let work = work.clone();
        tasks.spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
            while deadline.is_none_or(|d| Instant::now() < d) {
                let begun = Instant::now();
                match work().await {
                    None => break,
                    Some(true) => ok += 1,
                    Some(false) => failed += 1,
                }
                latencies.push(begun.elapsed());
            }
            (ok, failed, latencies)
        });
    }
    let mut phase = Phase {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    while let Some(Ok((ok, failed, latencies))) = tasks.join_next().await {
        phase.ok += ok;
        phase.failed += failed;
        phase.latencies.extend(latencies);
    }
    phase.elapsed = started.elapsed();
    phase
}

/// The value of `name` in a URL's query.
fn url_param(location: &str, name: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}
