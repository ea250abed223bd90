use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Group, BOTH};

declare_rule! {
    /// ## What it does
    /// Reports a string, quoted identifier, dollar-quoted body or block comment that is
    /// opened and never closed, at the position of its opening quote.
    ///
    /// ## Why is this bad?
    /// The server rejects the file, and lockstep cannot tell where the statements after
    /// the opening quote begin: the rest of the file is read as one statement and only
    /// partly checked.
    ///
    /// ## Example
    /// ```sql
    /// UPDATE users SET note = 'unfinished;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// UPDATE users SET note = 'finished' WHERE id = 1;
    /// ```
    pub static RULE = Rule {
        id: "unterminated-literal",
        group: Group::Meta,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "a quote, dollar quote or comment that is never closed",
        lock: None,
        check: None,
    };
}
