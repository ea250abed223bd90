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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn reports_ignores_that_suppress_nothing_or_name_unknown_rules() {
        insta::assert_snapshot!(lint_err(
            "-- lockstep:ignore create-index-non-concurrently -- no index here\nCREATE TABLE tags (id bigint);\n-- lockstep:ignore drop-colum\nALTER TABLE tags ADD COLUMN colour text;",
            &RULE
        ));
    }

    #[test]
    fn quiet_when_the_ignore_suppresses_a_finding() {
        lint_ok("-- lockstep:ignore create-index-non-concurrently -- small table\nCREATE INDEX i ON labels (name);", &RULE);
        lint_ok(
            "CREATE INDEX i ON labels (name); -- lockstep:ignore create-index-non-concurrently",
            &RULE,
        );
        lint_ok("-- lockstep:ignore-file create-index-non-concurrently\nSELECT 1;\nCREATE INDEX i ON labels (name);", &RULE);
    }
}
