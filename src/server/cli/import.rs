//! `import-legacy`: creates the accounts carried over from the old system, without a password.
//! Running it again with the same file creates nothing new.

use crate::model::Email;
use crate::server::db::{Db, ImportOutcome};
use crate::server::{Config, ServerError};

/// Counts of what an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub created: usize,
    pub already_there: usize,
    /// Line number in the file and the reason.
    pub rejected: Vec<(u64, String)>,
}

pub async fn run(path: &str) -> Result<(), ServerError> {
    let config = Config::load(false).map_err(ServerError::Config)?;
    let db = Db::connect(&config.database_url).await?;
    let file =
        std::fs::File::open(path).map_err(|e| ServerError::Config(format!("{path}: {e}")))?;
    let report = import(&db, file).await?;
    for (line, reason) in &report.rejected {
        println!("line {line}: rejected: {reason}");
    }
    println!(
        "created {}, already there {}, rejected {}",
        report.created,
        report.already_there,
        report.rejected.len()
    );
    Ok(())
}

/// Imports a CSV with the header `legacy_username,email,full_name`.
pub async fn import(db: &Db, input: impl std::io::Read) -> Result<Report, ServerError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| ServerError::Config(format!("CSV header: {e}")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            .ok_or_else(|| ServerError::Config(format!("CSV has no column {name:?}")))
    };
    let (user_col, email_col, name_col) = (
        column("legacy_username")?,
        column("email")?,
        column("full_name")?,
    );
    let mut report = Report::default();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                report.rejected.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").to_owned();
        let (username, email_text, full_name) =
            (field(user_col), field(email_col), field(name_col));
        if username.is_empty() {
            report
                .rejected
                .push((line, "missing legacy_username".into()));
            continue;
        }
        if full_name.is_empty() {
            report.rejected.push((line, "missing full_name".into()));
            continue;
        }
        let Ok(email) = Email::parse(&email_text) else {
            report
                .rejected
                .push((line, format!("not an e-mail address: {email_text:?}")));
            continue;
        };
        match db
            .import_legacy_account(&username, &email, &full_name)
            .await?
        {
            ImportOutcome::Created => report.created += 1,
            ImportOutcome::AlreadyThere => report.already_there += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn imports_once_and_reports_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.unwrap();
        let csv = "\u{feff}legacy_username,email,full_name\n\
                   erkki, Esimerkki.Erkki@Example.com ,Erkki Esimerkki\n\
                   maija,not-an-address,Maija Meikäläinen\n\
                   ,x@example.com,No Username\n\
                   liisa,liisa@example.com,\n";
        let first = import(&db, csv.as_bytes()).await.unwrap();
        assert_eq!(first.created, 1);
        assert_eq!(
            first
                .rejected
                .iter()
                .map(|(line, _)| *line)
                .collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        let second = import(&db, csv.as_bytes()).await.unwrap();
        assert_eq!((second.created, second.already_there), (0, 1));
        assert_eq!(db.account_count().await.unwrap(), 1);
        let erkki = db
            .account_by_email(&Email::parse("esimerkki.erkki@example.com").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(erkki.full_name, "Erkki Esimerkki");
        assert!(erkki.password_hash.is_none());
    }
}
