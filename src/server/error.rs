//! The server half's one error type. Its detail goes to the log; a resident only ever sees
//! [`AppError::Internal`], whose words are localized.

use crate::model::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("mail: {0}")]
    Mail(String),
    #[error("blocking task: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("server context missing: {0}")]
    Context(&'static str),
    #[error("{0}")]
    Config(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Too many password hashes waiting; the resident is asked to try again in a moment.
    #[error("password hashing queue full")]
    Busy,
}

impl ServerError {
    /// The database cannot be reached or cannot answer now (connection lost or refused, no
    /// connection free in time, PostgreSQL shutting down or cancelling a statement past its
    /// timeout, SQLite's lock held past its busy timeout). It passes: the resident is asked to
    /// try again in a moment, and the pool reconnects by itself.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ServerError::Db(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            ServerError::Db(sqlx::Error::Database(e)) => match e.code().as_deref() {
                // PostgreSQL: connection exceptions (class 08), shutdown and "cannot connect
                // now" (57P01-57P03), the statement timeout (57014), too many connections.
                Some(code) if code.starts_with("08") => true,
                Some("57P01" | "57P02" | "57P03" | "57014" | "53300") => true,
                // SQLite: busy and locked, with their extended codes.
                Some("5" | "6" | "261" | "262" | "517") => true,
                _ => false,
            },
            _ => false,
        }
    }

    /// The database refused a text it cannot store: PostgreSQL takes no NUL character (SQLite
    /// does). Only hostile or broken input holds one, so it is the request's fault, not the
    /// server's; the statement failed and nothing was stored.
    pub fn is_unstorable_text(&self) -> bool {
        match self {
            ServerError::Db(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("22021" | "22P05"))
            }
            _ => false,
        }
    }
}

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> AppError {
        if let ServerError::Busy = error {
            tracing::warn!("password hashing queue full: request refused");
            return AppError::Busy;
        }
        if error.is_unstorable_text() {
            tracing::warn!("a request held a character the database cannot store: refused");
            return AppError::BadRequest;
        }
        if error.is_unavailable() {
            tracing::error!(%error, "the database is unavailable: asked to try again");
            return AppError::Unavailable;
        }
        tracing::error!(%error, "request failed");
        AppError::Internal
    }
}
