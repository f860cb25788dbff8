//! The server runs with mimalloc's options in its environment (src/main.rs starts itself again
//! with them): without them it held 31 MB idle and over 110 MB after a login flood.

mod common;

use common::{Options, Server};

/// The environment of process `pid`, as `NAME=value` entries.
fn environment_of(pid: u32) -> Vec<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    environ
        .split(|&b| b == 0)
        .map(|entry| String::from_utf8_lossy(entry).into_owned())
        .collect()
}

#[tokio::test]
async fn the_server_runs_with_mimallocs_options_and_keeps_an_operators_own() {
    let server = Server::start();
    let set = environment_of(server.pid());
    assert!(
        set.iter().any(|e| e == "MIMALLOC_ARENA_EAGER_COMMIT=0"),
        "{set:?}"
    );
    // It is the same process, started again: still serving.
    let reply = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(reply.status(), reqwest::StatusCode::OK);

    let own = Server::start_with(Options {
        extra_env: vec![("MIMALLOC_ARENA_EAGER_COMMIT", "1".into())],
        ..Options::default()
    });
    let set = environment_of(own.pid());
    assert!(
        set.iter().any(|e| e == "MIMALLOC_ARENA_EAGER_COMMIT=1"),
        "{set:?}"
    );
    assert!(!set.iter().any(|e| e == "MIMALLOC_ARENA_EAGER_COMMIT=0"));
}
