use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Ident, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER SCHEMA ... RENAME TO`.
    ///
    /// ## Why is this bad?
    /// Every table, view, function and type in the schema changes its qualified name at
    /// once. The application version still running, and any `search_path` that names the
    /// schema, stop finding them the moment the rename commits. The rename locks no table
    /// and rewrites nothing; the outage is in the application. This holds on every
    /// PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER SCHEMA billing RENAME TO finance;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE SCHEMA finance;
    /// BEGIN;
    /// ALTER TABLE billing.invoices SET SCHEMA finance;
    /// CREATE VIEW billing.invoices AS SELECT * FROM finance.invoices;
    /// COMMIT;
    /// ```
    /// Expand and contract: create the new schema, move the tables one at a time, each with
    /// an updatable view under its old name in the same transaction, switch the
    /// application to the new names, then drop the views and the old schema in a later
    /// release.
    pub static RULE = Rule {
        id: "rename-schema",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "renaming a schema breaks the application version still running",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterSchemaRename { from, to } = &statement.kind else {
        return;
    };
    if ctx.is_rollback() {
        return; // Undoing the rename of the migration this file rolls back.
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("renaming schema `{from}` to `{to}` breaks every running query that names an object in `{from}`"),
        )
.help(help(ctx, from, to)),
    );
}

/// The expand-and-contract steps, with the statements for the tables the replay knows in
/// `from` (or in words when it knows none: no placeholder is printed as SQL).
fn help(ctx: &Ctx, from: &Ident, to: &Ident) -> String {
    let tables = ctx.catalog.tables_in_schema(from);
    let moves: Vec<String> = tables
        .iter()
        .map(|t| {
            let name = &t.name.name;
            format!("`ALTER TABLE {from}.{name} SET SCHEMA {to};` plus `CREATE VIEW {from}.{name} AS SELECT * FROM {to}.{name};`")
        })
        .collect();
    let move_tables = if moves.is_empty() {
        format!("move each of its tables with ALTER TABLE ... SET SCHEMA {to}, leaving an updatable view under its old name in `{from}`,")
    } else {
        format!("move its tables, {},", moves.join(", "))
    };
    format!(
        "expand and contract: `CREATE SCHEMA {to};`, {move_tables} in one transaction, switch the application to `{to}`, then drop the views and `{from}` in a later release"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn the_advice_names_the_tables_the_replay_knows() {
        let found = lint_err(
            "CREATE TABLE billing.invoices (id int);\nCOMMIT;\nALTER SCHEMA billing RENAME TO finance;",
            &RULE,
        );
        assert!(
            found.contains("`ALTER TABLE billing.invoices SET SCHEMA finance;` plus `CREATE VIEW billing.invoices AS SELECT * FROM finance.invoices;`"),
            "{found}"
        );
        assert!(!found.contains('<'), "{found}");
    }

    #[test]
    fn flags_renaming_a_schema() {
        insta::assert_snapshot!(lint_err("ALTER SCHEMA billing RENAME TO finance;", &RULE));
    }

    #[test]
    fn quiet_on_other_schema_changes() {
        lint_ok("ALTER SCHEMA billing OWNER TO app;", &RULE);
    }
}
