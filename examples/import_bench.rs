//! A benchmark of `import-legacy`, not a test: generates 100,000 old accounts (1 % sharing an
//! address with another, 1 % without one) and 1,000,000 history rows (Windows-1252, `;`, half
//! the dates as d.m.yyyy) in a temporary directory, imports them into a temporary SQLite file
//! (or, with `BENCH_DATABASE_URL`, into that database, which must be empty) through the same
//! function the command uses, then imports them again (all unchanged), and prints the times.
//!
//! ```sh
//! cargo run --release --features ssr --example import_bench [ACCOUNTS [HISTORY_ROWS]]
//! BENCH_DATABASE_URL=postgres://… cargo run --release --features ssr --example import_bench
//! ```

use asiointi::server::cli::import::{Options, Progress, import, plan::Outcome};
use asiointi::server::db::Db;
use std::io::Write;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let accounts = args.next().transpose()?.unwrap_or(100_000);
    let rows = args.next().transpose()?.unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let (users, history) = (dir.path().join("users.csv"), dir.path().join("history.csv"));

    let started = Instant::now();
    let mut out = std::io::BufWriter::new(std::fs::File::create(&users)?);
    writeln!(out, "legacy_username,email,full_name,phone,language")?;
    for n in 0..accounts {
        let email = match n % 100 {
            0 => String::new(),
            2 => format!("ASUKAS{}@example.com", n - 1),
            _ => format!("asukas{n}@example.com"),
        };
        writeln!(out, "vanha{n},{email},Asukas Äijälä {n},040 {n:07},fi")?;
    }
    out.flush()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&history)?);
    out.write_all(b"legacy_username;date;service;reference;status;description\n")?;
    for n in 0..rows {
        let user = n % accounts.max(1);
        let (day, month, year) = (n % 28 + 1, n % 12 + 1, 2010 + n % 10);
        let date = if n % 2 == 0 {
            format!("{year}-{month:02}-{day:02}")
        } else {
            format!("{day}.{month}.{year}")
        };
        // "Käsitelty" and "€" in Windows-1252.
        let line =
            format!("vanha{user};{date};Tilavaraus;TV-{n};K\u{e4}sitelty;Sali 100 \u{20ac}\n");
        let bytes: Vec<u8> = line
            .chars()
            .map(|c| match c {
                '\u{20ac}' => 0x80,
                c => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            })
            .collect();
        out.write_all(&bytes)?;
    }
    out.flush()?;
    println!(
        "generated {accounts} accounts and {rows} history rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let db = Db::connect(&url).await?;
    println!("into {:?}", db.backend());
    let options = Options {
        users,
        history: Some(history),
        dry_run: false,
    };
    for run in ["first import", "second import (same files)"] {
        let started = Instant::now();
        let report = import(&db, &options, &mut Progress::quiet()).await?;
        let totals: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("{} {}", o.as_str(), report.count(*o)))
            .collect();
        println!(
            "{run}: {:.1} s ({})",
            started.elapsed().as_secs_f64(),
            totals.join(", ")
        );
    }
    Ok(())
}
