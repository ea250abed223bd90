use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{DomainChange, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER DOMAIN ... ADD CONSTRAINT` without `NOT VALID`, and `ALTER DOMAIN ... SET
    /// NOT NULL`.
    ///
    /// ## Why is this bad?
    /// PostgreSQL checks the new constraint against every stored value of the domain: it
    /// takes a SHARE lock on each table with a column of that domain (writes blocked, reads
    /// continue) and scans it, all in one statement. A domain used by a large table, or by
    /// many tables, stops writes to all of them for the whole scan. `NOT VALID` (for CHECK
    /// constraints) skips the scan: the constraint then applies to new and updated values
    /// only. Measured on PostgreSQL 14 to 18.
    ///
    /// ## Example
    /// ```sql
    /// ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0) NOT VALID;
    /// ```
    /// New and changed values are checked from then on without locking any table. `ALTER
    /// DOMAIN amount VALIDATE CONSTRAINT amount_positive` checks the old values later, but
    /// it scans the same tables under the same SHARE lock, so run it when a pause in writes
    /// is acceptable. For NOT NULL, add `CHECK (VALUE IS NOT NULL) NOT VALID` instead of
    /// `SET NOT NULL`.
    pub static RULE = Rule {
        id: "domain-constraint-without-not-valid",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "ALTER DOMAIN ADD CONSTRAINT without NOT VALID (or SET NOT NULL) scans every table using the domain under SHARE",
        lock: Some(LockClaim { mode: LockMode::Share, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterDomain { name, change } = &statement.kind else {
        return;
    };
    let what = match change {
        DomainChange::AddConstraint { not_valid: false } => "adding a constraint to",
        DomainChange::SetNotNull => "SET NOT NULL on",
        _ => return,
    };
    // A domain created in this change holds no stored values of an earlier release.
    if ctx.catalog.domain_created_in(name, ctx.file.change_set) {
        return;
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("{what} domain `{name}` checks every stored value: each table with a column of that domain is scanned under a SHARE lock, which blocks its writes"),
        )
        .help("add the constraint as `CHECK (...) NOT VALID` (for NOT NULL: `CHECK (VALUE IS NOT NULL) NOT VALID`); it then applies to new and changed values without a scan"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_a_validating_domain_constraint() {
        insta::assert_snapshot!(lint_err(
            "ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0);",
            &RULE
        ));
        lint_err("ALTER DOMAIN amount ADD CHECK (VALUE <> '');", &RULE);
        lint_err("ALTER DOMAIN amount SET NOT NULL;", &RULE);
        // Another domain was created in this change, not this one.
        lint_err(
            "CREATE DOMAIN \"Amount\" AS int;\nALTER DOMAIN amount SET NOT NULL;",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_not_valid_and_other_domain_changes() {
        lint_ok(
            "ALTER DOMAIN amount ADD CONSTRAINT p CHECK (VALUE > 0) NOT VALID;",
            &RULE,
        );
        lint_ok("ALTER DOMAIN amount DROP NOT NULL;", &RULE);
        lint_ok("ALTER DOMAIN amount DROP CONSTRAINT p;", &RULE);
        lint_ok("ALTER DOMAIN amount RENAME TO money;", &RULE);
        lint_ok(
            "CREATE DOMAIN amount AS int;\nALTER DOMAIN amount ADD CHECK (VALUE > 0);",
            &RULE,
        );
        lint_ok(
            "CREATE DOMAIN \"Amount\" AS int;\nALTER DOMAIN \"Amount\" SET NOT NULL;",
            &RULE,
        );
    }
}
