//! Starts the real server binary for a test: a temporary SQLite file, a real SMTP server on
//! loopback (tests/support/smtp_sink.py), free ports. Stopped when the value is dropped.
#![allow(dead_code)]

use reqwest::header::{ACCEPT, COOKIE, LOCATION, ORIGIN, REFERER, SET_COOKIE};
use reqwest::{StatusCode, redirect};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::TcpListener;
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            smtp: true,
            extra_env: Vec::new(),
            leptos_toml: None,
        }
    }
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (http_port, smtp_port) = (free_port(), free_port());
        let base = format!("http://127.0.0.1:{http_port}");
        let sink = options.smtp.then(|| {
            let python =
                std::env::var("SMTP_SINK_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
            let child = Command::new(python)
                .args([
                    "tests/support/smtp_sink.py",
                    "--port",
                    &smtp_port.to_string(),
                    "--dir",
                ])
                .arg(dir.path().join("mail"))
                .stdout(Stdio::null())
                .spawn()
                .expect("start the SMTP sink (needs Debian's python3-aiosmtpd)");
            wait_until("the SMTP sink", || {
                std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_ok()
            });
            child
        });
        let users = dir.path().join("users.csv");
        std::fs::write(
            &users,
            format!("legacy_username,email,full_name\nerkki,{ERKKI},Erkki Esimerkki\nmaija,{MAIJA},Maija Meikäläinen\n"),
        )
        .unwrap();
        if let Some(text) = &options.leptos_toml {
            std::fs::write(dir.path().join("Leptos.toml"), text).unwrap();
        }
        let env = |command: &mut Command| {
            if options.leptos_toml.is_some() {
                command.current_dir(dir.path());
            }
            command
                .env(
                    "DATABASE_URL",
                    format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
                )
                .env("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
                .env("PUBLIC_URL", &base)
                .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{http_port}"))
                .env("LEPTOS_ENV", "PROD")
                .env("RUST_LOG", "info,sqlx=warn")
                .envs(options.extra_env.iter().map(|(k, v)| (*k, v.as_str())));
        };
        let mut import = Command::new(env!("CARGO_BIN_EXE_asiointi"));
        env(import.arg("import-legacy").arg("--users").arg(&users));
        let output = import.output().unwrap();
        assert!(
            output.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut serve = Command::new(env!("CARGO_BIN_EXE_asiointi"));
        env(&mut serve);
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let server = serve
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let public_url = options
            .extra_env
            .iter()
            .find(|(key, _)| *key == "PUBLIC_URL")
            .map_or_else(
                || base.clone(),
                |(_, url)| url.trim_end_matches('/').to_owned(),
            );
        let mut started = Server {
            public_url,
            base,
            dir,
            server,
            sink,
        };
        wait_until("the server", || {
            std::net::TcpStream::connect(("127.0.0.1", http_port)).is_ok()
        });
        assert!(
            started.server.try_wait().unwrap().is_none(),
            "server exited: {}",
            started.log()
        );
        started
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("test.db").display())
    }

    /// Runs SQL on the server's database (to simulate the passing of time).
    pub async fn sql(&self, statement: &str) {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&self.database_url())
            .await
            .unwrap();
        sqlx::query(statement).execute(&mut db).await.unwrap();
    }

    pub async fn sql_count(&self, query: &str) -> i64 {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&self.database_url())
            .await
            .unwrap();
        sqlx::query_scalar(query).fetch_one(&mut db).await.unwrap()
    }

    /// The first column of each row of `query`, as text.
    pub async fn sql_rows(&self, query: &str) -> Vec<String> {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&self.database_url())
            .await
            .unwrap();
        sqlx::query_scalar(query).fetch_all(&mut db).await.unwrap()
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
        Browser {
            base: self.base.clone(),
            origin: self.public_url.clone(),
            http: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .user_agent(BROWSER_USER_AGENT)
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
        let request = match &self.forwarded_for {
            Some(ip) => request.header("x-forwarded-for", ip),
            None => request,
        };
        let response = request
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
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
        Reply {
            status,
            location,
            connection,
            body: response.text().await.unwrap(),
        }
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
        let request = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .header(ORIGIN, &self.origin)
            .form(form);
        self.send(request).await
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
