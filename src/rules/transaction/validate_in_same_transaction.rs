use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Ident, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... VALIDATE CONSTRAINT` in the same transaction (explicit or the
    /// framework's) as the `ADD CONSTRAINT ... NOT VALID` that created the constraint.
    ///
    /// ## Why is this bad?
    /// `NOT VALID` exists to split a constraint into a quick add and a validation that
    /// scans the table under a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes
    /// continue. In one transaction the add's lock is still held while the validation
    /// scans: ACCESS EXCLUSIVE for a CHECK (reads and writes wait for the whole scan), SHARE
    /// ROW EXCLUSIVE on both tables for a foreign key (writes wait). This holds on every
    /// PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0) NOT VALID;
    /// ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_check;
    /// COMMIT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0) NOT VALID;
    /// COMMIT;
    /// BEGIN;
    /// ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_check;
    /// COMMIT;
    /// ```
    /// Commit the `NOT VALID` add first; validate in a later transaction (or a later
    /// migration), where only SHARE UPDATE EXCLUSIVE is held during the scan.
    pub static RULE = Rule {
        id: "validate-in-same-transaction",
        group: Group::Transaction,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "VALIDATE in the transaction that added the constraint NOT VALID scans under the add's strong lock",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return;
    };
    for action in actions {
        let AlterAction::ValidateConstraint { name: constraint } = action else {
            continue;
        };
        if !ctx.session.added_not_valid_here(&name.name, constraint) {
            continue;
        }
        let mut finding = Finding::new(
            &RULE,
            statement.span,
            format!("VALIDATE CONSTRAINT `{constraint}` runs in the transaction that added it NOT VALID, so the add's lock on `{name}` is held for the whole scan"),
        )
        .help(format!(
            "COMMIT after adding `{constraint}` NOT VALID, then run `ALTER TABLE {name} VALIDATE CONSTRAINT {constraint};` in a new transaction"
        ));
        finding = match referenced_table(ctx, name, constraint) {
            // The scanned table last: the lock summary describes the last of equal locks.
            Some(parent) => finding
                .lock(parent, LockMode::ShareRowExclusive, TableEffect::None)
                .lock(name, LockMode::ShareRowExclusive, TableEffect::Scan),
            None => finding.lock(name, LockMode::AccessExclusive, TableEffect::Scan),
        };
        ctx.report(finding);
    }
}

/// The table a foreign key `constraint` of `table` refers to; `None` for other kinds.
fn referenced_table(ctx: &Ctx, table: &ObjectName, constraint: &Ident) -> Option<ObjectName> {
    let key = constraint.key();
    ctx.catalog
        .table(table)?
        .constraints
        .iter()
        .find(|c| c.name.as_deref() == Some(&*key))
        .and_then(|c| c.kind.referenced_table().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_validating_in_the_adding_transaction() {
        insta::assert_snapshot!(lint_err(
            "BEGIN;\nALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_check;\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\nCOMMIT;",
            &RULE
        ));
    }

    #[test]
    fn flags_the_implicit_transaction_of_a_framework() {
        let found = lint_folder(
            &[(
                "V4__check.sql",
                "ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT positive;\n",
            )],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn quiet_when_validated_in_a_later_transaction() {
        lint_ok(
            "BEGIN;\nALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;\nCOMMIT;\nALTER TABLE accounts VALIDATE CONSTRAINT positive;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE accounts ADD CONSTRAINT positive CHECK (balance >= 0) NOT VALID;\nALTER TABLE accounts VALIDATE CONSTRAINT positive;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nALTER TABLE accounts VALIDATE CONSTRAINT positive;\nCOMMIT;",
            &RULE,
        );
    }
}
