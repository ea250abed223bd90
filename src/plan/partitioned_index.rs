//! An index on a partitioned table without blocking writes. PostgreSQL refuses
//! `CREATE INDEX CONCURRENTLY` on a partitioned table, and a plain `CREATE INDEX` builds the
//! index of every partition under SHARE locks, blocking writes to all of them. The way
//! around is to build it in pieces:
//!
//! 1. `CREATE INDEX name ON ONLY parent ...`: the parent's own index, created invalid,
//!    with no rows to read (SHARE on the parent for a moment);
//! 2. for each partition, `CREATE INDEX CONCURRENTLY` of the same definition, a phase of
//!    its own outside a transaction;
//! 3. `ALTER INDEX name ATTACH PARTITION <partition index>` for each: a catalogue change
//!    (ACCESS SHARE on the tables, ACCESS EXCLUSIVE on the partition's index for a moment);
//!    once every partition's index is attached, the parent's index becomes valid.
//!
//! The partitions are the ones the replayed migrations created or attached; a partition
//! that is itself partitioned, or a table with no known partition, is refused.

use super::index::build_phase;
use super::phases::BRIEF;
use super::sql;
use super::{Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, Rollback, Step, Verify};
use crate::catalog::Catalog;
use crate::diagnostic::LockMode;
use crate::names;
use crate::statement::{IndexDef, ObjectName};

pub fn plan(
    index: &IndexDef,
    name: &ObjectName,
    text: &str,
    catalog: &Catalog,
) -> Result<Plan, PlanError> {
    let table = &index.table;
    let partitions = catalog.partitions(table);
    if partitions.is_empty() {
        return Err(PlanError(format!(
            "`{table}` is partitioned, and the replayed migrations create or attach no partition of it: the plan builds the index partition by partition"
        )));
    }
    if let Some(nested) = partitions.iter().find(|p| p.partitioned) {
        return Err(PlanError(format!(
            "`{}` is itself partitioned: lockstep plans an index over one level of partitions; build this one by hand",
            nested.name
        )));
    }
    let definition = Definition::of(text).ok_or_else(|| {
        PlanError(format!(
            "cannot find `ON {table}` in the statement to build the index partition by partition"
        ))
    })?;
    let mut phases = vec![parent_only(index, name, &definition)];
    let mut attached = Vec::new();
    for partition in &partitions {
        let child = ObjectName {
            schema: partition.name.schema.clone(),
            name: names::named(sql::derived_ident(&[
                &partition.name.name.key(),
                &name.name.key(),
            ])),
        };
        let create = format!(
            "CREATE {}INDEX CONCURRENTLY {} ON {}{}",
            if index.unique { "UNIQUE " } else { "" },
            sql::ident(&child.name),
            sql::object(&partition.name),
            definition.rest
        );
        phases.push(build_phase(
            &child,
            &partition.name,
            create,
            index.unique,
            false,
        ));
        attached.push(child);
    }
    phases.push(attach(table, name, &attached));
    Ok(Plan {
        title: format!("build index {} on the partitioned table {table}", name.name),
        slug: sql::derived_ident(&[&name.name.value]),
        phases,
        notes: vec![Note::every_phase(format!(
            "The plan covers the partitions of {table} in the replayed migrations ({}); a partition created outside them needs its own index built and attached before the last phase, or the parent's index stays invalid.",
            partitions
                .iter()
                .map(|p| p.name.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))],
    })
}

/// The statement cut around its table: `CREATE ... INDEX name ON` and what follows the
/// table (`USING`, the columns, `INCLUDE`, `WHERE`, ...).
struct Definition<'a> {
    head: &'a str,
    rest: &'a str,
}

impl<'a> Definition<'a> {
    fn of(text: &'a str) -> Option<Definition<'a>> {
        let on = sql::find_keyword(text, "on")?;
        let mut at = on + "on".len();
        at = skip_space(text, at);
        if text[at..].len() >= 4 && text[at..at + 4].eq_ignore_ascii_case("only") {
            at = skip_space(text, at + 4);
        }
        let end = sql::object_name_end(text, at)?;
        Some(Definition {
            head: text[..on + "on".len()].trim_end(),
            rest: text[end..].trim_end().trim_end_matches(';'),
        })
    }
}

fn skip_space(text: &str, at: usize) -> usize {
    at + text[at..].len() - text[at..].trim_start().len()
}

fn parent_only(index: &IndexDef, name: &ObjectName, definition: &Definition) -> Phase {
    let table = &index.table;
    Phase {
        kind: PhaseKind::Expand,
        summary: format!(
            "create {} on {table} alone, invalid until its partitions' indexes are attached",
            name.name
        ),
        deploy: Deploy::BeforeRelease,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::Share,
            max_hold: Some(BRIEF),
            reason: "catalogue change only: a partitioned table holds no rows".into(),
        },
        verify: Verify {
            query: format!(
                "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass({})",
                sql::literal(&sql::object(name))
            ),
            expected: "1".into(),
        },
        steps: vec![Step::strong(format!(
            "{} ONLY {}{}",
            definition.head,
            sql::object(table),
            definition.rest
        ))],
        rollback: Rollback::Steps(vec![Step::strong(format!(
            "DROP INDEX IF EXISTS {}",
            sql::object(name)
        ))]),
        checklist: Vec::new(),
    }
}

fn attach(table: &ObjectName, name: &ObjectName, children: &[ObjectName]) -> Phase {
    let steps = children
        .iter()
        .map(|child| {
            Step::new(format!(
                "ALTER INDEX {} ATTACH PARTITION {}",
                sql::object(name),
                sql::object(child)
            ))
        })
        .collect();
    Phase {
        kind: PhaseKind::AttachIndex,
        summary: format!("attach each partition's index to {}, which makes it valid", name.name),
        deploy: Deploy::AfterPrevious,
        transactional: true,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::AccessShare,
            max_hold: Some(BRIEF),
            reason: "catalogue change only; each partition's index is held ACCESS EXCLUSIVE for a moment, so a query about to use it waits".into(),
        },
        verify: Verify {
            query: sql::index_valid(name),
            expected: "t".into(),
        },
        steps,
        rollback: Rollback::Nothing(
            "an attached index cannot be detached; the rollback of the first phase drops the parent's index with every attached one".into(),
        ),
        checklist: Vec::new(),
    }
}
