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
    /// run `pg_repack` outside the migration.
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
    let mut finding = Finding::new(
        &RULE,
        statement.span,
        format!("VACUUM FULL rewrites {what} under ACCESS EXCLUSIVE, blocking reads and writes until it ends"),
    )
    .help(format!("use a plain `{safe}`, which blocks neither reads nor writes; to return space to the operating system online, run pg_repack outside the migration"));
    for table in existing {
        finding = finding.lock(table, LockMode::AccessExclusive, TableEffect::Rewrite);
    }
    ctx.report(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_vacuum_full() {
        insta::assert_snapshot!(lint_err("VACUUM FULL users, orders;", &RULE));
        lint_err("VACUUM (FULL, ANALYZE) users;", &RULE);
        lint_err("VACUUM FULL;", &RULE);
    }

    #[test]
    fn quiet_on_plain_vacuum_and_new_tables() {
        lint_ok("VACUUM ANALYZE users;", &RULE);
        lint_ok("VACUUM (FULL false) users;", &RULE);
        lint_ok("CREATE TABLE users (id int);\nVACUUM FULL users;", &RULE);
    }
}
