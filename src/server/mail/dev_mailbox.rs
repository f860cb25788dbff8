//! The development mailbox: with no SMTP server configured, a local run "delivers" its mail
//! here, in memory, so that a developer can open the links at `/dev/mail`. Nothing of it is
//! stored: like every delivery, its links are minted at delivery and never written down.

use super::templates::{Rendered, escape};
use crate::server::db::now;
use axum::response::Html;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many mails the page keeps, newest first.
const KEPT: usize = 50;

/// A delivered mail, as the page shows it.
struct DevMail {
    recipient: String,
    delivered_at: i64,
    mail: Rendered,
}

/// The mails delivered by this run, newest first.
#[derive(Clone, Default)]
pub struct DevMailbox(Arc<Mutex<VecDeque<DevMail>>>);

impl DevMailbox {
    pub fn put(&self, recipient: &str, mail: Rendered) {
        // A poisoned lock only means a panic elsewhere mid-push; the list is still usable.
        let mut mails = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        mails.push_front(DevMail {
            recipient: recipient.to_owned(),
            delivered_at: now(),
            mail,
        });
        mails.truncate(KEPT);
    }

    /// The page listing the mails, their links clickable.
    pub fn page(&self) -> Html<String> {
        let mails = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut items = String::new();
        for DevMail {
            recipient,
            delivered_at,
            mail,
        } in mails.iter()
        {
            items.push_str(&format!(
                "<article><h2>{subject}</h2><p>To: {to} · delivered at {delivered_at} (UNIX time)</p><pre>{body}</pre></article>",
                subject = escape(&mail.subject),
                to = escape(recipient),
                body = linkify(&escape(&mail.body_text)),
            ));
        }
        if mails.is_empty() {
            items.push_str("<p>No mail yet.</p>");
        }
        Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Development mailbox</title>\
             <link rel=\"stylesheet\" href=\"/pkg/asiointi.css\"></head><body><main id=\"main\" class=\"dev-mail\">\
             <h1>Development mailbox</h1><p>Mail delivered by this local run (SMTP_URL is not set), \
             newest first; kept in memory only.</p>{items}</main></body></html>"
        ))
    }
}

/// Turns the lines of an (escaped) mail body that are URLs into links.
fn linkify(escaped: &str) -> String {
    escaped
        .lines()
        .map(|line| {
            if line.starts_with("http://") || line.starts_with("https://") {
                format!("<a href=\"{line}\">{line}</a>")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_newest_first_with_links_and_escaped_text() {
        let mailbox = DevMailbox::default();
        for subject in ["first", "<second>"] {
            mailbox.put(
                "erkki@example.com",
                Rendered {
                    subject: subject.into(),
                    body_text: "Hei\nhttp://127.0.0.1:3000/fi/set-password?token=abc\n".into(),
                    body_html: String::new(),
                },
            );
        }
        let page = mailbox.page().0;
        let second = page.find("&lt;second&gt;").unwrap();
        let first = page.find("<h2>first</h2>").unwrap();
        assert!(second < first, "newest first");
        assert!(page.contains("<a href=\"http://127.0.0.1:3000/fi/set-password?token=abc\">"));
        for _ in 0..KEPT {
            mailbox.put(
                "x@example.com",
                Rendered {
                    subject: "again".into(),
                    body_text: String::new(),
                    body_html: String::new(),
                },
            );
        }
        assert!(
            !mailbox.page().0.contains("<h2>first</h2>"),
            "only the newest are kept"
        );
    }
}
