//! Pieces the pages share.

pub mod field;
pub mod header;
pub mod next;
pub mod password_field;
pub mod require_login;
pub mod support;
