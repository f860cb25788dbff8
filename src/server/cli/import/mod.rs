//! `import-legacy`: carries the old system's accounts and transaction history over.
//!
//! Every row of both files ends in exactly one outcome (created, updated, unchanged, merged,
//! unreachable or rejected), reported per row and in totals. The whole run is one database
//! transaction: it is all imported or none of it, and `--dry-run` rolls it back after doing
//! everything, so its report is exactly what a real run would do. Running the same files again
//! changes nothing.

pub mod csv_input;
pub mod plan;

use crate::server::db::{AccountRef, Db};
use crate::server::{Config, ServerError};
use csv_input::Table;
use plan::{Outcome, Plan, RowOutcome};
use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub users: PathBuf,
    pub history: Option<PathBuf>,
    pub dry_run: bool,
}

impl Options {
    /// Reads `--users FILE [--history FILE] [--dry-run]` (the arguments after the command).
    pub fn parse(args: &[String]) -> Result<Options, ServerError> {
        let (mut users, mut history, mut dry_run) = (None, None, false);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .map(PathBuf::from)
                    .ok_or_else(|| ServerError::Config(format!("{arg} needs a file")))
            };
            match arg.as_str() {
                "--users" => users = Some(value()?),
                "--history" => history = Some(value()?),
                "--dry-run" => dry_run = true,
                other => return Err(ServerError::Config(format!("unknown argument {other:?}"))),
            }
        }
        let users = users.ok_or_else(|| ServerError::Config("--users FILE is required".into()))?;
        Ok(Options {
            users,
            history,
            dry_run,
        })
    }
}

/// The result of a run, for the report.
#[derive(Debug)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub merges: Vec<plan::Merge>,
    pub dry_run: bool,
}

/// One file's detected format and its rows' outcomes.
#[derive(Debug)]
pub struct FileReport {
    pub name: String,
    pub encoding: csv_input::Encoding,
    pub separator: u8,
    pub rows: Vec<RowOutcome>,
}

impl FileReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }
}

impl Report {
    /// How many rows of both files ended in `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.files.iter().map(|f| f.count(outcome)).sum()
    }

    /// Writes the per-row lines, the merges and the totals.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        for file in &self.files {
            let separator = char::from(file.separator);
            writeln!(
                out,
                "{}: {}, separator '{separator}', {} rows",
                file.name,
                file.encoding,
                file.rows.len()
            )?;
        }
        for file in &self.files {
            for row in &file.rows {
                let reason = if row.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", row.reason)
                };
                writeln!(
                    out,
                    "{} line {}: {}{reason}",
                    file.name,
                    row.line,
                    row.outcome.as_str()
                )?;
            }
        }
        for merge in &self.merges {
            writeln!(
                out,
                "merge: {} → one account {}",
                merge.usernames.join(", "),
                merge.email
            )?;
        }
        let totals = |count: &dyn Fn(Outcome) -> usize| {
            Outcome::ALL
                .map(|o| format!("{} {}", o.as_str(), count(o)))
                .join(", ")
        };
        for file in &self.files {
            writeln!(out, "{}: {}", file.name, totals(&|o| file.count(o)))?;
        }
        writeln!(out, "total: {}", totals(&|o| self.count(o)))?;
        if self.dry_run {
            writeln!(out, "dry run: nothing was changed")?;
        }
        Ok(())
    }
}

/// The command: imports and prints the report on stdout, progress on stderr.
pub async fn run(args: &[String]) -> Result<(), ServerError> {
    let options = Options::parse(args)?;
    let config = Config::load(false).map_err(ServerError::Config)?;
    // A dry run must not create the database nor its tables. Before the first import there
    // are none yet: the dry run then compares against an empty database in memory, which is
    // what the import will meet. (The URL is not printed: a PostgreSQL one holds a password.)
    let db = if options.dry_run && !Db::is_set_up(&config.database_url).await? {
        eprintln!(
            "the database does not exist yet or has none of this service's tables: \
             the dry run reports as for a new, empty database"
        );
        Db::empty_in_memory().await?
    } else {
        Db::open(&config.database_url, !options.dry_run, config.database_pool).await?
    };
    let report = import(&db, &options, &mut Progress::new()).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    report.write(&mut out)?;
    out.flush()?;
    Ok(())
}

fn read(path: &Path) -> Result<(String, Table), ServerError> {
    let bytes =
        std::fs::read(path).map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let table = Table::read(&bytes).map_err(|e| ServerError::Config(format!("{name}: {e}")))?;
    Ok((name, table))
}

/// Runs an import: reads the files, plans every row against what is there and writes it all in
/// one transaction (rolled back for a dry run). Any error leaves the database as it was.
pub async fn import(
    db: &Db,
    options: &Options,
    progress: &mut Progress,
) -> Result<Report, ServerError> {
    let users = read(&options.users)?;
    let history = options.history.as_deref().map(read).transpose()?;
    let mut tx = db.begin_import().await?;
    let existing = tx.existing().await?;
    let mut plan = Plan::default();
    let accounts = plan::plan_users(&users.1, &existing, &mut plan)?;
    let mut known = HashSet::new();
    if let Some((_, table)) = &history {
        tx.each_transaction(|account, on, service, reference, status, description| {
            known.insert(plan::transaction_key(
                AccountRef::Existing(account),
                [on, service, reference, status, description],
            ));
        })
        .await?;
        plan::plan_history(table, &accounts, &known, &mut plan)?;
    }
    tx.apply(&plan.writes, &mut |phase, done, total| {
        progress.show(phase, done, total)
    })
    .await?;
    tx.finish(!options.dry_run).await?;
    progress.done();
    let mut files = vec![FileReport {
        name: users.0,
        encoding: users.1.encoding,
        separator: users.1.separator,
        rows: plan.users,
    }];
    if let Some((name, table)) = history {
        files.push(FileReport {
            name,
            encoding: table.encoding,
            separator: table.separator,
            rows: plan.history,
        });
    }
    Ok(Report {
        files,
        merges: plan.merges,
        dry_run: options.dry_run,
    })
}

/// Progress on stderr: one line rewritten in place on a terminal, a plain line every
/// `PLAIN_EVERY` rows otherwise (a log file should not fill with carriage returns).
pub struct Progress {
    terminal: bool,
    shown: bool,
    last_plain: usize,
    quiet: bool,
}

const PLAIN_EVERY: usize = 100_000;
/// Characters in the terminal's progress bar.
const BAR_WIDTH: usize = 30;

/// `[#########---------------------]  30%`.
fn bar(done: usize, total: usize) -> String {
    let share = if total == 0 {
        1.0
    } else {
        done.min(total) as f64 / total as f64
    };
    let filled = (share * BAR_WIDTH as f64).round() as usize;
    format!(
        "[{}{}] {:>3}%",
        "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled),
        (share * 100.0).floor() as usize
    )
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            shown: false,
            last_plain: 0,
            quiet: false,
        }
    }

    /// Shows nothing (benchmarks and tests).
    pub fn quiet() -> Progress {
        Progress {
            quiet: true,
            ..Progress::new()
        }
    }

    fn show(&mut self, phase: &str, done: usize, total: usize) {
        if let Some(text) = self.render(phase, done, total) {
            eprint!("{text}");
        }
    }

    /// What to write for this step, if anything: on a terminal the bar, rewritten in place
    /// (`\r`); otherwise a whole line now and then.
    fn render(&mut self, phase: &str, done: usize, total: usize) -> Option<String> {
        if self.quiet {
            return None;
        }
        if self.terminal {
            self.shown = true;
            return Some(format!(
                "\rimporting {phase:<8} {}  {done}/{total}   ",
                bar(done, total)
            ));
        }
        if done >= self.last_plain + PLAIN_EVERY || (done == total && done > self.last_plain) {
            self.last_plain = if done == total { 0 } else { done };
            return Some(format!("importing {phase}: {done}/{total}\n"));
        }
        None
    }

    fn done(&mut self) {
        if self.shown {
            eprintln!();
            self.shown = false;
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(terminal: bool) -> Progress {
        Progress {
            terminal,
            shown: false,
            last_plain: 0,
            quiet: false,
        }
    }

    #[test]
    fn a_terminal_gets_a_bar_rewritten_in_place() {
        let mut p = progress(true);
        let first = p.render("history", 250_000, 1_000_000).unwrap();
        assert_eq!(
            first,
            format!(
                "\rimporting history  [########{}]  25%  250000/1000000   ",
                "-".repeat(22)
            )
        );
        let last = p.render("history", 1_000_000, 1_000_000).unwrap();
        assert!(last.starts_with('\r') && !last.contains('\n'), "{last:?}");
        assert!(
            last.contains(&format!("[{}] 100%", "#".repeat(BAR_WIDTH))),
            "{last:?}"
        );
        assert!(p.shown, "the bar's line is ended when the import ends");
        assert_eq!(bar(0, 0), format!("[{}] 100%", "#".repeat(BAR_WIDTH)));
    }

    #[test]
    fn a_log_gets_a_plain_line_now_and_then() {
        let mut p = progress(false);
        let lines: Vec<String> = (1..=25)
            .filter_map(|n| p.render("history", n * 10_000, 250_000))
            .collect();
        assert_eq!(
            lines,
            [
                "importing history: 100000/250000\n",
                "importing history: 200000/250000\n",
                "importing history: 250000/250000\n",
            ]
        );
        assert!(lines.iter().all(|l| !l.contains('\r')));
        assert!(progress(true).render("x", 1, 1).is_some());
        assert_eq!(Progress::quiet().render("x", 1, 1), None);
    }

    fn parse(args: &[&str]) -> Result<Options, ServerError> {
        Options::parse(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn command_lines() {
        assert_eq!(
            parse(&["--users", "u.csv", "--history", "h.csv", "--dry-run"]).unwrap(),
            Options {
                users: "u.csv".into(),
                history: Some("h.csv".into()),
                dry_run: true
            }
        );
        assert_eq!(
            parse(&["--dry-run", "--users", "u.csv"]).unwrap().history,
            None
        );
        assert!(parse(&["u.csv"]).is_err(), "the old form is gone");
        assert!(
            parse(&["--history", "h.csv"]).is_err(),
            "users are required"
        );
        assert!(parse(&["--users"]).is_err());
    }
}
