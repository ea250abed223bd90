//! Schema replay: the tables, columns, indexes and constraints that exist before each
//! statement, built by applying every earlier statement of the migration set in order.
//!
//! Tables the replay has not seen created are unknown: rules treat them as existing and
//! possibly large. Names fold as the server folds them (`Ident::key`); unqualified names
//! live in the default schema (`public` on PostgreSQL, the current database on MySQL).

use crate::dialect::{Dialect, Target};
use crate::mysql::row_versions;
use crate::names;
use crate::statement::{
    AlterAction, ColumnDef, ConstraintKind, DataType, DomainChange, Expr, ForeignTarget, Generated,
    Ident, IdentityChange, IndexDef, ObjectChange, ObjectKind, ObjectName, Partitioning, Statement,
    StatementKind,
};
use by_table::ByTable;
use journaled::Journaled;
use shared::Shared;
use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

mod by_table;
mod journaled;
mod shared;
mod views;

pub use views::{View, ViewUse};

/// The files that will run together in one deploy. A table created in the current change
/// set holds no rows yet and is read by no running application.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChangeSet(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableKey {
    pub schema: String,
    pub name: String,
}

/// The schema and name of a catalogue key, owned ([`TableKey`]) or borrowed from a
/// statement's name ([`BorrowedKey`]): maps keyed by `TableKey` are searched with a borrowed
/// one, so the replay's many lookups copy no names.
pub trait KeyParts {
    fn parts(&self) -> (&str, &str);
}

impl KeyParts for TableKey {
    fn parts(&self) -> (&str, &str) {
        (&self.schema, &self.name)
    }
}

/// A catalogue key made from a name as a statement writes it, folded only where folding
/// changes it (see [`Ident::key`]).
pub struct BorrowedKey<'a> {
    schema: Cow<'a, str>,
    name: Cow<'a, str>,
}

impl KeyParts for BorrowedKey<'_> {
    fn parts(&self) -> (&str, &str) {
        (&self.schema, &self.name)
    }
}

impl<'a> std::borrow::Borrow<dyn KeyParts + 'a> for TableKey {
    fn borrow(&self) -> &(dyn KeyParts + 'a) {
        self
    }
}

// `TableKey`'s hash must be the hash of its parts, as a borrowed key hashes.
impl Hash for TableKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl Hash for dyn KeyParts + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn KeyParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyParts + '_ {}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: Ident,
    /// Shared with every column of the same type (see [`shared`]).
    pub data_type: Arc<DataType>,
    pub not_null: bool,
    /// Shared with every column of the same default.
    pub default: Option<Arc<Expr>>,
    /// The change set that added the column; `None` when it came with an unknown table.
    pub added_in: Option<ChangeSet>,
    /// The change set that gave the column its current default, when it has one.
    pub default_set_in: Option<ChangeSet>,
    /// The column an `UPDATE` copied every value of into this one, and in which change set
    /// (a copy-and-swap rebuild copies the old column into its replacement).
    pub copied_from: Option<Box<(Ident, ChangeSet)>>,
    /// How the column is generated, when it is.
    pub generated: Option<Generated>,
}

/// Pushes onto a list the catalogue holds to the end of the run, a table's columns or
/// constraints: growing it by a quarter, not by doubling, leaves less room unused in each of
/// thousands of tables, and still keeps a long run of ALTERs on one table linear.
fn push_snug<T>(list: &mut Vec<T>, item: T) {
    if list.len() == list.capacity() {
        list.reserve_exact(list.len() / 4 + 1);
    }
    list.push(item);
}

#[derive(Clone, Debug)]
pub struct CatalogConstraint {
    pub name: Option<String>,
    pub kind: ConstraintKind,
    pub validated: bool,
    /// The change set that added the constraint (or renamed it to its name).
    pub added_in: ChangeSet,
}

impl CatalogConstraint {
    /// Whether the constraint is called `key` on table `table` (both folded): its own name,
    /// or for an unnamed foreign key or primary key the name PostgreSQL gives it,
    /// `<table>_<columns>_fkey` or `<table>_pkey` (when that fits the 63-byte identifier
    /// limit, past which PostgreSQL shortens it).
    fn is_named(&self, table: &str, key: &str) -> bool {
        match (&self.name, &self.kind) {
            (Some(name), _) => name == key,
            (None, ConstraintKind::ForeignKey { columns, .. }) => {
                let default =
                    names::postgres_name(table, Some(&names::column_list_name(columns)), "fkey");
                default.value == key
            }
            (None, ConstraintKind::PrimaryKey { .. }) => {
                names::postgres_name(table, None, "pkey").value == key
            }
            (None, _) => false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Table {
    pub name: ObjectName,
    pub columns: Vec<Column>,
    pub constraints: Vec<CatalogConstraint>,
    /// `None` for a table created before the replayed migrations, known only from the
    /// changes made to it.
    pub created_in: Option<ChangeSet>,
    /// MySQL default character set of the table, when its CREATE TABLE said.
    pub charset: Option<String>,
    /// Declared `PARTITION BY` in its CREATE TABLE; in PostgreSQL its rows live in its
    /// partitions.
    pub partitioned: bool,
    /// The names the partition key (MySQL: the partitioning function) mentions: its
    /// columns, and every word of an expression in it. PostgreSQL refuses to drop or alter
    /// them, MySQL to drop them.
    pub partition_key: Vec<Ident>,
    /// PostgreSQL: the partitioned table this one is a partition of, and whether it is the
    /// `DEFAULT` partition.
    pub partition_of: Option<Box<(TableKey, bool)>>,
    /// The name the table had before a rename, and the change set of the rename.
    pub renamed_from: Option<Box<(ObjectName, ChangeSet)>>,
    /// Column renames as `(old, new, change set)`, kept even for columns the replay never
    /// saw added: a rollback renaming `new` back to `old` undoes its own migration.
    pub renamed_columns: Vec<(Ident, Ident, ChangeSet)>,
    /// The names constraint renames gave, with their change set, kept even for constraints
    /// the replay never saw added (the table existed before the replayed migrations).
    pub renamed_constraints: Vec<(Ident, ChangeSet)>,
    /// The table an `INSERT ... SELECT` copied every row of this one into, and the change
    /// set of the copy.
    pub rows_copied_to: Option<Box<(TableKey, ChangeSet)>>,
    /// MySQL: the INSTANT ADD/DROP COLUMN statements the replay saw since the table was
    /// created or last rebuilt (each takes one of the table's row versions). A lower bound
    /// for tables created before the replayed migrations.
    pub instant_row_versions: u32,
    /// MySQL: the table's FULLTEXT and SPATIAL indexes.
    pub search_indexes: Vec<SearchIndex>,
    /// MySQL: InnoDB's hidden `FTS_DOC_ID` column, added with the first FULLTEXT index of a
    /// table that has no `FTS_DOC_ID` column of its own. Dropping the last FULLTEXT index
    /// leaves it in place; only a rebuild of the table without one removes it.
    pub hidden_fts_doc_id: bool,
}

/// A MySQL FULLTEXT or SPATIAL index.
#[derive(Clone, Debug)]
pub struct SearchIndex {
    /// Catalogue key of its name (MySQL's own for an unnamed one: its first column).
    pub name: String,
    pub columns: Vec<Ident>,
    pub fulltext: bool,
}

/// The column name InnoDB gives the document ids of FULLTEXT indexes.
const FTS_DOC_ID: &str = "fts_doc_id";

/// `Some(true)` for a MySQL FULLTEXT index, `Some(false)` for a SPATIAL one.
fn fulltext_or_spatial(index: &IndexDef) -> Option<bool> {
    match index.method.as_deref() {
        Some("fulltext") => Some(true),
        Some("spatial") => Some(false),
        _ => None,
    }
}

impl Table {
    /// A table created before the replayed migrations, known only by name so far, boxed
    /// as the catalogue's map holds it.
    fn unknown(name: &ObjectName) -> Box<Table> {
        Box::new(Table {
            name: name.clone(),
            columns: Vec::new(),
            constraints: Vec::new(),
            created_in: None,
            charset: None,
            partitioned: false,
            partition_key: Vec::new(),
            partition_of: None,
            renamed_from: None,
            rows_copied_to: None,
            renamed_columns: Vec::new(),
            renamed_constraints: Vec::new(),
            instant_row_versions: 0,
            search_indexes: Vec::new(),
            hidden_fts_doc_id: false,
        })
    }
}

impl Table {
    pub fn column(&self, name: &Ident) -> Option<&Column> {
        let key = name.key();
        self.columns.iter().find(|c| c.name.key() == key)
    }

    /// The primary key's columns, when the replay saw it declared.
    pub fn primary_key(&self) -> Option<&[Ident]> {
        self.constraints.iter().find_map(|c| match &c.kind {
            ConstraintKind::PrimaryKey { columns, .. } => Some(columns.as_slice()),
            _ => None,
        })
    }

    /// MySQL `PARTITION BY KEY ()` names no column: the primary key is the partitioning key,
    /// or the first unique key when there is none.
    fn name_implicit_partition_key(&mut self) {
        if !self.partitioned || !self.partition_key.is_empty() {
            return;
        }
        let unique_key = || {
            self.constraints.iter().find_map(|c| match &c.kind {
                ConstraintKind::Unique { columns, .. } => Some(columns.as_slice()),
                _ => None,
            })
        };
        if let Some(columns) = self.primary_key().or_else(unique_key) {
            self.partition_key = columns.to_vec();
        }
    }

    fn column_mut(&mut self, name: &Ident) -> Option<&mut Column> {
        let key = name.key();
        self.columns.iter_mut().find(|c| c.name.key() == key)
    }

    /// MySQL: whether the table has a FULLTEXT index.
    pub fn has_fulltext(&self) -> bool {
        self.search_indexes.iter().any(|i| i.fulltext)
    }

    /// MySQL: whether the table declares its own `FTS_DOC_ID` column.
    pub fn declares_fts_doc_id(&self) -> bool {
        self.column(&Ident::new(FTS_DOC_ID)).is_some()
    }

    /// Records a MySQL `FULLTEXT` (`fulltext`) or `SPATIAL` index.
    fn add_search_index(&mut self, index: &IndexDef, fulltext: bool) {
        if fulltext && !self.declares_fts_doc_id() {
            self.hidden_fts_doc_id = true;
        }
        let name = match (&index.name, index.columns.first()) {
            (Some(name), _) => name.key().into_owned(),
            (None, Some(first)) => self.unused_index_name(&first.key()),
            (None, None) => return,
        };
        self.search_indexes.retain(|i| i.name != name);
        self.search_indexes.push(SearchIndex {
            name,
            columns: index.columns.clone(),
            fulltext,
        });
    }

    /// MySQL's name for an unnamed index on `column` first: the column's name, else with
    /// the first free suffix `_2`, `_3`, ... (free among the indexes kept here).
    fn unused_index_name(&self, column: &str) -> String {
        let taken = |name: &str| self.search_indexes.iter().any(|i| i.name == name);
        let mut name = column.to_string();
        let mut suffix = 1;
        while taken(&name) {
            suffix += 1;
            name = format!("{column}_{suffix}");
        }
        name
    }

    fn drop_search_index(&mut self, name: &Ident) {
        let key = name.key();
        self.search_indexes.retain(|i| i.name != key);
    }

    fn rename_search_index(&mut self, from: &Ident, to: &Ident) {
        let from = from.key();
        for index in &mut self.search_indexes {
            if index.name == from {
                index.name = to.key().into_owned();
            }
        }
    }

    /// MySQL `CREATE TABLE new LIKE source`: the new table gets the source's columns,
    /// keys, CHECK constraints and indexes, not its foreign keys (measured on MariaDB 10.11:
    /// `SHOW CREATE TABLE`). InnoDB creates it from the definition, so it has the hidden
    /// `FTS_DOC_ID` only when a FULLTEXT index needs it (`INNODB_SYS_COLUMNS`).
    fn copy_definition(&mut self, source: &Table, change_set: ChangeSet) {
        self.columns = source
            .columns
            .iter()
            .map(|c| Column {
                added_in: Some(change_set),
                default_set_in: c.default.as_ref().map(|_| change_set),
                copied_from: None,
                ..c.clone()
            })
            .collect();
        self.constraints = source
            .constraints
            .iter()
            .filter(|c| !matches!(c.kind, ConstraintKind::ForeignKey { .. }))
            .map(|c| CatalogConstraint {
                added_in: change_set,
                ..c.clone()
            })
            .collect();
        self.charset.clone_from(&source.charset);
        self.search_indexes.clone_from(&source.search_indexes);
        self.hidden_fts_doc_id = self.has_fulltext() && !self.declares_fts_doc_id();
    }
}

#[derive(Clone, Debug)]
pub struct Index {
    pub table: TableKey,
    /// The table as the CREATE INDEX named it, for tables the replay never saw created.
    pub table_name: ObjectName,
    /// As the CREATE INDEX wrote them: a quoted `"UserId"` is another column than `userid`,
    /// so lookups compare catalogue keys (`Ident::key`), never folded text.
    pub columns: Vec<Ident>,
    pub unique: bool,
    /// `USING method` when the index was created with one.
    pub method: Option<String>,
    /// The change set whose CREATE INDEX the replay saw.
    pub created_in: ChangeSet,
}

#[derive(Clone, Debug)]
pub struct Catalog {
    /// The server the migrations run on: its dialect folds names; on MySQL, what an ALTER
    /// costs decides whether it takes a row version or rebuilds the table.
    target: Target,
    /// Boxed, as are the indexes: a map holds room for up to twice its entries, and a long
    /// folder leaves thousands of tables.
    tables: Journaled<TableKey, Box<Table>>,
    indexes: Journaled<TableKey, Box<Index>>,
    by_table: ByTable,
    /// PostgreSQL materialized views, with the change set that created them: indexes and
    /// refreshes of one no release reads yet block nobody.
    materialized_views: Journaled<TableKey, ChangeSet>,
    /// The views and materialized views created in the replayed migrations, and what each
    /// reads.
    views: Journaled<TableKey, View>,
    /// PostgreSQL domains: how many constraints (`CHECK`, `NOT NULL`) each has, and the
    /// change set that created it.
    domains: Journaled<TableKey, Domain>,
    /// Views, functions, types, sequences and extensions created in the replayed
    /// migrations, with the change set that created them.
    objects: Journaled<(ObjectKind, TableKey), ChangeSet>,
    /// The functions among `objects` that return `trigger`.
    trigger_functions: Journaled<TableKey, ()>,
    /// The columns' types and defaults, one copy of each.
    values: ColumnValues,
}

/// What columns hold alike, kept once (see [`shared`]).
#[derive(Clone, Debug, Default)]
struct ColumnValues {
    types: Shared<DataType>,
    defaults: Shared<Expr>,
}

#[derive(Clone, Debug)]
struct Domain {
    constraints: u32,
    created_in: ChangeSet,
}

impl Catalog {
    pub fn new(dialect: Dialect) -> Catalog {
        Catalog::for_target(Target::new(dialect))
    }

    /// The catalogue of a replay on `target` (its version decides MySQL's row versions).
    pub fn for_target(target: Target) -> Catalog {
        Catalog {
            target,
            tables: Journaled::default(),
            indexes: Journaled::default(),
            by_table: ByTable::default(),
            materialized_views: Journaled::default(),
            views: Journaled::default(),
            domains: Journaled::default(),
            objects: Journaled::default(),
            trigger_functions: Journaled::default(),
            values: ColumnValues::default(),
        }
    }

    /// The catalogue for a replay that must leave no trace (rollback code): every change
    /// made through the returned guard is undone when it is dropped.
    pub fn scratch(&mut self) -> Scratch<'_> {
        self.tables.open_journal();
        self.indexes.open_journal();
        self.by_table.open_journal();
        self.materialized_views.open_journal();
        self.views.open_journal();
        self.domains.open_journal();
        self.objects.open_journal();
        self.trigger_functions.open_journal();
        Scratch(self)
    }

    /// Whether the replay saw the type or domain `name` created, and no column of a table
    /// it knows has that type any more: what used it is gone.
    pub fn type_unused(&self, kind: ObjectKind, name: &ObjectName) -> bool {
        let key = self.key(name);
        let known = match kind {
            ObjectKind::Type => self.objects.contains_key(&(kind, key.clone())),
            ObjectKind::Domain => self.domains.contains_key(&key),
            _ => false,
        };
        known
            && !self.tables.iter().any(|(_, table)| {
                table.columns.iter().any(|c| {
                    let base = c.data_type.base.as_str();
                    let bare = base.rsplit_once('.').map_or(base, |(_, bare)| bare);
                    bare == key.name
                })
            })
    }

    /// Whether the replay saw `name` created as a function that returns `trigger`.
    pub fn is_trigger_function(&self, name: &ObjectName) -> bool {
        let key = self.borrowed_key(name);
        self.trigger_functions.contains_key(&key as &dyn KeyParts)
    }

    /// Whether the object `name` of `kind` was created in `change_set`: no release before
    /// this change uses it.
    pub fn object_created_in(
        &self,
        kind: ObjectKind,
        name: &ObjectName,
        change_set: ChangeSet,
    ) -> bool {
        let key = self.key(name);
        match kind {
            ObjectKind::MaterializedView => self.materialized_views.get(&key) == Some(&change_set),
            ObjectKind::Domain => self.domain_created_in(name, change_set),
            _ => self.objects.get(&(kind, key)) == Some(&change_set),
        }
    }

    /// Whether `data_type` names a domain the replay knows to carry a constraint.
    pub fn is_constrained_domain(&self, data_type: &DataType) -> bool {
        if data_type.array {
            return false;
        }
        // The base is already folded: an unquoted name is lower case, a quoted one as written.
        let name = match data_type.base.rsplit_once('.') {
            Some((schema, name)) => ObjectName {
                schema: Some(Ident::quoted(schema)),
                name: Ident::quoted(name),
            },
            None => ObjectName {
                schema: None,
                name: Ident::quoted(data_type.base.as_str()),
            },
        };
        self.domains
            .get(&self.key(&name))
            .is_some_and(|domain| domain.constraints > 0)
    }

    /// Whether the domain `name` was created in `change_set` (no stored value uses it yet
    /// from an earlier release).
    pub fn domain_created_in(&self, name: &ObjectName, change_set: ChangeSet) -> bool {
        let key = self.borrowed_key(name);
        self.domains
            .get(&key as &dyn KeyParts)
            .is_some_and(|domain| domain.created_in == change_set)
    }

    /// The dialect of the server the migrations run on.
    pub fn dialect(&self) -> Dialect {
        self.target.dialect
    }

    pub fn key(&self, name: &ObjectName) -> TableKey {
        table_key(self.target.dialect, name)
    }

    /// [`Catalog::key`] without copying the name: for lookups.
    pub fn borrowed_key<'a>(&self, name: &'a ObjectName) -> BorrowedKey<'a> {
        borrowed_key(self.target.dialect, name)
    }

    pub fn table(&self, name: &ObjectName) -> Option<&Table> {
        self.tables
            .get(&self.borrowed_key(name) as &dyn KeyParts)
            .map(Box::as_ref)
    }

    /// Whether `statement`, in rollback code of `change_set`, only removes what that change
    /// set added (indexes it built, tables it created, columns it added) or renames back what
    /// it renamed.
    pub fn undoes(&self, statement: &Statement, change_set: ChangeSet) -> bool {
        match &statement.kind {
            StatementKind::DropIndex { names, .. } => {
                !names.is_empty()
                    && names.iter().all(|n| {
                        self.indexes
                            .get(&self.key(n))
                            .is_some_and(|i| i.created_in == change_set)
                    })
            }
            StatementKind::DropTable { names, .. } => {
                !names.is_empty() && names.iter().all(|n| self.created_in(n, change_set))
            }
            StatementKind::DropObject { kind, names, .. } => {
                !names.is_empty()
                    && names
                        .iter()
                        .all(|n| self.object_created_in(*kind, n, change_set))
            }
            StatementKind::AlterTable { name, actions, .. } => {
                !actions.is_empty()
                    && actions.iter().all(|action| match action {
                        AlterAction::DropColumn { column, .. } => self
                            .column(name, column)
                            .is_some_and(|c| c.added_in == Some(change_set)),
                        AlterAction::RenameColumn { from, to } => {
                            self.renames_column_back(name, from, to, change_set)
                        }
                        AlterAction::RedefineColumn { old, column, .. } => {
                            self.renames_column_back(name, old, &column.name, change_set)
                        }
                        AlterAction::RenameTable { to } => self.renames_back(name, to, change_set),
                        _ => false,
                    })
            }
            StatementKind::RenameTables { pairs } => {
                !pairs.is_empty()
                    && pairs
                        .iter()
                        .all(|(from, to)| self.renames_back(from, to, change_set))
            }
            _ => false,
        }
    }

    /// Whether renaming column `from` of `table` to `to` restores the name `change_set`
    /// renamed it from.
    fn renames_column_back(
        &self,
        table: &ObjectName,
        from: &Ident,
        to: &Ident,
        change_set: ChangeSet,
    ) -> bool {
        self.table(table).is_some_and(|t| {
            t.renamed_columns.iter().any(|(old, new, set)| {
                *set == change_set && new.key() == from.key() && old.key() == to.key()
            })
        })
    }

    /// Whether renaming `from` to `to` restores the name `change_set` renamed it from.
    fn renames_back(&self, from: &ObjectName, to: &ObjectName, change_set: ChangeSet) -> bool {
        self.table(from)
            .and_then(|t| t.renamed_from.as_deref())
            .is_some_and(|(old, set)| *set == change_set && self.key(old) == self.key(to))
    }

    /// Whether the table (or materialized view) `name` was created in `change_set`.
    pub fn created_in(&self, name: &ObjectName, change_set: ChangeSet) -> bool {
        match self.table(name) {
            Some(t) => t.created_in == Some(change_set),
            None => {
                let key = self.borrowed_key(name);
                self.materialized_views.get(&key as &dyn KeyParts) == Some(&change_set)
            }
        }
    }

    pub fn column(&self, table: &ObjectName, column: &Ident) -> Option<&Column> {
        self.table(table)?.column(column)
    }

    /// Whether the constraint `constraint` of `table` got its name in `change_set`: added or
    /// renamed to it there, so no running release names it.
    pub fn constraint_named_in(
        &self,
        table: &ObjectName,
        constraint: &Ident,
        change_set: ChangeSet,
    ) -> bool {
        self.table(table).is_some_and(|known| {
            let (table_key, key) = (known.name.name.key(), constraint.key());
            known
                .constraints
                .iter()
                .any(|c| c.added_in == change_set && c.is_named(&table_key, &key))
                || known
                    .renamed_constraints
                    .iter()
                    .any(|(to, renamed_in)| *renamed_in == change_set && to.key() == key)
        })
    }

    /// The table a foreign key of `table` called `constraint` references, when the replay
    /// saw it created.
    pub fn foreign_key_target(
        &self,
        table: &ObjectName,
        constraint: &Ident,
    ) -> Option<&ObjectName> {
        let known = self.table(table)?;
        let (table_key, key) = (known.name.name.key(), constraint.key());
        known.constraints.iter().find_map(|c| match &c.kind {
            ConstraintKind::ForeignKey { target, .. } if c.is_named(&table_key, &key) => {
                Some(&target.references)
            }
            _ => None,
        })
    }

    /// The indexes the replay saw created on `table`, with their names as stored.
    pub fn indexes_on(&self, table: &ObjectName) -> Vec<(&TableKey, &Index)> {
        let key = self.key(table);
        let mut found: Vec<(&TableKey, &Index)> = self
            .by_table
            .indexes(&key)
            .filter_map(|index| self.indexes.get_key_value(index))
            .map(|(key, index)| (key, &**index))
            .collect();
        found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        found
    }

    /// The tables of `schema` the replay knows, by name.
    pub fn tables_in_schema(&self, schema: &Ident) -> Vec<&Table> {
        let schema = schema.key();
        let mut found: Vec<(&TableKey, &Table)> = self
            .tables
            .iter()
            .filter(|(key, _)| key.schema == schema)
            .map(|(key, table)| (key, &**table))
            .collect();
        found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        found.into_iter().map(|(_, t)| t).collect()
    }

    /// The partitions of `table` the replay saw created or attached, by name.
    pub fn partitions(&self, table: &ObjectName) -> Vec<&Table> {
        let key = self.key(table);
        let mut found: Vec<&Table> = self
            .by_table
            .partitions(&key)
            .filter_map(|partition| self.tables.get(partition).map(Box::as_ref))
            .filter(|t| {
                t.partition_of
                    .as_deref()
                    .is_some_and(|(parent, _)| *parent == key)
            })
            .collect();
        found.sort_by_key(|t| t.name.to_string());
        found
    }

    /// The `DEFAULT` partition of `table`, when the replay saw one.
    pub fn default_partition(&self, table: &ObjectName) -> Option<&ObjectName> {
        self.partitions(table)
            .into_iter()
            .find(|t| {
                t.partition_of
                    .as_deref()
                    .is_some_and(|(_, default)| *default)
            })
            .map(|t| &t.name)
    }

    /// The foreign keys of other tables (or of `table` itself) that reference `table`:
    /// the referencing table and the constraint.
    pub fn foreign_keys_to(&self, table: &ObjectName) -> Vec<(&ObjectName, &CatalogConstraint)> {
        let key = self.key(table);
        let mut found: Vec<(&ObjectName, &CatalogConstraint)> = self
            .by_table
            .referencing(&key)
            .filter_map(|referencing| self.tables.get(referencing))
            .flat_map(|t| t.constraints.iter().map(move |c| (&t.name, c)))
            .filter(|(_, c)| {
                c.kind
                    .referenced_table()
                    .is_some_and(|references| self.key(references) == key)
            })
            .collect();
        found.sort_by_key(|(t, c)| (t.to_string(), c.name.clone()));
        found
    }

    /// The tables the foreign keys of `table` reference, as far as the replay saw them.
    pub fn referenced_tables(&self, table: &ObjectName) -> Vec<&ObjectName> {
        let Some(known) = self.table(table) else {
            return Vec::new();
        };
        known
            .constraints
            .iter()
            .filter_map(|c| c.kind.referenced_table())
            .collect()
    }

    /// Whether a validated `CHECK (column IS NOT NULL)` exists on the table, which lets
    /// PostgreSQL 12+ skip the scan of `SET NOT NULL`.
    pub fn has_validated_not_null_check(&self, table: &ObjectName, column: &Ident) -> bool {
        let Some(t) = self.table(table) else {
            return false;
        };
        let wanted = format!("{} is not null", column.key());
        t.constraints.iter().any(|c| {
            c.validated
                && matches!(&c.kind, ConstraintKind::Check { expr }
                    if normalise_check(expr) == wanted)
        })
    }

    /// Whether the replay shows `column` NOT NULL, with no `NOT VALID` NOT NULL constraint on
    /// it waiting for validation (PostgreSQL 18): `SET NOT NULL` then reads no row.
    pub fn column_is_not_null(&self, table: &ObjectName, column: &Ident) -> bool {
        let Some(t) = self.table(table) else {
            return false;
        };
        let unvalidated = t.constraints.iter().any(|c| {
            !c.validated
                && matches!(&c.kind, ConstraintKind::NotNull { column: n } if n.key() == column.key())
        });
        t.column(column).is_some_and(|c| c.not_null) && !unvalidated
    }

    /// The columns of the index `index` of `table` that the replay knows to be nullable,
    /// which a primary key attached to the index makes NOT NULL. A column the replay never
    /// saw may well be NOT NULL already (a key is usually attached to an `id NOT NULL`), so
    /// it is left out.
    pub fn nullable_index_columns(&self, table: &ObjectName, index: &Ident) -> Vec<&Ident> {
        let index = ObjectName {
            schema: table.schema.clone(),
            name: index.clone(),
        };
        let Some(known) = self.index(&index) else {
            return Vec::new();
        };
        known
            .columns
            .iter()
            .filter(|column| self.column(table, column).is_some_and(|c| !c.not_null))
            .collect()
    }

    /// Whether a CHECK constraint of the table mentions `column`; changing the column's type
    /// re-checks it against every row.
    pub fn column_has_check(&self, table: &ObjectName, column: &Ident) -> bool {
        let Some(t) = self.table(table) else {
            return false;
        };
        let wanted = column.key();
        t.constraints.iter().any(|c| match &c.kind {
            ConstraintKind::Check { expr } => expr
                .split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '"'))
                .any(|word| {
                    let quoted = word.len() > 1 && word.starts_with('"') && word.ends_with('"');
                    if quoted {
                        word.trim_matches('"') == wanted
                    } else {
                        word.to_lowercase() == wanted
                    }
                }),
            _ => false,
        })
    }

    /// The index as the replay saw it created.
    pub fn index(&self, index: &ObjectName) -> Option<&Index> {
        self.indexes.get(&self.key(index)).map(Box::as_ref)
    }

    /// The table an index belongs to, when the replay saw the index created.
    pub fn index_table(&self, index: &ObjectName) -> Option<ObjectName> {
        let index = self.indexes.get(&self.key(index))?;
        Some(match self.tables.get(&index.table) {
            Some(t) => t.name.clone(),
            None => index.table_name.clone(),
        })
    }

    /// Whether any known index of the table covers `column`.
    pub fn column_is_indexed(&self, table: &ObjectName, column: &Ident) -> bool {
        let key = self.key(table);
        let col = column.key();
        self.by_table
            .indexes(&key)
            .filter_map(|index| self.indexes.get(index))
            .any(|i| i.columns.iter().any(|c| c.key() == col))
    }

    /// Applies one statement. `change_set` is the change set of the file it belongs to.
    pub fn apply(&mut self, statement: &Statement, change_set: ChangeSet) {
        // Judged on the columns as they are before the statement changes them, and set once
        // it has made the tables it alters known.
        let outcomes = match self.target.dialect {
            Dialect::Mysql => row_versions::after(statement, self, &self.target),
            Dialect::Postgres => Vec::new(),
        };
        self.apply_kind(&statement.kind, change_set);
        for outcome in outcomes {
            if let Some(known) = self.tables.get_mut(&self.key(&outcome.table)) {
                known.instant_row_versions = outcome.row_versions;
                // A rebuild writes the table anew, without the hidden FTS_DOC_ID column
                // unless a FULLTEXT index still needs it.
                if outcome.rebuilt && !known.has_fulltext() {
                    known.hidden_fts_doc_id = false;
                }
            }
        }
    }

    fn apply_kind(&mut self, kind: &StatementKind, change_set: ChangeSet) {
        match kind {
            StatementKind::CreateTable {
                name,
                columns,
                constraints,
                charset,
                partitioning,
                if_not_exists,
                search_indexes,
                like,
                ..
            } => {
                let key = self.key(name);
                // CREATE TABLE IF NOT EXISTS on an existing table changes nothing. Without
                // IF NOT EXISTS it fails if the table exists, so once it has run the table
                // is a new, empty one (projects that keep alternative upgrade paths create
                // a table the replay already saw in another path).
                if self.tables.contains_key(&key) {
                    if *if_not_exists {
                        return;
                    }
                    self.drop_indexes_on(&key);
                }
                let mut table = Table {
                    name: name.clone(),
                    columns: columns
                        .iter()
                        .map(|c| column(self.target.dialect, &mut self.values, c, change_set))
                        .collect(),
                    constraints: Vec::new(),
                    created_in: Some(change_set),
                    charset: charset.clone(),
                    partitioned: matches!(partitioning, Partitioning::Parent { .. }),
                    partition_key: match partitioning {
                        Partitioning::Parent { key } => key.clone(),
                        _ => Vec::new(),
                    },
                    partition_of: None,
                    renamed_from: None,
                    rows_copied_to: None,
                    renamed_columns: Vec::new(),
                    renamed_constraints: Vec::new(),
                    instant_row_versions: 0,
                    search_indexes: Vec::new(),
                    hidden_fts_doc_id: false,
                };
                for index in search_indexes {
                    if let Some(fulltext) = fulltext_or_spatial(index) {
                        table.add_search_index(index, fulltext);
                    }
                }
                // PostgreSQL's `(LIKE source INCLUDING ...)` copies less, by its options: the
                // columns stay unknown there.
                let source = like
                    .as_ref()
                    .and_then(|source| self.tables.get(&self.key(source)));
                if let (Dialect::Mysql, Some(source)) = (self.target.dialect, source) {
                    table.copy_definition(source, change_set);
                }
                if let Partitioning::Of { parent, default } = partitioning {
                    let parent = self.key(parent);
                    // A partition has its parent's columns (and their NOT NULL).
                    if let Some(known) = self.tables.get(&parent) {
                        table.columns = known.columns.clone();
                    }
                    self.by_table.add_partition(&parent, &key);
                    table.partition_of = Some(Box::new((parent, *default)));
                }
                for c in columns {
                    table.constraints.extend(inline_constraints(c, change_set));
                }
                table
                    .constraints
                    .extend(constraints.iter().map(|c| CatalogConstraint {
                        name: c.name.as_ref().map(|n| n.key().into_owned()),
                        kind: c.kind.clone(),
                        validated: true,
                        added_in: change_set,
                    }));
                // A table-level primary key makes its columns NOT NULL.
                if let Some(columns) = table.primary_key().map(<[Ident]>::to_vec) {
                    for column in &columns {
                        if let Some(c) = table.column_mut(column) {
                            c.not_null = true;
                        }
                    }
                }
                if self.target.dialect == Dialect::Mysql {
                    table.name_implicit_partition_key();
                }
                self.note_foreign_keys(&key, &table.constraints);
                self.tables.insert(key, Box::new(table));
            }
            StatementKind::AlterTable { name, actions, .. } => {
                for action in actions {
                    self.apply_alter(name, action, change_set);
                }
            }
            StatementKind::CreateIndex(index) => self.add_index(index, change_set),
            StatementKind::Update { table, copies, .. } => {
                let Some(known) = self.tables.get_mut(&self.key(table)) else {
                    return;
                };
                for copy in copies {
                    if let Some(c) = known.column_mut(&copy.to) {
                        c.copied_from = Some(Box::new((copy.from.clone(), change_set)));
                    }
                }
            }
            StatementKind::CreateMaterializedView { name, query } => {
                let key = self.key(name);
                self.materialized_views.insert(key, change_set);
                self.add_view(name, true, query);
            }
            StatementKind::CreateObject {
                kind, name, view, ..
            } => {
                if let Some(query) = view {
                    self.add_view(name, false, query);
                }
                let key = self.key(name);
                let kind = if *kind == ObjectKind::TriggerFunction {
                    self.trigger_functions.insert(key.clone(), ());
                    ObjectKind::Function
                } else {
                    *kind
                };
                // CREATE OR REPLACE of an older object keeps its age.
                self.objects.get_or_insert_with((kind, key), || change_set);
            }
            StatementKind::DropObject {
                kind,
                names,
                cascade,
            } => {
                for name in names {
                    let key = self.key(name);
                    if matches!(kind, ObjectKind::View | ObjectKind::MaterializedView) {
                        self.drop_view(&key, *cascade);
                    }
                    match kind {
                        ObjectKind::MaterializedView => {
                            self.materialized_views.remove(&key);
                        }
                        ObjectKind::Domain => {
                            self.domains.remove(&key);
                        }
                        _ => {
                            self.trigger_functions.remove(&key);
                            self.objects.remove(&(*kind, key));
                        }
                    }
                }
            }
            StatementKind::AlterObject { kind, name, change } => {
                let is_view = matches!(kind, ObjectKind::View | ObjectKind::MaterializedView);
                if let (ObjectChange::RenameColumn { from, to }, true) = (change, is_view) {
                    let key = self.key(name);
                    self.follow_column_rename(&key, from, to);
                }
                let renamed = match change {
                    ObjectChange::RenameTo(to) => ObjectName {
                        schema: name.schema.clone(),
                        name: to.clone(),
                    },
                    ObjectChange::SetSchema(schema) => ObjectName {
                        schema: Some(schema.clone()),
                        name: name.name.clone(),
                    },
                    ObjectChange::RenameColumn { .. } | ObjectChange::Other => return,
                };
                let renamed_name = renamed;
                let renamed = self.key(&renamed_name);
                let key = self.key(name);
                if is_view {
                    self.rename_relation(&key, &renamed, &renamed_name);
                }
                match kind {
                    ObjectKind::MaterializedView => {
                        if let Some(created) = self.materialized_views.remove(&key) {
                            self.materialized_views.insert(renamed, created);
                        }
                    }
                    ObjectKind::Domain => {
                        if let Some(domain) = self.domains.remove(&key) {
                            self.domains.insert(renamed, domain);
                        }
                    }
                    // No release named a view, function or type by its new name before
                    // this change: the name is as new as a created object's.
                    _ => {
                        self.objects.remove(&(*kind, key.clone()));
                        self.objects.insert((*kind, renamed.clone()), change_set);
                        if self.trigger_functions.remove(&key).is_some() {
                            self.trigger_functions.insert(renamed, ());
                        }
                    }
                }
            }
            StatementKind::CreateDomain { name, constraints } => {
                let domain = Domain {
                    constraints: *constraints,
                    created_in: change_set,
                };
                self.domains.insert(self.key(name), domain);
            }
            StatementKind::AlterDomain { name, change } => {
                let key = self.key(name);
                let Some(domain) = self.domains.get_mut(&key) else {
                    return;
                };
                match change {
                    DomainChange::AddConstraint { .. } | DomainChange::SetNotNull => {
                        domain.constraints += 1
                    }
                    DomainChange::DropConstraint | DomainChange::DropNotNull => {
                        domain.constraints = domain.constraints.saturating_sub(1)
                    }
                    DomainChange::Other => {}
                }
            }
            StatementKind::DropIndex { names, table, .. } => {
                for n in names {
                    let key = self.key(n);
                    if let Some(dropped) = self.indexes.remove(&key) {
                        self.by_table.remove_index(&dropped.table, &key);
                    }
                }
                // MySQL's `DROP INDEX name ON table`.
                if let Some(known) = table
                    .as_ref()
                    .and_then(|t| self.tables.get_mut(&self.key(t)))
                {
                    for n in names {
                        known.drop_search_index(&n.name);
                    }
                }
            }
            StatementKind::DropTable { names, .. } => {
                for n in names {
                    let key = self.key(n);
                    self.tables.remove(&key);
                    self.drop_indexes_on(&key);
                    // Dropped with the table (`CASCADE`), or the drop would have failed.
                    // A MySQL view outlives its table, and reads the next one of its name.
                    if self.target.dialect == Dialect::Postgres {
                        self.drop_readers_of(&key);
                    }
                }
            }
            StatementKind::RenameIndex { name, to } => self.rename_index(name, to),
            StatementKind::RenameTables { pairs } => {
                for (from, to) in pairs {
                    self.rename_table(from, to, change_set);
                }
            }
            StatementKind::Insert {
                table,
                from: Some(from),
            } => {
                let into = self.key(table);
                if let Some(source) = self.tables.get_mut(&self.key(from)) {
                    source.rows_copied_to = Some(Box::new((into, change_set)));
                }
            }
            _ => {}
        }
    }

    fn add_index(&mut self, index: &IndexDef, change_set: ChangeSet) {
        if let Some(fulltext) = fulltext_or_spatial(index) {
            let table = self.key(&index.table);
            self.tables
                .get_or_insert_with(table, || Table::unknown(&index.table))
                .add_search_index(index, fulltext);
        }
        let Some(name) = &index.name else { return };
        let index_name = ObjectName {
            schema: index.table.schema.clone(),
            name: name.clone(),
        };
        let key = self.key(&index_name);
        let table = self.key(&index.table);
        if let Some(replaced) = self.indexes.remove(&key) {
            self.by_table.remove_index(&replaced.table, &key);
        }
        self.by_table.add_index(&table, &key);
        self.indexes.insert(
            key,
            Box::new(Index {
                table,
                table_name: index.table.clone(),
                columns: index.columns.clone(),
                unique: index.unique,
                method: index.method.clone(),
                created_in: change_set,
            }),
        );
    }

    /// MySQL: the catalogue key of index `index` of `table`, when the replay knows that
    /// index on that table (MySQL index names belong to their table).
    fn index_of_table(&self, table: &ObjectName, index: &Ident) -> Option<TableKey> {
        let key = self.key(&ObjectName {
            schema: table.schema.clone(),
            name: index.clone(),
        });
        let on_table = self.indexes.get(&key)?.table == self.key(table);
        on_table.then_some(key)
    }

    /// Gives index `index` the name `to` in its schema, when the replay knows it.
    fn rename_index(&mut self, index: &ObjectName, to: &Ident) {
        let old = self.key(index);
        let new = self.key(&ObjectName {
            schema: index.schema.clone(),
            name: to.clone(),
        });
        if let Some(renamed) = self.indexes.remove(&old) {
            self.by_table.remove_index(&renamed.table, &old);
            self.by_table.add_index(&renamed.table, &new);
            self.indexes.insert(new, renamed);
        }
    }

    /// Removes the indexes of the table `key` (the table was dropped or replaced).
    fn drop_indexes_on(&mut self, key: &TableKey) {
        for index in self.by_table.take_indexes(key) {
            self.indexes.remove(&index);
        }
    }

    /// Lists `table` as referencing the tables its foreign keys among `constraints` name.
    fn note_foreign_keys(&mut self, table: &TableKey, constraints: &[CatalogConstraint]) {
        for constraint in constraints {
            if let Some(references) = constraint.kind.referenced_table() {
                let referenced = self.key(references);
                self.by_table.add_reference(referenced, table);
            }
        }
    }

    fn rename_table(&mut self, from: &ObjectName, to: &ObjectName, change_set: ChangeSet) {
        let old = self.key(from);
        let mut new = self.key(to);
        if to.schema.is_none() {
            new.schema = old.schema.clone();
        }
        let mut table = self
            .tables
            .remove(&old)
            .unwrap_or_else(|| Table::unknown(from));
        table.name = to.clone();
        table.renamed_from = Some(Box::new((from.clone(), change_set)));
        self.rename_relation(&old, &new, to);
        self.note_foreign_keys(&new, &table.constraints);
        if let Some((parent, _)) = table.partition_of.as_deref() {
            self.by_table.add_partition(parent, &new);
        }
        self.tables.insert(new.clone(), table);
        for key in self.by_table.take_indexes(&old) {
            if let Some(index) = self.indexes.get_mut(&key) {
                index.table = new.clone();
                index.table_name = to.clone();
            }
            self.by_table.add_index(&new, &key);
        }
    }

    /// PostgreSQL 19's MERGE PARTITIONS and SPLIT PARTITION: the old partitions are dropped
    /// and the new ones created with the parent's columns, holding the old ones' rows. They
    /// count as new tables only when every old one was new (and so held no rows).
    fn replace_partitions(
        &mut self,
        parent: &ObjectName,
        old: &[ObjectName],
        new: &[(ObjectName, bool)],
        change_set: ChangeSet,
    ) {
        let empty = old.iter().all(|p| self.created_in(p, change_set));
        let drop = StatementKind::DropTable {
            names: old.to_vec(),
            if_exists: false,
            cascade: false,
        };
        self.apply_kind(&drop, change_set);
        for (name, default) in new {
            let create = StatementKind::CreateTable {
                name: name.clone(),
                columns: Vec::new(),
                constraints: Vec::new(),
                if_not_exists: false,
                from_query: false,
                like: None,
                charset: None,
                partitioning: Partitioning::Of {
                    parent: parent.clone(),
                    default: *default,
                },
                search_indexes: Vec::new(),
            };
            self.apply_kind(&create, change_set);
            if !empty {
                if let Some(t) = self.tables.get_mut(&self.key(name)) {
                    t.created_in = None;
                }
            }
        }
    }

    fn apply_alter(&mut self, name: &ObjectName, action: &AlterAction, change_set: ChangeSet) {
        if let AlterAction::RenameTable { to } = action {
            self.rename_table(name, to, change_set);
            return;
        }
        if let AlterAction::AddIndex(index) = action {
            self.add_index(index, change_set);
            return;
        }
        match action {
            AlterAction::AttachPartition {
                partition: Some(partition),
                default,
            } => {
                let parent = self.key(name);
                let key = self.key(partition);
                // A table created before the replayed range is known from here on as the
                // partition it became (a DEFAULT partition matters to later partitions).
                let t = self
                    .tables
                    .get_or_insert_with(key.clone(), || Table::unknown(partition));
                t.partition_of = Some(Box::new((parent.clone(), *default)));
                self.by_table.add_partition(&parent, &key);
                return;
            }
            AlterAction::DetachPartition {
                partition: Some(partition),
                ..
            } => {
                if let Some(t) = self.tables.get_mut(&self.key(partition)) {
                    t.partition_of = None;
                }
                return;
            }
            AlterAction::MergePartitions { partitions, into } => {
                let default = partitions.iter().any(|p| {
                    self.table(p)
                        .and_then(|t| t.partition_of.as_deref())
                        .is_some_and(|(_, default)| *default)
                });
                let merged = [(into.clone(), default)];
                self.replace_partitions(name, partitions, &merged, change_set);
                return;
            }
            AlterAction::SplitPartition { partition, into } => {
                self.replace_partitions(name, std::slice::from_ref(partition), into, change_set);
                return;
            }
            // The table's search indexes follow below with its other changes.
            AlterAction::DropIndex { name: index } => {
                if let Some(key) = self.index_of_table(name, index) {
                    let dropped = self.indexes.remove(&key).map(|i| i.table);
                    if let Some(table) = dropped {
                        self.by_table.remove_index(&table, &key);
                    }
                }
            }
            AlterAction::RenameColumn { from, to } => {
                let key = self.key(name);
                self.follow_column_rename(&key, from, to);
            }
            AlterAction::RedefineColumn {
                old, column: def, ..
            } if old.key() != def.name.key() => {
                let key = self.key(name);
                self.follow_column_rename(&key, old, &def.name);
            }
            AlterAction::DropColumn {
                column,
                cascade: true,
                ..
            } => {
                let key = self.key(name);
                self.drop_views_using(&key, column);
            }
            AlterAction::RenameIndex { from, to } if self.index_of_table(name, from).is_some() => {
                let index = ObjectName {
                    schema: name.schema.clone(),
                    name: from.clone(),
                };
                self.rename_index(&index, to);
            }
            _ => {}
        }
        let key = self.key(name);
        // A table created before the replayed range: track what this change adds to it.
        let table = self
            .tables
            .get_or_insert_with(key.clone(), || Table::unknown(name));
        match action {
            AlterAction::Repartition { key: None } => {
                table.partitioned = false;
                table.partition_key.clear();
            }
            AlterAction::Repartition { key: Some(key) } => {
                table.partitioned = true;
                table.partition_key = key.clone();
                table.name_implicit_partition_key();
            }
            AlterAction::AddColumn { column: c, .. } if table.column(&c.name).is_none() => {
                push_snug(
                    &mut table.columns,
                    column(self.target.dialect, &mut self.values, c, change_set),
                );
                if let Some(references) = &c.references {
                    let referenced = table_key(self.target.dialect, references);
                    self.by_table.add_reference(referenced, &key);
                }
                for constraint in inline_constraints(c, change_set) {
                    push_snug(&mut table.constraints, constraint);
                }
            }
            AlterAction::DropColumn { column, .. } => {
                let k = column.key();
                table.columns.retain(|c| c.name.key() != k);
                // MySQL takes the column out of its indexes, and drops an index left empty.
                for index in &mut table.search_indexes {
                    index.columns.retain(|c| c.key() != k);
                }
                table.search_indexes.retain(|i| !i.columns.is_empty());
            }
            AlterAction::DropIndex { name } => table.drop_search_index(name),
            AlterAction::RenameIndex { from, to } => table.rename_search_index(from, to),
            AlterAction::RenameColumn { from, to } => {
                if let Some(c) = table.column_mut(from) {
                    c.name = to.clone();
                }
                // The partition key follows the column, as on the server.
                for key_name in &mut table.partition_key {
                    if key_name.key() == from.key() {
                        *key_name = to.clone();
                    }
                }
                table
                    .renamed_columns
                    .push((from.clone(), to.clone(), change_set));
            }
            AlterAction::AlterColumnType {
                column, data_type, ..
            } => {
                if let Some(c) = table.column_mut(column) {
                    c.data_type = self.values.types.get(data_type);
                }
            }
            AlterAction::RedefineColumn {
                old, column: def, ..
            } => {
                if let Some(c) = table.column_mut(old) {
                    let added_in = c.added_in;
                    *c = Column {
                        added_in,
                        ..column(self.target.dialect, &mut self.values, def, change_set)
                    };
                }
                // MySQL `CHANGE old new ...` renames as it redefines.
                if old.key() != def.name.key() {
                    table
                        .renamed_columns
                        .push((old.clone(), def.name.clone(), change_set));
                }
            }
            AlterAction::SetNotNull { column } => {
                if let Some(c) = table.column_mut(column) {
                    c.not_null = true;
                }
            }
            AlterAction::DropNotNull { column } => {
                if let Some(c) = table.column_mut(column) {
                    c.not_null = false;
                }
            }
            AlterAction::SetDefault { column, default } => {
                if let Some(c) = table.column_mut(column) {
                    c.default = Some(self.values.defaults.get(default));
                    c.default_set_in = Some(change_set);
                }
            }
            AlterAction::DropDefault { column } => {
                if let Some(c) = table.column_mut(column) {
                    c.default = None;
                    c.default_set_in = None;
                }
            }
            AlterAction::ChangeIdentity { column, change } => {
                if let Some(c) = table.column_mut(column) {
                    let identity = matches!(c.generated, Some(Generated::Identity { .. }));
                    c.generated = match change {
                        IdentityChange::Add { always } => {
                            Some(Generated::Identity { always: *always })
                        }
                        IdentityChange::Set { always } if identity => {
                            Some(Generated::Identity { always: *always })
                        }
                        IdentityChange::Drop if identity => None,
                        _ => c.generated.clone(),
                    };
                }
            }
            AlterAction::AddConstraint(constraint) => {
                let mut kind = constraint.kind.clone();
                // A key attached to an index built beforehand has the index's columns.
                if let ConstraintKind::PrimaryKey {
                    columns,
                    using_index: Some(index),
                }
                | ConstraintKind::Unique {
                    columns,
                    using_index: Some(index),
                } = &mut kind
                {
                    let index = ObjectName {
                        schema: name.schema.clone(),
                        name: Ident::clone(index),
                    };
                    if let Some(known) = self.indexes.get(&table_key(self.target.dialect, &index)) {
                        columns.clone_from(&known.columns);
                    }
                }
                // A primary key makes its columns NOT NULL; a NOT NULL constraint is enforced
                // for every row written from now on, even NOT VALID.
                let made_not_null = match &kind {
                    ConstraintKind::PrimaryKey { columns, .. } => columns.as_slice(),
                    ConstraintKind::NotNull { column } => std::slice::from_ref(column),
                    _ => &[],
                };
                for column in made_not_null {
                    if let Some(c) = table.column_mut(column) {
                        c.not_null = true;
                    }
                }
                if let Some(references) = kind.referenced_table() {
                    let referenced = table_key(self.target.dialect, references);
                    self.by_table.add_reference(referenced, &key);
                }
                let added = CatalogConstraint {
                    name: constraint.name.as_ref().map(|n| n.key().into_owned()),
                    kind,
                    validated: constraint.checks_existing_rows(),
                    added_in: change_set,
                };
                push_snug(&mut table.constraints, added);
            }
            AlterAction::ValidateConstraint { name } | AlterAction::EnforceConstraint { name } => {
                let k = name.key();
                for c in &mut table.constraints {
                    if c.name.as_deref() == Some(&*k) {
                        c.validated = true;
                    }
                }
            }
            AlterAction::DropConstraint { name, .. } => {
                let k = name.key();
                let table_name = table.name.name.key();
                table.constraints.retain(|c| !c.is_named(&table_name, &k));
            }
            // No release named the constraint by its new name before this change.
            AlterAction::RenameConstraint { from, to } => {
                let (from, table_name) = (from.key(), table.name.name.key());
                for c in &mut table.constraints {
                    if c.is_named(&table_name, &from) {
                        c.name = Some(to.key().into_owned());
                        c.added_in = change_set;
                    }
                }
                table.renamed_constraints.push((to.clone(), change_set));
            }
            _ => {}
        }
    }
}

/// A catalogue whose changes are undone when this is dropped (see [`Catalog::scratch`]).
pub struct Scratch<'a>(&'a mut Catalog);

impl Deref for Scratch<'_> {
    type Target = Catalog;

    fn deref(&self) -> &Catalog {
        self.0
    }
}

impl DerefMut for Scratch<'_> {
    fn deref_mut(&mut self) -> &mut Catalog {
        self.0
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        let catalog = &mut *self.0;
        catalog.tables.undo();
        catalog.indexes.undo();
        catalog.by_table.undo();
        catalog.materialized_views.undo();
        catalog.views.undo();
        catalog.domains.undo();
        catalog.objects.undo();
        catalog.trigger_functions.undo();
    }
}

/// The key of `name` on a `dialect` server (see [`Catalog::key`]).
fn table_key(dialect: Dialect, name: &ObjectName) -> TableKey {
    let key = borrowed_key(dialect, name);
    TableKey {
        schema: key.schema.into_owned(),
        name: key.name.into_owned(),
    }
}

/// The key of `name` on a `dialect` server, borrowed from the name where it can be.
fn borrowed_key(dialect: Dialect, name: &ObjectName) -> BorrowedKey<'_> {
    BorrowedKey {
        schema: match (&name.schema, dialect) {
            (Some(s), _) => s.key(),
            (None, Dialect::Postgres) => Cow::Borrowed("public"),
            (None, Dialect::Mysql) => Cow::Borrowed(""),
        },
        name: name.name.key(),
    }
}

fn column(
    dialect: Dialect,
    values: &mut ColumnValues,
    def: &ColumnDef,
    change_set: ChangeSet,
) -> Column {
    // PostgreSQL makes serial and identity columns NOT NULL (MySQL's AUTO_INCREMENT, also
    // read as an identity, may stay nullable).
    let identity =
        dialect == Dialect::Postgres && matches!(def.generated, Some(Generated::Identity { .. }));
    Column {
        name: def.name.clone(),
        data_type: values.types.get(&def.data_type),
        not_null: def.not_null || def.primary_key || def.is_serial() || identity,
        default: def.default.as_ref().map(|d| values.defaults.get(d)),
        added_in: Some(change_set),
        default_set_in: def.default.as_ref().map(|_| change_set),
        copied_from: None,
        generated: def.generated.clone(),
    }
}

fn inline_constraints(def: &ColumnDef, change_set: ChangeSet) -> Vec<CatalogConstraint> {
    let primary_key = def.primary_key.then(|| ConstraintKind::PrimaryKey {
        columns: vec![def.name.clone()],
        using_index: None,
    });
    // An inline UNIQUE is a unique constraint like a table-level one: plans must carry it
    // and a foreign key may reference it.
    let unique = def.unique.then(|| ConstraintKind::Unique {
        columns: vec![def.name.clone()],
        using_index: None,
    });
    let check = def
        .check
        .iter()
        .map(|expr| ConstraintKind::Check { expr: expr.clone() });
    let foreign_key = def
        .references
        .iter()
        .map(|references| ConstraintKind::ForeignKey {
            columns: vec![def.name.clone()],
            target: Box::new(ForeignTarget {
                references: references.clone(),
                referred_columns: def.referred_columns.clone(),
                clauses: String::new(),
            }),
        });
    primary_key
        .into_iter()
        .chain(unique)
        .chain(check)
        .chain(foreign_key)
        .map(|kind| CatalogConstraint {
            name: None,
            kind,
            validated: true,
            added_in: change_set,
        })
        .collect()
}

/// `("Email"   IS NOT NULL)` -> `Email is not null`, for comparing CHECK expressions with
/// a column's catalogue key: unquoted words fold to lower case and quoted names keep
/// theirs, as PostgreSQL reads them (`"Email"` and `email` are different columns).
fn normalise_check(expr: &str) -> String {
    let trimmed = expr.trim();
    let inner = trimmed
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(trimmed);
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        // One word: a quoted name (`""` inside it is a quote) or a run of other characters.
        if c == '"' {
            while let Some(q) = chars.next() {
                if q != '"' {
                    out.push(q);
                } else if chars.next_if_eq(&'"').is_some() {
                    out.push('"');
                } else {
                    break;
                }
            }
        } else {
            out.extend(c.to_lowercase());
            while let Some(w) = chars.next_if(|w| !w.is_whitespace() && *w != '"') {
                out.extend(w.to_lowercase());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Catalog, ChangeSet};
    use crate::dialect::Dialect;
    use crate::parse::parse_text;
    use crate::statement::{ConstraintKind, Ident, ObjectName};

    fn replay(catalog: &mut Catalog, sql: &str, change_set: ChangeSet) {
        for statement in parse_text(sql, Dialect::Postgres).statements {
            catalog.apply(&statement, change_set);
        }
    }

    #[test]
    fn a_scratch_replay_leaves_the_catalogue_as_it_was() {
        let mut catalog = Catalog::new(Dialect::Postgres);
        replay(
            &mut catalog,
            "CREATE TABLE users (id bigint PRIMARY KEY, email text);
             CREATE TABLE orders (id bigint, user_id bigint REFERENCES users);
             CREATE INDEX orders_user_idx ON orders (user_id);
             CREATE TABLE events (at date) PARTITION BY RANGE (at);
             CREATE MATERIALIZED VIEW totals AS SELECT 1;
             CREATE DOMAIN amount AS int CHECK (VALUE > 0);
             CREATE FUNCTION sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
             CREATE VIEW active AS SELECT 1;
             CREATE VIEW user_emails AS SELECT email FROM users;",
            ChangeSet(0),
        );
        let before = format!("{catalog:?}");
        let users = ObjectName::bare("users");
        let orders = ObjectName::bare("orders");
        let email = Ident::new("email");
        {
            let mut rollback = catalog.scratch();
            // Every kind of change: tables, columns, indexes, foreign keys, partitions,
            // materialized views, created, altered, renamed and dropped.
            replay(
                &mut rollback,
                "ALTER TABLE users DROP COLUMN email;
                 ALTER TABLE users ADD COLUMN name text;
                 UPDATE users SET name = id::text;
                 DROP INDEX orders_user_idx;
                 CREATE INDEX users_name_idx ON users (name);
                 ALTER TABLE orders RENAME TO purchases;
                 CREATE TABLE audit (user_id bigint REFERENCES users);
                 CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
                 CREATE MATERIALIZED VIEW per_day AS SELECT 1;
                 ALTER DOMAIN amount DROP CONSTRAINT amount_check;
                 CREATE DOMAIN code AS text NOT NULL;
                 DROP FUNCTION sync();
                 ALTER VIEW active RENAME TO current;
                 ALTER TABLE users RENAME COLUMN name TO full_name;
                 ALTER VIEW user_emails RENAME TO emails;
                 DROP TABLE users;",
                ChangeSet(0),
            );
            // The rollback's own later statements see what it did.
            assert!(rollback.table(&users).is_none());
            assert!(rollback.table(&orders).is_none());
            assert!(rollback.table(&ObjectName::bare("purchases")).is_some());
            assert!(rollback
                .index(&ObjectName::bare("orders_user_idx"))
                .is_none());
            assert_eq!(rollback.partitions(&ObjectName::bare("events")).len(), 1);
            assert!(rollback.views_using(&users, &email).is_empty());
        }
        assert_eq!(format!("{catalog:?}"), before);
        assert!(catalog.column(&users, &email).is_some());
        assert!(catalog.table(&ObjectName::bare("purchases")).is_none());
        assert!(catalog.table(&ObjectName::bare("audit")).is_none());
        assert!(catalog
            .index(&ObjectName::bare("orders_user_idx"))
            .is_some());
        assert!(catalog.index(&ObjectName::bare("users_name_idx")).is_none());
        assert_eq!(catalog.foreign_keys_to(&users).len(), 1);
        assert!(catalog.partitions(&ObjectName::bare("events")).is_empty());
        assert!(!catalog.created_in(&ObjectName::bare("per_day"), ChangeSet(0)));
        assert_eq!(catalog.views_using(&users, &email).len(), 1);

        // Changes made after the scratch replay are kept.
        replay(&mut catalog, "DROP TABLE users;", ChangeSet(1));
        assert!(catalog.table(&users).is_none());
    }

    #[test]
    fn the_partition_key_holds_the_names_it_mentions_and_follows_a_rename() {
        let mut catalog = Catalog::new(Dialect::Postgres);
        replay(
            &mut catalog,
            "CREATE TABLE events (at date, \"Region\" text, body text)
               PARTITION BY RANGE (at, (lower(\"Region\")));
             ALTER TABLE events RENAME COLUMN at TO happened;",
            ChangeSet(0),
        );
        let events = catalog.table(&ObjectName::bare("events")).unwrap();
        let key: Vec<String> = events
            .partition_key
            .iter()
            .map(|k| k.key().into_owned())
            .collect();
        assert_eq!(key, ["happened", "Region"]);
    }

    #[test]
    fn a_scratch_replay_leaves_mysql_row_versions_as_they_were() {
        let mut catalog = Catalog::new(Dialect::Mysql);
        let events = ObjectName::bare("events");
        let versions = |catalog: &Catalog| catalog.table(&events).unwrap().instant_row_versions;
        replay_mysql(
            &mut catalog,
            "CREATE TABLE events (id INT);
             ALTER TABLE events ADD COLUMN a INT;
             ALTER TABLE events DROP COLUMN a;",
        );
        assert_eq!(versions(&catalog), 2);
        {
            let mut rollback = catalog.scratch();
            replay_mysql(&mut rollback, "ALTER TABLE events ADD COLUMN b INT;");
            assert_eq!(versions(&rollback), 3);
            replay_mysql(&mut rollback, "OPTIMIZE TABLE events;");
            assert_eq!(versions(&rollback), 0);
        }
        assert_eq!(versions(&catalog), 2);
    }

    fn replay_mysql(catalog: &mut Catalog, sql: &str) {
        for statement in parse_text(sql, Dialect::Mysql).statements {
            catalog.apply(&statement, ChangeSet(0));
        }
    }

    /// The FULLTEXT and SPATIAL state of `posts` after each statement of `sql` in turn:
    /// (index names, hidden FTS_DOC_ID).
    fn search_state(sql: &str) -> Vec<(Vec<String>, bool)> {
        let mut catalog = Catalog::new(Dialect::Mysql);
        let posts = ObjectName::bare("posts");
        parse_text(sql, Dialect::Mysql)
            .statements
            .iter()
            .map(|statement| {
                catalog.apply(statement, ChangeSet(0));
                let table = catalog.table(&posts).expect("posts is known");
                let names = table.search_indexes.iter().map(|i| i.name.clone());
                (names.collect(), table.hidden_fts_doc_id)
            })
            .collect()
    }

    #[test]
    fn the_hidden_fts_doc_id_outlives_the_last_fulltext_index_until_a_rebuild() {
        let state = search_state(
            "CREATE TABLE posts (id INT, body TEXT, g POINT NOT NULL, FULLTEXT (body), SPATIAL KEY posts_g (g));
             ALTER TABLE posts ADD FULLTEXT (body);
             CREATE FULLTEXT INDEX posts_id_ft ON posts (id);
             DROP INDEX body ON posts;
             ALTER TABLE posts DROP COLUMN id;
             ALTER TABLE posts DROP INDEX body_2;
             ALTER TABLE posts ADD COLUMN note INT;
             ALTER TABLE posts ADD COLUMN later INT;",
        );
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(state[0], (names(&["body", "posts_g"]), true));
        // An unnamed index takes its first column's name, suffixed when that is taken.
        assert_eq!(state[1], (names(&["body", "posts_g", "body_2"]), true));
        assert_eq!(
            state[2].0,
            names(&["body", "posts_g", "body_2", "posts_id_ft"])
        );
        assert_eq!(state[3].0, names(&["posts_g", "body_2", "posts_id_ft"]));
        // Dropping the only column of an index drops the index; the rebuild keeps the
        // hidden column for the FULLTEXT index left.
        assert_eq!(state[4], (names(&["posts_g", "body_2"]), true));
        assert_eq!(state[5], (names(&["posts_g"]), true));
        // No instant ADD COLUMN beside the hidden column: the rebuild removes it.
        assert_eq!(state[6], (names(&["posts_g"]), false));
        assert_eq!(state[7], (names(&["posts_g"]), false));
    }

    #[test]
    fn a_renamed_index_is_dropped_by_its_new_name_and_truncate_recreates_the_table() {
        let state = search_state(
            "CREATE TABLE posts (id INT, body TEXT, FULLTEXT KEY posts_a (body));
             ALTER TABLE posts RENAME INDEX posts_a TO posts_b;
             ALTER TABLE posts DROP INDEX posts_a;
             ALTER TABLE posts DROP INDEX posts_b;
             TRUNCATE TABLE posts;",
        );
        let renamed = vec!["posts_b".to_string()];
        assert_eq!(state[1], (renamed.clone(), true));
        assert_eq!(state[2], (renamed, true));
        assert_eq!(state[3], (vec![], true));
        assert_eq!(state[4], (vec![], false));
    }

    #[test]
    fn a_renamed_plain_index_keeps_its_columns_until_dropped_by_its_new_name() {
        let mut catalog = Catalog::new(Dialect::Mysql);
        let (posts, other) = (ObjectName::bare("posts"), ObjectName::bare("other"));
        let id = Ident::new("id");
        replay_mysql(
            &mut catalog,
            "CREATE TABLE posts (id INT);
             CREATE TABLE other (id INT);
             CREATE INDEX posts_id ON posts (id);
             ALTER TABLE other RENAME KEY posts_id TO stolen;
             ALTER TABLE other DROP INDEX posts_id;",
        );
        // Another table's statements name another index.
        assert!(catalog.column_is_indexed(&posts, &id));
        replay_mysql(
            &mut catalog,
            "ALTER TABLE posts RENAME KEY posts_id TO posts_key;",
        );
        assert!(catalog.index(&ObjectName::bare("posts_id")).is_none());
        assert!(catalog.column_is_indexed(&posts, &id));
        assert!(!catalog.column_is_indexed(&other, &id));
        replay_mysql(&mut catalog, "ALTER TABLE posts DROP INDEX posts_key;");
        assert!(!catalog.column_is_indexed(&posts, &id));
    }

    #[test]
    fn a_postgres_index_rename_moves_the_index_to_its_new_name() {
        let mut catalog = Catalog::new(Dialect::Postgres);
        replay(
            &mut catalog,
            "CREATE TABLE users (id bigint, email text);
             CREATE INDEX users_email_idx ON users (email);
             ALTER INDEX users_email_idx RENAME TO users_email_key;",
            ChangeSet(0),
        );
        assert!(catalog
            .index(&ObjectName::bare("users_email_idx"))
            .is_none());
        let renamed = ObjectName::bare("users_email_key");
        assert_eq!(
            catalog.index_table(&renamed),
            Some(ObjectName::bare("users"))
        );
        replay(&mut catalog, "DROP INDEX users_email_key;", ChangeSet(0));
        assert!(!catalog.column_is_indexed(&ObjectName::bare("users"), &Ident::new("email")));
    }

    #[test]
    fn create_table_like_copies_a_known_mysql_table_but_its_foreign_keys() {
        let mut catalog = Catalog::new(Dialect::Mysql);
        replay_mysql(
            &mut catalog,
            "CREATE TABLE parent (id INT PRIMARY KEY);
             CREATE TABLE posts (id INT NOT NULL, body TEXT, parent_id INT, PRIMARY KEY (id),
               CONSTRAINT posts_parent FOREIGN KEY (parent_id) REFERENCES parent (id),
               FULLTEXT KEY posts_body (body)) DEFAULT CHARSET=latin1;
             CREATE TABLE gone (id INT, body TEXT, FULLTEXT KEY gone_body (body));
             ALTER TABLE gone DROP INDEX gone_body;
             CREATE TABLE posts_copy LIKE posts;
             CREATE TABLE gone_copy (LIKE gone);
             CREATE TABLE unknown_copy LIKE elsewhere;",
        );
        let copy = catalog.table(&ObjectName::bare("posts_copy")).unwrap();
        let columns: Vec<_> = copy.columns.iter().map(|c| c.name.value.as_str()).collect();
        assert_eq!(columns, ["id", "body", "parent_id"]);
        assert!(copy.column(&Ident::new("id")).unwrap().not_null);
        assert!(copy.primary_key().is_some());
        assert!(!copy
            .constraints
            .iter()
            .any(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. })));
        assert_eq!(copy.charset.as_deref(), Some("latin1"));
        assert!(copy.has_fulltext() && copy.hidden_fts_doc_id);
        assert_eq!(copy.created_in, Some(ChangeSet(0)));
        let gone_copy = catalog.table(&ObjectName::bare("gone_copy")).unwrap();
        assert!(
            catalog
                .table(&ObjectName::bare("gone"))
                .unwrap()
                .hidden_fts_doc_id
        );
        assert!(!gone_copy.hidden_fts_doc_id);
        let unknown = catalog.table(&ObjectName::bare("unknown_copy")).unwrap();
        assert!(unknown.columns.is_empty());
    }

    #[test]
    fn a_declared_fts_doc_id_needs_no_hidden_one() {
        let state = search_state(
            "CREATE TABLE posts (FTS_DOC_ID BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, body TEXT,
               UNIQUE KEY FTS_DOC_ID_INDEX (FTS_DOC_ID));
             ALTER TABLE posts ADD FULLTEXT INDEX posts_body_ft (body);",
        );
        assert_eq!(state[1], (vec!["posts_body_ft".to_string()], false));
    }
}
