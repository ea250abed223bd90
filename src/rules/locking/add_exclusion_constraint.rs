use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ConstraintKind, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ADD CONSTRAINT ... EXCLUDE` on an existing table.
    ///
    /// ## Why is this bad?
    /// PostgreSQL builds the exclusion index and checks every row against it while it holds
    /// an ACCESS EXCLUSIVE lock: reads and writes wait for the whole build. Exclusion
    /// constraints cannot be added `NOT VALID`, nor attached from an index built
    /// concurrently, so there is no lock-free form on any PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE labels ADD CONSTRAINT labels_name_excl EXCLUDE USING btree (name WITH =);
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// CREATE UNIQUE INDEX CONCURRENTLY labels_name_key ON labels (name);
    /// ```
    /// When the exclusion compares only with `=`, a unique index built concurrently enforces
    /// the same rule. Otherwise create a new table with the constraint, copy the rows in
    /// batches while writes go to both, and swap the tables in a short transaction; or add it
    /// in a maintenance window.
    pub static RULE = Rule {
        id: "add-exclusion-constraint",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "ADD EXCLUDE builds its index under ACCESS EXCLUSIVE and has no safe form",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let AlterAction::AddConstraint(c) = action else {
            continue;
        };
        if c.kind != ConstraintKind::Exclude {
            continue;
        }
        let name = c
            .name
            .as_ref()
            .map_or("an exclusion constraint".to_string(), |n| {
                format!("exclusion constraint `{n}`")
            });
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("adding {name} on `{table}` builds its index under ACCESS EXCLUSIVE, blocking reads and writes while every row is read"),
            )
            .lock(table, LockMode::AccessExclusive, TableEffect::Scan)
            .help(format!("if it compares only with `=`, use `CREATE UNIQUE INDEX CONCURRENTLY` on `{table}` instead; otherwise build a new table with the constraint and move the rows in batches, or add it in a maintenance window")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_an_exclusion_constraint() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_new_tables() {
        lint_ok(
            "CREATE TABLE bookings (room int, during tstzrange);\nALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
            &RULE,
        );
    }
}
