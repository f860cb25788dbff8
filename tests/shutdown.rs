//! Stopping an instance (SIGTERM, what a service manager or orchestrator sends): it finishes
//! what is in flight and exits on its own, and the load balancer's probes say what they should.
#![cfg(feature = "ssr")]

mod common;

use common::{ERKKI, GOOD_PASSWORD, Server};
use reqwest::StatusCode;
use std::io::{Read, Write};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_then_the_instance_exits() {
    let mut server = Server::start();
    let probe = |path: &'static str| {
        let url = format!("{}{path}", server.base);
        async move {
            let reply = common::http_client().get(url).send().await.unwrap();
            (reply.status(), reply.text().await.unwrap())
        }
    };
    assert_eq!(probe("/healthz").await, (StatusCode::OK, "ok".into()));
    assert_eq!(probe("/readyz").await, (StatusCode::OK, "ready".into()));
    server.give_password(ERKKI).await;

    // A login whose body is still on its way when SIGTERM comes: in flight for certain.
    let body = format!(
        "email={}&password={}&lang=fi",
        ERKKI.replace('@', "%40"),
        GOOD_PASSWORD.replace(' ', "+")
    );
    let body = body.replace('ä', "%C3%A4");
    let mut connection =
        std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n",
        host = server.base.trim_start_matches("http://"),
        origin = server.public_url,
        length = body.len()
    );
    let (first, rest) = body.split_at(10);
    connection.write_all(head.as_bytes()).unwrap();
    connection.write_all(first.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    std::thread::sleep(Duration::from_millis(300));
    connection.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = server
        .wait_for_exit(Duration::from_secs(20))
        .expect("the instance stopped by itself");
    assert!(status.success(), "{status:?}\n{}", server.log());
    let log = server.log();
    assert!(log.contains("mail sender stopped"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(
        std::net::TcpStream::connect(server.base.trim_start_matches("http://")).is_err(),
        "no longer listening"
    );
}
