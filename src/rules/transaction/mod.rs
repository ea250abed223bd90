//! Transaction and session hazards.
pub mod concurrently_in_transaction;
pub mod data_change_in_ddl_transaction;
pub mod data_change_without_where;
pub mod unbalanced_transaction;
pub mod validate_in_same_transaction;
