//! Add a `NOT NULL` column to a MySQL table.
//!
//! With a constant default, MySQL 8.0.12+ (and MariaDB 10.3+) adds the column INSTANTly:
//! existing rows read the default from the data dictionary, nothing is rewritten. The plan
//! is the statement pinned `ALGORITHM=INSTANT` behind a `lock_wait_timeout`, so a server
//! that would rebuild instead (MySQL 5.7, or a table past MySQL's 64 row versions, 255 from 9.1) refuses
//! it rather than blocking. Without a default MySQL fills existing rows with the type's
//! implicit zero value, which is rarely what anyone wants: the plan asks for a default.

use super::super::Note;
use super::super::{Deploy, Phase, PhaseKind, Plan, PlanError, PlanOptions, Rollback, Verify};
use super::{pin, sql};
use crate::dialect::MysqlFlavor;
use crate::mysql::online_ddl::{Algorithm, Operation};
use crate::statement::{ColumnDef, ObjectName, Volatility};

/// `None` when adding this column needs no plan.
pub fn plan(
    table: &ObjectName,
    column: &ColumnDef,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    if !column.not_null || column.generated.is_some() {
        return None;
    }
    Some(match &column.default {
        None => Err(PlanError(format!(
            "`{}` is NOT NULL without a default: MySQL would fill existing rows with the type's zero value; add `DEFAULT <value>` to the column and plan again",
            column.name
        ))),
        Some(default) if default.volatility == Volatility::Volatile => Err(PlanError(format!(
            "`{}` has an expression default computed per row: lockstep does not plan that for MySQL yet; add the column NULL, backfill it in batches, then make it NOT NULL",
            column.name
        ))),
        Some(default) => plain_column(column)
            .and_then(|()| stored_default(table, column, &default.text, options)),
    })
}

/// Keys, references and checks on the new column have plans of their own.
fn plain_column(column: &ColumnDef) -> Result<(), PlanError> {
    if column.primary_key || column.unique || column.references.is_some() || column.check.is_some()
    {
        return Err(PlanError(format!(
            "add `{}` without its key, reference or check first, then add the constraint in its own statement",
            column.name
        )));
    }
    Ok(())
}

fn stored_default(
    table: &ObjectName,
    column: &ColumnDef,
    default: &str,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let add = pin(Operation::AddColumnLast, &options.target)?;
    let c = sql::ident(&column.name);
    let expand = Phase {
        kind: PhaseKind::Expand,
        summary: format!("add {} with its default", column.name),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::metadata_lock(table, add.cost()),
        verify: Verify {
            query: sql::column_nullable(table, &column.name.value),
            expected: "NO".into(),
        },
        steps: vec![sql::pinned_alter(
            table,
            &format!(
                "ADD COLUMN {c} {} NOT NULL DEFAULT {default}",
                column.data_type.text
            ),
            add,
        )],
        rollback: Rollback::Steps(vec![sql::pinned_alter(
            table,
            &format!("DROP COLUMN {c}"),
            pin(Operation::DropColumn, &options.target)?,
        )]),
        checklist: Vec::new(),
    };
    let mut notes = vec![Note::every_phase(format!(
        "No backfill is needed: existing rows read `{default}` from the data dictionary, and inserts from the running release get it too."
    ))];
    if add.algorithm == Algorithm::Instant && options.target.flavor == MysqlFlavor::Mysql {
        notes.push(Note::every_phase(
            "MySQL 8.0.29+ allows 64 instant ADD/DROP COLUMNs per table (INFORMATION_SCHEMA.INNODB_TABLES.TOTAL_ROW_VERSIONS); past that it would rebuild, and the ALGORITHM=INSTANT pin makes it refuse instead: rebuild the table with OPTIMIZE TABLE at a quiet hour first.",
        ));
    }
    Ok(Plan {
        title: format!("add {table}.{} {}", column.name, column.data_type.text),
        slug: sql::derived(&[&table.name.value, &column.name.value]),
        phases: vec![expand],
        notes,
    })
}
