use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::locks::statement_locks;
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... ALTER COLUMN ... SET EXPRESSION` (PostgreSQL 17+) on a stored
    /// generated column of an existing table.
    ///
    /// ## Why is this bad?
    /// PostgreSQL computes the new expression for every row and writes the whole table
    /// again, holding ACCESS EXCLUSIVE: reads and writes wait until it ends. A virtual
    /// generated column (PostgreSQL 18, the default there when `STORED` is not written)
    /// changes its expression without touching a row. Measured on PostgreSQL 17 and 18.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE products ADD COLUMN price_cents numeric GENERATED ALWAYS AS (price * 100) STORED;
    /// ALTER TABLE products ALTER COLUMN price_cents SET EXPRESSION AS (round(price * 100));
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE products ADD COLUMN price_cents_rounded numeric;
    /// ```
    /// Add a plain column beside the generated one, fill it in batches and keep it current
    /// with a trigger, move the application to it, and drop the old column in a later
    /// release. On PostgreSQL 18, a virtual generated column avoids the rewrite.
    pub static RULE = Rule {
        id: "set-generated-expression",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL 17+",
        summary: "SET EXPRESSION rewrites a stored generated column's table under ACCESS EXCLUSIVE",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    let Some(AlterAction::SetExpression { column }) = actions
        .iter()
        .find(|a| matches!(a, AlterAction::SetExpression { .. }))
    else {
        return;
    };
    // The lock model knows whether the column is stored or virtual.
    let rewrites = statement_locks(statement, ctx.catalog, &ctx.target)
        .iter()
        .any(|l| l.effect == TableEffect::Rewrite);
    if !rewrites {
        return;
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("SET EXPRESSION computes `{column}` again for every row of `{table}`, rewriting it under ACCESS EXCLUSIVE"),
        )
        .lock(table, LockMode::AccessExclusive, TableEffect::Rewrite)
        .help(format!("add a plain column beside `{column}`, fill it in batches and keep it current with a trigger, then move the application to it; on PostgreSQL 18 a VIRTUAL generated column changes its expression without a rewrite")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err_at, lint_ok_at};

    #[test]
    fn flags_a_new_expression_for_a_stored_column() {
        insta::assert_snapshot!(lint_err_at(
            "18",
            "ALTER TABLE products ALTER COLUMN price_cents SET EXPRESSION AS (round(price * 100));",
            &RULE
        ));
        lint_err_at(
            "17",
            "ALTER TABLE products ADD COLUMN c numeric GENERATED ALWAYS AS (price) STORED;\nALTER TABLE products ALTER COLUMN c SET EXPRESSION AS (price + 1);",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_virtual_columns_and_new_tables() {
        for sql in [
            "ALTER TABLE products ADD COLUMN c numeric GENERATED ALWAYS AS (price) VIRTUAL;\nALTER TABLE products ALTER COLUMN c SET EXPRESSION AS (price + 1);",
            "ALTER TABLE products ADD COLUMN c numeric GENERATED ALWAYS AS (price);\nALTER TABLE products ALTER COLUMN c SET EXPRESSION AS (price + 1);",
            "CREATE TABLE p (a int, b int GENERATED ALWAYS AS (a) STORED);\nALTER TABLE p ALTER COLUMN b SET EXPRESSION AS (a + 1);",
        ] {
            lint_ok_at("18", sql, &RULE);
        }
    }
}
