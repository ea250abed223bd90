//! lockstep: a linter for SQL schema migrations.
//!
//! The pipeline runs one way:
//! `discover -> split -> parse -> schema replay -> rules -> findings -> report`,
//! with `plan` writing the safe phased replacement of a risky statement.

pub mod dialect;
pub mod span;
pub mod split;
pub mod statement;
