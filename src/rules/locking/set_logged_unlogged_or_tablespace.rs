use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... SET LOGGED`, `SET UNLOGGED` and `SET TABLESPACE` on an existing
    /// table.
    ///
    /// ## Why is this bad?
    /// Each writes a complete new copy of the table (and, for a tablespace move, its files)
    /// while it holds an ACCESS EXCLUSIVE lock: reads and writes wait until the copy ends.
    /// This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users SET UNLOGGED;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE UNLOGGED TABLE users_unlogged (LIKE users INCLUDING ALL);
    /// ```
    /// Create the new table with the persistence or tablespace you want, copy the rows in
    /// batches while writes go to both tables, then swap the names in a short transaction.
    /// Or run the change in a maintenance window.
    pub static RULE = Rule {
        id: "set-logged-unlogged-or-tablespace",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "SET LOGGED, SET UNLOGGED and SET TABLESPACE copy the table under ACCESS EXCLUSIVE",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let what = match action {
            AlterAction::SetLogged => "SET LOGGED",
            AlterAction::SetUnlogged => "SET UNLOGGED",
            AlterAction::SetTablespace => "SET TABLESPACE",
            _ => continue,
        };
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("{what} copies every row of `{table}` under ACCESS EXCLUSIVE, blocking reads and writes until it ends"),
            )
            .lock(table, LockMode::AccessExclusive, TableEffect::Rewrite)
            .help(format!("build a copy of `{table}` with the wanted storage, move the rows in batches while writing to both, then swap the names in a short transaction; or run it in a maintenance window")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_storage_changes() {
        insta::assert_snapshot!(lint_err("ALTER TABLE users SET UNLOGGED;", &RULE));
        lint_err("ALTER TABLE users SET LOGGED;", &RULE);
        lint_err("ALTER TABLE users SET TABLESPACE fast_ssd;", &RULE);
    }

    #[test]
    fn quiet_on_new_tables() {
        lint_ok(
            "CREATE TABLE users (id int);\nALTER TABLE users SET UNLOGGED;\nALTER TABLE public.users SET TABLESPACE fast_ssd;",
            &RULE,
        );
    }
}
