//! `ADD UNIQUE` and `ADD PRIMARY KEY` without blocking writes for the index build.
//!
//! Added as written, the constraint builds its unique index under `ACCESS EXCLUSIVE`
//! (PRIMARY KEY also scans for NULLs first). The plan builds the unique index
//! `CONCURRENTLY`, in a file of its own outside a transaction, then attaches it with
//! `ADD CONSTRAINT ... USING INDEX`, a catalogue change. A primary key's columns must be
//! `NOT NULL` first, or `USING INDEX` sets it with a scan under `ACCESS EXCLUSIVE`: each
//! nullable column goes through the `NOT VALID` check, its validation and `SET NOT NULL`
//! (PostgreSQL 12+).

use super::constraint::{not_null_phases, stored_name};
use super::index::build_phase;
use super::phases::BRIEF;
use super::sql;
use super::{
    Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, PlanOptions, Rollback, Step, Verify,
};
use crate::catalog::Catalog;
use crate::diagnostic::LockMode;
use crate::names;
use crate::statement::{Constraint, ConstraintKind, Ident, ObjectName};

/// `None` unless the constraint is a `UNIQUE` or `PRIMARY KEY` that builds its own index.
pub fn plan(
    table: &ObjectName,
    constraint: &Constraint,
    text: &str,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    let (columns, primary) = match &constraint.kind {
        ConstraintKind::PrimaryKey {
            columns,
            using_index: None,
        } => (columns, true),
        ConstraintKind::Unique {
            columns,
            using_index: None,
        } => (columns, false),
        _ => return None,
    };
    Some(unique_index_then_attach(
        table, constraint, columns, primary, text, catalog, options,
    ))
}

fn unique_index_then_attach(
    table: &ObjectName,
    constraint: &Constraint,
    columns: &[Ident],
    primary: bool,
    text: &str,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let known = sql::known_table(catalog, table)?;
    if known.partitioned {
        return Err(PlanError(format!(
            "`{table}` is partitioned: PostgreSQL builds no unique index CONCURRENTLY on it, and the constraint must hold the partition key; add it to each partition (its index built CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX), then to `{table}` itself"
        )));
    }
    if primary && known.primary_key().is_some() {
        return Err(PlanError(format!("`{table}` already has a primary key")));
    }
    // Options USING INDEX cannot carry, or that the plain index would lose.
    for clause in ["INCLUDE", "NULLS", "DEFERRABLE", "WITH", "USING"] {
        if sql::find_keyword(text, clause).is_some() {
            return Err(PlanError(format!(
                "lockstep plans a plain UNIQUE or PRIMARY KEY on columns; this one has {clause}: build its index CONCURRENTLY by hand, then ADD CONSTRAINT ... USING INDEX"
            )));
        }
    }
    let name = match &constraint.name {
        Some(name) => stored_name(name),
        None => default_name(table, columns, primary),
    };
    let mut nullable = Vec::new();
    for column in columns {
        match known.column(column) {
            None => {
                return Err(PlanError(format!(
                    "`{table}` has no column `{column}` in the replayed migrations"
                )))
            }
            Some(known) if !known.not_null => nullable.push(column),
            Some(_) => {}
        }
    }
    let mut phases = Vec::new();
    if primary && !nullable.is_empty() {
        if !options.target.at_least(12, 0, 0) {
            return Err(PlanError(format!(
                "the primary key's columns must be NOT NULL first, and before PostgreSQL 12 SET NOT NULL scans `{table}` under ACCESS EXCLUSIVE whatever the plan does"
            )));
        }
        for column in nullable {
            phases.extend(not_null_phases(table, column, options).phases);
        }
    }
    let index = ObjectName {
        schema: table.schema.clone(),
        name: name.clone(),
    };
    let list: Vec<String> = columns.iter().map(sql::ident).collect();
    let create = format!(
        "CREATE UNIQUE INDEX CONCURRENTLY {} ON {} ({})",
        sql::ident(&name),
        sql::object(table),
        list.join(", ")
    );
    let build_at = phases.len();
    phases.push(build_phase(&index, table, create, true, false));
    phases.push(attach(table, &name, primary));
    let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
    Ok(Plan {
        title: format!("add {kind} {name} to {table} ({})", list.join(", ")),
        slug: sql::derived_ident(&[&name.value]),
        phases,
        notes: vec![Note::on(&[PhaseKind::AttachIndex], format!(
            "The rollback of the attach phase drops {name} with the constraint (PostgreSQL drops a constraint's index with it): run phase {} again to rebuild the index before attaching it again.",
            build_at + 1
        ))],
    })
}

/// PostgreSQL's own names: `<table>_pkey`, `<table>_<columns>_key`.
fn default_name(table: &ObjectName, columns: &[Ident], primary: bool) -> Ident {
    let relation = table.name.key();
    if primary {
        names::postgres_name(&relation, None, "pkey")
    } else {
        names::postgres_name(&relation, Some(&names::column_list_name(columns)), "key")
    }
}

/// `ADD CONSTRAINT ... USING INDEX`: the index becomes the constraint's, renamed to it.
fn attach(table: &ObjectName, name: &Ident, primary: bool) -> Phase {
    let sql_name = sql::ident(name);
    let t = sql::object(table);
    let kind = if primary { "PRIMARY KEY" } else { "UNIQUE" };
    Phase {
        kind: PhaseKind::AttachIndex,
        summary: format!("make the unique index {name} the {kind} constraint {name}"),
        deploy: Deploy::AfterPrevious,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: if primary {
                "catalogue change only: the index is built and the columns are NOT NULL".into()
            } else {
                "catalogue change only: the index is built".into()
            },
        },
        verify: Verify {
            query: sql::constraint_validated(table, &name.value),
            expected: "t".into(),
        },
        steps: vec![Step::strong(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {sql_name} {kind} USING INDEX {sql_name}"
        ))],
        rollback: Rollback::Steps(vec![Step::strong(format!(
            "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {sql_name}"
        ))]),
        checklist: Vec::new(),
    }
}
