//! Constraints that PostgreSQL checks against every existing row: `SET NOT NULL`,
//! `CHECK` and `FOREIGN KEY`. Added as written, each scans the table while holding a lock
//! that blocks writes (`ACCESS EXCLUSIVE` for a check or `SET NOT NULL`, `SHARE ROW
//! EXCLUSIVE` on both tables for a foreign key).
//!
//! The plan adds the constraint `NOT VALID` (enforced for new and updated rows from then
//! on, no scan, a brief lock), then `VALIDATE CONSTRAINT` in a later, separate
//! transaction: it scans under `SHARE UPDATE EXCLUSIVE`, which blocks neither reads nor
//! writes. `SET NOT NULL` becomes a `CHECK (col IS NOT NULL)` validated that way, which
//! PostgreSQL 12+ uses instead of scanning.

use super::phases::{self, NotNull};
use super::sql;
use super::{
    Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, PlanOptions, Rollback, Step, Verify,
};
use crate::catalog::{Catalog, Table};
use crate::diagnostic::LockMode;
use crate::names;
use crate::statement::{Constraint, ConstraintKind, Ident, ObjectName};

/// `ALTER TABLE ... ALTER COLUMN ... SET NOT NULL`; `None` when it needs no plan.
pub fn set_not_null(
    table: &ObjectName,
    column: &Ident,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    if options.target.at_least(12, 0, 0) && catalog.has_validated_not_null_check(table, column) {
        // A validated check already spares the scan.
        return None;
    }
    let known = match sql::known_table(catalog, table) {
        Ok(known) => known,
        Err(e) => return Some(Err(e)),
    };
    match known.column(column) {
        None => {
            return Some(Err(PlanError(format!(
                "`{table}` has no column `{column}` in the replayed migrations"
            ))))
        }
        Some(c) if c.not_null => return None,
        Some(_) => {}
    }
    let not_null = not_null_phases(table, column, options);
    let notes = std::iter::once(releases_comply(&not_null.constraint))
        .chain(not_null.note)
        .collect();
    let phases = not_null.phases;
    Some(Ok(Plan {
        title: format!("make {table}.{column} NOT NULL"),
        slug: sql::derived_ident(&[&table.name.value, &column.value, "not_null"]),
        phases,
        notes,
    }))
}

/// The phases that make an existing column NOT NULL: the constrain phase only once no
/// running release writes a NULL, or its writes start failing; the validate phase says
/// what a NULL left in the table does to it.
pub fn not_null_phases(table: &ObjectName, column: &Ident, options: &PlanOptions) -> NotNull {
    let mut not_null = phases::not_null_phases(table, column, options);
    let sqlstate = if options.target.at_least(18, 0, 0) {
        "23502"
    } else {
        "23514"
    };
    for phase in &mut not_null.phases {
        match phase.kind {
            PhaseKind::Constrain => phase.deploy = Deploy::AfterAllInstances,
            PhaseKind::Validate => {
                *phase = validating(phase.clone(), &not_null.constraint, sqlstate);
            }
            _ => {}
        }
    }
    not_null
}

/// `ALTER TABLE ... ADD [CONSTRAINT c] CHECK (...)` or `FOREIGN KEY ...`, without `NOT
/// VALID`; `None` for other constraints. `text` is the statement as written.
pub fn add_validated(
    table: &ObjectName,
    constraint: &Constraint,
    text: &str,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    if !constraint.checks_existing_rows() {
        return None;
    }
    let (keyword, references) = match &constraint.kind {
        ConstraintKind::Check { .. } => ("CHECK", None),
        ConstraintKind::ForeignKey { target, .. } => ("FOREIGN", Some(&target.references)),
        _ => return None,
    };
    let partitioned = catalog.table(table).is_some_and(|t| t.partitioned);
    if references.is_some() && partitioned && !options.target.at_least(18, 0, 0) {
        return Some(Err(PlanError(format!(
            "PostgreSQL before 18 refuses a NOT VALID foreign key on the partitioned table `{table}`, and adds a valid one by checking every row while writes to `{table}` wait: lockstep has no plan for it on this target (PostgreSQL 18 accepts NOT VALID there: `--target-version 18`)"
        ))));
    }
    Some(constrain_then_validate(
        table, constraint, keyword, references, text, catalog,
    ))
}

fn constrain_then_validate(
    table: &ObjectName,
    constraint: &Constraint,
    keyword: &str,
    references: Option<&ObjectName>,
    text: &str,
    catalog: &Catalog,
) -> Result<Plan, PlanError> {
    let known = sql::known_table(catalog, table)?;
    let name = match &constraint.name {
        Some(name) => stored_name(name),
        None => default_name(table, &constraint.kind, known),
    };
    if constraint.name.is_none()
        && known
            .constraints
            .iter()
            .any(|c| c.name.as_deref() == Some(name.value.as_str()))
    {
        return Err(PlanError(format!(
            "`{table}` already has a constraint `{name}`: name the new one and plan again"
        )));
    }
    let sql_name = sql::ident(&name);
    let add = named(text, keyword, &sql_name, constraint.name.is_some())?;
    let t = sql::object(table);
    let (mode, reason, sqlstate) = match references {
        Some(referenced) => (
            LockMode::ShareRowExclusive,
            format!("catalogue change only: NOT VALID skips the scan; {referenced} is locked the same way"),
            "23503",
        ),
        None => (
            LockMode::AccessExclusive,
            "catalogue change only: NOT VALID skips the scan".to_string(),
            "23514",
        ),
    };
    let constrain = Phase {
        kind: PhaseKind::Constrain,
        summary: format!("add {name} NOT VALID: new and updated rows only, no scan"),
        // Only once no running release writes a row that breaks it.
        deploy: Deploy::AfterAllInstances,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode,
            max_hold: Some(phases::BRIEF),
            reason,
        },
        verify: Verify {
            query: sql::constraint_validated(table, &name.value),
            expected: "f".into(),
        },
        steps: vec![Step::strong(format!("{} NOT VALID", add.trim_end()))],
        rollback: Rollback::Steps(vec![Step::strong(format!(
            "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {sql_name}"
        ))]),
        checklist: Vec::new(),
    };
    let validate = validating(phases::validate(table, &name), &name.value, sqlstate);
    let what = if references.is_some() {
        "foreign key"
    } else {
        "check"
    };
    Ok(Plan {
        title: format!("add {what} {name} to {table}"),
        slug: sql::derived_ident(&[&name.value]),
        phases: vec![constrain, validate],
        notes: vec![releases_comply(&name.value)],
    })
}

/// A constraint's name as PostgreSQL stores it (unquoted names fold to lower case), to
/// be written quoted when it must be.
pub fn stored_name(name: &Ident) -> Ident {
    names::named(name.key().into_owned())
}

/// The name PostgreSQL gives an unnamed constraint: `<table>_<columns>_fkey`;
/// `<table>_<column>_check` when the check uses one column, `<table>_check` otherwise.
fn default_name(table: &ObjectName, kind: &ConstraintKind, known: &Table) -> Ident {
    let relation = table.name.key();
    match kind {
        ConstraintKind::ForeignKey { columns, .. } => {
            names::postgres_name(&relation, Some(&names::column_list_name(columns)), "fkey")
        }
        ConstraintKind::Check { expr } => {
            let mut used: Vec<String> = sql::identifiers(expr)
                .into_iter()
                .filter_map(|word| known.column(&word).map(|c| c.name.key().into_owned()))
                .collect();
            used.sort();
            used.dedup();
            match used.as_slice() {
                [column] => names::postgres_name(&relation, Some(column), "check"),
                _ => names::postgres_name(&relation, None, "check"),
            }
        }
        _ => names::postgres_name(&relation, None, "check"),
    }
}

/// The statement with `CONSTRAINT name` before the constraint's keyword when it had none:
/// `VALIDATE CONSTRAINT` needs the name.
fn named(text: &str, keyword: &str, name: &str, has_name: bool) -> Result<String, PlanError> {
    if has_name {
        return Ok(text.to_string());
    }
    let at = sql::find_keyword(text, keyword).ok_or_else(|| {
        PlanError(format!(
            "cannot find {keyword} in the statement to name the constraint; write ADD CONSTRAINT {name} {keyword} ... and plan again"
        ))
    })?;
    Ok(format!("{}CONSTRAINT {name} {}", &text[..at], &text[at..]))
}

/// Which release "the new release" of the constrain phase is.
fn releases_comply(constraint: &str) -> Note {
    Note::on(&[PhaseKind::Constrain], format!(
        "The new release of the constrain phase is one that never writes a row breaking {constraint}: from that phase on such a write fails."
    ))
}

/// The validate phase, told what a row that breaks the constraint does to it.
fn validating(mut phase: Phase, constraint: &str, sqlstate: &str) -> Phase {
    for step in &mut phase.steps {
        step.on_failure = Some(format!(
            "a row that breaks {constraint} fails the validation (SQLSTATE {sqlstate}) and nothing changes: correct those rows and run it again; meanwhile {constraint} still holds for new and updated rows"
        ));
    }
    phase
}
