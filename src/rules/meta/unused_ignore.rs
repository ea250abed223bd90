use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Group, BOTH};

declare_rule! {
    /// ## What it does
    /// Reports a `lockstep:ignore` comment that suppresses nothing, or that names a rule
    /// lockstep does not have.
    ///
    /// ## Why is this bad?
    /// A stale ignore hides the next real problem on that line, and a misspelt rule id
    /// suppresses nothing while looking as if it did.
    ///
    /// ## Example
    /// ```sql
    /// -- lockstep:ignore drop-colum -- typo: nothing is suppressed
    /// CREATE TABLE audit_log (id bigint);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE TABLE audit_log (id bigint);
    /// ```
    pub static RULE = Rule {
        id: "unused-ignore",
        group: Group::Meta,
        default_severity: Severity::Note,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "an ignore comment that suppresses nothing or names an unknown rule",
        lock: None,
        check: None,
    };
}
