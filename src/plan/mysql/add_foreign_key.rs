//! Add a foreign key to a MySQL table.
//!
//! With `foreign_key_checks` on, InnoDB can only add a foreign key by copying the table,
//! blocking writes for the whole copy. With it off for the migration's session, the key is
//! added in place without a rebuild (instantly on MariaDB) and existing rows are not
//! checked; MySQL has no `VALIDATE CONSTRAINT`. So the plan adds the key unchecked (every
//! write from then on is checked, since the application's sessions keep the checks on), then
//! a validate phase looks for rows that broke it before it existed and fails if it finds
//! one. An index on the referencing columns, which InnoDB requires, is built in place first
//! when the replayed migrations show none.

use super::super::{
    Deploy, Note, Phase, PhaseKind, PhaseLock, Plan, PlanError, PlanOptions, Rollback, Step, Verify,
};
use super::{pin, sql};
use crate::catalog::{Catalog, CatalogConstraint};
use crate::mysql::online_ddl::Operation;
use crate::statement::{ConstraintKind, Ident, ObjectName};

/// The foreign key as the statement declares it.
pub struct ForeignKey<'a> {
    pub table: &'a ObjectName,
    pub name: Option<&'a Ident>,
    pub columns: &'a [Ident],
    pub references: &'a ObjectName,
    pub referred_columns: &'a [Ident],
    /// `ON DELETE ...` and the like, as written: the key the plan adds is the same key.
    pub clauses: &'a str,
}

/// The name InnoDB gives an unnamed foreign key, `<table>_ibfk_<n>`: one past the highest
/// such number of the table's keys (an unnamed key of the replay counts as one).
fn innodb_name(table: &ObjectName, catalog: &Catalog) -> Result<String, PlanError> {
    let prefix = format!("{}_ibfk_", table.name.value);
    let keys: Vec<&CatalogConstraint> = catalog
        .table(table)
        .map(|t| {
            t.constraints
                .iter()
                .filter(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
                .collect()
        })
        .unwrap_or_default();
    let highest = keys
        .iter()
        .filter_map(|c| {
            c.name
                .as_deref()?
                .strip_prefix(&prefix)?
                .parse::<usize>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    let unnamed = keys.iter().filter(|c| c.name.is_none()).count();
    let name = format!("{prefix}{}", highest.max(unnamed) + 1);
    if name.chars().count() > super::MAX_IDENT_CHARS {
        return Err(PlanError(format!(
            "the name MySQL would give this foreign key, `{name}`, is longer than {} characters and the server refuses it: name the constraint (`ADD CONSTRAINT <name> FOREIGN KEY ...`) and plan again",
            super::MAX_IDENT_CHARS
        )));
    }
    Ok(name)
}

pub fn plan(key: &ForeignKey, catalog: &Catalog, options: &PlanOptions) -> Result<Plan, PlanError> {
    let table = key.table;
    let referred = referred_columns(key, catalog)?;
    if key.columns.is_empty() || key.columns.len() != referred.len() {
        return Err(PlanError(format!(
            "the foreign key on `{table}` names {} columns but references {}",
            key.columns.len(),
            referred.len()
        )));
    }
    let columns: Vec<&str> = key.columns.iter().map(|c| c.value.as_str()).collect();
    let name = match key.name {
        Some(name) => name.value.clone(),
        None => innodb_name(table, catalog)?,
    };
    let needs_index = !key
        .columns
        .first()
        .is_some_and(|c| catalog.column_is_indexed(table, c));
    let list =
        |cols: &[Ident]| -> String { cols.iter().map(sql::ident).collect::<Vec<_>>().join(", ") };
    let name_sql = match key.name {
        Some(given) => sql::ident(given),
        None if table.name.is_quoted() => sql::ident(&Ident::quoted(name.clone())),
        None => name.clone(),
    };
    // The index the plain statement would create: named after the constraint, or after
    // the first column when the constraint has no name of its own.
    let index = match (key.name, key.columns.first()) {
        (None, Some(first)) => sql::ident(first),
        _ => name_sql.clone(),
    };
    let mut add_key = format!(
        "ADD CONSTRAINT {name_sql} FOREIGN KEY ({}) REFERENCES {} ({})",
        list(key.columns),
        sql::object(key.references),
        list(&referred)
    );
    if !key.clauses.is_empty() {
        add_key.push(' ');
        add_key.push_str(key.clauses);
    }
    let unchecked = pin(Operation::AddForeignKeyUnchecked, &options.target)?;
    let mut steps = Vec::new();
    let mut rollback = vec![sql::pinned_alter(
        table,
        &format!("DROP FOREIGN KEY {name_sql}"),
        pin(Operation::DropConstraint, &options.target)?,
    )];
    if needs_index {
        let add_index = pin(Operation::AddIndex, &options.target)?;
        steps.push(sql::pinned_alter(
            table,
            &format!("ADD INDEX {index} ({})", list(key.columns)),
            add_index,
        ));
        rollback.push(sql::pinned_alter(
            table,
            &format!("DROP INDEX {index}"),
            pin(Operation::DropIndex, &options.target)?,
        ));
    }
    steps.push(Step::new("SET SESSION foreign_key_checks = 0"));
    steps.push(sql::pinned_alter(table, &add_key, unchecked));
    steps.push(Step::new("SET SESSION foreign_key_checks = 1"));
    let orphans = orphan_query(key, &referred);
    let constrain = Phase {
        kind: PhaseKind::Constrain,
        summary: format!(
            "add {name} without checking existing rows; every write from now on is checked"
        ),
        deploy: Deploy::BeforeRelease,
        transactional: false,
        lock: sql::metadata_lock(
            table,
            &format!(
                "{}; the referenced table {} gets a brief shared metadata lock",
                unchecked.cost(),
                key.references
            ),
        ),
        verify: Verify {
            query: sql::foreign_key_count(table, &name),
            expected: "1".into(),
        },
        steps,
        rollback: Rollback::Steps(rollback),
        checklist: Vec::new(),
    };
    let message = format!(
        "{table} has rows that break {name}: fix or delete them, then run this phase again"
    );
    let validate = Phase {
        kind: PhaseKind::Validate,
        summary: format!("fail if rows written before {name} existed break it"),
        deploy: Deploy::AfterPrevious,
        transactional: false,
        lock: PhaseLock {
            table: table.clone(),
            mode: crate::diagnostic::LockMode::MysqlNone,
            max_hold: None,
            reason: "a consistent read of the whole table; no locks on rows".into(),
        },
        verify: Verify {
            query: format!("SELECT COUNT(*) {orphans}"),
            expected: "0".into(),
        },
        steps: sql::run_procedure(
            &sql::derived(&[&name, "validate"]),
            &format!(
                "  IF EXISTS (SELECT 1 {orphans}) THEN\n    {};\n  END IF;\n",
                sql::refuse(&message)
            ),
        ),
        rollback: Rollback::Nothing(
            "validating only reads; the key goes with the rollback of the constrain phase".into(),
        ),
        checklist: Vec::new(),
    };
    Ok(Plan {
        title: format!(
            "add foreign key {name} on {table} ({}) referencing {}",
            columns.join(", "),
            key.references
        ),
        slug: sql::derived(&[&name]),
        phases: vec![constrain, validate],
        notes: vec![Note::on(&[PhaseKind::Constrain, PhaseKind::Validate], format!(
            "Both application releases must keep foreign_key_checks on (the default): the key checks their writes from the constrain phase on, and {} rows cannot be deleted while {table} rows reference them.",
            key.references
        ))],
    })
}

/// The referenced columns: as written, else the referenced table's primary key.
fn referred_columns(key: &ForeignKey, catalog: &Catalog) -> Result<Vec<Ident>, PlanError> {
    if !key.referred_columns.is_empty() {
        return Ok(key.referred_columns.to_vec());
    }
    catalog
        .table(key.references)
        .and_then(|t| t.primary_key())
        .map(<[Ident]>::to_vec)
        .ok_or_else(|| {
            PlanError(format!(
                "name the referenced columns of `{}`: the replayed migrations show no primary key for it",
                key.references
            ))
        })
}

/// `FROM child LEFT JOIN parent ... WHERE` the row references a missing parent.
fn orphan_query(key: &ForeignKey, referred: &[Ident]) -> String {
    let on: Vec<String> = key
        .columns
        .iter()
        .zip(referred)
        .map(|(c, p)| format!("parent.{} = child.{}", sql::ident(p), sql::ident(c)))
        .collect();
    let set: Vec<String> = key
        .columns
        .iter()
        .map(|c| format!("child.{} IS NOT NULL", sql::ident(c)))
        .collect();
    let missing = referred
        .first()
        .map(|p| format!("parent.{} IS NULL", sql::ident(p)))
        .unwrap_or_default();
    format!(
        "FROM {} AS child LEFT JOIN {} AS parent ON {} WHERE {} AND {missing}",
        sql::object(key.table),
        sql::object(key.references),
        on.join(" AND "),
        set.join(" AND ")
    )
}
