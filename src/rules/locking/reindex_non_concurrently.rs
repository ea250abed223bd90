use super::shown_tables;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{ReindexScope, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `REINDEX` without `CONCURRENTLY` on an index or table that already exists, and
    /// on a whole schema, database or system catalogue.
    ///
    /// ## Why is this bad?
    /// A plain `REINDEX` holds a SHARE lock on the table while it reads every row to build the
    /// new index: writes wait for the whole build. The index itself is locked ACCESS
    /// EXCLUSIVE, so queries whose plans would consider it wait too. The table's own files are
    /// not rewritten. `REINDEX CONCURRENTLY` exists from PostgreSQL 12.
    ///
    /// ## Example
    /// ```sql
    /// REINDEX INDEX users_email_idx;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// REINDEX INDEX CONCURRENTLY users_email_idx;
    /// ```
    /// `CONCURRENTLY` takes a SHARE UPDATE EXCLUSIVE lock and lets reads and writes continue.
    /// It cannot run inside a transaction. Before PostgreSQL 12, build a replacement with
    /// `CREATE INDEX CONCURRENTLY`, drop the old one with `DROP INDEX CONCURRENTLY` and rename.
    pub static RULE = Rule {
        id: "reindex-non-concurrently",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions; CONCURRENTLY from 12",
        summary: "REINDEX without CONCURRENTLY blocks writes to the table and reads through the index",
        lock: Some(LockClaim { mode: LockMode::Share, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::Reindex {
        concurrently: false,
        scope,
        target: Some(target),
    } = &statement.kind
    else {
        return;
    };
    let locks = ctx.locks(statement);
    if locks.iter().any(|l| ctx.locks_new_table(l)) {
        return;
    }
    let (what, keyword) = match scope {
        ReindexScope::Index => (format!("index `{target}`"), "INDEX"),
        ReindexScope::Table => (format!("the indexes of `{target}`"), "TABLE"),
        ReindexScope::Many => (format!("every table in `{target}`"), "SCHEMA"),
    };
    let locked = if locks.is_empty() {
        "each table".to_string()
    } else {
        shown_tables(&locks)
    };
    let help = if ctx.target.at_least(12, 0, 0) && *scope != ReindexScope::Many {
        format!("rebuild without blocking, outside a transaction: `REINDEX {keyword} CONCURRENTLY {target};`")
    } else if *scope == ReindexScope::Many {
        "reindex the tables that need it one at a time with `REINDEX TABLE CONCURRENTLY` (PostgreSQL 12+), outside a transaction".to_string()
    } else {
        "before PostgreSQL 12: build a replacement with CREATE INDEX CONCURRENTLY, drop the old index with DROP INDEX CONCURRENTLY, then rename the new one".to_string()
    };
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("rebuilding {what} without CONCURRENTLY blocks writes to {locked} (SHARE) and queries planned on the index until it finishes"),
        )
        .locks(locks)
        .help(help),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_at, lint_ok};

    #[test]
    fn flags_plain_reindex() {
        insta::assert_snapshot!(lint_err("REINDEX TABLE users;", &RULE));
        lint_err("REINDEX INDEX users_email_idx;", &RULE);
        lint_err("REINDEX DATABASE app;", &RULE);
        insta::assert_snapshot!(lint_err_at("11", "REINDEX INDEX users_email_idx;", &RULE));
    }

    #[test]
    fn quiet_on_concurrent_reindex_and_new_tables() {
        lint_ok("REINDEX INDEX CONCURRENTLY users_email_idx;", &RULE);
        lint_ok("REINDEX (CONCURRENTLY) TABLE users;", &RULE);
        lint_ok(
            "CREATE TABLE users (id int);\nCREATE INDEX users_id_idx ON users (id);\nREINDEX INDEX users_id_idx;\nREINDEX TABLE public.users;",
            &RULE,
        );
    }
}
