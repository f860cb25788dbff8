//! Pieces the pages share.

pub mod field;
pub mod header;
