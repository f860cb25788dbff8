//! One module per route under `/:lang/`.

pub mod account;
pub mod forgot;
pub mod history;
pub mod home;
pub mod login;
pub mod not_found;
pub mod register;
pub mod set_password;
