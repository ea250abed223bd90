//! Change a column's type when PostgreSQL would rewrite the table (`integer` to
//! `bigint`, `text` to `integer USING ...`): the rewrite holds ACCESS EXCLUSIVE, blocking
//! reads and writes, for as long as it takes to copy every row and rebuild every index.
//!
//! The plan adds the column again under a new name with the new type, keeps it in step
//! with a trigger that applies the conversion on every insert and update, backfills the
//! existing rows in committed batches, and in the contract phase drops the old column and
//! gives the new one its name, default and `NOT NULL`. Only the running releases write
//! the old column until then, so the trigger converts in one direction only.
//!
//! The conversion is the statement's `USING` expression (or the column itself), assigned to
//! the new column: an assignment coerces exactly as `ALTER COLUMN ... TYPE` does, so a
//! value the new type cannot hold (11 characters for `varchar(10)`) fails the trigger and
//! the backfill where the plain statement would fail, instead of an explicit cast cutting
//! it silently. It is evaluated over the row itself (`FROM (SELECT NEW.*) AS old_row`), so
//! it may name any column of the table, exactly as `USING` may.

use super::dependants::{self, CarriedIndex};
use super::phases::{self, BRIEF};
use super::sql::{self, Backfill};
use super::{
    Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, PlanOptions, Recipe, Rollback,
    Step, Verify,
};
use crate::catalog::{Catalog, Column};
use crate::diagnostic::LockMode;
use crate::statement::{DataType, Ident, ObjectName};
use crate::types::binary_coercible;

/// `ALTER COLUMN ... TYPE`; `None` when PostgreSQL changes the type without a rewrite.
pub fn plan<'a>(
    table: &'a ObjectName,
    column: &'a Ident,
    data_type: &'a DataType,
    using: Option<&'a str>,
    catalog: &'a Catalog,
    options: &PlanOptions<'a>,
) -> Option<Result<Recipe<'a>, PlanError>> {
    let old = catalog.column(table, column);
    if let (Some(old), None) = (old, using) {
        if binary_coercible(&old.data_type, data_type) {
            return None;
        }
    }
    Some(convert_in_a_new_column(
        table, column, data_type, using, catalog, options,
    ))
}

/// The objects the plan creates.
struct Names {
    /// The column with the new type, until it takes the old one's name.
    new_column: Ident,
    function: ObjectName,
    trigger: String,
    not_null_check: String,
}

impl Names {
    fn new(table: &ObjectName, column: &Ident) -> Names {
        let new_column = Ident::new(sql::derived_ident(&[&column.value, "new"]));
        let trigger = sql::derived_ident(&[&table.name.value, &column.value, "convert"]);
        Names {
            not_null_check: phases::not_null_check(table, &new_column),
            function: sql::derived(table, &[&trigger]),
            trigger,
            new_column,
        }
    }
}

/// What the conversion needs to know.
struct Change<'a> {
    table: &'a ObjectName,
    column: &'a Ident,
    old: &'a Column,
    data_type: &'a DataType,
    /// The value of the new column, computed from the row's columns; assigned to it, which
    /// coerces it to the new type.
    conversion: String,
    names: Names,
}

fn convert_in_a_new_column<'a>(
    table: &'a ObjectName,
    column: &'a Ident,
    data_type: &'a DataType,
    using: Option<&'a str>,
    catalog: &'a Catalog,
    options: &PlanOptions<'a>,
) -> Result<Recipe<'a>, PlanError> {
    let known = sql::known_table(catalog, table)?;
    let old = known.column(column).ok_or_else(|| {
        PlanError(format!(
            "`{table}` has no column `{column}` in the replayed migrations"
        ))
    })?;
    dependants::refuse_partition_key_column(catalog.dialect(), known, column)?;
    let names = Names::new(table, column);
    if known.column(&names.new_column).is_some() {
        return Err(PlanError(format!(
            "`{table}` already has a column `{}`, the name the plan gives the converted column",
            names.new_column
        )));
    }
    let key = sql::batch_key(known)?;
    let carried = dependants::carried_indexes(catalog, known, column, &names.new_column)?;
    let options = *options;
    Ok(Box::new(move || {
        let conversion = match using {
            Some(expr) => format!("({})", expr.trim()),
            None => sql::ident(column),
        };
        let change = Change {
            table,
            column,
            old,
            data_type,
            conversion,
            names,
        };
        render(&change, &key, &carried, &options)
    }))
}

fn render(change: &Change, key: &[Ident], carried: &[CarriedIndex], options: &PlanOptions) -> Plan {
    let Change {
        table,
        column,
        old,
        data_type,
        ..
    } = *change;
    let mut phases = vec![expand(change), backfill(change, key, options)];
    if old.not_null {
        phases.push(phases::validate(
            table,
            &Ident::new(change.names.not_null_check.clone()),
        ));
    }
    phases.extend(carried.iter().map(|index| index.build_phase(table)));
    phases.push(contract(change, carried, options));
    let mut notes = vec![Note::on(&[PhaseKind::Expand, PhaseKind::Contract], format!(
        "Both releases read and write {column}; the one deployed before the contract phase must work with {} and {}, and write only values both can hold until the contract phase ran.",
        old.data_type.text, data_type.text
    ))];
    if old.default.is_some() {
        notes.push(Note::on(&[PhaseKind::Contract], format!(
            "The contract phase gives {column} its old default again; check that it converts to {}.",
            data_type.text
        )));
    }
    Plan {
        title: format!(
            "change {table}.{column} from {} to {}",
            old.data_type.text, data_type.text
        ),
        slug: sql::derived_ident(&[&table.name.value, &column.value, "to", &data_type.base]),
        phases,
        notes,
    }
}

fn expand(change: &Change) -> Phase {
    let Change {
        table,
        column,
        names,
        ..
    } = change;
    let t = sql::object(table);
    let new = sql::ident(&names.new_column);
    let mut steps = vec![Step::strong(format!(
        "ALTER TABLE {t} ADD COLUMN {new} {}",
        change.data_type.text
    ))];
    if change.old.not_null {
        // The trigger fills the new column of every row written from now on.
        steps.push(Step::strong(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({new} IS NOT NULL) NOT VALID",
            names.not_null_check
        )));
    }
    let function = sql::object(&names.function);
    let body = format!(
        "
BEGIN
  SELECT {conversion} INTO NEW.{new} FROM (SELECT NEW.*) AS old_row;
  RETURN NEW;
END
",
        conversion = change.conversion,
    );
    steps.push(Step::new(format!(
        "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS {}",
        sql::dollar_quoted(&body)
    )));
    steps.push(Step::strong(format!(
        "CREATE TRIGGER {} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {function}()",
        names.trigger
    )));
    Phase {
        kind: PhaseKind::Expand,
        summary: format!(
            "add {} as {} and convert every write of {column} into it with a trigger",
            names.new_column, change.data_type.text
        ),
        deploy: Deploy::BeforeRelease,
        transactional: true,
        lock: PhaseLock {
            table: (*table).clone(),
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
            Step::new(format!("DROP FUNCTION IF EXISTS {function}()")),
            Step::strong(format!("ALTER TABLE {t} DROP COLUMN IF EXISTS {new}")),
        ]),
        checklist: Vec::new(),
    }
}

/// For a character type narrowed to `n`, the query that lists the rows the backfill stops
/// on (the server's "value too long" names none): longer than `n` once trailing spaces,
/// which the assignment cuts, are gone. `None` for other types.
fn rows_too_long(change: &Change, key: &[Ident]) -> Option<String> {
    let n = match (
        change.data_type.base.as_str(),
        change.data_type.args.as_slice(),
    ) {
        ("varchar" | "char", [n]) if !change.data_type.array => *n,
        _ => return None,
    };
    let key = key.iter().map(sql::ident).collect::<Vec<_>>().join(", ");
    Some(format!(
        "SELECT {key} FROM {} WHERE char_length(rtrim(CAST({} AS text), ' ')) > {n} ORDER BY {key}",
        sql::object(change.table),
        change.conversion
    ))
}

fn backfill(change: &Change, key: &[Ident], options: &PlanOptions) -> Phase {
    let new = sql::ident(&change.names.new_column);
    // Compared as the new type: a conversion that coerces on assignment may not compare
    // with the new column as it is (`text` with `jsonb`).
    let pending = format!(
        "{new} IS DISTINCT FROM CAST({} AS {})",
        change.conversion, change.data_type.text
    );
    let block = sql::backfill_block(
        &Backfill {
            table: change.table,
            key,
            assignments: format!("{new} = {}", change.conversion),
            pending: pending.clone(),
        },
        options,
    );
    Phase {
        kind: PhaseKind::Backfill,
        summary: format!(
            "convert {} into {} for existing rows, in committed batches",
            change.column, change.names.new_column
        ),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: phases::batch_lock(change.table, options),
        verify: Verify {
            query: sql::pending_rows(change.table, &pending),
            expected: "0".into(),
        },
        steps: vec![Step {
            on_failure: Some(format!(
                "a value {} cannot hold stops the backfill at its batch with the error the plain statement would give (the batches before it stay committed), and the contract phase must not run: correct that row, or the USING expression, and run it again; it resumes with the rows still to convert{}",
                change.data_type.text,
                rows_too_long(change, key)
                    .map(|query| format!(". The rows too long for {}: `{query}`", change.data_type.text))
                    .unwrap_or_default()
            )),
            ..Step::new(block)
        }],
        rollback: Rollback::Nothing(format!(
            "the converted values go away with {} when the expand phase is rolled back",
            change.names.new_column
        )),
        checklist: Vec::new(),
    }
}

fn contract(change: &Change, carried: &[CarriedIndex], options: &PlanOptions) -> Phase {
    let Change {
        table,
        column,
        old,
        names,
        ..
    } = change;
    let t = sql::object(table);
    // A serial column goes back to its integer type, with the sequence it keeps.
    let old_type = old
        .data_type
        .serial_storage()
        .unwrap_or(&old.data_type.text);
    let (c, new) = (sql::ident(column), sql::ident(&names.new_column));
    let mut steps = vec![
        Step::strong(format!("DROP TRIGGER {} ON {t}", names.trigger)),
        Step::new(format!("DROP FUNCTION {}()", sql::object(&names.function))),
    ];
    let proven_not_null = old.not_null && options.target.at_least(12, 0, 0);
    if proven_not_null {
        steps.extend(phases::set_not_null_steps(table, &names.new_column));
    }
    steps.extend(phases::move_serial_sequence(table, old, &names.new_column));
    steps.push(Step {
        ignore: Some(format!(
            "-- lockstep:ignore drop-column -- contract phase: {} holds every value of {column} converted, and takes its name below",
            names.new_column
        )),
        ..Step::strong(format!("ALTER TABLE {t} DROP COLUMN {c}"))
    });
    steps.push(Step {
        ignore: Some(format!(
            "-- lockstep:ignore rename-column -- contract phase: the converted column takes the name every release uses; none uses {}",
            names.new_column
        )),
        ..Step::strong(format!("ALTER TABLE {t} RENAME COLUMN {new} TO {c}"))
    });
    steps.extend(carried.iter().map(CarriedIndex::rename_step));
    if proven_not_null {
        steps.extend(phases::keep_not_null_name(
            table,
            &names.new_column,
            column,
            options,
        ));
    }
    if let Some(default) = &old.default {
        steps.push(Step::strong(format!(
            "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}",
            default.text
        )));
    }
    Phase {
        kind: PhaseKind::Contract,
        summary: format!(
            "drop the trigger and the old {column}, and give {} its name",
            names.new_column
        ),
        deploy: Deploy::AfterAllInstances,
        transactional: true,
        lock: PhaseLock {
            table: (*table).clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: if proven_not_null {
                "catalogue changes only: SET NOT NULL uses the validated check instead of scanning"
                    .into()
            } else {
                "catalogue changes only: no rewrite, no scan".into()
            },
        },
        verify: Verify {
            query: sql::column_count(table, &names.new_column),
            expected: "0".into(),
        },
        steps,
        rollback: Rollback::Irreversible(format!(
            "the {} values of {column} are dropped; to go back, plan the change back to {} and deploy it",
            old_type, old_type
        )),
        checklist: vec![
            format!(
                "every application instance runs the release that works with {} as {}",
                column, change.data_type.text
            ),
            "the backfill verify query returned 0 after that release went out".into(),
            format!(
                "views created outside the migrations (the drop fails while one uses {column}), functions and grants that use {column} are recreated on {} (the plan rebuilt its indexes)",
                names.new_column
            ),
            format!("no query depends on the position of {column} (SELECT * read by position, INSERT without a column list): the converted column is added last and stays last"),
            "a backup taken after the backfill is restorable".into(),
        ],
    }
}
