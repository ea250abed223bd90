//! Phases several recipes share: the lock of a batched backfill and the safe way to make
//! a column `NOT NULL` (a `NOT VALID` check, its validation, then `SET NOT NULL`).

use super::sql;
use super::{Deploy, Note, Phase, PhaseKind, PhaseLock, PlanOptions, Rollback, Step, Verify};
use crate::catalog::Column;
use crate::diagnostic::LockMode;
use crate::names;
use crate::statement::{Ident, ObjectName};
use std::time::Duration;

/// Catalogue-only changes hold their ACCESS EXCLUSIVE lock for milliseconds.
pub const BRIEF: Duration = Duration::from_secs(1);
/// The longest one backfill batch holds its locks.
pub const BATCH_HOLD: Duration = Duration::from_secs(5);

/// A backfill holds ROW EXCLUSIVE and its batch's row locks until the batch commits.
pub fn batch_lock(table: &ObjectName, options: &PlanOptions) -> PhaseLock {
    PhaseLock {
        table: table.clone(),
        mode: LockMode::RowExclusive,
        max_hold: Some(BATCH_HOLD),
        reason: format!(
            "one batch of {} rows at a time: each batch commits, releasing its locks, then pauses {} ms",
            options.batch_rows(table),
            options.pause_ms
        ),
    }
}

/// The name of the check that stands in for `NOT NULL` while it is validated. Not
/// `<table>_<column>_not_null`: PostgreSQL 18 gives that name to the column's own `NOT
/// NULL` constraint, which would then get a numbered name while the check exists.
pub fn not_null_check(table: &ObjectName, column: &Ident) -> String {
    sql::derived_ident(&[&table.name.value, &column.value, "not_null_check"])
}

/// When `old` is a serial column: the contract steps that give its sequence to the
/// column `new` replacing it, before `old` is dropped (a sequence owned by a column is
/// dropped with it): ownership, then the default that draws from it. The sequence has the
/// name PostgreSQL gave it with the column, `<table>_<column>_seq`.
pub fn move_serial_sequence(table: &ObjectName, old: &Column, new: &Ident) -> Vec<Step> {
    if old.data_type.serial_storage().is_none() {
        return Vec::new();
    }
    let t = sql::object(table);
    let sequence = ObjectName {
        schema: table.schema.clone(),
        name: names::postgres_name(&table.name.key(), Some(&old.name.key()), "seq"),
    };
    let n = sql::ident(new);
    let s = sql::object(&sequence);
    vec![
        Step {
            // Taken after the table's lock, never before: an insert holding the table's
            // ROW EXCLUSIVE and waiting on the sequence would deadlock with the phase.
            ignore: Some(format!(
                "-- lockstep:ignore statement-after-access-exclusive -- contract phase: only inserts into {t}, which wait for this transaction anyway, draw from {s}"
            )),
            ..Step::new(format!("ALTER SEQUENCE {s} OWNED BY {t}.{n}"))
        },
        Step::strong(format!(
            "ALTER TABLE {t} ALTER COLUMN {n} SET DEFAULT nextval({})",
            sql::literal(&s)
        )),
    ]
}

/// On PostgreSQL 18+, where `NOT NULL` is a named constraint: the rename that gives the
/// `NOT NULL` of `column` (named after it when it was set) the name the plain statement
/// leaves, `<table>_<named_after>_not_null`. Runs once the old column, which held that
/// name, is dropped.
pub fn keep_not_null_name(
    table: &ObjectName,
    column: &Ident,
    named_after: &Ident,
    options: &PlanOptions,
) -> Option<Step> {
    if !options.target.at_least(18, 0, 0) || column.key() == named_after.key() {
        return None;
    }
    let relation = table.name.key();
    let current = names::postgres_name(&relation, Some(&column.key()), "not_null");
    let wanted = names::postgres_name(&relation, Some(&named_after.key()), "not_null");
    Some(Step::strong(format!(
        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
        sql::object(table),
        sql::ident(&current),
        sql::ident(&wanted)
    )))
}

/// The safe way to make `column` NOT NULL on the target server, and a note when the
/// server cannot finish it:
/// - PostgreSQL 18+: `ADD CONSTRAINT <table>_<column>_not_null NOT NULL column NOT VALID`
///   (no scan), then `VALIDATE CONSTRAINT` (a scan that blocks no writes): two phases, and
///   the constraint is the one the plain `SET NOT NULL` creates, name included;
/// - PostgreSQL 12 to 17: a `NOT VALID` check, its validation, then `SET NOT NULL`, which
///   uses the validated check instead of scanning, and the check's drop;
/// - PostgreSQL 11: the validated check only (its `SET NOT NULL` would scan anyway).
pub fn not_null_phases(table: &ObjectName, column: &Ident, options: &PlanOptions) -> NotNull {
    if options.target.at_least(18, 0, 0) {
        let name = names::postgres_name(&table.name.key(), Some(&column.key()), "not_null");
        let mut constrain = constrain_not_null(table, column);
        let t = sql::object(table);
        constrain.summary = format!(
            "add the NOT NULL constraint {name} NOT VALID: new and updated rows only, no scan"
        );
        constrain.steps = vec![Step::strong(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {} NOT NULL {} NOT VALID",
            sql::ident(&name),
            sql::ident(column)
        ))];
        constrain.verify.query = sql::constraint_validated(table, &name.value);
        constrain.rollback = Rollback::Steps(vec![Step::strong(format!(
            "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {}",
            sql::ident(&name)
        ))]);
        return NotNull {
            phases: vec![constrain, validate(table, &name)],
            constraint: name.value,
            note: None,
        };
    }
    let check = not_null_check(table, column);
    let mut phases = vec![
        constrain_not_null(table, column),
        validate(table, &Ident::new(check.clone())),
    ];
    let mut note = None;
    if options.target.at_least(12, 0, 0) {
        phases.push(set_not_null(table, column));
    } else {
        note = Some(Note::on(&[PhaseKind::Validate], format!(
            "On PostgreSQL 11 SET NOT NULL scans the table under ACCESS EXCLUSIVE even with a validated check, so the plan stops at the validated check `{check}`, which enforces the same rule; run the SET NOT NULL after upgrading to 12."
        )));
    }
    NotNull {
        phases,
        constraint: check,
        note,
    }
}

/// The phases that make a column NOT NULL, the constraint they add, and what the target
/// server leaves undone.
pub struct NotNull {
    pub phases: Vec<Phase>,
    /// The constraint the constrain phase adds and the validate phase validates.
    pub constraint: String,
    pub note: Option<Note>,
}

/// `ADD CONSTRAINT ... CHECK (column IS NOT NULL) NOT VALID`: checked for new and updated
/// rows from now on, without scanning the existing ones.
pub fn constrain_not_null(table: &ObjectName, column: &Ident) -> Phase {
    let check = not_null_check(table, column);
    let t = sql::object(table);
    Phase {
        kind: PhaseKind::Constrain,
        summary: format!("add {check} NOT VALID: new and updated rows only, no scan"),
        deploy: Deploy::AfterPrevious,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue change only: NOT VALID skips the scan".into(),
        },
        verify: Verify {
            query: sql::constraint_validated(table, &check),
            expected: "f".into(),
        },
        steps: vec![Step::strong(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({} IS NOT NULL) NOT VALID",
            sql::ident(column)
        ))],
        rollback: Rollback::Steps(vec![Step::strong(format!(
            "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}"
        ))]),
        checklist: Vec::new(),
    }
}

/// VALIDATE CONSTRAINT scans the table under SHARE UPDATE EXCLUSIVE: reads and writes go on.
pub fn validate(table: &ObjectName, constraint: &Ident) -> Phase {
    Phase {
        kind: PhaseKind::Validate,
        summary: format!("check {constraint} against existing rows without blocking writes"),
        deploy: Deploy::AfterPrevious,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::ShareUpdateExclusive,
            max_hold: None,
            reason: "for the scan of the table; reads and writes continue".into(),
        },
        verify: Verify {
            query: sql::constraint_validated(table, &constraint.value),
            expected: "t".into(),
        },
        steps: vec![Step::new(format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            sql::object(table),
            sql::ident(constraint)
        ))],
        rollback: Rollback::Nothing(
            "validating only checks rows; the constraint goes with the rollback of the phase that added it"
                .into(),
        ),
        checklist: Vec::new(),
    }
}

/// The steps that turn a validated `NOT NULL` check into the column's own `NOT NULL`:
/// PostgreSQL 12+ skips the scan when a validated check proves it.
pub fn set_not_null_steps(table: &ObjectName, column: &Ident) -> Vec<Step> {
    let t = sql::object(table);
    vec![
        Step::strong(format!(
            "ALTER TABLE {t} ALTER COLUMN {} SET NOT NULL",
            sql::ident(column)
        )),
        Step::strong(format!(
            "ALTER TABLE {t} DROP CONSTRAINT {}",
            not_null_check(table, column)
        )),
    ]
}

pub fn set_not_null(table: &ObjectName, column: &Ident) -> Phase {
    let t = sql::object(table);
    let check = not_null_check(table, column);
    Phase {
        kind: PhaseKind::SetNotNull,
        summary: format!("make {column} NOT NULL using the validated check, then drop the check"),
        deploy: Deploy::AfterPrevious,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason:
                "catalogue changes only: SET NOT NULL uses the validated check instead of scanning"
                    .into(),
        },
        verify: Verify {
            query: sql::column_not_null(table, column),
            expected: "t".into(),
        },
        steps: set_not_null_steps(table, column),
        rollback: Rollback::Steps(vec![
            Step::strong(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({} IS NOT NULL) NOT VALID",
                sql::ident(column)
            )),
            Step::strong(format!(
                "ALTER TABLE {t} ALTER COLUMN {} DROP NOT NULL",
                sql::ident(column)
            )),
        ]),
        checklist: Vec::new(),
    }
}
