//! Changes that destroy data.
pub mod drop_column;
