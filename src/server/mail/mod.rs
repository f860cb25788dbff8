//! Mail: templates per language, and the sender that renders and delivers the outbox over
//! SMTP (or, developing without SMTP, into the in-memory development mailbox).

pub mod dev_mailbox;
pub mod sender;
pub mod templates;
