use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags PostgreSQL 19's `REPACK` without the `CONCURRENTLY` option, on an existing table
    /// or, with no table named, on many.
    ///
    /// ## Why is this bad?
    /// `REPACK` is the command that replaces `VACUUM FULL` and `CLUSTER`. Without
    /// `CONCURRENTLY` it works as they do: it writes a compacted (or index-ordered) copy of the
    /// table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock, so every read
    /// and write waits until the copy ends.
    ///
    /// ## Example
    /// ```sql
    /// REPACK users;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// REPACK (CONCURRENTLY) users;
    /// ```
    /// Run it in a migration of its own, outside a transaction block. It copies the table
    /// under SHARE UPDATE EXCLUSIVE while reads and writes go on, replays the changes made
    /// meanwhile through logical decoding, and takes ACCESS EXCLUSIVE only to swap the files
    /// at the end. It needs `wal_level` of `replica` or higher, a free slot of
    /// `max_repack_replication_slots`, and a primary key or replica identity index on the
    /// table; one runs at a time per server. Set a `lock_timeout` so the final swap does not
    /// queue readers behind a long transaction. Source: PostgreSQL 19 release notes and the
    /// REPACK reference page (no PostgreSQL 19 server is packaged for this project's tests
    /// yet; `tests/db_postgres_versions.rs` measures it when one is given).
    pub static RULE = Rule {
        id: "repack-non-concurrently",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL 19+",
        summary: "REPACK without CONCURRENTLY rewrites the table under ACCESS EXCLUSIVE",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::Repack {
        table,
        concurrently: false,
    } = &statement.kind
    else {
        return;
    };
    let finding = match table {
        Some(t) if ctx.is_new_table(t) => return,
        Some(t) => Finding::new(
            &RULE,
            statement.span,
            format!("REPACK rewrites `{t}` under ACCESS EXCLUSIVE, blocking reads and writes until it ends"),
        )
        .lock(t, LockMode::AccessExclusive, TableEffect::Rewrite)
        .help(online_repack(&t.to_string())),
        None => Finding::new(
            &RULE,
            statement.span,
            "REPACK without a table rewrites many tables, each under ACCESS EXCLUSIVE",
        )
        .help("repack the tables one by one with `REPACK (CONCURRENTLY) table`, each in a migration of its own outside a transaction"),
    };
    ctx.report(finding);
}

/// The advice for rewriting `table` online on PostgreSQL 19+, shared by the rules about
/// the statements REPACK replaces.
pub(crate) fn online_repack(table: &str) -> String {
    format!(
        "use `REPACK (CONCURRENTLY) {table}` in a migration of its own outside a transaction: it copies the table while reads and writes go on and takes ACCESS EXCLUSIVE only to swap the files at the end; it needs wal_level = replica or higher, a free max_repack_replication_slots slot and a primary key or replica identity index, and one runs at a time per server"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err_at, lint_ok_at};

    #[test]
    fn flags_repack_without_concurrently() {
        insta::assert_snapshot!(lint_err_at("19", "REPACK users;", &RULE));
        lint_err_at(
            "19",
            "REPACK (VERBOSE, ANALYZE) users USING INDEX users_pkey;",
            &RULE,
        );
        lint_err_at("19", "REPACK (CONCURRENTLY false) users;", &RULE);
        lint_err_at("19", "REPACK;", &RULE);
        lint_err_at("19", "REPACK USING INDEX;", &RULE);
    }

    #[test]
    fn quiet_on_concurrently_and_new_tables() {
        lint_ok_at("19", "REPACK (CONCURRENTLY) users;", &RULE);
        lint_ok_at(
            "19",
            "REPACK (CONCURRENTLY, VERBOSE) public.users USING INDEX users_pkey;",
            &RULE,
        );
        lint_ok_at(
            "19",
            "CREATE TABLE users (id int PRIMARY KEY);\nREPACK users;",
            &RULE,
        );
    }
}
