use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags the first schema change of a file (DDL, `VACUUM`, `LOCK TABLE`, `COMMENT ON`) while no
    /// `statement_timeout` is set in the session. `SET statement_timeout = 0` means no
    /// timeout. Reported once per file. Off by default: turn it on with
    /// `missing-statement-timeout = "warning"` under `[rules]`.
    ///
    /// ## Why is this bad?
    /// `lock_timeout` bounds only the wait for a lock. Once the lock is granted, a statement
    /// that turns out slower than expected (a rewrite, a scan, an index build on a table
    /// larger than in staging) keeps holding it until it finishes, and the table stays
    /// blocked for as long. A `statement_timeout` caps that too, so the migration fails and
    /// releases its locks instead. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE labels ADD COLUMN colour text;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// SET statement_timeout = '30s';
    /// ALTER TABLE labels ADD COLUMN colour text;
    /// ```
    /// Give statements that legitimately run long (`CREATE INDEX CONCURRENTLY`, a
    /// validation) a larger timeout of their own just before them.
    pub static RULE = Rule {
        id: "missing-statement-timeout",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: false,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "a schema change runs with no statement_timeout set (off by default)",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    if ctx.session.statement_timeout_set {
        return;
    }
    let schema_change = match &statement.kind {
        StatementKind::Other { keyword } => ["CREATE", "ALTER", "DROP", "COMMENT"]
            .iter()
            .any(|word| keyword.starts_with(word)),
        kind => kind.is_schema_change(),
    };
    if !schema_change {
        return;
    }
    ctx.report_once_per_file(
        Finding::new(
            &RULE,
            statement.span,
            "this schema change runs with no statement_timeout: once it holds its locks, nothing bounds how long it keeps them",
        )
        .help("set a statement_timeout at the top of the file (`SET statement_timeout = '30s';`) next to the lock_timeout"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_the_first_schema_change_without_a_statement_timeout() {
        insta::assert_snapshot!(lint_err(
            "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN a int;\nCOMMENT ON COLUMN t.a IS 'x';",
            &RULE
        ));
        lint_err("CREATE TYPE mood AS ENUM ('sad', 'happy');", &RULE);
        lint_err("SET statement_timeout = 0;\nVACUUM t;", &RULE);
    }

    #[test]
    fn quiet_with_a_statement_timeout_or_without_schema_changes() {
        lint_ok(
            "SET statement_timeout = '5s';\nALTER TABLE t ADD COLUMN a int;",
            &RULE,
        );
        lint_ok("SELECT 1;", &RULE);
    }
}
