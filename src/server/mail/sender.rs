//! Delivers the outbox in the background, with retries and exponential backoff. A resident's
//! request never waits for SMTP: it only writes the outbox.
//!
//! Each delivery renders the mail from what the outbox says it is and, for a link, mints the
//! token right there (only its hash is stored, see [`Db::mint_link`]): the raw token exists in
//! this process's memory and in the mail, never in the database. A retry mints a fresh token
//! and voids the one before, and the link is valid for its full time from delivery.
//!
//! Every instance runs a sender, and each mail reaches the SMTP server once: a sender claims
//! one mail at a time with a lease (`MAIL_LEASE_SECONDS`, see [`Db::claim_mail`]); a mail whose
//! sender died mid-way is taken over when the lease runs out, and a stopping instance hands
//! its claim back. The SMTP timeouts are a fraction of the lease, so a delivery ends (or
//! fails) before another sender may take the mail. In the rare case that a sender died after
//! the SMTP server took the mail but before it was marked sent, the mail goes twice with the
//! same `Message-ID`, which lets the receiving server drop the copy.
//!
//! ```text
//! queued ──due──▶ claimed (leased) ──▶ mint token (hash stored) ──▶ render ──▶ SMTP ──ok──▶ sent
//!   ▲   ▲               │ sender died: lease runs out │ link no longer wanted   │ error
//!   │   └───────────────┘                             ▼                         ▼
//!   └──── backoff ◀──── failed: token voided, retry later ◀─────────────────────┘
//!                       failed for good (after MAX_ATTEMPTS, or not wanted)
//! ```

use super::dev_mailbox::DevMailbox;
use super::templates::{self, Rendered};
use crate::model::Email;
use crate::server::auth::token;
use crate::server::db::{Db, LinkPurpose, MailKind, OutboxMail, after};
use crate::server::{Config, ServerError};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Give up on a mail after this many attempts (about a day with the backoff below).
const MAX_ATTEMPTS: i64 = 12;
/// Wait after the first failure; doubles with every further failure.
const FIRST_RETRY: Duration = Duration::from_secs(30);
/// Longest wait between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(3 * 3600);
/// How often the outbox is polled when nothing wakes the sender (retries fall due).
const POLL: Duration = Duration::from_secs(5);
/// Each SMTP command (connect, greeting, each command of the conversation) gets at most this
/// fraction of the lease, so a whole delivery ends well inside it.
const SMTP_TIMEOUT_PER_LEASE: u32 = 10;

/// The wait before attempt `attempts + 1`, or `None` when it is time to give up.
pub fn retry_delay(attempts_so_far: i64) -> Option<Duration> {
    if attempts_so_far >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = u32::try_from(attempts_so_far.saturating_sub(1).max(0))
        .unwrap_or(u32::MAX)
        .min(16);
    Some(FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY))
}

/// Where delivered mail goes.
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development without SMTP: kept in memory for `/dev/mail`.
    DevMailbox(DevMailbox),
}

/// The running sender.
pub struct Sender {
    /// `/dev/mail`'s mailbox, in development without SMTP.
    pub dev_mailbox: Option<DevMailbox>,
    /// Ends when the sender has stopped (see [`spawn`]'s `stop`).
    pub stopped: Option<tokio::task::JoinHandle<()>>,
}

/// Starts the sender: over SMTP when an SMTP URL is configured; in development without one,
/// into the returned in-memory mailbox; otherwise mail stays in the outbox. When `stop` turns
/// true the sender finishes the mail it is delivering, hands back one it claimed but has not
/// begun, and ends.
pub fn spawn(
    db: Db,
    config: Arc<Config>,
    mut stop: watch::Receiver<bool>,
) -> Result<Sender, ServerError> {
    let (transport, dev_mailbox) = if let Some(url) = &config.smtp_url {
        let timeout = config.mail_lease / SMTP_TIMEOUT_PER_LEASE;
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                ServerError::Config(format!("SMTP_URL is not a valid lettre SMTP URL: {e}"))
            })?
            .timeout(Some(timeout))
            .build();
        (Transport::Smtp(smtp), None)
    } else if config.dev_mailbox() {
        let mailbox = DevMailbox::default();
        (Transport::DevMailbox(mailbox.clone()), Some(mailbox))
    } else {
        tracing::info!("SMTP_URL not set: mail stays in the outbox");
        return Ok(Sender {
            dev_mailbox: None,
            stopped: None,
        });
    };
    let wakeup = db.mail_queued();
    let stopped = tokio::spawn(async move {
        while !*stop.borrow() {
            if let Err(error) = deliver_due(&db, &config, &transport, &stop).await {
                tracing::error!(%error, "mail sender pass failed");
            }
            tokio::select! {
                () = wakeup.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("mail sender stopped");
    });
    Ok(Sender {
        dev_mailbox,
        stopped: Some(stopped),
    })
}

/// Delivers the due mails one claim at a time, until none is due or the instance stops.
async fn deliver_due(
    db: &Db,
    config: &Config,
    transport: &Transport,
    stop: &watch::Receiver<bool>,
) -> Result<(), ServerError> {
    let lease_secs = i64::try_from(config.mail_lease.as_secs()).unwrap_or(i64::MAX);
    while let Some(mail) = db.claim_mail(lease_secs).await? {
        if *stop.borrow() {
            db.hand_back_mail(mail.id).await?;
            tracing::info!(
                mail_id = mail.id,
                "mail handed back: the instance is stopping"
            );
            return Ok(());
        }
        let Some(rendered) = render(db, config, &mail).await? else {
            tracing::info!(
                mail_id = mail.id,
                "mail not sent: its link is no longer wanted"
            );
            db.mark_mail_failed(mail.id, "no longer wanted", None)
                .await?;
            continue;
        };
        let sent = match transport {
            Transport::Smtp(smtp) => send(smtp, config, &mail, rendered).await,
            Transport::DevMailbox(mailbox) => {
                mailbox.put(&mail.recipient, rendered);
                Ok(())
            }
        };
        match sent {
            Ok(()) => {
                db.mark_mail_sent(mail.id).await?;
                tracing::info!(
                    mail_id = mail.id,
                    kind = mail.kind.as_str(),
                    "mail delivered"
                );
            }
            Err(error) => {
                let attempts = mail.attempts + 1;
                let retry_at = retry_delay(attempts).map(after);
                tracing::warn!(mail_id = mail.id, attempts, give_up = retry_at.is_none(), %error, "mail delivery failed");
                db.mark_mail_failed(mail.id, &error, retry_at).await?;
            }
        }
    }
    Ok(())
}

/// The mail as it goes out, a link's token minted for it; `None` when its link is no longer
/// wanted (see [`Db::mint_link`]).
async fn render(
    db: &Db,
    config: &Config,
    mail: &OutboxMail,
) -> Result<Option<Rendered>, ServerError> {
    let to = Email::parse(&mail.recipient)
        .map_err(|_| ServerError::Mail(format!("mail #{}: not an address", mail.id)))?;
    let (lang, support, public_url) = (mail.lang, &config.support_contact, &config.public_url);
    let rendered = match mail.kind {
        MailKind::SetPasswordLink | MailKind::ResetPasswordLink => {
            let (purpose, ttl) = if mail.kind == MailKind::SetPasswordLink {
                (LinkPurpose::SetPassword, config.legacy_link_ttl)
            } else {
                (LinkPurpose::ResetPassword, config.reset_link_ttl)
            };
            let Some(link) = mint_link(db, config, mail, "set-password", ttl).await? else {
                return Ok(None);
            };
            templates::link_mail(purpose, lang, &to, &link, hours(ttl), support)
        }
        MailKind::EmailChangeLink => {
            let ttl = config.email_link_ttl;
            let Some(link) = mint_link(db, config, mail, "confirm-email", ttl).await? else {
                return Ok(None);
            };
            templates::email_change_mail(lang, &to, &link, hours(ttl), support)
        }
        MailKind::EmailChangeNotice => templates::email_change_notice(lang, &to, support),
        MailKind::PasswordChanged => templates::password_changed_mail(lang, &to, support),
        MailKind::AccountExists => templates::account_exists_mail(lang, &to, public_url, support),
        MailKind::NoAccount => templates::no_account_mail(lang, &to, public_url, support),
    };
    Ok(Some(rendered))
}

/// Mints a token valid for `ttl` for the link `mail` carries to `page`: the link, or `None`
/// when it is no longer wanted.
async fn mint_link(
    db: &Db,
    config: &Config,
    mail: &OutboxMail,
    page: &str,
    ttl: Duration,
) -> Result<Option<String>, ServerError> {
    let (token, token_hash) = token::new_token();
    if !db.mint_link(mail, &token_hash, after(ttl)).await? {
        return Ok(None);
    }
    let lang = mail.lang.code();
    // The page continues to `next`: `&next=…` after the token.
    let next = crate::model::next_query(mail.next.as_deref()).replacen('?', "&", 1);
    Ok(Some(format!(
        "{}/{lang}/{page}?token={token}{next}",
        config.public_url
    )))
}

fn hours(ttl: Duration) -> u64 {
    ttl.as_secs() / 3600
}

/// The mail's `Message-ID`: the same for every attempt to deliver it, from any instance, and
/// unique to the deployment (its outbox row and public host name).
fn message_id(mail: &OutboxMail, public_url: &str) -> String {
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    format!("<outbox.{}.{}@{host}>", mail.id, mail.created_at)
}

async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &Config,
    mail: &OutboxMail,
    rendered: Rendered,
) -> Result<(), String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e| format!("recipient: {e}"))?;
    let message = Message::builder()
        .message_id(Some(message_id(mail, &config.public_url)))
        .from(config.mail_from.clone())
        .to(to)
        .subject(rendered.subject)
        .multipart(MultiPart::alternative_plain_html(
            rendered.body_text,
            rendered.body_html,
        ))
        .map_err(|e| format!("building the message: {e}"))?;
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attempt_at_a_mail_has_its_one_message_id() {
        let mail = |id, created_at| OutboxMail {
            id,
            kind: MailKind::PasswordChanged,
            recipient: "erkki@example.com".into(),
            account_id: Some(1),
            lang: crate::model::Lang::Fi,
            attempts: 0,
            next: None,
            created_at,
        };
        let url = "https://asiointi.example.fi";
        assert_eq!(
            message_id(&mail(7, 1_700_000_000), url),
            "<outbox.7.1700000000@asiointi.example.fi>"
        );
        let retried = OutboxMail {
            attempts: 3,
            ..mail(7, 1_700_000_000)
        };
        assert_eq!(
            message_id(&retried, url),
            message_id(&mail(7, 1_700_000_000), url)
        );
        assert_ne!(
            message_id(&mail(8, 1_700_000_000), url),
            message_id(&mail(7, 1_700_000_000), url)
        );
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling_then_gives_up() {
        assert_eq!(retry_delay(1), Some(Duration::from_secs(30)));
        assert_eq!(retry_delay(2), Some(Duration::from_secs(60)));
        assert_eq!(retry_delay(3), Some(Duration::from_secs(120)));
        assert_eq!(retry_delay(11), Some(MAX_RETRY));
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
    }
}
