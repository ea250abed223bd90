use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::session::Transaction;
use crate::statement::{AlterTypeAction, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags enum changes that break the deploy or the running application:
    /// `ALTER TYPE ... RENAME VALUE` on every version, and `ALTER TYPE ... ADD VALUE`
    /// inside a transaction (explicit or the framework's) when the target is PostgreSQL 11
    /// or older.
    ///
    /// ## Why is this bad?
    /// Renaming a value changes the data: every row holding it now reads the new label,
    /// and the application version still running fails on the old label in its queries
    /// and its code. PostgreSQL cannot remove a value at all; the workaround (a new type
    /// and `ALTER COLUMN ... TYPE`) rewrites the table and is flagged by the type-change
    /// rule. Adding a value is safe on PostgreSQL 12+, where it may run in a transaction
    /// (the new value just cannot be used before the transaction commits); PostgreSQL 11
    /// and older refuse `ADD VALUE` inside a transaction block, so the migration fails.
    /// Neither form locks a table or touches its rows.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TYPE order_status RENAME VALUE 'new' TO 'created';
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TYPE order_status ADD VALUE 'created';
    /// ```
    /// Add the new value, release code that reads both and writes the new one, backfill
    /// the rows in batches (`UPDATE orders SET state = 'created' WHERE state = 'new' AND id
    /// BETWEEN ...`), and leave the old value unused. Before PostgreSQL 12, put `ADD VALUE`
    /// in a migration that runs without a transaction.
    pub static RULE = Rule {
        id: "alter-enum-value",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "RENAME VALUE: PostgreSQL 10+; ADD VALUE in a transaction: PostgreSQL 11 and older",
        summary: "renaming an enum value breaks readers; adding one in a transaction fails before PostgreSQL 12",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterType { name, action } = &statement.kind else {
        return;
    };
    match action {
        AlterTypeAction::RenameValue if !ctx.is_rollback() => ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("renaming a value of enum `{name}` relabels every row holding it and breaks running code that uses the old label"),
            )
            .help(format!(
                "add the new label with `ALTER TYPE {name} ADD VALUE` and its text, release code that accepts both, backfill the rows in batches, and stop using the old label"
            )),
        ),
        AlterTypeAction::AddValue if !ctx.target.at_least(12, 0, 0) => {
            let whose = match ctx.session.transaction {
                Transaction::None => return,
                Transaction::Explicit => "the transaction this file opens with BEGIN",
                Transaction::Implicit => {
                    "the transaction the migration framework wraps around this file"
                }
            };
            ctx.report(
                Finding::new(
                    &RULE,
                    statement.span,
                    format!("ALTER TYPE {name} ADD VALUE cannot run inside {whose} on PostgreSQL {}: the server refuses it", ctx.target.version),
                )
                .help("move it to a migration of its own that runs outside a transaction (the framework's no-transaction marker), or target PostgreSQL 12+"),
            );
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{RuleLevels, Settings};
    use crate::dialect::{Dialect, Version};
    use crate::engine::lint_source;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    fn lint_on(version: u32, sql: &str) -> Vec<String> {
        let mut settings = Settings::new(Dialect::Postgres);
        settings.target.version = Version::new(version, 0, 0);
        settings.rules = RuleLevels::only(&RULE);
        lint_source(sql, &settings)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn flags_renaming_a_value() {
        insta::assert_snapshot!(lint_err(
            "ALTER TYPE order_status RENAME VALUE 'new' TO 'created';",
            &RULE
        ));
    }

    #[test]
    fn add_value_in_a_transaction_fails_only_before_12() {
        let sql = "BEGIN;\nALTER TYPE order_status ADD VALUE 'cancelled';\nCOMMIT;";
        insta::assert_snapshot!(lint_on(11, sql).join("\n"));
        assert!(lint_on(12, sql).is_empty());
        assert!(lint_on(11, "ALTER TYPE order_status ADD VALUE 'cancelled';").is_empty());
        lint_ok(sql, &RULE);
    }

    #[test]
    fn quiet_on_other_type_changes() {
        lint_ok("ALTER TYPE order_status OWNER TO app;", &RULE);
    }

    #[test]
    fn quiet_when_a_rollback_renames_the_value_back() {
        let found = lint_folder(
            &[
                (
                    "20240101000000_rename.sql",
                    "-- migrate:up\nALTER TYPE order_status RENAME VALUE 'new' TO 'created';\n-- migrate:down\nALTER TYPE order_status RENAME VALUE 'created' TO 'new';\n",
                ),
            ],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.message.contains("relabels"));
    }
}
