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

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> AppError {
        if let ServerError::Busy = error {
            tracing::warn!("password hashing queue full: request refused");
            return AppError::Busy;
        }
        tracing::error!(%error, "request failed");
        AppError::Internal
    }
}
