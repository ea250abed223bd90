use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::dialect::Dialect;
use crate::rules::{Ctx, Follows, Group, BOTH};
use crate::statement::{AlterAction, Ident, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags dropping a column that existed before this change set.
    ///
    /// When an `UPDATE` of this change set copied the column into another one
    /// (`SET total_numeric = total::numeric`, reading no other column), the finding says so:
    /// a copy-and-swap rebuild (add, copy, drop, rename the copy back) done in one PostgreSQL
    /// transaction that locked the table before the copy loses nothing and keeps the name,
    /// so it is a warning that the running release now reads the new definition; done
    /// outside one transaction, writes after the copy are lost and the name is missing
    /// until the rename (error); a copy without the rename back keeps the data, but the
    /// running release still reads the dropped column (error).
    ///
    /// ## Why is this bad?
    /// The data in the column is gone for good, and the application version still running
    /// fails on every query that names it (including `INSERT`s listing it). On PostgreSQL
    /// the drop itself is quick: a brief ACCESS EXCLUSIVE lock, no rewrite. This holds on
    /// every PostgreSQL and MySQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users DROP COLUMN legacy_name;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore drop-column -- contract phase: no release reads legacy_name since v42
    /// ALTER TABLE users DROP COLUMN legacy_name;
    /// ```
    /// Drop a column only in a contract phase: first release application code that no
    /// longer reads or writes it, deploy that everywhere, back the data up, then drop it in
    /// a later migration and say why in an ignore comment.
    pub static RULE = Rule {
        id: "drop-column",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "dropping a column loses its data and breaks the running application",
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
        let AlterAction::DropColumn { column, .. } = action else {
            continue;
        };
        if ctx.is_new_column(name, column) {
            continue; // Dropping what this change set (or the migration a rollback undoes) added.
        }
        let lock = ctx.column_change_lock();
        let finding = match replacement(ctx, statement, name, column) {
            Some(rebuild) => rebuild.finding(ctx, statement, name, column),
            None => Finding::new(
                &RULE,
                statement.span,
                format!("dropping `{name}.{column}` deletes its data and breaks running queries that use it"),
            )
            .help(format!(
                "drop `{column}` only in a contract phase, after every running release stops using it; then mark the drop with `-- lockstep:ignore drop-column -- <why it is safe now>`"
            )),
        };
        ctx.report(finding.lock(name, lock, TableEffect::None));
    }
}

/// A column of the same table that this change set filled with a copy of the dropped one.
struct Rebuild {
    replacement: Ident,
    /// The copy ran in the open transaction after it had locked the table against writes,
    /// so no write the copy missed can reach the dropped column before the commit.
    copy_is_complete: bool,
    /// The replacement is renamed to the dropped column's name later in the file.
    renamed_back: Follows,
}

/// The column the change set copied `column` into (`UPDATE t SET new = old`), if any.
fn replacement(
    ctx: &Ctx,
    statement: &Statement,
    table: &ObjectName,
    column: &Ident,
) -> Option<Rebuild> {
    let known = ctx.catalog.table(table)?;
    let replacement = known.columns.iter().find(|c| {
        c.copied_from
            .as_deref()
            .is_some_and(|(from, cs)| from.key() == column.key() && *cs == ctx.file.change_set)
    })?;
    let key = ctx.catalog.key(table);
    let copy_is_complete = ctx.target.dialect == Dialect::Postgres
        && ctx.session.copies_in_transaction.iter().any(|(t, copy)| {
            ctx.catalog.key(t) == key
                && copy.from.key() == column.key()
                && copy.to.key() == replacement.name.key()
        });
    Some(Rebuild {
        replacement: replacement.name.clone(),
        copy_is_complete,
        renamed_back: renamed_back(ctx, statement, table, &replacement.name, column),
    })
}

/// Where `ALTER TABLE table RENAME COLUMN from TO to` follows in the file.
fn renamed_back(
    ctx: &Ctx,
    statement: &Statement,
    table: &ObjectName,
    from: &Ident,
    to: &Ident,
) -> Follows {
    let key = ctx.catalog.key(table);
    ctx.follows(statement, |later| match &later.kind {
        StatementKind::AlterTable { name, actions, .. } if ctx.catalog.key(name) == key => {
            actions.iter().any(|a| {
                matches!(a, AlterAction::RenameColumn { from: f, to: t }
                    if f.key() == from.key() && t.key() == to.key())
            })
        }
        _ => false,
    })
}

impl Rebuild {
    fn finding(
        &self,
        ctx: &Ctx,
        statement: &Statement,
        table: &ObjectName,
        column: &Ident,
    ) -> Finding {
        let new = &self.replacement;
        let atomic = self.copy_is_complete && self.renamed_back == Follows::InTransaction;
        if atomic {
            // Nothing is lost and the name never goes missing: what is left is that the
            // running release gets the replacement's definition under the old name.
            let definition = ctx
                .catalog
                .column(table, new)
                .map(|c| format!(" (`{}`)", c.data_type.text))
                .unwrap_or_default();
            return Finding::new(
                &RULE,
                statement.span,
                format!("copy-and-swap of `{table}.{column}` in one transaction keeps its data and its name, but the running release reads and writes `{column}` as the replacement `{new}`{definition} from the commit on"),
            )
            .severity(Severity::Warning)
            .help(format!(
                "make sure the running release works with the new `{column}`{definition}; the indexes, constraints and defaults of the dropped column go with it unless this change set creates them again; then mark the drop with `-- lockstep:ignore drop-column -- <why>`"
            ));
        }
        let lost = if self.copy_is_complete {
            ""
        } else {
            " (except rows the running release writes after the copy)"
        };
        let message = match self.renamed_back {
            Follows::NotInFile => format!(
                "`{table}.{column}` was copied into `{new}`{lost}, so its data is kept, but the running release still reads and writes `{column}`, and its queries fail once it is dropped"
            ),
            _ => format!(
                "copy-and-swap of `{table}.{column}` outside one transaction that locks the table first: rows the running release writes after the copy lose their `{column}`, and its queries on `{column}` fail until `{new}` is renamed to `{column}`"
            ),
        };
        let help = match self.renamed_back {
            Follows::NotInFile => format!(
                "drop `{column}` only in a contract phase, after every running release reads `{new}` instead; then mark the drop with `-- lockstep:ignore drop-column -- <why it is safe now>`"
            ),
            _ => format!(
                "add `{new}`, copy into it, drop `{column}` and rename `{new}` to `{column}` in one transaction: the ADD COLUMN's lock keeps writes out until the commit"
            ),
        };
        Finding::new(&RULE, statement.span, message).help(help)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_in, lint_ok};

    #[test]
    fn on_mysql_the_drop_claims_the_online_lock_not_postgres_one() {
        let found = lint_err_in(
            crate::dialect::Dialect::Mysql,
            "ALTER TABLE users DROP COLUMN legacy;",
            &RULE,
        );
        assert!(
            found.contains("LOCK=NONE") && !found.contains("ACCESS EXCLUSIVE"),
            "{found}"
        );
    }

    #[test]
    fn flags_dropping_an_existing_column() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users DROP COLUMN legacy_name;",
            &RULE
        ));
    }

    #[test]
    fn a_copy_and_swap_keeps_the_data_only_when_one_transaction_locked_the_table_first() {
        let swap = "ALTER TABLE t ADD COLUMN c_new bigint;\nUPDATE t SET c_new = c;\nALTER TABLE t DROP COLUMN c;\nALTER TABLE t RENAME COLUMN c_new TO c;";
        let atomic = lint_err(&format!("BEGIN;\n{swap}\nCOMMIT;"), &RULE);
        assert!(
            atomic.contains("warning") && atomic.contains("keeps its data and its name"),
            "{atomic}"
        );
        // The ADD COLUMN committed before the copy: writes in between reach only `c`.
        let late = "ALTER TABLE t ADD COLUMN c_new bigint;\nBEGIN;\nUPDATE t SET c_new = c;\nALTER TABLE t DROP COLUMN c;\nALTER TABLE t RENAME COLUMN c_new TO c;\nCOMMIT;";
        let found = lint_err(late, &RULE);
        assert!(
            found.contains("error") && found.contains("outside one transaction"),
            "{found}"
        );
        // MySQL commits each ALTER TABLE on its own.
        let mysql = lint_err_in(
            crate::dialect::Dialect::Mysql,
            &format!("BEGIN;\n{swap}\nCOMMIT;"),
            &RULE,
        );
        assert!(mysql.contains("outside one transaction"), "{mysql}");
    }

    #[test]
    fn rollback_code_sees_its_own_copy_and_swap() {
        let swap_back = "BEGIN;\nALTER TABLE m ADD COLUMN state_old integer;\nUPDATE m SET state_old = state::integer;\nALTER TABLE m DROP COLUMN state;\nALTER TABLE m RENAME COLUMN state_old TO state;\nCOMMIT;\n";
        let found = crate::rules::testing::lint_folder(
            &[
                (
                    "1_state.up.sql",
                    "ALTER TABLE m ALTER COLUMN state TYPE text;\n",
                ),
                ("1_state.down.sql", swap_back),
            ],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let (file, finding) = &found[0];
        assert_eq!(file, "1_state.down.sql");
        assert!(
            finding.message.contains("keeps its data and its name"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn a_copy_that_reads_other_columns_is_no_copy() {
        let found = lint_err(
            "BEGIN;\nALTER TABLE t ADD COLUMN full_name text;\nUPDATE t SET full_name = first || last;\nALTER TABLE t DROP COLUMN first;\nCOMMIT;",
            &RULE,
        );
        assert!(found.contains("deletes its data"), "{found}");
    }

    #[test]
    fn quiet_when_the_column_or_table_is_new() {
        lint_ok(
            "CREATE TABLE u (a int, b int);\nALTER TABLE u DROP COLUMN b;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE u ADD COLUMN b int;\nALTER TABLE u DROP COLUMN b;",
            &RULE,
        );
    }
}
