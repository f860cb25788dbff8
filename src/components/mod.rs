//! Pieces the pages share.

pub mod field;
pub mod header;
pub mod require_login;
pub mod support;
