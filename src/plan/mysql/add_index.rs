//! Add an index to a MySQL table: InnoDB builds a secondary index in place while reads and
//! writes continue (`ALGORITHM=INPLACE, LOCK=NONE`), logging concurrent writes and applying
//! them at the end under a brief exclusive metadata lock. The plan is the statement with
//! that pin and a `lock_wait_timeout`; FULLTEXT and SPATIAL indexes, which block writes,
//! get the online schema-change tools instead.

use super::super::Note;
use super::super::{Deploy, Phase, PhaseKind, Plan, PlanError, PlanOptions, Rollback, Verify};
use super::{pin, sql};
use crate::catalog::Catalog;
use crate::mysql::online_ddl::Operation;
use crate::statement::IndexDef;

pub fn plan(index: &IndexDef, catalog: &Catalog, options: &PlanOptions) -> Result<Plan, PlanError> {
    let table = &index.table;
    let name = match &index.name {
        Some(name) => name.value.clone(),
        None => {
            let columns: Vec<&str> = index.columns.iter().map(|c| c.value.as_str()).collect();
            sql::derived(&[&table.name.value, &columns.join("_"), "idx"])
        }
    };
    let kind = match index.method.as_deref() {
        Some("fulltext") => "FULLTEXT ",
        Some("spatial") => "SPATIAL ",
        _ if index.unique => "UNIQUE ",
        _ => "",
    };
    let operation = match index.method.as_deref() {
        Some("fulltext") => Operation::AddFulltextIndex,
        Some("spatial") => Operation::AddSpatialIndex,
        _ => Operation::AddIndex,
    };
    let columns = index
        .columns
        .iter()
        .map(|c| c.value.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let change = format!("ADD {kind}INDEX {name} ({columns})");
    let add = pin(operation, &options.target).map_err(|e| {
        PlanError(format!(
            "{e}; build it with an online schema-change tool instead: {}",
            sql::online_tools(table, &change)
        ))
    })?;
    if catalog.table(table).is_none() {
        return Err(PlanError(format!(
            "lockstep does not know `{table}`: its CREATE TABLE is not in the migrations before this file"
        )));
    }
    let expand = Phase {
        kind: PhaseKind::Expand,
        summary: format!("build {name} while reads and writes continue"),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::metadata_lock(table, add.cost()),
        verify: Verify {
            query: sql::index_count(table, &name),
            expected: "1".into(),
        },
        steps: vec![sql::pinned_alter(table, &change, add)],
        rollback: Rollback::Steps(vec![sql::pinned_alter(
            table,
            &format!("DROP INDEX {name}"),
            pin(Operation::DropIndex, &options.target)?,
        )]),
        checklist: Vec::new(),
    };
    let mut notes = vec![Note::every_phase(
        "Writes during the build are logged and applied at the end; past innodb_online_alter_log_max_size (128 MB by default) the build fails and changes nothing: raise it or run at a quieter time.",
    )];
    if index.unique {
        notes.push(Note::every_phase(format!(
            "The build fails, changing nothing, if `{table}` holds duplicate ({columns}) values, or if a write adds one while it runs."
        )));
    }
    Ok(Plan {
        title: format!("add index {name} on {table} ({columns})"),
        slug: sql::derived(&[&name]),
        phases: vec![expand],
        notes,
    })
}
