use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... ADD COLUMN` of a domain type that carries a `CHECK` or `NOT
    /// NULL` constraint, on an existing table, for PostgreSQL before 19. The replayed
    /// migrations tell which domains have constraints.
    ///
    /// ## Why is this bad?
    /// Before PostgreSQL 19, a new column of a constrained domain cannot use the fast
    /// path that stores a default in the catalogue: PostgreSQL checks the domain's
    /// constraints by writing the new value into every row, a rewrite of the whole table
    /// under ACCESS EXCLUSIVE, even with no default at all. Reads and writes wait until it
    /// ends. Measured on PostgreSQL 14 to 18. From 19 the constraint is checked once against
    /// the default, unless the default is volatile. Source for 19: PostgreSQL 19 release
    /// notes (no PostgreSQL 19 server is packaged for this project's tests yet;
    /// `tests/db_postgres_versions.rs` measures it when one is given).
    ///
    /// ## Example
    /// ```sql
    /// CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0);
    /// ALTER TABLE orders ADD COLUMN refund positive_amount;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN refund numeric;
    /// ALTER TABLE orders ADD CONSTRAINT orders_refund_positive CHECK (refund > 0) NOT VALID;
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_refund_positive;
    /// ```
    /// Add the column with the domain's base type and put the domain's rule on the table as
    /// a `CHECK` added `NOT VALID` and validated in a later step, which reads the table
    /// without blocking writes.
    pub static RULE = Rule {
        id: "add-column-constrained-domain",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL before 19",
        summary: "ADD COLUMN of a domain with constraints rewrites the table before PostgreSQL 19",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    if ctx.target.at_least(19, 0, 0) {
        return;
    }
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let AlterAction::AddColumn { column, .. } = action else {
            continue;
        };
        if !ctx.catalog.is_constrained_domain(&column.data_type) {
            continue;
        }
        let (col, domain) = (&column.name, &column.data_type.text);
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("adding `{col}` of domain `{domain}`, which has constraints, rewrites `{table}` under ACCESS EXCLUSIVE: PostgreSQL before 19 checks the domain by writing every row"),
            )
            .lock(table, LockMode::AccessExclusive, TableEffect::Rewrite)
            .help(format!(
                "add `{col}` with the domain's base type, then put the domain's rule on the table as `CHECK (...) NOT VALID` and `VALIDATE CONSTRAINT` it in a later step"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok, lint_ok_at};

    const DOMAINS: &str = "CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0);\n\
                           CREATE DOMAIN email_address text NOT NULL DEFAULT '';\n\
                           CREATE DOMAIN label AS text;\n";

    #[test]
    fn flags_a_new_column_of_a_constrained_domain() {
        insta::assert_snapshot!(lint_err(
            &format!("{DOMAINS}ALTER TABLE orders ADD COLUMN refund positive_amount;"),
            &RULE
        ));
        lint_err(
            &format!("{DOMAINS}ALTER TABLE users ADD COLUMN backup_email public.email_address;"),
            &RULE,
        );
        lint_err(
            &format!("{DOMAINS}ALTER DOMAIN label ADD CONSTRAINT label_short CHECK (length(VALUE) < 40) NOT VALID;\nALTER TABLE orders ADD COLUMN tag label;"),
            &RULE,
        );
    }

    #[test]
    fn quiet_on_plain_domains_new_tables_unknown_types_and_19() {
        let quiet = [
            "ALTER TABLE orders ADD COLUMN tag label;",
            "ALTER TABLE orders ADD COLUMN refunds positive_amount[];",
            "ALTER TABLE orders ADD COLUMN refund numeric;",
            "ALTER TABLE orders ADD COLUMN status order_status;",
            "CREATE TABLE notes (id int);\nALTER TABLE notes ADD COLUMN refund positive_amount;",
            "ALTER DOMAIN positive_amount DROP CONSTRAINT positive_amount_check;\nALTER TABLE orders ADD COLUMN refund positive_amount;",
        ];
        for sql in quiet {
            lint_ok(&format!("{DOMAINS}{sql}"), &RULE);
        }
        lint_ok_at(
            "19",
            &format!("{DOMAINS}ALTER TABLE orders ADD COLUMN refund positive_amount;"),
            &RULE,
        );
    }
}
