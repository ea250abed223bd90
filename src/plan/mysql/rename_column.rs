//! Rename a MySQL column without breaking the release still running: add the new column,
//! keep both in step with `BEFORE INSERT` / `BEFORE UPDATE` triggers, backfill in batches,
//! and drop the old column once no release uses it.
//!
//! The update trigger propagates whichever column the statement changed: when the new
//! column differs from `OLD` (`NOT (NEW.n <=> OLD.n)`, NULL-safe) the new release wrote it
//! and it is copied back; otherwise the old column is copied forward, so an update from the
//! old release that changes only the old column is never overwritten by the stale new one.
//! On insert the release that wrote the new column wins, otherwise the old column's value is
//! copied. The new column gets the old one's `NOT NULL` and default only in the contract
//! phase: a default earlier would look like a write from the new release on every insert
//! from the old one.

use super::super::dependants::refuse_partition_key_column;
use super::super::rename_column::column_to_rename;
use super::super::sql::Backfill;
use super::super::{
    Deploy, Note, Phase, PhaseKind, Plan, PlanError, PlanOptions, Rollback, Step, Verify,
};
use super::carried_index::{carried_indexes, then_build, CarriedIndex};
use super::sql;
use super::{pin, Pin};
use crate::catalog::{Catalog, Column, Table};
use crate::mysql::online_ddl::Operation;
use crate::statement::{ColumnDef, Ident, ObjectName};

pub fn plan(
    table: &ObjectName,
    from: &Ident,
    to: &Ident,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let (known, old) = column_to_rename(catalog, table, from, to)?;
    // Before the key: a partitioned table's keys all hold the partitioning columns, and
    // only this refusal says why moving the key would not help.
    refuse_partition_key_column(catalog.dialect(), known, from)?;
    let key = key_columns(known)?;
    let carried = carried_indexes(catalog, known, from, to)?;
    let names = Names::new(table, from, to);
    let t = Target {
        table,
        from,
        to,
        carried: &carried,
    };
    let phases = vec![
        expand(&t, old, &names, options)?,
        backfill(&t, &key, &names, options)?,
        contract(&t, old, &names, options)?,
    ];
    Ok(Plan {
        title: format!("rename {table}.{from} to {to}"),
        slug: names.base.clone(),
        phases,
        notes: vec![
            Note::on(&[PhaseKind::Expand, PhaseKind::Backfill], format!(
                "Deploy the release that uses `{to}` only once the backfill verify query returns 0: before that, it reads NULL from rows not copied yet."
            )),
            Note::on(&[PhaseKind::Expand, PhaseKind::Contract], format!(
                "Views created outside the migrations and triggers that use `{from}` are not moved (its indexes are; lockstep refuses a column that a key, a foreign key or a view the migrations created uses): recreate them on `{to}` before the contract phase."
            )),
        ],
    })
}

/// `CHANGE old new <definition>`: a rename when the definition keeps the type.
pub fn plan_change(
    table: &ObjectName,
    old: &Ident,
    column: &ColumnDef,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let current = catalog.column(table, old).ok_or_else(|| {
        PlanError(format!(
            "`{table}` has no column `{old}` in the replayed migrations"
        ))
    })?;
    if !current
        .data_type
        .text
        .eq_ignore_ascii_case(&column.data_type.text)
    {
        return Err(PlanError(format!(
            "CHANGE `{old}` `{}` renames the column and changes its type: plan the rename (RENAME COLUMN) and the type change (MODIFY) as two statements",
            column.name
        )));
    }
    plan(table, old, &column.name, catalog, options)
}

/// The primary key's columns, whose types the backfill procedure declares its variables
/// with.
pub fn key_columns(table: &Table) -> Result<Vec<&Column>, PlanError> {
    let Some(key) = table.primary_key().filter(|k| !k.is_empty()) else {
        return Err(PlanError(format!(
            "`{}` has no primary key in the replayed migrations, and the batched backfill walks the rows in key order; add one first (`ALTER TABLE {} ADD PRIMARY KEY (...), ALGORITHM=INPLACE, LOCK=NONE` rebuilds the table while writes continue), then plan this change",
            table.name,
            sql::object(&table.name)
        )));
    };
    key.iter()
        .map(|column| {
            table.column(column).ok_or_else(|| {
                PlanError(format!(
                    "the primary key `{column}` of `{}` is not among its columns",
                    table.name
                ))
            })
        })
        .collect()
}

struct Target<'a> {
    table: &'a ObjectName,
    from: &'a Ident,
    to: &'a Ident,
    /// The indexes of `from`, built again on `to`.
    carried: &'a [CarriedIndex],
}

/// The objects the plan creates.
struct Names {
    base: String,
    insert_trigger: String,
    update_trigger: String,
    procedure: String,
}

impl Names {
    fn new(table: &ObjectName, from: &Ident, to: &Ident) -> Names {
        let base = sql::derived(&[&table.name.value, &from.value, "to", &to.value]);
        Names {
            insert_trigger: sql::derived(&[&base, "ins"]),
            update_trigger: sql::derived(&[&base, "upd"]),
            procedure: sql::derived(&[&base, "backfill"]),
            base,
        }
    }
}

fn expand(
    t: &Target,
    old: &Column,
    names: &Names,
    options: &PlanOptions,
) -> Result<Phase, PlanError> {
    let (f, n) = (sql::ident(t.from), sql::ident(t.to));
    let table = sql::object(t.table);
    let add = pin(Operation::AddColumnLast, &options.target)?;
    let steps = vec![
        sql::pinned_alter(
            t.table,
            &format!("ADD COLUMN {n} {} NULL", old.data_type.text),
            add,
        ),
        Step::strong(format!(
            "CREATE TRIGGER {trigger} BEFORE INSERT ON {table} FOR EACH ROW
BEGIN
  IF NEW.{n} IS NULL THEN
    SET NEW.{n} = NEW.{f};
  ELSE
    SET NEW.{f} = NEW.{n};
  END IF;
END",
            trigger = names.insert_trigger
        )),
        Step::strong(format!(
            "CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} FOR EACH ROW
BEGIN
  IF NOT (NEW.{n} <=> OLD.{n}) THEN
    SET NEW.{f} = NEW.{n};
  ELSE
    SET NEW.{n} = NEW.{f};
  END IF;
END",
            trigger = names.update_trigger
        )),
    ];
    Ok(Phase {
        kind: PhaseKind::Expand,
        summary: format!(
            "add {} beside {} and keep both in step with triggers",
            t.to, t.from
        ),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::metadata_lock(t.table, add.cost()),
        verify: Verify {
            query: sql::trigger_count(t.table, &[&names.insert_trigger, &names.update_trigger]),
            expected: "2".into(),
        },
        steps,
        rollback: Rollback::Steps(vec![
            Step::strong(format!("DROP TRIGGER IF EXISTS {}", names.insert_trigger)),
            Step::strong(format!("DROP TRIGGER IF EXISTS {}", names.update_trigger)),
            sql::pinned_alter(
                t.table,
                &format!("DROP COLUMN {n}"),
                pin(Operation::DropColumn, &options.target)?,
            ),
        ]),
        checklist: Vec::new(),
    })
}

fn backfill(
    t: &Target,
    key: &[&Column],
    names: &Names,
    options: &PlanOptions,
) -> Result<Phase, PlanError> {
    let (f, n) = (sql::ident(t.from), sql::ident(t.to));
    let pending = format!("NOT ({n} <=> {f})");
    let body = sql::backfill_body(
        &Backfill {
            table: t.table,
            key,
            assignments: format!("{n} = {f}"),
            pending: pending.clone(),
        },
        options,
    );
    let (steps, rollback) = then_build(
        t.carried,
        t.table,
        sql::run_procedure(&names.procedure, &body),
        format!(
            "the copied values go away with {} when the expand phase is rolled back",
            t.to
        ),
        options,
    )?;
    Ok(Phase {
        kind: PhaseKind::Backfill,
        summary: format!(
            "copy {} into {} for existing rows, in committed batches{}",
            t.from,
            t.to,
            if t.carried.is_empty() {
                ""
            } else {
                ", then build its indexes on it"
            }
        ),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::batch_lock(t.table, options),
        verify: Verify {
            query: sql::pending_rows(t.table, &pending),
            expected: "0".into(),
        },
        steps,
        rollback,
        checklist: Vec::new(),
    })
}

fn contract(
    t: &Target,
    old: &Column,
    names: &Names,
    options: &PlanOptions,
) -> Result<Phase, PlanError> {
    let n = sql::ident(t.to);
    let mut steps = vec![
        Step::strong(format!("DROP TRIGGER {}", names.insert_trigger)),
        Step::strong(format!("DROP TRIGGER {}", names.update_trigger)),
    ];
    let default = old
        .default
        .as_ref()
        .map(|d| format!(" DEFAULT {}", d.text))
        .unwrap_or_default();
    let mut cost: Pin = pin(Operation::DropColumn, &options.target)?;
    if old.not_null {
        let not_null = pin(Operation::MakeNotNull, &options.target)?;
        steps.push(sql::pinned_alter(
            t.table,
            &format!("MODIFY {n} {} NOT NULL{default}", old.data_type.text),
            not_null,
        ));
        cost = not_null;
    } else if let Some(d) = &old.default {
        steps.push(sql::pinned_alter(
            t.table,
            &format!("ALTER COLUMN {n} SET DEFAULT {}", d.text),
            pin(Operation::SetDefault, &options.target)?,
        ));
    }
    for index in t.carried {
        steps.push(index.drop_old(t.table, options)?);
    }
    steps.push(Step {
        ignore: Some(format!(
            "-- lockstep:ignore drop-column -- contract phase: every instance uses {}, which holds a copy of {}",
            t.to, t.from
        )),
        ..sql::pinned_alter(
            t.table,
            &format!("DROP COLUMN {}", sql::ident(t.from)),
            pin(Operation::DropColumn, &options.target)?,
        )
    });
    for index in t.carried {
        steps.push(index.take_name(t.table, options)?);
    }
    Ok(Phase {
        kind: PhaseKind::Contract,
        summary: format!("drop the triggers and {}", t.from),
        deploy: Deploy::AfterAllInstances,
        transactional: false,
        lock: sql::metadata_lock(t.table, cost.cost()),
        verify: Verify {
            query: sql::column_count(t.table, &t.from.value),
            expected: "0".into(),
        },
        steps,
        rollback: Rollback::Irreversible(format!(
            "{} is dropped; to go back, plan the reverse rename ({} to {})",
            t.from, t.to, t.from
        )),
        checklist: vec![
            format!(
                "every application instance runs the release that reads and writes {}; none uses {}",
                t.to, t.from
            ),
            "the backfill verify query returned 0 after that release went out".to_string(),
            format!(
                "views and triggers on {} are recreated on {}",
                t.from, t.to
            ),
            "a backup taken after the backfill is restorable".into(),
        ],
    })
}
