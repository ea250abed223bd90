use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect, TableLock};
use crate::rules::data_loss::{existing_tables, list};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `TRUNCATE` of a table that existed before this change set. Truncating a table
    /// created in the same change set is not flagged.
    ///
    /// ## Why is this bad?
    /// Every row is deleted at once, without a WHERE clause to limit it and without
    /// per-row triggers. `CASCADE` also empties every table with a foreign key to it. On
    /// PostgreSQL it takes an ACCESS EXCLUSIVE lock on each table (blocking reads and
    /// writes until the transaction ends) and swaps in new, empty storage files. This holds
    /// on every PostgreSQL version. (MySQL: `mysql-truncate-table`.)
    ///
    /// ## Example
    /// ```sql
    /// TRUNCATE labels;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// DELETE FROM labels WHERE id BETWEEN 1 AND 5000;
    /// ```
    /// Delete data in a contract phase only, after a backup, in batches with a WHERE clause
    /// that names what goes, each batch committed on its own; name every table explicitly
    /// rather than using `CASCADE`.
    pub static RULE = Rule {
        id: "truncate-table",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "all versions",
        summary: "TRUNCATE deletes every row of a table that holds data",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::Truncate { tables, cascade } = &statement.kind else {
        return;
    };
    let emptied = existing_tables(ctx, tables);
    if emptied.is_empty() {
        return;
    }
    let cascade_note = if *cascade {
        ", and CASCADE also empties every table with a foreign key to them"
    } else {
        ""
    };
    let mode = LockMode::AccessExclusive;
    let names = list(&emptied);
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("TRUNCATE deletes every row of {names}{cascade_note}"),
        )
        .locks(emptied.iter().map(|t| TableLock::on(t, mode, TableEffect::Rewrite)))
        .help(format!(
            "delete from {names} only in a contract phase, after a backup, in batches, each a `DELETE FROM {first}` with a WHERE clause on a range of its key, naming every table instead of CASCADE",
            first = emptied[0]
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_truncating_existing_tables() {
        insta::assert_snapshot!(lint_err(
            "TRUNCATE TABLE ONLY labels, orders CASCADE;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_tables_created_in_this_change_set() {
        lint_ok(
            "CREATE TABLE staging (id bigint);\nTRUNCATE staging;",
            &RULE,
        );
    }
}
