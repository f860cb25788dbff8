//! The server half (feature `ssr`): configuration, storage, authentication, mail, the HTTP
//! router and the command line. Nothing here is compiled into the browser's WebAssembly.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
mod fn_status;
pub mod http;
mod jobs;
pub mod mail;
pub mod oidc;
pub mod state;

pub use config::Config;
pub use error::ServerError;
pub use state::AppState;
