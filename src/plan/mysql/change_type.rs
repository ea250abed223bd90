//! Change a MySQL column's type (`MODIFY` / `CHANGE` keeping the name).
//!
//! When the online-DDL matrix runs the change in place or instantly, the plan is the
//! statement with its pin. When only a copy will do (a new data type, a VARCHAR crossing
//! the 255-byte length prefix, a shrink, a new character set), a plain ALTER blocks writes
//! for the whole copy. The plan copies within the table instead, the way the online
//! schema-change tools copy between tables, and names those tools as the alternative:
//! 1. expand: add the column in its new type beside the old one (instantly) and keep it
//!    equal to the old one with triggers; the application keeps writing the old name;
//! 2. backfill: copy the existing rows in committed batches;
//! 3. swap: under `LOCK TABLES ... WRITE` (held for milliseconds) drop the triggers, rename
//!    the old column away and the new one to the old name in one instant ALTER, and add
//!    triggers that keep the old column in step, so the swap can be rolled back without
//!    losing a write;
//! 4. contract: drop those triggers and the old column.
//!
//! Until the contract phase every write must also fit the old type (the old column still
//! receives it); values only the new type can hold belong to the release after it.

use super::super::dependants::refuse_partition_key_column;
use super::super::sql::Backfill;
use super::super::{
    Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, PlanOptions, Rollback, Step, Verify,
};
use super::carried_index::{carried_indexes, then_build};
use super::rename_column::key_columns;
use super::sql;
use super::{pin, Pin};
use crate::catalog::{Catalog, Column};
use crate::diagnostic::LockMode;
use crate::mysql::clauses::table_changes;
use crate::mysql::online_ddl::{Algorithm, Operation};
use crate::statement::{ColumnDef, Ident, ObjectName, Statement};

/// `None` when the redefinition needs no plan (nothing the matrix judges changes).
pub fn plan(
    statement: &Statement,
    table: &ObjectName,
    old: &Ident,
    column: &ColumnDef,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    let current = match catalog.column(table, old) {
        Some(current) => current,
        None => {
            return Some(Err(PlanError(format!(
                "`{table}` has no column `{old}` in the replayed migrations"
            ))))
        }
    };
    let change = table_changes(statement, catalog, false)
        .into_iter()
        .next()?;
    let verdict = change.verdict(&options.target)?;
    let definition = definition(column);
    let alter = format!("MODIFY {} {definition}", sql::ident(&column.name));
    Some(match verdict.algorithm {
        Algorithm::Copy => copy_plan(table, current, column, &alter, catalog, options),
        algorithm if verdict.concurrent_dml => Ok(online_plan(
            table,
            current,
            column,
            &alter,
            Pin {
                algorithm,
                rebuilds: verdict.rebuilds,
            },
        )),
        _ => Err(PlanError(format!(
            "{alter} blocks writes on {}: use an online schema-change tool: {}",
            crate::mysql::online_ddl::server_name(&options.target),
            sql::online_tools(table, &alter)
        ))),
    })
}

/// The column definition after its name: type, `NOT NULL`, default.
fn definition(column: &ColumnDef) -> String {
    let mut text = column.data_type.text.clone();
    if column.not_null {
        text.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        text.push_str(&format!(" DEFAULT {}", default.text));
    }
    text
}

fn title(table: &ObjectName, current: &Column, column: &ColumnDef) -> String {
    format!(
        "change {table}.{} from {} to {}",
        column.name, current.data_type.text, column.data_type.text
    )
}

/// The statement as written, pinned.
fn online_plan(
    table: &ObjectName,
    current: &Column,
    column: &ColumnDef,
    alter: &str,
    pin: Pin,
) -> Plan {
    let reverse = format!(
        "MODIFY {} {}",
        sql::ident(&column.name),
        definition(&ColumnDef {
            name: current.name.clone(),
            data_type: (*current.data_type).clone(),
            not_null: current.not_null,
            default: current.default.as_deref().cloned(),
            ..column.clone()
        })
    );
    let expand = Phase {
        kind: PhaseKind::Expand,
        summary: format!("change {} online", column.name),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::metadata_lock(table, pin.cost()),
        verify: Verify {
            query: sql::column_count(table, &column.name.value),
            expected: "1".into(),
        },
        steps: vec![sql::pinned_alter(table, alter, pin)],
        rollback: Rollback::Steps(vec![Step::strong(format!(
            "ALTER TABLE {} {reverse}",
            sql::object(table)
        ))]),
        checklist: Vec::new(),
    };
    Plan {
        title: title(table, current, column),
        slug: sql::derived(&[&table.name.value, &column.name.value, "type"]),
        phases: vec![expand],
        notes: vec![Note::every_phase(
            "The rollback is the reverse MODIFY without a pin: it may need a copy of the table, so check its verdict with `lockstep check` before relying on it.",
        )],
    }
}

/// The objects the copy plan creates.
struct Names {
    new_column: Ident,
    old_column: Ident,
    insert_trigger: String,
    update_trigger: String,
    back_insert_trigger: String,
    back_update_trigger: String,
    procedure: String,
}

impl Names {
    fn new(table: &ObjectName, column: &Ident) -> Names {
        let base = sql::derived(&[&table.name.value, &column.value, "retype"]);
        Names {
            new_column: Ident::new(sql::derived(&[&column.value, "new"])),
            old_column: Ident::new(sql::derived(&[&column.value, "old"])),
            insert_trigger: sql::derived(&[&base, "ins"]),
            update_trigger: sql::derived(&[&base, "upd"]),
            back_insert_trigger: sql::derived(&[&base, "back_ins"]),
            back_update_trigger: sql::derived(&[&base, "back_upd"]),
            procedure: sql::derived(&[&base, "backfill"]),
        }
    }
}

/// Triggers on `table` that set `target` from `source` on every insert and update.
fn sync_triggers(
    table: &ObjectName,
    (insert, update): (&str, &str),
    target: &Ident,
    source: &Ident,
) -> Vec<Step> {
    let (t, target, source) = (sql::object(table), sql::ident(target), sql::ident(source));
    [("INSERT", insert), ("UPDATE", update)]
        .into_iter()
        .map(|(event, name)| {
            Step::strong(format!(
                "CREATE TRIGGER {name} BEFORE {event} ON {t} FOR EACH ROW\nBEGIN\n  SET NEW.{target} = NEW.{source};\nEND"
            ))
        })
        .collect()
}

fn drop_triggers(names: [&str; 2], if_exists: bool) -> Vec<Step> {
    let guard = if if_exists { "IF EXISTS " } else { "" };
    names
        .into_iter()
        .map(|n| Step::strong(format!("DROP TRIGGER {guard}{n}")))
        .collect()
}

fn copy_plan(
    table: &ObjectName,
    current: &Column,
    column: &ColumnDef,
    alter: &str,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    super::columns_change_instantly(table, catalog)?;
    let known = super::super::sql::known_table(catalog, table)?;
    // The swap renames the old column away and the contract drops it, which the server
    // refuses for a partitioning column (`online_plan` keeps the column: MariaDB 10.11
    // widened a partitioning VARCHAR in place).
    refuse_partition_key_column(catalog.dialect(), known, &current.name)?;
    let key = key_columns(known)?;
    let target = &options.target;
    let names = Names::new(table, &column.name);
    let carried = carried_indexes(catalog, known, &current.name, &names.new_column)?;
    for taken in [&names.new_column, &names.old_column] {
        if known.column(taken).is_some() {
            return Err(PlanError(format!(
                "`{table}` already has a column `{taken}`"
            )));
        }
    }
    let name = &column.name;
    let (c, new, old) = (
        sql::ident(name),
        sql::ident(&names.new_column),
        sql::ident(&names.old_column),
    );
    let forward = (names.insert_trigger.as_str(), names.update_trigger.as_str());
    let back = (
        names.back_insert_trigger.as_str(),
        names.back_update_trigger.as_str(),
    );
    let add = pin(Operation::AddColumnLast, target)?;
    let drop = pin(Operation::DropColumn, target)?;
    let rename = pin(Operation::RenameColumn, target)?;
    let default = column
        .default
        .as_ref()
        .map(|d| format!(" DEFAULT {}", d.text))
        .unwrap_or_default();

    let mut expand_steps = vec![sql::pinned_alter(
        table,
        &format!("ADD COLUMN {new} {} NULL{default}", column.data_type.text),
        add,
    )];
    expand_steps.extend(sync_triggers(table, forward, &names.new_column, name));
    let mut expand_rollback = drop_triggers([forward.0, forward.1], true);
    expand_rollback.push(sql::pinned_alter(
        table,
        &format!("DROP COLUMN {new}"),
        drop,
    ));
    let expand = Phase {
        kind: PhaseKind::Expand,
        summary: format!(
            "add {} in the new type beside {name} and keep it equal with triggers",
            names.new_column
        ),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::metadata_lock(table, add.cost()),
        verify: Verify {
            query: sql::trigger_count(table, &[forward.0, forward.1]),
            expected: "2".into(),
        },
        steps: expand_steps,
        rollback: Rollback::Steps(expand_rollback),
        checklist: Vec::new(),
    };

    let pending = format!("NOT ({new} <=> {c})");
    let (backfill_steps, backfill_rollback) = then_build(
        &carried,
        table,
        sql::run_procedure(
            &names.procedure,
            &sql::backfill_body(
                &Backfill {
                    table,
                    key: &key,
                    assignments: format!("{new} = {c}"),
                    pending: pending.clone(),
                },
                options,
            ),
        ),
        format!(
            "the copied values go away with {} when the expand phase is rolled back",
            names.new_column
        ),
        options,
    )?;
    let backfill = Phase {
        kind: PhaseKind::Backfill,
        summary: format!(
            "copy {name} into {} for existing rows, in committed batches",
            names.new_column
        ),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::batch_lock(table, options),
        verify: Verify {
            query: sql::pending_rows(table, &pending),
            expected: "0".into(),
        },
        steps: backfill_steps,
        rollback: backfill_rollback,
        checklist: Vec::new(),
    };

    let swap_in = format!("RENAME COLUMN {c} TO {old}, RENAME COLUMN {new} TO {c}");
    let swap_out = format!("RENAME COLUMN {c} TO {new}, RENAME COLUMN {old} TO {c}");
    let swap = Phase {
        kind: PhaseKind::Swap,
        summary: format!(
            "put {} in place of {name} under a brief write lock",
            names.new_column
        ),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::MysqlExclusive,
            max_hold: Some(super::super::phases::BRIEF),
            reason: format!(
                "LOCK TABLES ... WRITE around a trigger swap and {}",
                rename.cost()
            ),
        },
        verify: Verify {
            query: sql::column_count(table, &names.old_column.value),
            expected: "1".into(),
        },
        steps: swap_steps(table, [forward, back], &swap_in, rename, &names, name),
        rollback: Rollback::Steps(swap_steps(
            table,
            [back, forward],
            &swap_out,
            rename,
            &names,
            name,
        )),
        checklist: Vec::new(),
    };

    let mut contract_steps = drop_triggers([back.0, back.1], false);
    let mut cost = drop;
    if column.not_null {
        let not_null = pin(Operation::MakeNotNull, target)?;
        contract_steps.push(sql::pinned_alter(
            table,
            &format!("MODIFY {c} {}", definition(column)),
            not_null,
        ));
        cost = not_null;
    }
    for index in &carried {
        contract_steps.push(index.drop_old(table, options)?);
    }
    contract_steps.push(Step {
        ignore: Some(format!(
            "-- lockstep:ignore drop-column -- contract phase: {name} holds every value of {} in the new type",
            names.old_column
        )),
        ..sql::pinned_alter(table, &format!("DROP COLUMN {old}"), drop)
    });
    for index in &carried {
        contract_steps.push(index.take_name(table, options)?);
    }
    let contract = Phase {
        kind: PhaseKind::Contract,
        summary: format!("drop the triggers and {}", names.old_column),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::metadata_lock(table, cost.cost()),
        verify: Verify {
            query: sql::column_count(table, &names.old_column.value),
            expected: "0".into(),
        },
        steps: contract_steps,
        rollback: Rollback::Irreversible(format!(
            "{} is dropped; to go back, plan the reverse type change",
            names.old_column
        )),
        checklist: vec![
            format!("the application reads and writes {name} correctly in its new type"),
            "a backup taken after the swap is restorable".into(),
        ],
    };
    Ok(Plan {
        title: title(table, current, column),
        slug: sql::derived(&[&table.name.value, &name.value, "type"]),
        phases: vec![expand, backfill, swap, contract],
        notes: vec![
            // The alternative matters before anything runs.
            Note::on(&[PhaseKind::Expand], format!(
                "`{alter}` can only copy the table, blocking writes for the whole copy. Alternative to these phases, one copy in the background while writes continue: {}.",
                sql::online_tools(table, alter)
            )),
            Note::on(&[PhaseKind::Expand, PhaseKind::Contract], format!(
                "Until the contract phase every write to {name} must also fit {} (the old column still receives it): ship code that writes values only {} can hold after it.",
                current.data_type.text, column.data_type.text
            )),
        ],
    })
}

/// `LOCK TABLES`, drop the triggers syncing one way, rename, add the triggers syncing the
/// other way, `UNLOCK TABLES`: no write happens while neither pair is in place.
fn swap_steps(
    table: &ObjectName,
    [drop, add]: [(&str, &str); 2],
    renames: &str,
    rename: Pin,
    names: &Names,
    column: &Ident,
) -> Vec<Step> {
    let mut steps = vec![Step::strong(format!(
        "LOCK TABLES {} WRITE",
        sql::object(table)
    ))];
    steps.extend(drop_triggers([drop.0, drop.1], false));
    steps.push(Step {
        ignore: Some(
            "-- lockstep:ignore rename-column -- swap: the application uses one name throughout, and it names the column holding every value"
                .into(),
        ),
        ..sql::pinned_alter(table, renames, rename)
    });
    // After the swap forward the old column follows the renamed one; after the swap back,
    // the new column does again.
    let (target, source) = if add.0 == names.back_insert_trigger {
        (&names.old_column, column)
    } else {
        (&names.new_column, column)
    };
    steps.extend(sync_triggers(table, add, target, source));
    steps.push(Step::new("UNLOCK TABLES"));
    steps
}
