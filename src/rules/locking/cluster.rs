use super::repack_non_concurrently::online_repack;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `CLUSTER` on an existing table, and `CLUSTER` without a table (every table
    /// clustered before).
    ///
    /// ## Why is this bad?
    /// `CLUSTER` writes a copy of the table in index order and rebuilds its indexes while it
    /// holds an ACCESS EXCLUSIVE lock: reads and writes wait until the copy ends. This holds
    /// on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// CLUSTER users USING users_pkey;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- outside the migration, online: pg_repack --table=users --order-by=id
    /// ```
    /// `pg_repack` reorders the table while reads and writes continue, taking an ACCESS
    /// EXCLUSIVE lock only for a moment at the start and the end. Before PostgreSQL 19 there
    /// is no online SQL form; on 19, `REPACK (CONCURRENTLY) users USING INDEX users_pkey` in
    /// a migration of its own is one (see `repack-non-concurrently` for what it needs).
    pub static RULE = Rule {
        id: "cluster-table",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "CLUSTER rewrites the table under ACCESS EXCLUSIVE",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::Cluster { table } = &statement.kind else {
        return;
    };
    let finding = match table {
        Some(t) if ctx.is_new_table(t) => return,
        Some(t) => Finding::new(
            &RULE,
            statement.span,
            format!("CLUSTER rewrites `{t}` in index order under ACCESS EXCLUSIVE, blocking reads and writes until it ends"),
        )
        .lock(t, LockMode::AccessExclusive, TableEffect::Rewrite)
        .help(if ctx.target.at_least(19, 0, 0) {
            format!("{}; add `USING INDEX index` to keep the index order", online_repack(&t.to_string()))
        } else {
            format!("reorder `{t}` online with pg_repack (`--table={t}`) outside the migration, or run CLUSTER in a maintenance window")
        }),
        None => Finding::new(
            &RULE,
            statement.span,
            "CLUSTER without a table rewrites every table clustered before, each under ACCESS EXCLUSIVE",
        )
        .help("reorder the tables online with pg_repack outside the migration, or run CLUSTER in a maintenance window"),
    };
    ctx.report(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_at, lint_ok};

    #[test]
    fn flags_cluster() {
        insta::assert_snapshot!(lint_err("CLUSTER users USING users_pkey;", &RULE));
        lint_err("CLUSTER;", &RULE);
    }

    #[test]
    fn advises_repack_concurrently_from_19() {
        insta::assert_snapshot!(lint_err_at("19", "CLUSTER users USING users_pkey;", &RULE));
    }

    #[test]
    fn quiet_on_new_tables() {
        lint_ok(
            "CREATE TABLE users (id int PRIMARY KEY);\nCLUSTER users USING users_pkey;",
            &RULE,
        );
    }
}
