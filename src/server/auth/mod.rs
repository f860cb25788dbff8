//! Credentials: password hashing, single-use tokens and login sessions.

pub mod argon2id;
pub mod hashing_workers;
pub mod limits;
pub mod link;
pub mod login_attempts;
pub mod password;
pub mod policy;
pub mod session;
pub mod token;
