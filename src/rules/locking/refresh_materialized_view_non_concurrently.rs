use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY`.
    ///
    /// ## Why is this bad?
    /// The plain refresh replaces the view's contents with a new copy while it holds an
    /// ACCESS EXCLUSIVE lock on the view: every query that reads the view waits until the
    /// whole defining query has run again. The tables the view reads are only read. This
    /// holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// REFRESH MATERIALIZED VIEW order_totals;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;
    /// ```
    /// `CONCURRENTLY` takes an EXCLUSIVE lock, which lets reads of the view continue. It
    /// needs a unique index on the view (without a WHERE clause) and a populated view.
    pub static RULE = Rule {
        id: "refresh-materialized-view-non-concurrently",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::RefreshMaterializedView {
        name,
        concurrently: false,
    } = &statement.kind
    else {
        return;
    };
    // A view this change set created has no readers yet to block.
    if ctx.is_new_table(name) {
        return;
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("refreshing `{name}` without CONCURRENTLY blocks every read of it until the refresh ends"),
        )
        .lock(name, LockMode::AccessExclusive, TableEffect::Rewrite)
        .help(format!("`REFRESH MATERIALIZED VIEW CONCURRENTLY {name};` keeps it readable (it needs a unique index on the view)")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_a_plain_refresh() {
        insta::assert_snapshot!(lint_err(
            "REFRESH MATERIALIZED VIEW reporting.order_totals;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_a_view_created_in_this_change_set() {
        lint_ok(
            "CREATE MATERIALIZED VIEW order_totals AS SELECT 1 AS n WITH NO DATA;\nREFRESH MATERIALIZED VIEW order_totals;",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_a_concurrent_refresh() {
        lint_ok(
            "REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;",
            &RULE,
        );
    }
}
