use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Group, POSTGRES};

declare_rule! {
    /// ## What it does
    /// Notes a psql meta-command line such as `\set` or `\connect`, which lockstep skips.
    ///
    /// ## Why is this bad?
    /// Meta-commands are instructions to the psql client, not SQL. They only work when the
    /// file runs through psql, and lockstep does not evaluate them (a `\connect` to another
    /// database is not followed).
    ///
    /// ## Example
    /// ```sql
    /// \set ON_ERROR_STOP on
    /// CREATE TABLE audit_log (id bigint);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE audit_log (id bigint);
    /// ```
    pub static RULE = Rule {
        id: "psql-meta-command",
        group: Group::Meta,
        default_severity: Severity::Note,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "all versions",
        summary: "a psql meta-command, skipped because it is not SQL",
        lock: None,
        check: None,
    };
}
