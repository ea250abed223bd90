//! Transaction and session hazards.
pub mod concurrently_in_transaction;
