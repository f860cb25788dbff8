//! Starts the real server binary for a test: a temporary SQLite file, or with
//! `ASIOINTI_TEST_POSTGRES` (a server's URL, see scripts/test.sh) a new database on that real
//! PostgreSQL server; a real SMTP server on loopback (tests/support/smtp_sink.py); free ports on
//! a loopback address of the server's own ([`own_address`]).
//! Stopped when the value is dropped.
#![allow(dead_code)]

use reqwest::header::{ACCEPT, COOKIE, LOCATION, ORIGIN, REFERER, SET_COOKIE};
use reqwest::{StatusCode, redirect};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ERKKI: &str = "esimerkki.erkki@example.com";
pub const MAIJA: &str = "maija.meikalainen@example.com";
/// What the test browser says it is (the audit trail and the sessions list show it).
pub const BROWSER_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
pub const GOOD_PASSWORD: &str = "kesäpäivä järven rannalla";

pub struct Server {
    pub base: String,
    /// The `PUBLIC_URL` the server was started with (the origin its pages are served from).
    pub public_url: String,
    pub dir: tempfile::TempDir,
    /// The server's `DATABASE_URL`.
    database_url: String,
    /// Its `SMTP_URL`: its own sink's, unless the options named another.
    pub smtp_url: String,
    /// Its own loopback address, where it and its SMTP sink listen.
    ip: Ipv4Addr,
    http_port: u16,
    /// The port of its own SMTP sink (running or not).
    smtp_port: u16,
    /// Its environment and working directory, to start it again.
    env: Vec<(String, String)>,
    working_dir: Option<PathBuf>,
    server: Child,
    sink: Option<Child>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        if let Some(sink) = self.sink.as_mut() {
            let _ = sink.kill();
            let _ = sink.wait();
        }
    }
}

/// Now, in UNIX seconds (the unit of every time column), for SQL that moves time.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Of the answers to wrong passwords sent at once: how many were compared with the password
/// (`wrong_credentials`) and how many refused unhashed (told to wait, or "busy" while the
/// compared ones still ran).
pub fn tried_and_refused(replies: &[(StatusCode, Value)]) -> (usize, usize) {
    let tried = replies
        .iter()
        .filter(|(_, body)| *body == "wrong_credentials")
        .count();
    let refused = replies
        .iter()
        .filter(|(status, body)| {
            *status == StatusCode::TOO_MANY_REQUESTS
                || (*status == StatusCode::SERVICE_UNAVAILABLE && *body == "busy")
        })
        .count();
    (tried, refused)
}

/// Whether the tests run against PostgreSQL (`ASIOINTI_TEST_POSTGRES` names its server).
pub fn on_postgres() -> bool {
    std::env::var_os("ASIOINTI_TEST_POSTGRES").is_some()
}

/// A new, empty database for one test: a SQLite file in `dir`, or a database of its own on
/// the PostgreSQL server of `ASIOINTI_TEST_POSTGRES` (created with psql; the server is a
/// throwaway one, so it is not dropped).
pub fn test_database(dir: &tempfile::TempDir) -> String {
    let Ok(server) = std::env::var("ASIOINTI_TEST_POSTGRES") else {
        return format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    };
    let name = format!(
        "it_{}_{}",
        std::process::id(),
        dir.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "")
            .to_lowercase()
    );
    let created = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", &server, "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("psql (Debian's postgresql-client)");
    assert!(
        created.status.success(),
        "CREATE DATABASE: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    let (base, _) = server
        .rsplit_once('/')
        .expect("a postgres:// URL with a database");
    format!("{base}/{name}")
}

/// A connection to the database at `url` (SQLite or PostgreSQL).
pub async fn connect(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await.unwrap()
}

/// The server binary the tests start: this build's, or the one `ASIOINTI_BIN` names (the
/// load test runs the release build).
pub fn server_binary() -> String {
    std::env::var("ASIOINTI_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_asiointi").to_owned())
}

/// Starts the SMTP sink on `ip`:`port`, writing what it receives to `dir`.
fn start_sink(ip: Ipv4Addr, port: u16, dir: &Path) -> Child {
    let python = std::env::var("SMTP_SINK_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let child = Command::new(python)
        .args([
            "tests/support/smtp_sink.py",
            "--host",
            &ip.to_string(),
            "--port",
            &port.to_string(),
            "--dir",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("start the SMTP sink (needs Debian's python3-aiosmtpd)");
    wait_until("the SMTP sink", || {
        std::net::TcpStream::connect((ip, port)).is_ok()
    });
    child
}

/// Starts the server binary with `env`, its output appended to `dir`/server.log.
fn spawn_server(env: &[(String, String)], working_dir: Option<&Path>, dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .unwrap();
    let mut serve = Command::new(server_binary());
    serve
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if let Some(working_dir) = working_dir {
        serve.current_dir(working_dir);
    }
    serve.spawn().unwrap()
}

/// A loopback address of its own for each server (and nginx, relay) a test starts: 127.P.N.M,
/// P from this process's id, N.M counting. A port picked free on 127.0.0.1 could be taken before
/// the child binds it: by another test's `free_port` (the sink of one test once received another
/// test's mail that way) or as the source port of an outgoing connection, which leaves from
/// 127.0.0.1. Nothing else uses these addresses. (The load test's residents are 127.0.x.y.)
pub fn own_address() -> Ipv4Addr {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let process = 1 + std::process::id() % 254;
    Ipv4Addr::new(
        127,
        process as u8,
        (n / 254 % 256) as u8,
        (1 + n % 254) as u8,
    )
}

/// `N` distinct ports free on `ip`, all held until all are picked.
pub fn free_ports<const N: usize>(ip: Ipv4Addr) -> [u16; N] {
    let listeners: [TcpListener; N] = std::array::from_fn(|_| TcpListener::bind((ip, 0)).unwrap());
    listeners.map(|listener| listener.local_addr().unwrap().port())
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub struct Options {
    /// Start the SMTP sink (otherwise SMTP_URL points at a closed port).
    pub smtp: bool,
    pub extra_env: Vec<(&'static str, String)>,
    /// A `Leptos.toml` for the server: written to its directory, which becomes its working
    /// directory. `None`: the repository's.
    pub leptos_toml: Option<String>,
    /// The server's `DATABASE_URL`. `None`: a new database of the suite's kind
    /// ([`test_database`]).
    pub database: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            smtp: true,
            extra_env: Vec::new(),
            leptos_toml: None,
            database: None,
        }
    }
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let ip = own_address();
        let [http_port, smtp_port] = free_ports(ip);
        let base = format!("http://{ip}:{http_port}");
        let sink = options
            .smtp
            .then(|| start_sink(ip, smtp_port, &dir.path().join("mail")));
        let users = dir.path().join("users.csv");
        std::fs::write(
            &users,
            format!("legacy_username,email,full_name\nerkki,{ERKKI},Erkki Esimerkki\nmaija,{MAIJA},Maija Meikäläinen\n"),
        )
        .unwrap();
        if let Some(text) = &options.leptos_toml {
            std::fs::write(dir.path().join("Leptos.toml"), text).unwrap();
        }
        let database_url = options
            .database
            .clone()
            .unwrap_or_else(|| test_database(&dir));
        let smtp_url = options
            .extra_env
            .iter()
            .find(|(key, _)| *key == "SMTP_URL")
            .map_or_else(
                || format!("smtp://{ip}:{smtp_port}"),
                |(_, url)| url.clone(),
            );
        let env: Vec<(String, String)> = [
            ("DATABASE_URL", database_url.clone()),
            ("SMTP_URL", format!("smtp://{ip}:{smtp_port}")),
            ("PUBLIC_URL", base.clone()),
            ("LEPTOS_SITE_ADDR", format!("{ip}:{http_port}")),
            ("LEPTOS_ENV", "PROD".to_owned()),
            ("RUST_LOG", "info,sqlx=warn".to_owned()),
        ]
        .into_iter()
        .chain(options.extra_env.iter().map(|(k, v)| (*k, v.clone())))
        .map(|(k, v)| (k.to_owned(), v))
        .collect(); // A key in `extra_env` comes later and wins.
        let working_dir = options
            .leptos_toml
            .is_some()
            .then(|| dir.path().to_path_buf());
        let mut import = Command::new(server_binary());
        import
            .arg("import-legacy")
            .arg("--users")
            .arg(&users)
            .envs(env.iter().map(|(k, v)| (k, v)));
        if let Some(working_dir) = &working_dir {
            import.current_dir(working_dir);
        }
        let output = import.output().unwrap();
        assert!(
            output.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let public_url = options
            .extra_env
            .iter()
            .find(|(key, _)| *key == "PUBLIC_URL")
            .map_or_else(
                || base.clone(),
                |(_, url)| url.trim_end_matches('/').to_owned(),
            );
        let server = spawn_server(&env, working_dir.as_deref(), dir.path());
        let mut started = Server {
            public_url,
            base,
            dir,
            database_url,
            smtp_url,
            ip,
            http_port,
            smtp_port,
            env,
            working_dir,
            server,
            sink,
        };
        started.wait_until_up();
        started
    }

    fn wait_until_up(&mut self) {
        let address = (self.ip, self.http_port);
        wait_until("the server", || {
            std::net::TcpStream::connect(address).is_ok()
        });
        assert!(
            self.server.try_wait().unwrap().is_none(),
            "server exited: {}",
            self.log()
        );
    }

    /// Kills the server process at once (`kill -9`): no shutdown, no cleanup.
    pub fn kill(&mut self) {
        self.server.kill().unwrap();
        self.server.wait().unwrap();
    }

    /// Starts the server again, as before, on the same database and port.
    pub fn restart(&mut self) {
        self.server = spawn_server(&self.env, self.working_dir.as_deref(), self.dir.path());
        self.wait_until_up();
    }

    /// Starts the SMTP server (for a server started with `smtp: false`, on the port its
    /// `SMTP_URL` names).
    pub fn start_smtp(&mut self) {
        assert!(self.sink.is_none(), "the SMTP server runs already");
        self.sink = Some(start_sink(self.ip, self.smtp_port, &self.mail_dir()));
    }

    /// Waits up to `limit` for the server process to end; its exit status, if it did.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.server.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id of the server.
    pub fn pid(&self) -> u32 {
        self.server.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone()
    }

    /// A connection to the server's database, whichever it is.
    pub async fn db(&self) -> sqlx::AnyConnection {
        connect(&self.database_url).await
    }

    /// Runs SQL on the server's database (to simulate the passing of time).
    pub async fn sql(&self, statement: &str) {
        sqlx::query(statement)
            .execute(&mut self.db().await)
            .await
            .unwrap();
    }

    pub async fn sql_count(&self, query: &str) -> i64 {
        sqlx::query_scalar(query)
            .fetch_one(&mut self.db().await)
            .await
            .unwrap()
    }

    /// The first column of each row of `query`, as text.
    pub async fn sql_rows(&self, query: &str) -> Vec<String> {
        sqlx::query_scalar(query)
            .fetch_all(&mut self.db().await)
            .await
            .unwrap()
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Every mail the SMTP server received for `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<Value> {
        mails_in(&self.mail_dir())
            .into_iter()
            .filter(|m| m["to"].to_string().contains(to))
            .collect()
    }

    /// Waits for the `n`th mail (1-based) to `to`.
    pub fn wait_for_mail(&self, to: &str, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mails = self.mails_to(to);
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no mail #{n} to {to}; server log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the sender has delivered (or given up on) every queued mail.
    pub async fn wait_until_mail_delivered(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let waiting = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL";
        while self.sql_count(waiting).await > 0 {
            assert!(
                Instant::now() < deadline,
                "mail still queued; server log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The carried-over resident at `email` sets `GOOD_PASSWORD` through the link that "Jatka"
    /// mails them (in a browser of their own).
    pub async fn give_password(&self, email: &str) {
        let mut browser = self.browser();
        let before = self.mails_to(email).len();
        browser.begin(email, "fi").await;
        let token = token_of(&link_in(&self.wait_for_mail(email, before + 1)));
        let reply = browser
            .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }

    /// A new browser in which `email` has logged in with `GOOD_PASSWORD`.
    pub async fn logged_in(&self, email: &str, remember: bool) -> Browser {
        let mut browser = self.browser();
        let reply = browser.login(email, GOOD_PASSWORD, remember).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        browser
    }

    /// Erkki (carried over) with `GOOD_PASSWORD`, logged in without "remember me".
    pub async fn erkki_logged_in(&self) -> Browser {
        self.give_password(ERKKI).await;
        self.logged_in(ERKKI, false).await
    }

    pub fn browser(&self) -> Browser {
        Browser::at(&self.base, &self.public_url)
    }
}

impl Browser {
    /// A new browser that sends its requests to `base` from pages of `origin`.
    pub fn at(base: &str, origin: &str) -> Browser {
        Self::at_from(base, origin, None)
    }

    /// The same, its connections made from the loopback address `from` (any of 127.0.0.0/8):
    /// one of many residents, each at an address of their own.
    pub fn at_from(base: &str, origin: &str, from: Option<std::net::IpAddr>) -> Browser {
        Browser {
            base: base.to_owned(),
            origin: origin.to_owned(),
            http: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .user_agent(BROWSER_USER_AGENT)
                .local_address(from)
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
            forwarded_for: None,
        }
    }
}

/// A client that follows no redirects and sends no browser's headers, for requests built by
/// hand (a forged cross-site post, a body of our choosing).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

fn mails_in(dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// The link in a mail's text whose address contains `part` (e.g. "/confirm-email?token=").
pub fn link_to(mail: &Value, part: &str) -> String {
    let text = mail["text"].as_str().unwrap();
    let link = text.split_whitespace().find(|w| w.contains(part));
    link.unwrap_or_else(|| panic!("no {part} link in the mail: {text}"))
        .to_owned()
}

/// The set-password link in a mail's text.
pub fn link_in(mail: &Value) -> String {
    link_to(mail, "/set-password?token=")
}

pub fn token_of(link: &str) -> String {
    let rest = link.split("token=").nth(1).unwrap();
    rest.split('&').next().unwrap().to_owned()
}

/// A minimal browser: keeps cookies, does not follow redirects.
pub struct Browser {
    base: String,
    /// Sent as `Origin` with every POST, as a browser on the service's pages does.
    origin: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` of the last response.
    pub set_cookies: Vec<String>,
    /// Sent as `X-Forwarded-For`: the client's address as a proxy would tell it (for a server
    /// started with `BEHIND_PROXY=true`).
    pub forwarded_for: Option<String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The `Connection` header, when the server sent one.
    pub connection: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        self.try_send(request).await.unwrap()
    }

    /// Like `send`, but a request that got no answer (the server died) is an error.
    async fn try_send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Result<Reply> {
        let request = match &self.forwarded_for {
            Some(ip) => request.header("x-forwarded-for", ip),
            None => request,
        };
        let response = request.header(COOKIE, self.cookie_header()).send().await?;
        self.set_cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for set in &self.set_cookies {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let connection = response
            .headers()
            .get(reqwest::header::CONNECTION)
            .map(|v| v.to_str().unwrap().to_owned());
        let headers = response.headers().clone();
        Ok(Reply {
            status,
            location,
            connection,
            headers,
            body: response.text().await?,
        })
    }

    /// Loads a page the way a browser does.
    pub async fn get(&mut self, path: &str) -> Reply {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml");
        self.send(request).await
    }

    /// Calls a server function the way the WASM does (fetch, JSON answer).
    pub async fn call(&mut self, function: &str, form: &[(&str, &str)]) -> Reply {
        self.try_call(function, form).await.unwrap()
    }

    /// Like `call`, but a call that got no answer (the server died) is an error.
    pub async fn try_call(
        &mut self,
        function: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Result<Reply> {
        let request = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header(ORIGIN, &self.origin)
            .form(form);
        self.try_send(request).await
    }

    /// "Jatka" on the login card.
    pub async fn begin(&mut self, email: &str, lang: &str) -> Reply {
        self.call("begin", &[("email", email), ("lang", lang)])
            .await
    }

    /// Submits the set-password page (in Finnish).
    pub async fn set_password(&mut self, token: &str, password: &str, confirm: &str) -> Reply {
        let form = [
            ("token", token),
            ("password", password),
            ("confirm", confirm),
            ("lang", "fi"),
        ];
        self.call("set_password", &form).await
    }

    /// "Kirjaudu sisään", with or without "remember me".
    pub async fn login(&mut self, email: &str, password: &str, remember: bool) -> Reply {
        let mut form = vec![("email", email), ("password", password), ("lang", "fi")];
        if remember {
            form.push(("remember", "on"));
        }
        self.call("login", &form).await
    }

    /// Posts a form the way a browser without JavaScript does, from the page `from`.
    pub async fn post_form(&mut self, function: &str, from: &str, form: &[(&str, &str)]) -> Reply {
        let request = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(ORIGIN, &self.origin)
            .header(REFERER, format!("{}{from}", self.base))
            .form(form);
        self.send(request).await
    }

    /// Posts raw bytes to a server function, with the given content type and extra headers.
    pub async fn post_raw(
        &mut self,
        function: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(ORIGIN, &self.origin)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.send(request).await
    }

    /// Posts a form without JavaScript from a page that sends no Referer (the pages opened from
    /// a mailed link have `Referrer-Policy: no-referrer`).
    pub async fn post_form_without_referer(
        &mut self,
        function: &str,
        form: &[(&str, &str)],
    ) -> Reply {
        let request = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(ORIGIN, &self.origin)
            .form(form);
        self.send(request).await
    }

    /// A request as built by the test, sent with this browser's cookies.
    pub async fn send_request(&mut self, request: reqwest::RequestBuilder) -> Reply {
        self.send(request).await
    }

    pub fn set_cookie_named(&self, name: &str) -> Option<&String> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}
