//! lockstep: a linter for SQL schema migrations.
//!
//! The pipeline runs one way:
//! `discover -> split -> parse -> catalog (schema replay) -> rules -> findings -> report`,
//! with `plan` writing the safe phased replacement of a risky statement.

pub mod catalog;
pub mod cli;
pub mod color;
pub mod config;
pub mod config_schema;
pub mod diagnostic;
pub mod dialect;
pub mod discover;
pub mod docs;
pub mod engine;
pub mod git;
pub mod ignore;
pub mod init;
pub mod input;
pub mod layout;
pub mod locks;
pub mod mysql;
pub mod names;
pub mod parse;
pub mod plan;
pub mod project_findings;
pub mod replay_slice;
pub mod report;
pub mod rules;
pub mod session;
pub mod shell;
pub mod span;
pub mod split;
pub mod statement;
pub mod stats;
pub mod suggest;
pub mod text;
pub mod types;
pub mod version;
pub mod write_file;
