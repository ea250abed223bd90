use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Group, BOTH};

declare_rule! {
    /// ## What it does
    /// Notes a file that is not valid UTF-8 (decoded with replacement characters before
    /// linting) or that looks binary (skipped).
    ///
    /// ## Why is this bad?
    /// Replaced bytes may sit inside names or strings, so findings near them may name the
    /// wrong object; a binary file in a migration folder is usually a mistake.
    ///
    /// ## Example
    /// ```sql
    /// -- a file saved as Latin-1 with a name like caf\xe9
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- the same file saved as UTF-8
    /// ```
    pub static RULE = Rule {
        id: "input-encoding",
        group: Group::Meta,
        default_severity: Severity::Note,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "a file that is not UTF-8 (decoded lossily) or is binary (skipped)",
        lock: None,
        check: None,
    };
}
