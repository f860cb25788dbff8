//! Deciding, row by row and without touching the database, what an import does: each row gets
//! exactly one outcome, and the writes are collected for one transaction. Planning against an
//! in-memory copy of what is there keeps a million-row import free of per-row queries.

use super::csv_input::{Table, field, parse_date};
use crate::model::Email;
use crate::server::ServerError;
use crate::server::db::{
    AccountRef, ExistingState, ImportWrites, ImportedAccount, ImportedTransaction,
};
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Merged,
    Unreachable,
    Rejected,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Created,
        Outcome::Updated,
        Outcome::Unchanged,
        Outcome::Merged,
        Outcome::Unreachable,
        Outcome::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Merged => "merged",
            Outcome::Unreachable => "unreachable",
            Outcome::Rejected => "rejected",
        }
    }
}

/// One row's outcome, with the reason where there is one to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowOutcome {
    pub line: u64,
    pub outcome: Outcome,
    pub reason: String,
}

/// Old usernames that went into one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub email: String,
    /// The account's first old username (whose details it keeps), then the merged ones.
    pub usernames: Vec<String>,
}

/// The plan of a run: the outcome of every row of each file and what to write.
#[derive(Debug, Default)]
pub struct Plan {
    pub users: Vec<RowOutcome>,
    pub history: Vec<RowOutcome>,
    pub merges: Vec<Merge>,
    pub writes: ImportWrites,
}

const LANGUAGES: [&str; 3] = ["fi", "sv", "en"];

/// A 128-bit fingerprint of a transaction of an account, to find rows imported before and
/// rows repeated in the file without keeping a million copies of their text.
pub fn transaction_key(account: AccountRef, fields: [&str; 5]) -> u128 {
    let half = |salt: u8| {
        let mut hasher = DefaultHasher::new();
        (salt, account, fields).hash(&mut hasher);
        u128::from(hasher.finish())
    };
    (half(0) << 64) | half(1)
}

/// Plans the users file against what is there.
pub fn plan_users(
    table: &Table,
    existing: &ExistingState,
    plan: &mut Plan,
) -> Result<Accounts, ServerError> {
    let user_col = Some(table.column("legacy_username")?);
    let email_col = Some(table.column("email")?);
    let name_col = Some(table.column("full_name")?);
    let (phone_col, language_col) = (
        table.optional_column("phone"),
        table.optional_column("language"),
    );
    let mut accounts = Accounts {
        by_username: existing
            .by_legacy_username
            .iter()
            .map(|(u, id)| (u.clone(), AccountRef::Existing(*id)))
            .collect(),
    };
    let mut by_email: HashMap<String, AccountRef> = existing
        .by_email
        .iter()
        .map(|(e, id)| (e.clone(), AccountRef::Existing(*id)))
        .collect();
    let mut merges: HashMap<AccountRef, usize> = HashMap::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        let mut outcome = |outcome, reason: String| {
            plan.users.push(RowOutcome {
                line,
                outcome,
                reason,
            });
        };
        let record = match record {
            Ok(record) => record,
            Err(reason) => {
                outcome(Outcome::Rejected, reason.clone());
                continue;
            }
        };
        let username = field(record, user_col);
        if username.is_empty() {
            outcome(Outcome::Rejected, "missing legacy_username".into());
            continue;
        }
        if let Some(first) = seen.get(username) {
            outcome(
                Outcome::Rejected,
                format!("repeated legacy_username {username:?} (first on line {first})"),
            );
            continue;
        }
        seen.insert(username.to_owned(), line);
        let full_name = field(record, name_col);
        if full_name.is_empty() {
            outcome(Outcome::Rejected, format!("{username}: missing full_name"));
            continue;
        }
        let language = field(record, language_col).to_lowercase();
        if !language.is_empty() && !LANGUAGES.contains(&language.as_str()) {
            outcome(
                Outcome::Rejected,
                format!("{username}: unknown language {language:?} (fi, sv or en)"),
            );
            continue;
        }
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let email_text = field(record, email_col);
        let mut details = ImportedAccount {
            email: None,
            full_name: full_name.to_owned(),
            phone: optional(field(record, phone_col)),
            language: optional(&language),
            legacy_username: Some(username.to_owned()),
        };
        // Carried over before: the row may bring new details, never a second account.
        if let Some(&id) = existing.by_legacy_username.get(username) {
            let Some(account) = existing.accounts.get(&id) else {
                return Err(ServerError::Context("old username of a missing account"));
            };
            details.email = account.email.clone();
            if account.legacy_username.as_deref() != Some(username) {
                let into = account.email.as_deref().unwrap_or("(no address)");
                outcome(
                    Outcome::Unchanged,
                    format!(
                        "{username}: merged into {into} before; its details come from its first old username"
                    ),
                );
            } else if (&account.full_name, &account.phone, &account.language)
                == (&details.full_name, &details.phone, &details.language)
            {
                outcome(Outcome::Unchanged, username.to_owned());
            } else {
                outcome(
                    Outcome::Updated,
                    format!("{username}: name, phone or language changed"),
                );
                details.legacy_username = account.legacy_username.clone();
                plan.writes.updates.push((id, details));
            }
            continue;
        }
        let email = match Email::parse(email_text) {
            Ok(email) => email,
            Err(_) => {
                let why = if email_text.is_empty() {
                    "no e-mail address".to_owned()
                } else {
                    format!("not an e-mail address: {email_text:?}")
                };
                let account = new_account(&mut plan.writes, details, username);
                accounts.by_username.insert(username.to_owned(), account);
                outcome(
                    Outcome::Unreachable,
                    format!(
                        "{username}: {why}; imported without one, cannot log in until support adds one"
                    ),
                );
                continue;
            }
        };
        if let Some(&account) = by_email.get(email.as_str()) {
            plan.writes
                .legacy_usernames
                .push((username.to_owned(), account));
            accounts.by_username.insert(username.to_owned(), account);
            let merge = *merges.entry(account).or_insert_with(|| {
                let first = match account {
                    AccountRef::Existing(id) => existing
                        .accounts
                        .get(&id)
                        .and_then(|a| a.legacy_username.clone()),
                    AccountRef::New(n) => plan
                        .writes
                        .new_accounts
                        .get(n)
                        .and_then(|a| a.legacy_username.clone()),
                };
                plan.merges.push(Merge {
                    email: email.to_string(),
                    usernames: first.into_iter().collect(),
                });
                plan.merges.len() - 1
            });
            if let Some(merge) = plan.merges.get_mut(merge) {
                merge.usernames.push(username.to_owned());
            }
            outcome(
                Outcome::Merged,
                format!("{username}: same address as another old account, merged into {email}"),
            );
            continue;
        }
        details.email = Some(email.to_string());
        let account = new_account(&mut plan.writes, details, username);
        by_email.insert(email.to_string(), account);
        accounts.by_username.insert(username.to_owned(), account);
        outcome(Outcome::Created, format!("{username} → {email}"));
    }
    Ok(accounts)
}

fn new_account(writes: &mut ImportWrites, details: ImportedAccount, username: &str) -> AccountRef {
    let account = AccountRef::New(writes.new_accounts.len());
    writes.new_accounts.push(details);
    writes.legacy_usernames.push((username.to_owned(), account));
    account
}

/// Which account each old username belongs to after the users file.
#[derive(Debug, Default)]
pub struct Accounts {
    pub by_username: HashMap<String, AccountRef>,
}

/// Plans the history file. `known` holds the fingerprints of the transactions already there.
pub fn plan_history(
    table: &Table,
    accounts: &Accounts,
    known: &HashSet<u128>,
    plan: &mut Plan,
) -> Result<(), ServerError> {
    let user_col = Some(table.column("legacy_username")?);
    let date_col = Some(table.column("date")?);
    let service_col = Some(table.column("service")?);
    let reference_col = Some(table.column("reference")?);
    let status_col = Some(table.column("status")?);
    let description_col = table.optional_column("description");
    let mut seen: HashMap<u128, u64> = HashMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        let mut outcome = |outcome, reason: String| {
            plan.history.push(RowOutcome {
                line,
                outcome,
                reason,
            });
        };
        let record = match record {
            Ok(record) => record,
            Err(reason) => {
                outcome(Outcome::Rejected, reason.clone());
                continue;
            }
        };
        let username = field(record, user_col);
        if username.is_empty() {
            outcome(Outcome::Rejected, "missing legacy_username".into());
            continue;
        }
        let Some(&account) = accounts.by_username.get(username) else {
            outcome(
                Outcome::Rejected,
                format!("history for an unknown old username {username:?}"),
            );
            continue;
        };
        let date_text = field(record, date_col);
        let Some(date) = parse_date(date_text) else {
            outcome(
                Outcome::Rejected,
                format!("{username}: a date that cannot be read: {date_text:?}"),
            );
            continue;
        };
        let (service, reference, status) = (
            field(record, service_col),
            field(record, reference_col),
            field(record, status_col),
        );
        let missing = [
            ("service", service),
            ("reference", reference),
            ("status", status),
        ]
        .into_iter()
        .find(|(_, value)| value.is_empty());
        if let Some((column, _)) = missing {
            outcome(Outcome::Rejected, format!("{username}: missing {column}"));
            continue;
        }
        let occurred_on = date.to_string();
        let description = field(record, description_col);
        let key = transaction_key(
            account,
            [&occurred_on, service, reference, status, description],
        );
        if let Some(first) = seen.get(&key) {
            outcome(
                Outcome::Rejected,
                format!("{username}: repeats line {first}"),
            );
            continue;
        }
        seen.insert(key, line);
        if known.contains(&key) {
            outcome(Outcome::Unchanged, String::new());
            continue;
        }
        plan.writes.transactions.push(ImportedTransaction {
            account,
            occurred_on,
            service: service.to_owned(),
            reference: reference.to_owned(),
            status: status.to_owned(),
            description: description.to_owned(),
        });
        outcome(Outcome::Created, String::new());
    }
    Ok(())
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
