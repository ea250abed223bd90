//! What else uses a column that a plan replaces with a new one (a rename or a type change
//! through a new column): the contract phase drops the old column, and PostgreSQL drops
//! with it every index and constraint on it, where the plain statement would have kept
//! them on the renamed or retyped column.
//!
//! From the replayed schema: plain indexes on the column are built again on the new column
//! (`CONCURRENTLY`, before the contract phase) and take their old names in the contract
//! phase. A key, constraint, foreign key or expression index that uses the column makes
//! the plan refuse, naming each, because moving them safely is a plan of its own. So does
//! a view the migrations created on the column (PostgreSQL refuses to drop a column a view
//! uses), and a partition key that holds it (PostgreSQL refuses to drop or alter such a
//! column at all). Views, functions and grants created outside the migrations are
//! invisible to the replay; the contract checklist asks for them.

use super::index::{build_phase, index_item};
use super::sql;
use super::{Phase, PlanError, Step};
use crate::catalog::{Catalog, Index, Table, TableKey, ViewUse};
use crate::dialect::Dialect;
use crate::names;
use crate::statement::{ConstraintKind, Ident, ObjectName};

/// An index of the old column, built again on the new one.
pub struct CarriedIndex {
    /// The index's name, which the rebuilt index takes once the old one is dropped.
    name: Ident,
    /// The rebuilt index's name until then.
    temporary: ObjectName,
    /// `CREATE ... INDEX CONCURRENTLY` of the rebuilt index.
    create: String,
    unique: bool,
}

impl CarriedIndex {
    /// The phase that builds it, before the contract phase.
    pub fn build_phase(&self, table: &ObjectName) -> Phase {
        build_phase(
            &self.temporary,
            table,
            self.create.clone(),
            self.unique,
            false,
        )
    }

    /// The contract step, after the old column (and its index) is dropped.
    pub fn rename_step(&self) -> Step {
        Step::strong(format!(
            "ALTER INDEX {} RENAME TO {}",
            sql::object(&self.temporary),
            sql::ident(&self.name)
        ))
    }
}

/// The indexes to carry from `column` to `replacement`, or why the plan cannot move what
/// uses `column`.
pub fn carried_indexes(
    catalog: &Catalog,
    known: &Table,
    column: &Ident,
    replacement: &Ident,
) -> Result<Vec<CarriedIndex>, PlanError> {
    let table = &known.name;
    let key = column.key();
    carry_indexes(catalog, known, column, |name, index| {
        if known.partitioned {
            // Built partition by partition: a plan of its own (`lockstep plan` on a
            // CREATE INDEX of the new column).
            return if index.columns.iter().any(|c| c.key() == key) {
                IndexUse::Blocks(format!("the index {} of the partitioned table", name.name))
            } else {
                IndexUse::Unused
            };
        }
        // An index item is the column itself (same catalogue key), or an expression whose
        // text names it; a quoted item is a name, never an expression to search.
        let mentions = |item: &Ident| {
            item.key() == key
                || (!item.is_quoted()
                    && sql::identifiers(&item.value).iter().any(|i| i.key() == key))
        };
        if !index.columns.iter().any(mentions) {
            return IndexUse::Unused;
        }
        if index.columns.iter().any(|c| c.key() != key && mentions(c)) {
            return IndexUse::Blocks(format!("the expression index {}", name.name));
        }
        let columns: Vec<String> = index
            .columns
            .iter()
            .map(|c| {
                if c.key() == key {
                    sql::ident(replacement)
                } else {
                    index_item(c, Some(known))
                }
            })
            .collect();
        let temporary = ObjectName {
            schema: table.schema.clone(),
            name: Ident::new(sql::derived_ident(&[&name.name, "new"])),
        };
        let method = index
            .method
            .as_ref()
            .map_or(String::new(), |m| format!(" USING {m}"));
        let unique = if index.unique { "UNIQUE " } else { "" };
        IndexUse::Carried(CarriedIndex {
            name: names::named(name.name.clone()),
            create: format!(
                "CREATE {unique}INDEX CONCURRENTLY {} ON {}{method} ({})",
                sql::ident(&temporary.name),
                sql::object(table),
                columns.join(", ")
            ),
            temporary,
            unique: index.unique,
        })
    })
}

/// What a plan that replaces a column does with one index of the table.
pub enum IndexUse<Carried> {
    /// The index does not use the column.
    Unused,
    /// The plan cannot move the index; the text names it.
    Blocks(String),
    /// The index is built again on the new column.
    Carried(Carried),
}

/// The indexes of `known` that `carry` builds again on the column replacing `column`, in
/// either dialect, or why the plan cannot move what uses `column` (the indexes `carry`
/// blocks on, and the constraints that use the column).
pub fn carry_indexes<Carried>(
    catalog: &Catalog,
    known: &Table,
    column: &Ident,
    mut carry: impl FnMut(&TableKey, &Index) -> IndexUse<Carried>,
) -> Result<Vec<Carried>, PlanError> {
    refuse_if_views_use(catalog, known, column)?;
    let mut blockers = constraints_using(catalog, known, column);
    let mut carried = Vec::new();
    for (name, index) in catalog.indexes_on(&known.name) {
        match carry(name, index) {
            IndexUse::Unused => {}
            IndexUse::Blocks(what) => blockers.push(what),
            IndexUse::Carried(index) => carried.push(index),
        }
    }
    let in_key = in_primary_key(known, column);
    refuse_if_used(&known.name, column, &blockers, in_key).map(|()| carried)
}

/// Whether `column` is one of the primary key's columns of `known`.
fn in_primary_key(known: &Table, column: &Ident) -> bool {
    known
        .primary_key()
        .is_some_and(|key| key.iter().any(|c| c.key() == column.key()))
}

/// Refuses when `blockers` is not empty, naming each; `in_primary_key` when the table's
/// primary key is among them.
fn refuse_if_used(
    table: &ObjectName,
    column: &Ident,
    blockers: &[String],
    in_primary_key: bool,
) -> Result<(), PlanError> {
    if blockers.is_empty() {
        return Ok(());
    }
    let (what, verb) = if blockers.len() == 1 {
        ("one object", "uses")
    } else {
        ("objects", "use")
    };
    // A primary key has no plan of its own to move it first: say what can be done instead.
    let advice = if in_primary_key {
        "A plan does not rebuild a primary key: keep the key column as it is, or change it by hand at a time when no release that uses the old column runs (a rename changes only the catalogue, under a brief ACCESS EXCLUSIVE lock; a type change rewrites the table and its indexes under that lock, and the columns of foreign keys that refer to it must change with it)"
    } else {
        "lockstep does not move these yet; change them in a plan of their own first (or make this change by hand)"
    };
    Err(PlanError(format!(
        "{what} of `{table}` {verb} `{column}`, and the contract phase would drop it with the old column: {}. {advice}",
        blockers.join(", ")
    )))
}

/// The keys and constraints of the table, and the foreign keys of other tables, that use
/// `column`.
fn constraints_using(catalog: &Catalog, known: &Table, column: &Ident) -> Vec<String> {
    let key = column.key();
    let mut blockers = Vec::new();
    for constraint in &known.constraints {
        let uses = match &constraint.kind {
            ConstraintKind::PrimaryKey { columns, .. }
            | ConstraintKind::Unique { columns, .. }
            | ConstraintKind::ForeignKey { columns, .. } => columns.iter().any(|c| c.key() == key),
            ConstraintKind::Check { expr } => sql::identifiers(expr).iter().any(|c| c.key() == key),
            // The plan gives the new column its NOT NULL itself.
            ConstraintKind::Exclude | ConstraintKind::NotNull { .. } => false,
        };
        if uses {
            blockers.push(describe(&constraint.kind, constraint.name.as_deref()));
        }
    }
    blockers.extend(foreign_keys_to_column(catalog, known, column));
    blockers
}

/// The foreign keys of other tables that refer to `column` of `known`.
fn foreign_keys_to_column(catalog: &Catalog, known: &Table, column: &Ident) -> Vec<String> {
    let key = column.key();
    let is_primary_key = in_primary_key(known, column);
    let mut found = Vec::new();
    for (referencing, constraint) in catalog.foreign_keys_to(&known.name) {
        if let ConstraintKind::ForeignKey { target, .. } = &constraint.kind {
            let referred_columns = &target.referred_columns;
            let refers = referred_columns.iter().any(|c| c.key() == key)
                || (referred_columns.is_empty() && is_primary_key);
            if refers {
                found.push(match constraint.name.as_deref() {
                    Some(name) => format!("the foreign key {name} of {referencing}"),
                    None => format!("a foreign key of {referencing}"),
                });
            }
        }
    }
    found
}

/// Refuses when a view the migrations created uses `column`, which the plan's contract
/// phase drops: PostgreSQL refuses the drop while the view exists, and MySQL drops the
/// column anyway and leaves the view failing on every query. Names each view, and the
/// views that read those (they must go first).
fn refuse_if_views_use(catalog: &Catalog, known: &Table, column: &Ident) -> Result<(), PlanError> {
    let uses = catalog.views_using(&known.name, column);
    if uses.is_empty() {
        return Ok(());
    }
    let views: Vec<String> = uses.iter().map(describe_view).collect();
    let consequence = match catalog.dialect() {
        Dialect::Postgres => "PostgreSQL refuses to drop a column a view uses (`cannot drop column ... because other objects depend on it`), so that phase would fail",
        Dialect::Mysql => "MySQL drops it anyway, and every query of the view then fails",
    };
    Err(PlanError(format!(
        "`{column}` of `{}` is used by {}, created in the migrations; the plan's contract phase drops `{column}`, and {consequence}. Drop or redefine {} without `{column}` in a migration of its own first (a view that reads another one goes before it), plan this change again, and create the views again once the contract phase has run",
        known.name,
        views.join(", "),
        if views.len() == 1 { "that view" } else { "each of these views" }
    )))
}

fn describe_view(used: &ViewUse) -> String {
    let kind = if used.view.materialized {
        "materialized view"
    } else {
        "view"
    };
    match used.through {
        Some(read) => format!("the {kind} {} (it reads {read})", used.view.name),
        None => format!("the {kind} {}", used.view.name),
    }
}

/// Refuses a plan that drops or alters `column` of a partitioned table's partition key
/// (in MySQL, a column of the partitioning function). PostgreSQL refuses to drop or alter
/// it, whatever the plan does first; MySQL (MariaDB checked) refuses to drop it, which the
/// contract phase of a plan through a new column does. Both rename such a column in place.
pub fn refuse_partition_key_column(
    dialect: Dialect,
    known: &Table,
    column: &Ident,
) -> Result<(), PlanError> {
    let key = column.key();
    if !known.partition_key.iter().any(|k| k.key() == key) {
        return Ok(());
    }
    let table = &known.name;
    Err(PlanError(match dialect {
        Dialect::Postgres => format!(
            "`{column}` is in the partition key of `{table}`, and PostgreSQL refuses to drop or alter a partition-key column (`cannot drop column \"{column}\" because it is part of the partition key of relation \"{table}\"`), which this plan would do to it. Keep `{column}`, or move the rows to a new table partitioned by other columns (by hand); only a plain RENAME COLUMN works on it, which the running release does not survive"
        ),
        // The quotes are MariaDB 10.11's: the key check comes first, and every unique key
        // of a partitioned table must hold the partitioning columns.
        Dialect::Mysql => format!(
            "`{column}` is in the partitioning function of `{table}`, and the server refuses to drop a column the partitioning uses (MariaDB: `Key column '{column}' doesn't exist in table` while a key holds it, else `Unknown column '{column}' in 'PARTITION BY'`), which this plan's contract phase would do to the old column. Keep `{column}`, or repartition `{table}` by other columns first (`ALTER TABLE ... PARTITION BY`, which copies the table), or make the change with an online schema-change tool; only a plain RENAME COLUMN works on it (the partitioning follows it), which the running release does not survive"
        ),
    }))
}

/// Refuses to plan dropping `column` when a phase would fail: the expand phase cannot make
/// a primary-key column nullable, and the contract's `DROP COLUMN` fails, as the plain
/// statement does, while the column is in the partition key, or a view or another table's
/// foreign key uses it (unless `CASCADE` drops those too).
pub fn refuse_dropping(
    catalog: &Catalog,
    known: &Table,
    column: &Ident,
    cascade: bool,
) -> Result<(), PlanError> {
    refuse_partition_key_column(catalog.dialect(), known, column)?;
    if !cascade {
        refuse_if_views_use(catalog, known, column)?;
    }
    let key = column.key();
    let mut blockers = Vec::new();
    if known
        .primary_key()
        .is_some_and(|k| k.iter().any(|c| c.key() == key))
    {
        blockers.push("the primary key".to_string());
    }
    if !cascade {
        blockers.extend(foreign_keys_to_column(catalog, known, column));
    }
    if blockers.is_empty() {
        return Ok(());
    }
    Err(PlanError(format!(
        "`{column}` of `{}` is used by {}: drop or change {} in a plan of its own first",
        known.name,
        blockers.join(", "),
        if blockers.len() == 1 { "it" } else { "them" }
    )))
}

fn describe(kind: &ConstraintKind, name: Option<&str>) -> String {
    let what = match kind {
        ConstraintKind::PrimaryKey { .. } => "the primary key",
        ConstraintKind::Unique { .. } => "the unique constraint",
        ConstraintKind::ForeignKey { .. } => "the foreign key",
        ConstraintKind::Check { .. } => "the check",
        ConstraintKind::Exclude => "the exclusion constraint",
        ConstraintKind::NotNull { .. } => "the NOT NULL constraint",
    };
    match name {
        Some(name) => format!("{what} {name}"),
        None => what.to_string(),
    }
}
