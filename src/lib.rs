//! lockstep: a linter for SQL schema migrations.
//!
//! The pipeline runs one way:
//! `discover -> split -> parse -> schema replay -> rules -> findings -> report`,
//! with `plan` writing the safe phased replacement of a risky statement.

pub mod dialect;
pub mod discover;
pub mod layout;
pub mod span;
pub mod statement;
pub mod catalog;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod ignore;
pub mod locks;
pub mod parse;
pub mod report;
pub mod rules;
pub mod session;
pub mod types;
pub mod cli;
pub mod docs;
