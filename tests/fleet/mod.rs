//! Several instances of the server on one PostgreSQL database behind a real nginx on loopback
//! (round robin), as a region runs them: `deploy/nginx-asiointi.conf` in front, one SMTP sink
//! for all. Stopped when the value is dropped.
#![allow(dead_code)]

use crate::common::{self, Browser, Options, Server};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Fleet {
    pub servers: Vec<Server>,
    /// nginx's address: where residents' requests go.
    pub base: String,
    pub database: String,
    nginx: Child,
    dir: tempfile::TempDir,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.nginx.kill();
        let _ = self.nginx.wait();
    }
}

impl Fleet {
    /// `instances` servers on one new database, behind nginx.
    pub fn start(instances: usize) -> Fleet {
        Self::start_with(instances, &[])
    }

    /// The same, with settings of the instances in `extra_env`.
    pub fn start_with(instances: usize, extra_env: &[(&'static str, &str)]) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let ip = common::own_address();
        let [port] = common::free_ports(ip);
        let base = format!("http://{ip}:{port}");
        let database = common::test_database(&dir);
        let env = |smtp_url: Option<String>| {
            let mut env = vec![
                ("BEHIND_PROXY", "true".to_owned()),
                ("PUBLIC_URL", base.clone()),
            ];
            env.extend(smtp_url.map(|url| ("SMTP_URL", url)));
            env.extend(extra_env.iter().map(|(k, v)| (*k, (*v).to_owned())));
            env
        };
        let first = Server::start_with(Options {
            database: Some(database.clone()),
            extra_env: env(None),
            ..Options::default()
        });
        let mut servers = vec![first];
        for _ in 1..instances {
            servers.push(Server::start_with(Options {
                database: Some(database.clone()),
                smtp: false,
                extra_env: env(Some(servers[0].smtp_url.clone())),
                ..Options::default()
            }));
        }
        let upstreams: String = servers
            .iter()
            .map(|s| format!("        server {};\n", s.base.trim_start_matches("http://")))
            .collect();
        let root = dir.path();
        // nginx's workers drop root's rights: let them at their temporary files.
        for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        Command::new("chmod")
            .args(["-R", "a+rwX"])
            .arg(root)
            .status()
            .unwrap();
        let proxy = std::fs::canonicalize("deploy/nginx-asiointi.conf").unwrap();
        let conf = format!(
            "worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$status $request_method $uri $upstream_addr';
    access_log {root}/access.log upstream;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream asiointi {{
{upstreams}        keepalive 16;
    }}
    server {{
        listen {ip}:{port};
        include {proxy};
    }}
}}
",
            root = root.display(),
            proxy = proxy.display()
        );
        std::fs::write(root.join("nginx.conf"), conf).unwrap();
        // Debian puts nginx in /usr/sbin, which a user's PATH may lack.
        let binary = ["/usr/sbin/nginx", "nginx"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .unwrap_or("nginx");
        let nginx = Command::new(binary)
            .arg("-p")
            .arg(root)
            .arg("-c")
            .arg(root.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (Debian's nginx package)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect((ip, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(root.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Fleet {
            servers,
            base,
            database,
            nginx,
            dir,
        }
    }

    /// A new browser whose requests go through nginx.
    pub fn browser(&self) -> Browser {
        Browser::at(&self.base, &self.base)
    }

    /// The instance (`host:port`) that answered each request so far, oldest first. (nginx
    /// logs every instance it tried, `a, b`, when it passed a request on to the next one.)
    pub fn upstreams(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.splitn(4, ' ').nth(3))
            .filter_map(|tried| tried.rsplit(", ").next().map(str::to_owned))
            .collect()
    }

    /// The last lines of nginx's error log and of each instance's log, for a failed test.
    pub fn diagnostics(&self) -> String {
        let tail = |text: String| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n")
        };
        let mut out = format!(
            "nginx:\n{}\n",
            tail(std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default())
        );
        for (i, server) in self.servers.iter().enumerate() {
            let log = server.log();
            let panics: Vec<&str> = log
                .lines()
                .skip_while(|line| !line.contains("panicked at"))
                .filter(|line| !line.contains("server::error") && !line.contains("on_failure"))
                .take(80)
                .collect();
            out.push_str(&format!(
                "instance {i}: panics {panics:#?}\n{}\n",
                tail(log.clone())
            ));
        }
        out
    }

    /// Waits until the SMTP sink holds `count` mails to `to`; every instance sends there.
    pub fn wait_for_mail(&self, to: &str, count: usize) -> Value {
        self.servers[0].wait_for_mail(to, count)
    }

    pub fn mails_to(&self, to: &str) -> Vec<Value> {
        self.servers[0].mails_to(to)
    }

    pub async fn sql_count(&self, query: &str) -> i64 {
        self.servers[0].sql_count(query).await
    }
}
