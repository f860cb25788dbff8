//! Server functions, grouped by journey. They are thin: check the input, call `server`, map
//! failures to [`AppError`](crate::model::AppError). With JavaScript off, forms post to them
//! directly and the server redirects back; with WASM loaded, the same calls go over fetch.

pub mod account;
pub mod forms;
pub mod history;
pub mod login;
pub mod oidc;
pub mod password;
pub mod register;
pub mod services;
pub mod settings;
pub mod strength;

#[cfg(feature = "ssr")]
mod audit;
#[cfg(feature = "ssr")]
mod context;
