//! One module per route under `/:lang/`.

pub mod account;
pub mod forgot;
pub mod home;
pub mod login;
pub mod not_found;
pub mod set_password;
