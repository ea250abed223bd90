//! Changes that break the application version still running during a deploy.
pub mod add_not_null_column_without_default;
pub mod rename_column;
