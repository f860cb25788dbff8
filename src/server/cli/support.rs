//! `support …`: what the people answering the support phone need, run on the server beside
//! the service. Mail is queued in the outbox; the running service's sender delivers it.

use crate::i18n::format_moment;
use crate::model::{Email, Lang, describe_user_agent};
use crate::server::auth::link;
use crate::server::db::{AuditEvent, AuditKind, AuditRow, Db, LinkPurpose, SupportAccount};
use crate::server::{Config, ServerError};

pub async fn run(args: &[String]) -> Result<(), ServerError> {
    let config = Config::load(false).map_err(ServerError::Config)?;
    let db = Db::open(&config.database_url, true, config.database_pool).await?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["find", query] => find(&db, query).await,
        ["send-link", email] => send_link(&db, email).await,
        ["set-email", account, email] => set_email(&db, account, email).await,
        ["audit", account] => audit(&db, account).await,
        ["end-sessions", account] => end_sessions(&db, account).await,
        _ => Err(ServerError::Config(format!(
            "unknown support command {args:?}; see `asiointi help`"
        ))),
    }
}

/// Lists matching accounts with their state.
async fn find(db: &Db, query: &str) -> Result<(), ServerError> {
    let accounts = db.support_find(query.trim()).await?;
    if accounts.is_empty() {
        println!("no account matches {query:?}");
    }
    for account in &accounts {
        let locked_until = match account.email.as_deref().map(Email::parse) {
            Some(Ok(email)) => db.lockout_until(&email).await?,
            _ => None,
        };
        println!("{}", describe(account, locked_until));
    }
    Ok(())
}

/// One account in a few lines: who, how to reach them, and where they stand. `locked_until`:
/// password attempts wait until then after too many failures (never for good).
fn describe(a: &SupportAccount, locked_until: Option<i64>) -> String {
    let locked = locked_until.map_or("no".to_owned(), |t| {
        format!(
            "until {} (too many wrong passwords)",
            format_moment(Lang::En, t)
        )
    });
    let last_login = a
        .last_login_at
        .map_or("never".to_owned(), |t| format_moment(Lang::En, t));
    format!(
        "#{id} {name} <{email}>\n    old usernames: {old}\n    password set: {password}; origin: {origin}; \
         verified: {verified}; locked: {locked}; last login: {last_login}; history rows: {rows}",
        id = a.id,
        name = a.full_name,
        email = a.email.as_deref().unwrap_or("no address: unreachable"),
        old = a.legacy_usernames.as_deref().unwrap_or("-"),
        password = if a.password_set { "yes" } else { "no" },
        origin = a.origin,
        // An address counts as verified once a password was set through a link mailed to it.
        verified = if a.password_set { "yes" } else { "no" },
        rows = a.history_rows,
    )
}

/// Mails a fresh set-password link to the account with this address.
async fn send_link(db: &Db, email: &str) -> Result<(), ServerError> {
    let email = Email::parse(email)
        .map_err(|_| ServerError::Config(format!("not an e-mail address: {email:?}")))?;
    let account = db
        .account_by_email(&email)
        .await?
        .ok_or_else(|| ServerError::Config(format!("no account has the address {email}")))?;
    let lang = account.mail_language(Lang::Fi);
    link::queue(db, LinkPurpose::SetPassword, account.id, &email, lang, None).await?;
    db.record(
        AuditKind::SupportLinkSent,
        by_operator(account.id, format!("to {email}")),
    )
    .await?;
    println!(
        "set-password link queued for {email} (account #{})",
        account.id
    );
    Ok(())
}

/// Attaches or changes an account's address (by number, address or old username) and mails a
/// set-password link to it.
async fn set_email(db: &Db, account: &str, email: &str) -> Result<(), ServerError> {
    let email = Email::parse(email)
        .map_err(|_| ServerError::Config(format!("not an e-mail address: {email:?}")))?;
    let id = db
        .support_account_id(account)
        .await?
        .ok_or_else(|| ServerError::Config(format!("no account {account:?}")))?;
    let before = db.support_email_of(id).await?;
    if !db.support_set_email(id, email.as_str()).await? {
        return Err(ServerError::Config(format!(
            "another account already has the address {email}"
        )));
    }
    let lang = db
        .account_by_email(&email)
        .await?
        .map_or(Lang::Fi, |a| a.mail_language(Lang::Fi));
    link::queue(db, LinkPurpose::SetPassword, id, &email, lang, None).await?;
    let from = before.as_deref().unwrap_or("no address");
    db.record(
        AuditKind::SupportEmailSet,
        by_operator(id, format!("{from} -> {email}")),
    )
    .await?;
    println!("account #{id} now has the address {email}; set-password link queued");
    Ok(())
}

/// Logs the account out everywhere.
async fn end_sessions(db: &Db, account: &str) -> Result<(), ServerError> {
    let id = db
        .support_account_id(account)
        .await?
        .ok_or_else(|| ServerError::Config(format!("no account {account:?}")))?;
    let ended = db.support_end_sessions(id).await?;
    db.record(
        AuditKind::SessionEnded,
        by_operator(id, format!("{ended} session(s) ended by support")),
    )
    .await?;
    println!("account #{id}: {ended} session(s) ended");
    Ok(())
}

/// How many events `support audit` shows, newest first.
const AUDIT_LIMIT: i64 = 200;

/// Prints the account's security events, newest first.
async fn audit(db: &Db, account: &str) -> Result<(), ServerError> {
    let id = db
        .support_account_id(account)
        .await?
        .ok_or_else(|| ServerError::Config(format!("no account {account:?}")))?;
    let rows = db.audit_of(id, AUDIT_LIMIT).await?;
    println!("security events of account #{id}, newest first:");
    if rows.is_empty() {
        println!("    none");
    }
    for row in &rows {
        println!("{}", audit_line(row));
    }
    Ok(())
}

/// `25 Nov 2026, 18:40  login_failed  192.0.2.1  Firefox, Linux  detail`.
fn audit_line(row: &AuditRow) -> String {
    let browser = row.user_agent.as_deref().map(describe_user_agent);
    let mut line = format!(
        "{at}  {kind:<17}  {ip:<15}  {browser}",
        at = format_moment(Lang::En, row.at),
        kind = row.kind,
        ip = row.ip.as_deref().unwrap_or("-"),
        browser = browser.as_deref().unwrap_or("-"),
    );
    if let Some(detail) = &row.detail {
        line.push_str("  ");
        line.push_str(detail);
    }
    if row.repeats > 1 {
        let last = format_moment(Lang::En, row.last_at);
        line.push_str(&format!("  ({} times, the last at {last})", row.repeats));
    }
    line
}

/// A support action on `account_id`, done by whoever runs this command.
fn by_operator(account_id: i64, what: String) -> AuditEvent {
    AuditEvent {
        account_id: Some(account_id),
        detail: Some(format!("{what}; by {}", super::operator())),
        ..AuditEvent::default()
    }
}
