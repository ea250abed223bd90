use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::compatibility::old_name_kept_by_view;
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... SET SCHEMA` on a table that already exists, unless a view gives
    /// the old qualified name back in the same transaction.
    ///
    /// ## Why is this bad?
    /// Moving a table to another schema changes its qualified name. The application
    /// version still running reaches it by the old name (or through its `search_path`), and
    /// every such query fails once the move commits. The move takes a brief ACCESS
    /// EXCLUSIVE lock and neither rewrites nor scans the table. This holds on every
    /// PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE labels SET SCHEMA billing;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE labels SET SCHEMA billing;
    /// CREATE VIEW public.labels AS SELECT * FROM billing.labels;
    /// COMMIT;
    /// ```
    /// The view keeps the old name readable and writable (a `SELECT *` view of one table
    /// is automatically updatable) and commits together with the move. Drop it in a later
    /// release, once no running code uses the old name.
    pub static RULE = Rule {
        id: "set-schema",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "moving a table to another schema breaks the application version still running",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return;
    };
    if ctx.is_new_table(name) {
        return;
    }
    for action in actions {
        let AlterAction::SetSchema { schema } = action else {
            continue;
        };
        let moved = ObjectName {
            schema: Some(schema.clone()),
            name: name.name.clone(),
        };
        if old_name_kept_by_view(ctx, statement, name, &moved) {
            continue;
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("moving `{name}` to schema `{schema}` breaks every running query that still reaches it as `{name}`"),
            )
            .lock(name, LockMode::AccessExclusive, TableEffect::None)
            .help(format!(
                "keep the old name working: in the same transaction, right after the move, run `CREATE VIEW {name} AS SELECT * FROM {moved};` (updatable), and drop the view once no release uses `{name}`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_moving_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE IF EXISTS labels SET SCHEMA billing;",
            &RULE
        ));
    }

    #[test]
    fn quiet_with_a_view_in_the_same_transaction_or_on_new_tables() {
        lint_ok(
            "BEGIN;\nALTER TABLE labels SET SCHEMA billing;\nCREATE VIEW labels AS SELECT * FROM billing.labels;\nCOMMIT;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE drafts (id bigint);\nALTER TABLE drafts SET SCHEMA billing;",
            &RULE,
        );
    }

    #[test]
    fn flags_a_view_over_the_wrong_table() {
        lint_err(
            "BEGIN;\nALTER TABLE labels SET SCHEMA billing;\nCREATE VIEW labels AS SELECT * FROM labels;\nCOMMIT;",
            &RULE,
        );
    }
}
