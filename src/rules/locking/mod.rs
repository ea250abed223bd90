//! Statements that take locks blocking reads or writes, or rewrite or scan a table.
pub mod create_index_non_concurrently;
