//! Findings about the input itself rather than the schema change.
pub mod contract_with_expand;
pub mod edited_applied_migration;
pub mod input_encoding;
pub mod other_dialect_file;
pub mod psql_meta_command;
pub mod unparsed_statement;
pub mod unterminated_literal;
pub mod unused_ignore;
