//! Instances of a region start at the same moment on a new PostgreSQL database: one applies
//! the migrations while the others wait for its lock, and all of them come up.
#![cfg(feature = "ssr")]

mod common;

use std::process::Command;

#[test]
fn instances_starting_at_once_on_a_new_database_migrate_it_once() {
    if !common::on_postgres() {
        eprintln!("one SQLite file has one instance: this runs in the PostgreSQL pass");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = common::test_database(&dir);
    // Four processes that each open (and so migrate) the database, started together.
    let starting: Vec<_> = (0..4)
        .map(|_| {
            Command::new(common::server_binary())
                .args(["clients", "list"])
                .env("DATABASE_URL", &database)
                .env("RUST_LOG", "warn")
                .spawn()
                .unwrap()
        })
        .collect();
    for mut process in starting {
        assert!(process.wait().unwrap().success());
    }
    let applied = Command::new("psql")
        .args([
            "-Atc",
            "SELECT version, COUNT(*) FROM _sqlx_migrations GROUP BY version",
        ])
        .arg(&database)
        .output()
        .unwrap();
    let applied = String::from_utf8(applied.stdout).unwrap();
    let versions: Vec<&str> = applied.lines().collect();
    assert!(!versions.is_empty());
    assert!(
        versions.iter().all(|line| line.ends_with("|1")),
        "{applied}"
    );
}
