//! Rename a table without breaking the release still running: rename it, and in the same
//! transaction create a view under the old name. A view that selects every column of one
//! table is updatable (PostgreSQL 9.3+), so the old release keeps reading and writing
//! through it while the new release uses the new name; the contract phase drops the view.

use super::phases::BRIEF;
use super::sql;
use super::{Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, Rollback, Step, Verify};
use crate::catalog::Catalog;
use crate::diagnostic::LockMode;
use crate::statement::ObjectName;

pub fn plan(from: &ObjectName, to: &ObjectName, catalog: &Catalog) -> Result<Plan, PlanError> {
    sql::known_table(catalog, from)?;
    if to.schema.is_some() && to.schema != from.schema {
        return Err(PlanError(format!(
            "`ALTER TABLE ... RENAME TO` keeps `{from}` in its schema; `{to}` names another one"
        )));
    }
    // The new name lives in the table's schema.
    let to = ObjectName {
        schema: from.schema.clone(),
        name: to.name.clone(),
    };
    if catalog.table(&to).is_some() {
        return Err(PlanError(format!("a table `{to}` already exists")));
    }
    let view = create_view(from, &to);
    Ok(Plan {
        title: format!("rename table {from} to {}", to.name),
        slug: sql::derived_ident(&[&from.name.value, "to", &to.name.value]),
        phases: vec![expand(from, &to, &view), contract(from, &to, view)],
        notes: vec![
            Note::on(&[PhaseKind::Expand, PhaseKind::Contract], format!(
                "The view {from} shows the columns {} has when the expand phase runs; add a column to {} only after the contract phase, or recreate the view with it.",
                to.name, to.name
            )),
            Note::on(&[PhaseKind::Expand], format!(
                "Grants on {from} stay with the table; if the old release connects as a role that is not the owner, grant it the same privileges on the view."
            )),
        ],
    })
}

fn create_view(from: &ObjectName, to: &ObjectName) -> String {
    format!(
        "CREATE VIEW {} AS SELECT * FROM {}",
        sql::object(from),
        sql::object(to)
    )
}

fn expand(from: &ObjectName, to: &ObjectName, view: &str) -> Phase {
    let (f, t) = (sql::object(from), sql::object(to));
    Phase {
        kind: PhaseKind::Expand,
        summary: format!(
            "rename {from} to {}, with an updatable view under the old name",
            to.name
        ),
        deploy: Deploy::BeforeRelease,
        transactional: true,
        lock: PhaseLock {
            table: from.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: "catalogue changes only: no rewrite, no scan".into(),
        },
        verify: Verify {
            query: relkind(from),
            expected: "v".into(),
        },
        steps: vec![
            Step::strong(format!(
                "ALTER TABLE {f} RENAME TO {}",
                sql::ident(&to.name)
            )),
            Step::new(view.to_string()),
        ],
        rollback: Rollback::Steps(vec![
            Step::strong(format!("DROP VIEW IF EXISTS {f}")),
            Step::strong(format!(
                "ALTER TABLE {t} RENAME TO {}",
                sql::ident(&from.name)
            )),
        ]),
        checklist: Vec::new(),
    }
}

fn contract(from: &ObjectName, to: &ObjectName, view: String) -> Phase {
    Phase {
        kind: PhaseKind::Contract,
        summary: format!("drop the view {from}"),
        deploy: Deploy::AfterAllInstances,
        transactional: true,
        lock: PhaseLock {
            table: from.clone(),
            mode: LockMode::AccessExclusive,
            max_hold: Some(BRIEF),
            reason: format!("on the view only; {} is not touched", to.name),
        },
        verify: Verify {
            query: sql::relation_gone(from),
            expected: "t".into(),
        },
        steps: vec![Step {
            ignore: Some(format!(
                "-- lockstep:ignore drop-object -- contract phase: every instance uses {}; none reads the view {from} any more",
                to.name
            )),
            ..Step::strong(format!("DROP VIEW {}", sql::object(from)))
        }],
        rollback: Rollback::Steps(vec![Step::new(view)]),
        checklist: Vec::new(),
    }
}

/// `r` for a table, `v` for a view.
fn relkind(relation: &ObjectName) -> String {
    format!(
        "SELECT relkind FROM pg_class WHERE oid = to_regclass({})",
        sql::literal(&sql::object(relation))
    )
}
