//! `asiointi import-legacy`, run as a command.
#![cfg(feature = "ssr")]

use std::process::Command;

#[test]
fn importing_twice_creates_no_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(
        &csv,
        "legacy_username,email,full_name\nerkki,esimerkki.erkki@example.com,Erkki Esimerkki\nrikki,ei osoite,Rikki Rivi\n",
    )
    .unwrap();
    let run = || {
        let output = Command::new(env!("CARGO_BIN_EXE_asiointi"))
            .arg("import-legacy")
            .arg(&csv)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
            )
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = run();
    assert!(
        first.contains("created 1, already there 0, rejected 1"),
        "{first}"
    );
    assert!(
        first.contains("line 3: rejected: not an e-mail address"),
        "{first}"
    );
    let second = run();
    assert!(
        second.contains("created 0, already there 1, rejected 1"),
        "{second}"
    );
}

#[test]
fn unknown_commands_fail_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("import-legacy"));
}
