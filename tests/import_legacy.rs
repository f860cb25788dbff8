//! `asiointi import-legacy`, run as a command on the fixtures in tests/fixtures: the per-row
//! report, dry runs, second runs, failed runs, and a merged resident's history after login.
#![cfg(feature = "ssr")]

mod common;

use common::{GOOD_PASSWORD, Server, link_in, token_of};
use reqwest::StatusCode;

use std::process::{Command, Output};

const USERS: &str = "tests/fixtures/users_utf8_bom_semicolon.csv";
const HISTORY: &str = "tests/fixtures/history_cp1252_comma.csv";
const TABLES: [&str; 5] = [
    "accounts",
    "legacy_usernames",
    "transactions",
    "outbox",
    "audit_events",
];

/// `db` is the database's URL throughout (see `common::test_database`).
fn import(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .arg("import-legacy")
        .args(args)
        .env("DATABASE_URL", db)
        .output()
        .unwrap()
}

/// Runs an import that must succeed; its report.
fn report(db: &str, args: &[&str]) -> String {
    let output = import(db, args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn counts(db: &str) -> Vec<i64> {
    let mut connection = common::connect(db).await;
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        counts.push(
            sqlx::query_scalar(&sql)
                .fetch_one(&mut connection)
                .await
                .unwrap(),
        );
    }
    counts
}

fn assert_lines(report: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            report.lines().any(|l| l.starts_with(line)),
            "no line {line:?} in:\n{report}"
        );
    }
}

#[test]
fn every_row_gets_one_outcome_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_database(&dir);
    let first = report(&db, &["--users", USERS, "--history", HISTORY]);
    assert_lines(
        &first,
        &[
            "users_utf8_bom_semicolon.csv: UTF-8 with BOM, separator ';', 10 rows",
            "history_cp1252_comma.csv: Windows-1252, separator ',', 12 rows",
            "users_utf8_bom_semicolon.csv line 2: created: kalle → kalle.kotilainen@example.com",
            "users_utf8_bom_semicolon.csv line 3: merged: kalle_vanha",
            "users_utf8_bom_semicolon.csv line 4: merged: kalle_kirjasto",
            "users_utf8_bom_semicolon.csv line 5: unreachable: ulla: no e-mail address",
            "users_utf8_bom_semicolon.csv line 6: unreachable: ville: not an e-mail address",
            "users_utf8_bom_semicolon.csv line 7: rejected: missing legacy_username",
            "users_utf8_bom_semicolon.csv line 8: rejected: repeated legacy_username \"kalle\" (first on line 2)",
            "users_utf8_bom_semicolon.csv line 9: rejected: nimeton: missing full_name",
            "users_utf8_bom_semicolon.csv line 10: rejected: kieli: unknown language \"de\"",
            "users_utf8_bom_semicolon.csv line 11: created: saara",
            "history_cp1252_comma.csv line 2: created",
            "history_cp1252_comma.csv line 5: created",
            "history_cp1252_comma.csv line 7: rejected: history for an unknown old username \"tuntematon\"",
            "history_cp1252_comma.csv line 8: rejected: kalle: a date that cannot be read: \"31.2.2018\"",
            "history_cp1252_comma.csv line 9: rejected: kalle: a date that cannot be read: \"huomenna\"",
            "history_cp1252_comma.csv line 10: rejected: kalle: missing service",
            "history_cp1252_comma.csv line 11: rejected: kalle: repeats line 2",
            "history_cp1252_comma.csv line 12: rejected: missing legacy_username",
            "history_cp1252_comma.csv line 13: rejected: history for an unknown old username \"nimeton\"",
            "merge: kalle, kalle_vanha, kalle_kirjasto → one account kalle.kotilainen@example.com",
            "users_utf8_bom_semicolon.csv: created 2, updated 0, unchanged 0, merged 2, unreachable 2, rejected 4",
            "history_cp1252_comma.csv: created 5, updated 0, unchanged 0, merged 0, unreachable 0, rejected 7",
            "total: created 7, updated 0, unchanged 0, merged 2, unreachable 2, rejected 11",
        ],
    );
    let second = report(&db, &["--users", USERS, "--history", HISTORY]);
    assert_lines(
        &second,
        &[
            "users_utf8_bom_semicolon.csv line 3: unchanged: kalle_vanha: merged into kalle.kotilainen@example.com before",
            "total: created 0, updated 0, unchanged 11, merged 0, unreachable 0, rejected 11",
        ],
    );
    // A changed name is an update, and only that row changes.
    let changed = dir.path().join("changed.csv");
    let text = std::fs::read_to_string(USERS)
        .unwrap()
        .replace("Saara Säilä", "Saara Sallinen");
    std::fs::write(&changed, text).unwrap();
    let third = report(&db, &["--users", changed.to_str().unwrap()]);
    assert_lines(
        &third,
        &[
            "changed.csv line 11: updated: saara",
            "total: created 0, updated 1, unchanged 5, merged 0, unreachable 0, rejected 4",
        ],
    );
}

#[tokio::test]
async fn windows_1252_with_commas_and_utf8_with_semicolons() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_database(&dir);
    let report = report(
        &db,
        &[
            "--users",
            "tests/fixtures/users_cp1252_comma_crlf.csv",
            "--history",
            "tests/fixtures/history_utf8_semicolon.csv",
        ],
    );
    assert_lines(
        &report,
        &[
            "users_cp1252_comma_crlf.csv: Windows-1252, separator ',', 2 rows",
            "history_utf8_semicolon.csv: UTF-8, separator ';', 2 rows",
            "users_cp1252_comma_crlf.csv line 3: created: åsa → asa@example.com",
            "total: created 4, updated 0, unchanged 0, merged 0, unreachable 0, rejected 0",
        ],
    );
    let mut connection = common::connect(&db).await;
    let (name, language): (String, String) = sqlx::query_as(
        "SELECT full_name, language FROM accounts WHERE email = 'matti.makela@example.com'",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!((name.as_str(), language.as_str()), ("Matti Mäkelä", "fi"));
    let (on, description): (String, String) = sqlx::query_as(
        "SELECT occurred_on, description FROM transactions WHERE reference = 'TV-2019-1'",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!((on.as_str(), description.as_str()), ("2019-12-01", "50 €"));
}

#[tokio::test]
async fn a_dry_run_reports_the_same_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_database(&dir);
    // Before the first import there is no database yet: the dry run reports as for an empty
    // one, says so, and leaves nothing behind: no file, and on PostgreSQL (where the server's
    // operator makes the database, empty) not one table.
    let output = import(&db, &["--users", USERS, "--history", HISTORY, "--dry-run"]);
    let notice = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{notice}");
    assert!(notice.contains("does not exist yet"), "{notice}");
    assert!(
        !notice.contains("postgres://"),
        "no URL (a password) printed"
    );
    let before_first = String::from_utf8(output.stdout).unwrap();
    if common::on_postgres() {
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_one(&mut common::connect(&db).await)
        .await
        .unwrap();
        assert_eq!(tables, 0, "the dry run made no table");
    } else {
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert!(leftovers.is_empty(), "the dry run left {leftovers:?}");
    }
    // An empty database: the same import's dry run.
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "legacy_username,email,full_name\n").unwrap();
    report(&db, &["--users", empty.to_str().unwrap()]);
    let before = counts(&db).await;
    assert_eq!(before, [0, 0, 0, 0, 0]);
    let dry = report(&db, &["--users", USERS, "--history", HISTORY, "--dry-run"]);
    assert_eq!(counts(&db).await, before);
    assert!(dry.ends_with("dry run: nothing was changed\n"), "{dry}");
    let real = report(&db, &["--users", USERS, "--history", HISTORY]);
    assert_eq!(real, dry.replace("dry run: nothing was changed\n", ""));
    assert_eq!(
        before_first, dry,
        "the first dry run reported as for an empty database"
    );
    // Four accounts from six old usernames: four `imported` events and two `merged`.
    assert_eq!(counts(&db).await, [4, 6, 5, 0, 6]);
}

#[tokio::test]
async fn a_run_that_fails_midway_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::test_database(&dir);
    report(&db, &["--users", USERS]);
    let before = counts(&db).await;
    // The database refuses one history row, after the accounts of the run were written.
    let extra = dir.path().join("users.csv");
    std::fs::write(
        &extra,
        "legacy_username,email,full_name\nuusi,uusi@example.com,Uusi\n",
    )
    .unwrap();
    let history = dir.path().join("history.csv");
    std::fs::write(
        &history,
        "legacy_username,date,service,reference,status\nuusi,2018-01-01,S,OK-1,T\nuusi,2018-01-02,S,BOOM,T\n",
    )
    .unwrap();
    let refuse: &[&str] = if common::on_postgres() {
        &[
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
             IF NEW.reference = 'BOOM' THEN RAISE EXCEPTION 'refused by the test'; END IF;
             RETURN NEW; END; $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON transactions
             FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
    } else {
        &[
            "CREATE TRIGGER refuse BEFORE INSERT ON transactions WHEN NEW.reference = 'BOOM'
           BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ]
    };
    let mut connection = common::connect(&db).await;
    for sql in refuse {
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    }
    drop(connection);
    let output = import(
        &db,
        &[
            "--users",
            extra.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
        ],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("refused by the test"));
    assert_eq!(
        counts(&db).await,
        before,
        "nothing of the failed run stayed"
    );
    // A history file that cannot be read fails the run before anything is written.
    let output = import(
        &db,
        &[
            "--users",
            extra.to_str().unwrap(),
            "--history",
            "/nonexistent/h.csv",
        ],
    );
    assert!(!output.status.success());
    assert_eq!(counts(&db).await, before);
}

#[test]
fn bad_command_lines_fail_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_asiointi"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("import-legacy --users"));
    let dir = tempfile::tempdir().unwrap();
    let output = import(&common::test_database(&dir), &[USERS]);
    assert!(
        !output.status.success(),
        "the old form without --users is gone"
    );
}

/// The resident of the three merged old accounts logs in for the first time through the real
/// server and sees the history of all three.
#[tokio::test]
async fn a_merged_resident_sees_the_history_of_every_old_username() {
    let server = Server::start();
    let db = server.database_url();
    report(&db, &["--users", USERS, "--history", HISTORY]);
    let email = "kalle.kotilainen@example.com";
    let mut browser = server.browser();
    assert_eq!(browser.begin(email, "fi").await.json(), "LinkSent");
    let token = token_of(&link_in(&server.wait_for_mail(email, 1)));
    let reply = browser
        .set_password(&token, GOOD_PASSWORD, GOOD_PASSWORD)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut browser = server.browser();
    let reply = browser.login(email, GOOD_PASSWORD, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let page = browser.call("history", &[("page", "1")]).await.json();
    let references: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references, ["RL-2018-0001", "KI-2017-0003", "TV-2016-0002"]);
    assert_eq!(
        page["items"][1]["description"], "Lainat – 3 kpl",
        "Windows-1252 decoded"
    );
    assert_eq!(page["items"][2]["description"], "Juhlasali 100 € / päivä");
    // The two unreachable residents are there without an address, for support to complete.
    let unreachable = server
        .sql_count("SELECT COUNT(*) FROM accounts WHERE email IS NULL AND legacy_username IN ('ulla', 'ville')")
        .await;
    assert_eq!(unreachable, 2);
}
