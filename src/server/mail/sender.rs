//! Delivers the outbox over SMTP in the background, with retries and exponential backoff.
//! A resident's request never waits for SMTP: it only writes the outbox.

use crate::server::db::{Db, OutboxMail, after};
use crate::server::{Config, ServerError};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// Give up on a mail after this many attempts (about a day with the backoff below).
const MAX_ATTEMPTS: i64 = 12;
/// Wait after the first failure; doubles with every further failure.
const FIRST_RETRY: Duration = Duration::from_secs(30);
/// Longest wait between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(3 * 3600);
/// How often the outbox is polled when nothing wakes the sender (retries fall due).
const POLL: Duration = Duration::from_secs(5);
/// Mails taken per pass.
const BATCH: i64 = 20;

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

/// Starts the sender when an SMTP URL is configured; otherwise mail stays in the outbox.
pub fn spawn(db: Db, config: Arc<Config>) -> Result<(), ServerError> {
    let wakeup = db.mail_queued();
    let Some(url) = config.smtp_url.clone() else {
        tracing::info!("SMTP_URL not set: mail stays in the outbox");
        return Ok(());
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
        .map_err(|e| ServerError::Config(format!("SMTP_URL is not a valid lettre SMTP URL: {e}")))?
        .build();
    tokio::spawn(async move {
        loop {
            if let Err(error) = deliver_due(&db, &transport, &config.mail_from).await {
                tracing::error!(%error, "mail sender pass failed");
            }
            tokio::select! {
                () = wakeup.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
    Ok(())
}

async fn deliver_due(
    db: &Db,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
) -> Result<(), ServerError> {
    for mail in db.due_mails(BATCH).await? {
        match send(transport, from, &mail).await {
            Ok(()) => {
                db.mark_mail_sent(mail.id).await?;
                tracing::info!(mail_id = mail.id, "mail delivered");
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

async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    mail: &OutboxMail,
) -> Result<(), String> {
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e| format!("recipient: {e}"))?;
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            mail.body_text.clone(),
            mail.body_html.clone(),
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
    fn backoff_doubles_up_to_a_ceiling_then_gives_up() {
        assert_eq!(retry_delay(1), Some(Duration::from_secs(30)));
        assert_eq!(retry_delay(2), Some(Duration::from_secs(60)));
        assert_eq!(retry_delay(3), Some(Duration::from_secs(120)));
        assert_eq!(retry_delay(11), Some(MAX_RETRY));
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
    }
}
