//! Drop a column or a table: contract only. The expand step is the application change
//! that stops reading and writing it; the plan is the drop, once every instance runs that
//! release, with the checklist to go through first because nothing brings the data back.
//!
//! One database change comes first for a `NOT NULL` column without a default: the release
//! that no longer knows the column inserts rows without it, which fails until the column
//! accepts NULL, so an expand phase drops the `NOT NULL` before that release goes out.
//! Its rollback must work on the rows that release wrote: it restores `NOT NULL` when no
//! row lacks the column, and otherwise a `NOT VALID` check that holds the rule for new
//! writes (the previous release always fills the column) without failing on those rows.

use super::phases::{self, BRIEF};
use super::sql;
use super::{Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, Rollback, Step, Verify};
use crate::catalog::Catalog;
use crate::diagnostic::LockMode;
use crate::statement::{Ident, ObjectName};

pub fn column(
    table: &ObjectName,
    column: &Ident,
    cascade: bool,
    catalog: &Catalog,
) -> Result<Plan, PlanError> {
    let known = sql::known_table(catalog, table)?;
    let old = known.column(column).ok_or_else(|| {
        PlanError(format!(
            "`{table}` has no column `{column}` in the replayed migrations"
        ))
    })?;
    super::dependants::refuse_dropping(catalog, known, column, cascade)?;
    let t = sql::object(table);
    let c = sql::ident(column);
    let mut phases = Vec::new();
    let mut notes = Vec::new();
    if old.not_null && old.default.is_none() {
        phases.push(accept_null(table, column));
        notes.push(Note::on(&[PhaseKind::Expand], format!(
            "Rolling back the expand phase runs SET NOT NULL, which scans {table} under ACCESS EXCLUSIVE; once the new release has inserted rows without {column}, it adds the check {} NOT VALID instead (new writes must fill {column} again, those rows stay as they are).",
            phases::not_null_check(table, column)
        )));
    }
    let cascade = if cascade { " CASCADE" } else { "" };
    phases.push(Phase {
        kind: PhaseKind::Contract,
        summary: format!("drop {column}"),
        deploy: Deploy::AfterAllInstances,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue change only: the values stay on disk until rows are rewritten"
                .into(),
        },
        verify: Verify {
            query: sql::column_count(table, column),
            expected: "0".into(),
        },
        steps: vec![Step {
            ignore: Some(format!(
                "-- lockstep:ignore drop-column -- contract phase: no application release reads or writes {column} any more"
            )),
            ..Step::strong(format!("ALTER TABLE {t} DROP COLUMN {c}{cascade}"))
        }],
        rollback: Rollback::Irreversible(format!(
            "the values of {column} are gone; restore them from the backup"
        )),
        checklist: vec![
            format!("every application instance runs the release that neither reads nor writes {column} (the expand step is that release)"),
            format!("no ORM model, report or job still selects {column}, or uses SELECT * with column positions"),
            format!("no view, index or constraint depends on {column} (`SELECT * FROM pg_depend` or a dry run on a copy)"),
            "a backup taken since the last write to it is restorable".into(),
        ],
    });
    Ok(Plan {
        title: format!("drop {table}.{column}"),
        slug: sql::derived_ident(&[&table.name.value, &column.value]),
        phases,
        notes,
    })
}

/// `DROP NOT NULL`, so that the release that no longer knows the column can insert.
fn accept_null(table: &ObjectName, column: &Ident) -> Phase {
    let t = sql::object(table);
    let c = sql::ident(column);
    let check = phases::not_null_check(table, column);
    let restore = format!(
        "
BEGIN
  -- lockstep:ignore set-not-null-without-check -- rollback: restores the NOT NULL the previous release relies on when no row lacks the column; the plan notes that it scans
  ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;
EXCEPTION WHEN not_null_violation THEN
  ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID;
END
"
    );
    Phase {
        kind: PhaseKind::Expand,
        summary: format!("let {column} be NULL, so rows can be inserted without it"),
        deploy: Deploy::BeforeRelease,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue change only: no scan".into(),
        },
        verify: Verify {
            query: sql::column_not_null(table, column),
            expected: "f".into(),
        },
        steps: vec![
            Step {
                ignore: Some(format!(
                    "-- lockstep:ignore drop-not-null -- expand phase: the next release stops writing {column}, and the contract phase drops it"
                )),
                ..Step::strong(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL"))
            },
            // Left by an earlier rollback that could not restore NOT NULL.
            Step::strong(format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}")),
        ],
        rollback: Rollback::Steps(vec![Step::strong(format!(
            "DO {}",
            sql::dollar_quoted(&restore)
        ))]),
        checklist: Vec::new(),
    }
}

pub fn table(names: &[ObjectName], cascade: bool, catalog: &Catalog) -> Result<Plan, PlanError> {
    let [table] = names else {
        return Err(PlanError(
            "drop one table per statement: each gets its own checklist".into(),
        ));
    };
    let known = sql::known_table(catalog, table)?;
    if !cascade {
        refuse_while_referenced(catalog, &known.name)?;
    }
    let cascade = if cascade { " CASCADE" } else { "" };
    let phase = Phase {
        kind: PhaseKind::Contract,
        summary: format!("drop {table}"),
        deploy: Deploy::AfterAllInstances,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue change; the files are removed at commit".into(),
        },
        verify: Verify {
            query: sql::relation_gone(table),
            expected: "t".into(),
        },
        steps: vec![Step {
            ignore: Some(format!(
                "-- lockstep:ignore drop-table -- contract phase: no application release reads or writes {table} any more"
            )),
            ..Step::strong(format!("DROP TABLE {}{cascade}", sql::object(table)))
        }],
        rollback: Rollback::Irreversible(format!(
            "{table} and its rows are gone; restore them from the backup"
        )),
        checklist: vec![
            format!("every application instance runs the release that neither reads nor writes {table} (the expand step is that release)"),
            format!("no job, report, replica consumer or other service still uses {table}"),
            format!("no foreign key references {table}, and no view selects from it (CASCADE would drop them silently)"),
            "a backup taken since the last write to it is restorable".into(),
        ],
    };
    Ok(Plan {
        title: format!("drop table {table}"),
        slug: sql::derived_ident(&[&table.name.value]),
        phases: vec![phase],
        notes: Vec::new(),
    })
}

/// Refuses to plan dropping `table` while a foreign key of another table refers to it: the
/// contract's `DROP TABLE` would fail on it, as the plain statement does (`CASCADE` drops
/// the key with the table; a key of the table to itself goes with it).
fn refuse_while_referenced(catalog: &Catalog, table: &ObjectName) -> Result<(), PlanError> {
    let referring: Vec<String> = catalog
        .foreign_keys_to(table)
        .into_iter()
        .filter(|(referencing, _)| *referencing != table)
        .map(
            |(referencing, constraint)| match constraint.name.as_deref() {
                Some(name) => format!("the foreign key {name} of {referencing}"),
                None => format!("a foreign key of {referencing}"),
            },
        )
        .collect();
    if referring.is_empty() {
        return Ok(());
    }
    Err(PlanError(format!(
        "`{table}` is referenced by {}, and DROP TABLE fails while it is: drop {} first, or add CASCADE to drop {} with the table",
        referring.join(", "),
        if referring.len() == 1 { "that key" } else { "those keys" },
        if referring.len() == 1 { "it" } else { "them" },
    )))
}
