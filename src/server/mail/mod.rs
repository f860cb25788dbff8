//! Mail: templates per language, and the sender that drains the outbox over SMTP.

pub mod sender;
pub mod templates;
