//! Rename a column without breaking the release still running: add the new column, keep
//! both in step with a trigger, backfill, and drop the old column once no release uses it.
//!
//! The trigger propagates whichever column the statement changed: on `UPDATE`, when the
//! new column differs from `OLD` (`IS DISTINCT FROM`) the new release wrote it and it is
//! copied back; otherwise the old column is copied forward, so an update from the old
//! release that changes only the old column is never overwritten by the stale new column
//! (and a row the backfill has not reached yet is filled by any update). On `INSERT` the
//! release that wrote the new column wins, otherwise the old column's value is copied. The new column gets the old one's default and `NOT NULL` only
//! in the contract phase: a default on it earlier would look like a write from the new
//! release on every insert from the old one.

use super::dependants::{self, CarriedIndex};
use super::phases::{self, BRIEF};
use super::sql::{self, Backfill};
use super::{
    Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, PlanOptions, Recipe, Rollback,
    Step, Verify,
};
use crate::catalog::{Catalog, Column, Table};
use crate::diagnostic::LockMode;
use crate::statement::{Ident, ObjectName};

pub fn plan<'a>(
    table: &'a ObjectName,
    from: &'a Ident,
    to: &'a Ident,
    catalog: &'a Catalog,
    options: &PlanOptions<'a>,
) -> Result<Recipe<'a>, PlanError> {
    let (known, old) = column_to_rename(catalog, table, from, to)?;
    dependants::refuse_partition_key_column(catalog.dialect(), known, from)?;
    let key = sql::batch_key(known)?;
    let carried = dependants::carried_indexes(catalog, known, from, to)?;
    let options = *options;
    Ok(Box::new(move || {
        render(table, from, to, old, &key, &carried, &options)
    }))
}

/// The table as the replay knows it and its column `from`, or why `from` cannot be renamed
/// to `to`, in either dialect.
pub fn column_to_rename<'a>(
    catalog: &'a Catalog,
    table: &ObjectName,
    from: &Ident,
    to: &Ident,
) -> Result<(&'a Table, &'a Column), PlanError> {
    let known = sql::known_table(catalog, table)?;
    let old = known.column(from).ok_or_else(|| {
        PlanError(format!(
            "`{table}` has no column `{from}` in the replayed migrations"
        ))
    })?;
    if known.column(to).is_some() {
        return Err(PlanError(format!("`{table}` already has a column `{to}`")));
    }
    Ok((known, old))
}

fn render(
    table: &ObjectName,
    from: &Ident,
    to: &Ident,
    old: &Column,
    key: &[Ident],
    carried: &[CarriedIndex],
    options: &PlanOptions,
) -> Plan {
    let names = Names::new(table, from, to);
    let mut phases = vec![expand(table, from, to, old, &names)];
    phases.push(backfill(table, from, to, key, options));
    if old.not_null {
        phases.push(phases::validate(
            table,
            &Ident::new(names.not_null_check.clone()),
        ));
    }
    phases.extend(carried.iter().map(|index| index.build_phase(table)));
    phases.push(contract(table, from, to, old, &names, carried, options));
    Plan {
        title: format!("rename {table}.{from} to {to}"),
        slug: sql::derived_ident(&[&table.name.value, &from.value, "to", &to.value]),
        phases,
        notes: vec![
            Note::on(&[PhaseKind::Expand, PhaseKind::Backfill], format!(
                "Deploy the release that uses `{to}` only once the backfill verify query returns 0: until a row is backfilled, a NULL written to its `{to}` cannot be told from a row not copied yet, and the trigger copies `{from}` over it."
            )),
            Note::on(&[PhaseKind::Expand, PhaseKind::Contract], format!(
                "The plan rebuilds on `{to}` the indexes the migrations created on `{from}`, and refuses while a view the migrations created uses `{from}`; it cannot see views created outside the migrations, nor functions and grants: recreate those on `{to}` before the contract phase."
            )),
        ],
    }
}

/// The objects the plan creates.
struct Names {
    function: ObjectName,
    trigger: String,
    not_null_check: String,
}

impl Names {
    fn new(table: &ObjectName, from: &Ident, to: &Ident) -> Names {
        let base = [table.name.value.as_str(), &from.value, "to", &to.value];
        let trigger = sql::derived_ident(&[&base.join("_"), "sync"]);
        Names {
            function: sql::derived(table, &[&trigger]),
            trigger,
            not_null_check: phases::not_null_check(table, to),
        }
    }
}

fn expand(table: &ObjectName, from: &Ident, to: &Ident, old: &Column, names: &Names) -> Phase {
    let t = sql::object(table);
    let (f, n) = (sql::ident(from), sql::ident(to));
    let mut steps = vec![Step::strong(format!(
        "ALTER TABLE {t} ADD COLUMN {n} {}",
        old.data_type
            .serial_storage()
            .unwrap_or(&old.data_type.text)
    ))];
    if old.not_null {
        // New rows get a value from the trigger, so the check holds for them at once;
        // existing rows are checked by the validate phase.
        steps.push(Step::strong(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({n} IS NOT NULL) NOT VALID",
            names.not_null_check
        )));
    }
    let body = format!(
        "
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.{n} IS NULL THEN
      NEW.{n} := NEW.{f};
    ELSE
      NEW.{f} := NEW.{n};
    END IF;
  ELSIF NEW.{n} IS DISTINCT FROM OLD.{n} THEN
    NEW.{f} := NEW.{n};
  ELSE
    NEW.{n} := NEW.{f};
  END IF;
  RETURN NEW;
END
"
    );
    steps.push(Step::new(format!(
        "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}",
        sql::object(&names.function),
        sql::dollar_quoted(&body)
    )));
    steps.push(Step::strong(format!(
        "CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {function}()",
        trigger = names.trigger,
        function = sql::object(&names.function),
    )));
    Phase {
        kind: PhaseKind::Expand,
        summary: format!("add {to} beside {from} and keep both in step with a trigger"),
        deploy: Deploy::BeforeRelease,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue changes only: no rewrite, no scan".into(),
        },
        verify: Verify {
            query: sql::trigger_count(table, &names.trigger),
            expected: "1".into(),
        },
        steps,
        rollback: Rollback::Steps(vec![
            Step::strong(format!("DROP TRIGGER IF EXISTS {} ON {t}", names.trigger)),
            Step::new(format!(
                "DROP FUNCTION IF EXISTS {}()",
                sql::object(&names.function)
            )),
            Step::strong(format!("ALTER TABLE {t} DROP COLUMN IF EXISTS {n}")),
        ]),
        checklist: Vec::new(),
    }
}

fn backfill(
    table: &ObjectName,
    from: &Ident,
    to: &Ident,
    key: &[Ident],
    options: &PlanOptions,
) -> Phase {
    let (f, n) = (sql::ident(from), sql::ident(to));
    let pending = format!("{n} IS DISTINCT FROM {f}");
    let block = sql::backfill_block(
        &Backfill {
            table,
            key,
            assignments: format!("{n} = {f}"),
            pending: pending.clone(),
        },
        options,
    );
    Phase {
        kind: PhaseKind::Backfill,
        summary: format!("copy {from} into {to} for existing rows, in committed batches"),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: phases::batch_lock(table, options),
        verify: Verify {
            query: sql::pending_rows(table, &pending),
            expected: "0".into(),
        },
        steps: vec![Step::new(block)],
        rollback: Rollback::Nothing(format!(
            "the copied values go away with {to} when the expand phase is rolled back"
        )),
        checklist: Vec::new(),
    }
}

fn contract(
    table: &ObjectName,
    from: &Ident,
    to: &Ident,
    old: &Column,
    names: &Names,
    carried: &[CarriedIndex],
    options: &PlanOptions,
) -> Phase {
    let t = sql::object(table);
    let n = sql::ident(to);
    let mut steps = vec![
        Step::strong(format!("DROP TRIGGER {} ON {t}", names.trigger)),
        Step::new(format!("DROP FUNCTION {}()", sql::object(&names.function))),
    ];
    steps.extend(phases::move_serial_sequence(table, old, to));
    if let Some(default) = &old.default {
        steps.push(Step::strong(format!(
            "ALTER TABLE {t} ALTER COLUMN {n} SET DEFAULT {}",
            default.text
        )));
    }
    if old.not_null && options.target.at_least(12, 0, 0) {
        steps.push(Step::strong(format!(
            "ALTER TABLE {t} ALTER COLUMN {n} SET NOT NULL"
        )));
        steps.push(Step::strong(format!(
            "ALTER TABLE {t} DROP CONSTRAINT {}",
            names.not_null_check
        )));
    }
    steps.push(Step {
        ignore: Some(format!(
            "-- lockstep:ignore drop-column -- contract phase: every instance uses {to}, which holds a copy of {from}"
        )),
        ..Step::strong(format!("ALTER TABLE {t} DROP COLUMN {}", sql::ident(from)))
    });
    steps.extend(carried.iter().map(CarriedIndex::rename_step));
    if old.not_null && options.target.at_least(12, 0, 0) {
        steps.extend(
            phases::keep_not_null_name(table, to, from, options).map(|rename| Step {
                ignore: Some(format!(
                    "-- lockstep:ignore rename-constraint -- contract phase: the NOT NULL of {to} gets the name the plain rename keeps; its name until now was the plan's own, which no release names"
                )),
                ..rename
            }),
        );
    }
    Phase {
        kind: PhaseKind::Contract,
        summary: format!("drop the trigger and {from}"),
        deploy: Deploy::AfterAllInstances,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: if old.not_null {
                "catalogue changes only: SET NOT NULL uses the validated check instead of scanning"
                    .into()
            } else {
                "catalogue changes only: no rewrite, no scan".into()
            },
        },
        verify: Verify {
            query: sql::column_count(table, from),
            expected: "0".into(),
        },
        steps,
        rollback: Rollback::Irreversible(format!(
            "{from} is dropped; to go back, plan the reverse rename ({to} to {from}) and deploy it"
        )),
        checklist: vec![
            format!("every application instance runs the release that reads and writes {to}; none uses {from}"),
            format!("the backfill verify query returned 0 after that release went out"),
            format!("views, functions and grants that use {from} are recreated on {to} (the plan rebuilt its indexes)"),
            "a backup taken after the backfill is restorable".into(),
        ],
    }
}
