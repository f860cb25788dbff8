//! Server functions, grouped by journey. They are thin: check the input, call `server`, map
//! failures to [`AppError`](crate::model::AppError). With JavaScript off, forms post to them
//! directly and the server redirects back; with WASM loaded, the same calls go over fetch.

pub mod account;
pub mod login;
pub mod password;

#[cfg(feature = "ssr")]
mod context;
