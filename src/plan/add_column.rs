//! Add a `NOT NULL` column, or a column whose default is volatile.
//!
//! - A non-volatile default (a constant, `now()`): PostgreSQL 11+ stores it in the
//!   catalogue and existing rows read it from there, so `ADD COLUMN ... NOT NULL DEFAULT c`
//!   neither rewrites nor scans the table. The plan is that one statement behind a
//!   `lock_timeout`: the only risk is queueing traffic behind its ACCESS EXCLUSIVE lock.
//! - A volatile default (`random()`, `gen_random_uuid()`, `clock_timestamp()`) is computed
//!   per row, so adding it rewrites the table. The plan adds the column plain, sets the
//!   default for new rows, backfills old rows in committed batches, and for `NOT NULL`
//!   adds `CHECK (col IS NOT NULL) NOT VALID` (only once every row has a value: a
//!   `NOT VALID` check still applies to updated rows), validates it without blocking
//!   writes, and lets `SET NOT NULL` use it instead of scanning (PostgreSQL 12+).

use super::phases::{self, BRIEF};
use super::sql::{self, Backfill};
use super::{
    Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, PlanOptions, Rollback, Step, Verify,
};
use crate::catalog::Catalog;
use crate::diagnostic::LockMode;
use crate::names;
use crate::statement::{ColumnDef, DataType, Expr, ObjectName, Volatility};

/// `None` when adding this column needs no plan (or another recipe's).
pub fn plan(
    table: &ObjectName,
    column: &ColumnDef,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    if column.is_serial() {
        return Some(plain_column(column).and_then(|()| serial(table, column, catalog, options)));
    }
    if column.generated.is_some() {
        return None;
    }
    let volatile = column
        .default
        .as_ref()
        .filter(|d| d.volatility == Volatility::Volatile);
    match (&column.default, volatile) {
        (_, Some(default)) => Some(
            plain_column(column)
                .and_then(|()| volatile_default(table, column, default, None, catalog, options)),
        ),
        (Some(_), None) if column.not_null => {
            Some(plain_column(column).map(|()| stored_default(table, column)))
        }
        (None, None) if column.not_null => Some(Err(PlanError(format!(
            "`{}` is NOT NULL without a default: existing rows need a value; add `DEFAULT <value>` to the column and plan again",
            column.name
        )))),
        _ => None,
    }
}

/// Keys, references and checks on the new column have plans of their own.
fn plain_column(column: &ColumnDef) -> Result<(), PlanError> {
    if column.primary_key || column.unique || column.references.is_some() || column.check.is_some()
    {
        return Err(PlanError(format!(
            "add `{}` without its key, reference or check first, then add the constraint in its own statement (it has a plan of its own)",
            column.name
        )));
    }
    Ok(())
}

fn title(table: &ObjectName, column: &ColumnDef) -> String {
    format!("add {table}.{} {}", column.name, column.data_type.text)
}

fn slug(table: &ObjectName, column: &ColumnDef) -> String {
    sql::derived_ident(&[&table.name.value, &column.name.value])
}

fn drop_column(table: &ObjectName, column: &ColumnDef) -> Rollback {
    Rollback::Steps(vec![Step::strong(format!(
        "ALTER TABLE {} DROP COLUMN IF EXISTS {}",
        sql::object(table),
        sql::ident(&column.name)
    ))])
}

/// One phase: the statement as written, behind a lock timeout.
fn stored_default(table: &ObjectName, column: &ColumnDef) -> Plan {
    let default = column.default.as_ref().map_or("", |d| d.text.as_str());
    let expand = Phase {
        kind: PhaseKind::Expand,
        summary: format!(
            "add {} with its default stored in the catalogue",
            column.name
        ),
        deploy: Deploy::BeforeRelease,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue change only: PostgreSQL 11+ stores the default, no rewrite, no scan"
                .into(),
        },
        verify: Verify {
            query: sql::column_not_null(table, &column.name),
            expected: "t".into(),
        },
        steps: vec![Step::strong(format!(
            "ALTER TABLE {} ADD COLUMN {} {} NOT NULL DEFAULT {default}",
            sql::object(table),
            sql::ident(&column.name),
            column.data_type.text,
        ))],
        rollback: drop_column(table, column),
        checklist: Vec::new(),
    };
    Plan {
        title: title(table, column),
        slug: slug(table, column),
        phases: vec![expand],
        notes: vec![Note::every_phase(format!(
            "No backfill is needed: on PostgreSQL 11+ existing rows read `{default}` from the catalogue, and inserts from the running release get it too."
        ))],
    }
}

/// A serial column is an integer column whose default takes the next value of a sequence
/// it owns: added as written, every existing row gets a value in one rewrite. The plan
/// creates the sequence beside the plain column and fills it like a volatile default.
fn serial(
    table: &ObjectName,
    column: &ColumnDef,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let integer = column.data_type.serial_storage().unwrap_or("integer");
    let sequence = ObjectName {
        schema: table.schema.clone(),
        name: names::postgres_name(&table.name.key(), Some(&column.name.key()), "seq"),
    };
    let default = Expr {
        text: format!("nextval({})", sql::literal(&sql::object(&sequence))),
        volatility: Volatility::Volatile,
    };
    let plain = ColumnDef {
        data_type: DataType {
            text: integer.into(),
            base: integer.into(),
            args: Vec::new(),
            array: false,
        },
        not_null: true,
        default: Some(default.clone()),
        ..column.clone()
    };
    volatile_default(table, &plain, &default, Some(&sequence), catalog, options)
}

/// `sequence`: a sequence to create, owned by the column, which the default draws from.
/// The plain column, its sequence if it has one, and the default for new rows.
fn expand_steps(
    table: &ObjectName,
    column: &ColumnDef,
    default: &Expr,
    sequence: Option<&ObjectName>,
) -> Vec<Step> {
    let t = sql::object(table);
    let c = sql::ident(&column.name);
    let mut steps = vec![Step::strong(format!(
        "ALTER TABLE {t} ADD COLUMN {c} {}",
        column.data_type.text
    ))];
    if let Some(sequence) = sequence {
        steps.push(Step::new(format!(
            "CREATE SEQUENCE {} AS {} OWNED BY {t}.{c}",
            sql::object(sequence),
            column.data_type.text
        )));
    }
    steps.push(Step::strong(format!(
        "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}",
        default.text
    )));
    steps
}

fn volatile_default(
    table: &ObjectName,
    column: &ColumnDef,
    default: &Expr,
    sequence: Option<&ObjectName>,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let known = sql::known_table(catalog, table)?;
    if known.column(&column.name).is_some() {
        return Err(PlanError(format!(
            "`{table}` already has a column `{}`",
            column.name
        )));
    }
    let key = sql::batch_key(known)?;
    let c = sql::ident(&column.name);
    let expand = Phase {
        kind: PhaseKind::Expand,
        summary: format!(
            "add {} without a default, then set the default for new rows",
            column.name
        ),
        deploy: Deploy::BeforeRelease,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue changes only: no rewrite, no scan".into(),
        },
        verify: Verify {
            query: sql::column_count(table, &column.name),
            expected: "1".into(),
        },
        steps: expand_steps(table, column, default, sequence),
        rollback: drop_column(table, column),
        checklist: Vec::new(),
    };
    let pending = format!("{c} IS NULL");
    let backfill = Phase {
        kind: PhaseKind::Backfill,
        summary: format!("give existing rows a value of {}", default.text),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: phases::batch_lock(table, options),
        verify: Verify {
            query: sql::pending_rows(table, &pending),
            expected: "0".into(),
        },
        steps: vec![Step::new(sql::backfill_block(
            &Backfill {
                table,
                key: &key,
                assignments: format!("{c} = {}", default.text),
                pending,
            },
            options,
        ))],
        rollback: Rollback::Nothing(format!(
            "the values go away with {} when the expand phase is rolled back",
            column.name
        )),
        checklist: Vec::new(),
    };
    let mut phases = vec![expand, backfill];
    let mut notes = Vec::new();
    if column.not_null {
        let not_null = phases::not_null_phases(table, &column.name, options);
        phases.extend(not_null.phases);
        notes.extend(not_null.note);
    }
    Ok(Plan {
        title: title(table, column),
        slug: slug(table, column),
        phases,
        notes,
    })
}
