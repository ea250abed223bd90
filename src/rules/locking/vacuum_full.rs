use super::repack_non_concurrently::online_repack;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `VACUUM FULL` (and `VACUUM (FULL)`) in a migration, on existing tables or, with
    /// no table named, on the whole database.
    ///
    /// ## Why is this bad?
    /// `VACUUM FULL` writes a compacted copy of each table and rebuilds its indexes while it
    /// holds an ACCESS EXCLUSIVE lock: reads and writes wait until the copy ends. This holds
    /// on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// VACUUM FULL users;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// VACUUM (ANALYZE) users;
    /// ```
    /// A plain `VACUUM` makes dead space reusable under a SHARE UPDATE EXCLUSIVE lock, which
    /// blocks neither reads nor writes. To give space back to the operating system online,
    /// run `pg_repack` outside the migration, or on PostgreSQL 19 `REPACK (CONCURRENTLY)
    /// users` in a migration of its own (see `repack-non-concurrently` for what it needs).
    pub static RULE = Rule {
        id: "vacuum-full",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::Vacuum { full: true, tables } = &statement.kind else {
        return;
    };
    let existing: Vec<_> = tables.iter().filter(|t| !ctx.is_new_table(t)).collect();
    if !tables.is_empty() && existing.is_empty() {
        return;
    }
    let (what, safe) = if existing.is_empty() {
        (
            "every table of the database".to_string(),
            "VACUUM (ANALYZE);".to_string(),
        )
    } else {
        let names: Vec<String> = existing.iter().map(|t| t.to_string()).collect();
        (
            format!("`{}`", names.join("`, `")),
            format!("VACUUM (ANALYZE) {};", names.join(", ")),
        )
    };
    let online = match existing.as_slice() {
        [one] if ctx.target.at_least(19, 0, 0) => format!(
            "to give space back to the operating system online, {}",
            online_repack(&one.to_string())
        ),
        _ if ctx.target.at_least(19, 0, 0) => {
            "on PostgreSQL 19, give space back online with `REPACK (CONCURRENTLY) table`, one table per migration".to_string()
        }
        _ => "to return space to the operating system online, run pg_repack outside the migration".to_string(),
    };
    let mut finding = Finding::new(
        &RULE,
        statement.span,
        format!("VACUUM FULL rewrites {what} under ACCESS EXCLUSIVE, blocking reads and writes until it ends"),
    )
    .help(format!("use a plain `{safe}`, which blocks neither reads nor writes; {online}"));
    for table in existing {
        finding = finding.lock(table, LockMode::AccessExclusive, TableEffect::Rewrite);
    }
    ctx.report(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_at, lint_ok};

    #[test]
    fn flags_vacuum_full() {
        insta::assert_snapshot!(lint_err("VACUUM FULL users, orders;", &RULE));
        lint_err("VACUUM (FULL, ANALYZE) users;", &RULE);
        lint_err("VACUUM FULL;", &RULE);
    }

    #[test]
    fn advises_repack_concurrently_from_19() {
        insta::assert_snapshot!(lint_err_at("19", "VACUUM FULL users;", &RULE));
        assert!(!lint_err_at("18", "VACUUM FULL users;", &RULE).contains("REPACK"));
    }

    #[test]
    fn quiet_on_plain_vacuum_and_new_tables() {
        lint_ok("VACUUM ANALYZE users;", &RULE);
        lint_ok("VACUUM (FULL false) users;", &RULE);
        lint_ok("CREATE TABLE users (id int);\nVACUUM FULL users;", &RULE);
    }
}
