use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::{AlterAction, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `RENAME TABLE a TO b` and `ALTER TABLE a RENAME TO b` on a MySQL table that
    /// existed before this change set.
    ///
    /// ## Why is this bad?
    /// The rename itself is instant (a brief exclusive metadata lock), but the application
    /// version still running queries the old name and fails on every statement until it is
    /// replaced. Views, triggers and stored routines naming the table break too. This holds
    /// on every MySQL and MariaDB version.
    ///
    /// ## Example
    /// ```sql
    /// RENAME TABLE customers TO clients;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore mysql-rename-table -- no release reads customers since v42
    /// RENAME TABLE customers TO clients;
    /// ```
    /// Expand and contract: create the new table, keep both in sync (triggers or dual
    /// writes) and backfill, move the application to the new name, then drop the old table
    /// in a later release. For a pure rename with short downtime acceptable, ship the
    /// application change first with a fallback to both names.
    ///
    /// `RENAME TABLE t TO t_old, t_new TO t` is not a rename of `t`: the statement runs its
    /// pairs as one atomic step, so `t` never goes missing and queries on it go on against
    /// the table built beside it. That swap gets a note (the new table must fit the running
    /// release, and writes after its backfill must reach it), not this error.
    pub static RULE = Rule {
        id: "mysql-rename-table",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "all versions",
        summary: "renaming a table breaks the application version still running",
        lock: Some(LockClaim { mode: LockMode::MysqlExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let pairs: Vec<(ObjectName, ObjectName)> = match &statement.kind {
        StatementKind::RenameTables { pairs } => pairs.clone(),
        StatementKind::AlterTable { name, actions, .. } => actions
            .iter()
            .filter_map(|a| match a {
                AlterAction::RenameTable { to } => Some((name.clone(), to.clone())),
                _ => None,
            })
            .collect(),
        _ => return,
    };
    let catalog = ctx.catalog;
    let same = |a: &ObjectName, b: &ObjectName| catalog.key(a) == catalog.key(b);
    for (i, (from, to)) in pairs.iter().enumerate() {
        // RENAME TABLE runs its pairs in order as one atomic step: a name one pair frees and
        // a later pair takes is never missing, so queries on it go on (the swap idiom).
        let swapped_in = pairs[i + 1..]
            .iter()
            .find(|(_, taken)| same(taken, from))
            .map(|(incoming, _)| incoming.clone());
        if pairs[..i].iter().any(|(freed, _)| same(freed, to)) {
            // The incoming half of a swap: the note on the pair that freed the name covers it.
            continue;
        }
        if let Some(incoming) = swapped_in {
            if ctx.is_new_table(from) {
                continue;
            }
            ctx.report(
                Finding::new(
                    &RULE,
                    statement.span,
                    format!("swaps `{incoming}` in under the name `{from}` (the old table becomes `{to}`) in one atomic step: queries on `{from}` go on, against the new table"),
                )
                .severity(Severity::Note)
                .lock(from, LockMode::MysqlExclusive, TableEffect::None)
                .help(format!("check that `{incoming}` has every column the running release reads and writes on `{from}`, and that rows written to `{from}` after `{incoming}` was filled reach it (triggers, or writes stopped); otherwise they stay behind in `{to}`")),
            );
            continue;
        }
        if ctx.is_new_table(from) {
            continue;
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("renaming `{from}` to `{to}` breaks every running query that still uses `{from}`"),
            )
            .lock(from, LockMode::MysqlExclusive, TableEffect::None)
            .help(format!("create `{to}` beside `{from}`, sync and backfill it, move the application to `{to}`, and drop `{from}` in a later release")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_ok_in};

    #[test]
    fn flags_both_rename_forms() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "RENAME TABLE customers TO clients, orders TO purchases;\nALTER TABLE items RENAME TO products;",
            &RULE
        ));
    }

    #[test]
    fn an_atomic_swap_is_a_note_not_a_breaking_rename() {
        // `orders_new` was built beside `orders` by an earlier release.
        let swap = lint_err_in(
            Mysql,
            "RENAME TABLE orders TO orders_old, orders_new TO orders;",
            &RULE,
        );
        assert!(swap.contains("note"), "{swap}");
        assert!(!swap.contains("breaks"), "{swap}");
        insta::assert_snapshot!(swap);
    }

    #[test]
    fn a_swap_beside_a_plain_rename_still_flags_the_rename() {
        let found = lint_err_in(
            Mysql,
            "RENAME TABLE orders TO orders_old, orders_new TO orders, items TO products;",
            &RULE,
        );
        assert_eq!(found.matches("breaks").count(), 1, "{found}");
        assert!(found.contains("renaming `items` to `products`"), "{found}");
    }

    #[test]
    fn quiet_on_tables_of_this_change_set() {
        lint_ok_in(
            Mysql,
            "CREATE TABLE t (a INT);\nRENAME TABLE t TO u;",
            &RULE,
        );
    }
}
