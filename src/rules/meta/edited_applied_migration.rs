use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Group, BOTH};

declare_rule! {
    /// ## What it does
    /// With `lockstep check --since REF`, warns about a migration file that already existed
    /// at the merge base with `REF` and whose content the change edits.
    ///
    /// ## Why is this bad?
    /// A merged migration has probably already run in production and in every developer's
    /// database. Migration tools record it as applied and never run it again (Flyway and
    /// golang-migrate may refuse to start on a changed checksum), so the edit reaches no
    /// existing database and the schemas drift apart.
    ///
    /// ## Example
    /// ```sql
    /// -- V1__create_users.sql, merged last month, edited in this pull request:
    /// CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- V1__create_users.sql stays as it was merged; the change is a new file,
    /// -- V7__add_users_email.sql:
    /// ALTER TABLE users ADD COLUMN email text;
    /// ```
    pub static RULE = Rule {
        id: "edited-applied-migration",
        group: Group::Meta,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "an edit to a migration that already existed before the change (--since)",
        lock: None,
        check: None,
    };
}
