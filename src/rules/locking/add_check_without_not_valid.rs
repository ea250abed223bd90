use super::{alter_of_existing_table, column_constraint_name, constraint_name};
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ConstraintKind, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ADD CONSTRAINT ... CHECK` without `NOT VALID` on an existing table, and
    /// `ADD COLUMN ... CHECK (...)` (the inline form, which cannot be NOT VALID).
    ///
    /// ## Why is this bad?
    /// PostgreSQL checks every existing row while it holds an ACCESS EXCLUSIVE lock: reads
    /// and writes wait for the whole scan. With `NOT VALID` the constraint is added without
    /// the scan and enforced for new rows; `VALIDATE CONSTRAINT` later checks the old rows
    /// under a SHARE UPDATE EXCLUSIVE lock, which blocks neither reads nor writes. This holds
    /// on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE products ADD CONSTRAINT products_price_check CHECK (price >= 0);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE products ADD CONSTRAINT products_price_check CHECK (price >= 0) NOT VALID;
    /// ALTER TABLE products VALIDATE CONSTRAINT products_price_check;
    /// ```
    /// Run the VALIDATE in its own transaction (or a later migration), so the brief lock of
    /// the add is released before the scan starts.
    pub static RULE = Rule {
        id: "add-check-without-not-valid",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "ADD CHECK without NOT VALID scans the table under ACCESS EXCLUSIVE",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let (name, expr, add_column) = match action {
            AlterAction::AddConstraint(c) if c.checks_existing_rows() => {
                let ConstraintKind::Check { expr } = &c.kind else {
                    continue;
                };
                (constraint_name(c, table, None, "check"), expr, None)
            }
            AlterAction::AddColumn { column, .. } => {
                let Some(expr) = &column.check else {
                    continue;
                };
                let mut definition = format!("{} {}", column.name, column.data_type.text);
                if column.not_null {
                    definition.push_str(" NOT NULL");
                }
                if let Some(default) = &column.default {
                    definition.push_str(&format!(" DEFAULT {}", default.text));
                }
                (
                    column_constraint_name(table, &column.name, "check"),
                    expr,
                    Some(definition),
                )
            }
            _ => continue,
        };
        let expr = parenthesised(expr);
        let mut steps = Vec::new();
        if let Some(definition) = add_column {
            steps.push(format!("`ALTER TABLE {table} ADD COLUMN {definition};`"));
        }
        steps.push(format!(
            "`ALTER TABLE {table} ADD CONSTRAINT {name} CHECK {expr} NOT VALID;`"
        ));
        steps.push(format!(
            "in a separate transaction, `ALTER TABLE {table} VALIDATE CONSTRAINT {name};`"
        ));
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("adding CHECK `{name}` on `{table}` reads every row under ACCESS EXCLUSIVE, blocking reads and writes"),
            )
            .lock(table, LockMode::AccessExclusive, TableEffect::Scan)
            .help(steps.join(", then ")),
        );
    }
}

/// The expression in parentheses, as CHECK requires (`(price >= 0)`).
fn parenthesised(expr: &str) -> String {
    let trimmed = expr.trim();
    if trimmed.starts_with('(') && trimmed.ends_with(')') {
        trimmed.to_string()
    } else {
        format!("({trimmed})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_a_validating_check() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE products ADD CONSTRAINT products_price_check CHECK (price >= 0);",
            &RULE
        ));
    }

    #[test]
    fn flags_the_inline_form() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ADD COLUMN points int DEFAULT 1 CHECK (points > 0);",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_not_valid_and_new_tables() {
        lint_ok(
            "ALTER TABLE products ADD CONSTRAINT products_price_check CHECK (price >= 0) NOT VALID;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE products (id int, price int);\nALTER TABLE products ADD CONSTRAINT p CHECK (price >= 0);",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE \"Products\" (id int);\nALTER TABLE public.\"Products\" ADD COLUMN n int CHECK (n > 0);",
            &RULE,
        );
    }
}
