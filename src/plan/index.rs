//! Build or drop an index without blocking writes: `CONCURRENTLY`, alone in a file that
//! runs outside a transaction (PostgreSQL refuses `CONCURRENTLY` in a transaction block,
//! and a file sent as one query string with two statements is one implicit transaction).
//!
//! A `CONCURRENTLY` build that fails (a duplicate for a unique index, a deadlock, a
//! cancel, a statement timeout) leaves the index behind, marked INVALID: no query uses
//! it, every write still maintains it, and `CREATE INDEX IF NOT EXISTS` skips it. The
//! verify query reads `pg_index.indisvalid`, and the header says to drop the leftover
//! (the rollback does exactly that) before running the build again.

use super::sql;
use super::{
    built, Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, Recipe, Rollback, Step,
    Verify,
};
use crate::catalog::{Catalog, Table};
use crate::diagnostic::LockMode;
use crate::statement::{Ident, IndexDef, ObjectName};

/// `CREATE INDEX` without `CONCURRENTLY`.
pub fn build<'a>(
    index: &'a IndexDef,
    text: &'a str,
    catalog: &Catalog,
) -> Result<Recipe<'a>, PlanError> {
    let name = index_name(index)?;
    if catalog.table(&index.table).is_some_and(|t| t.partitioned) {
        return built(super::partitioned_index::plan(index, &name, text, catalog));
    }
    // `CREATE INDEX` or `CREATE UNIQUE INDEX`: the keyword is one of the first three words.
    let at = sql::after_leading_keyword(text, "index", 3).ok_or_else(|| {
        PlanError(format!(
            "cannot find the INDEX keyword of `{}` to add CONCURRENTLY",
            name.name
        ))
    })?;
    Ok(Box::new(move || {
        let create = format!("{} CONCURRENTLY{}", &text[..at], &text[at..]);
        let phase = build_phase(
            &name,
            &index.table,
            create,
            index.unique,
            index.if_not_exists,
        );
        Plan {
            title: format!("build index {} on {}", name.name, index.table),
            slug: sql::derived_ident(&[&name.name.value]),
            phases: vec![phase],
            notes: Vec::new(),
        }
    }))
}

/// The index in its table's schema, where PostgreSQL creates it.
fn index_name(index: &IndexDef) -> Result<ObjectName, PlanError> {
    let name = index.name.clone().ok_or_else(|| {
        PlanError(format!(
            "name the index on `{}`: the plan checks for an INVALID leftover of a failed build, and drops it, by name",
            index.table
        ))
    })?;
    Ok(ObjectName {
        schema: index.table.schema.clone(),
        name,
    })
}

/// One `CREATE [UNIQUE] INDEX CONCURRENTLY` statement as a phase of its own.
pub fn build_phase(
    name: &ObjectName,
    table: &ObjectName,
    create: String,
    unique: bool,
    if_not_exists: bool,
) -> Phase {
    let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS {}", sql::object(name));
    let mut on_failure = format!(
        "a failed or cancelled build leaves {name} behind as an INVALID index (the verify query returns f): no query uses it, yet every write maintains it. Drop it with the rollback (`{drop};`), then run this migration again"
    );
    if unique {
        on_failure.push_str(
            "; a duplicate value fails the build (SQLSTATE 23505): remove the duplicates first",
        );
    }
    if if_not_exists {
        on_failure.push_str("; IF NOT EXISTS skips an INVALID index, so drop it first");
    }
    Phase {
        kind: PhaseKind::BuildIndex,
        summary: format!("build {name} CONCURRENTLY: reads and writes go on"),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::ShareUpdateExclusive,
            max_hold: None,
            reason: "for the whole build: two scans of the table and a wait for the transactions running when it started".into(),
        },
        verify: Verify {
            query: sql::index_valid(name),
            expected: "t".into(),
        },
        steps: vec![Step {
            on_failure: Some(on_failure),
            ..Step::new(create)
        }],
        rollback: Rollback::Steps(vec![Step::new(drop)]),
        checklist: Vec::new(),
    }
}

/// `DROP INDEX` without `CONCURRENTLY`.
pub fn drop(names: &[ObjectName], if_exists: bool, catalog: &Catalog) -> Result<Plan, PlanError> {
    let [name] = names else {
        return Err(PlanError(
            "drop one index per statement: DROP INDEX CONCURRENTLY takes a single index".into(),
        ));
    };
    let known = catalog.index(name);
    let table = catalog.index_table(name);
    let (Some(known), Some(table)) = (known, table) else {
        return Err(PlanError(format!(
            "lockstep does not know which table `{name}` indexes: its CREATE INDEX is not in the migrations before this file"
        )));
    };
    let name = ObjectName {
        schema: name.schema.clone().or_else(|| table.schema.clone()),
        name: name.name.clone(),
    };
    if catalog.table(&table).is_some_and(|t| t.partitioned) {
        return Err(PlanError(format!(
            "`{name}` is the index of the partitioned table `{table}`, and PostgreSQL refuses DROP INDEX CONCURRENTLY on it; a plain DROP INDEX takes ACCESS EXCLUSIVE on `{table}` and its partitions only for the catalogue change: run it alone, after `SET LOCAL lock_timeout = '{}'`",
            super::LOCK_TIMEOUT
        )));
    }
    let (unique, kind) = if known.unique {
        ("UNIQUE ", "a unique index")
    } else {
        ("", "an index")
    };
    let method = known
        .method
        .as_ref()
        .map_or(String::new(), |m| format!(" USING {m}"));
    let columns = index_columns(&known.columns, catalog.table(&table));
    let rebuild = format!(
        "CREATE {unique}INDEX CONCURRENTLY {} ON {}{method} ({columns})",
        sql::ident(&name.name),
        sql::object(&table),
    );
    let if_exists = if if_exists { "IF EXISTS " } else { "" };
    let phase = Phase {
        kind: PhaseKind::DropIndex,
        summary: format!("drop {name} CONCURRENTLY: reads and writes go on"),
        deploy: Deploy::AfterAllInstances,
        transactional: false,
        lock: PhaseLock {
            table: table.clone(),
            mode: LockMode::ShareUpdateExclusive,
            max_hold: None,
            reason: "while it waits for the transactions that could still use the index".into(),
        },
        verify: Verify {
            query: sql::relation_gone(&name),
            expected: "t".into(),
        },
        steps: vec![Step {
            on_failure: Some(format!(
                "a cancelled drop can leave {name} INVALID: no query uses it, writes still maintain it; run this migration again"
            )),
            ..Step::new(format!(
                "DROP INDEX CONCURRENTLY {if_exists}{}",
                sql::object(&name)
            ))
        }],
        rollback: Rollback::Steps(vec![Step::new(rebuild)]),
        checklist: Vec::new(),
    };
    Ok(Plan {
        title: format!("drop index {name} on {table}"),
        slug: sql::derived_ident(&[&name.name.value]),
        phases: vec![phase],
        notes: vec![Note::every_phase(format!(
            "The rollback rebuilds {name} from what the replayed migrations say ({kind} on {columns}); before dropping, compare it with `SELECT pg_get_indexdef({}::regclass);` and add any WHERE clause, INCLUDE columns, sort order or storage parameters it shows.",
            sql::literal(&sql::object(&name))
        ))],
    })
}

/// An index's columns as SQL, each as [`index_item`] writes it.
fn index_columns(columns: &[Ident], table: Option<&Table>) -> String {
    columns
        .iter()
        .map(|column| index_item(column, table))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One item of an index as SQL: a column of the table as the table spells it (`"Status"`
/// stays quoted), any other quoted name quoted, an expression as the CREATE INDEX wrote it.
pub(super) fn index_item(item: &Ident, table: Option<&Table>) -> String {
    match table.and_then(|t| t.column(item)) {
        Some(known) => sql::ident(&known.name),
        None if item.is_quoted() => sql::ident(item),
        None => item.value.clone(),
    }
}
