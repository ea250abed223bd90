//! The statement model that schema replay and rules read.
//!
//! Both the `sqlparser` lowering (`parse::lower`) and the token fallback
//! (`parse::fallback`) produce these types, so a rule written once applies whether or not
//! `sqlparser` understood the statement. Only what the rules and the catalogue need is kept.

use crate::span::Span;
use std::borrow::Cow;

/// An identifier as written, with the quote character it was written in, if any
/// (quoting disables case folding in PostgreSQL). Two identifiers are equal when they
/// are written alike up to the quote character: `` `a` `` and `"a"` name the same thing.
#[derive(Clone, Debug)]
pub struct Ident {
    pub value: String,
    /// `"` (PostgreSQL, ANSI) or `` ` `` (MySQL) when the source quoted the name.
    pub quote: Option<char>,
}

impl Ident {
    pub fn new(value: impl Into<String>) -> Ident {
        Ident {
            value: value.into(),
            quote: None,
        }
    }

    /// A double-quoted identifier.
    pub fn quoted(value: impl Into<String>) -> Ident {
        Ident {
            value: value.into(),
            quote: Some('"'),
        }
    }

    pub fn is_quoted(&self) -> bool {
        self.quote.is_some()
    }

    /// The catalogue key: unquoted names fold to lower case (PostgreSQL folds to lower;
    /// MySQL compares table names case-insensitively on the common configurations).
    /// Borrowed when nothing folds (a quoted name, or one already in lower case): the
    /// replay asks for this key on every catalogue lookup.
    pub fn key(&self) -> Cow<'_, str> {
        if self.is_quoted() {
            Cow::Borrowed(&self.value)
        } else {
            fold_unquoted(&self.value)
        }
    }

    /// Whether printing the name without its quotes would name something else or fail
    /// to parse: a case PostgreSQL would fold, a character outside a plain name, or a
    /// keyword. (With backquotes, MySQL's rules: case does not matter there.)
    fn needs_its_quotes(&self, quote: char) -> bool {
        let value = self.value.as_str();
        let plain_char = |c: char| match quote {
            '`' => c.is_ascii_alphanumeric() || c == '_' || c == '$',
            _ => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$',
        };
        let keyword = value.to_ascii_uppercase();
        value.is_empty()
            || value.starts_with(|c: char| c.is_ascii_digit() || c == '$')
            || !value.chars().all(plain_char)
            || sqlparser::keywords::ALL_KEYWORDS
                .binary_search(&keyword.as_str())
                .is_ok()
    }
}

impl PartialEq for Ident {
    fn eq(&self, other: &Ident) -> bool {
        self.value == other.value && self.is_quoted() == other.is_quoted()
    }
}

impl Eq for Ident {}

impl std::hash::Hash for Ident {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
        self.is_quoted().hash(state);
    }
}

/// The identifier as SQL that names the same object: a quoted name keeps its quotes when
/// it needs them (`"ProjectAlert"`, `` `order` ``), so SQL printed in help and fixes runs as
/// shown.
impl std::fmt::Display for Ident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.quote {
            Some(quote) if self.needs_its_quotes(quote) => {
                let doubled = format!("{quote}{quote}");
                write!(f, "{quote}{}{quote}", self.value.replace(quote, &doubled))
            }
            _ => f.write_str(&self.value),
        }
    }
}

/// A possibly schema-qualified name such as `public.users`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectName {
    pub schema: Option<Ident>,
    pub name: Ident,
}

impl ObjectName {
    pub fn bare(name: impl Into<String>) -> ObjectName {
        ObjectName {
            schema: None,
            name: Ident::new(name),
        }
    }
}

impl std::fmt::Display for ObjectName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// One statement of a file, with its byte span in the file.
#[derive(Clone, Debug)]
pub struct Statement {
    /// The statement's text in the file, without the terminator.
    pub span: Span,
    pub kind: StatementKind,
    /// How the kind was recognised: fallback statements carry the parser's complaint.
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    Parser,
    /// `sqlparser` failed; the token fallback recognised the kind.
    Fallback {
        parser_error: String,
    },
    /// Read from tokens without asking `sqlparser`, whose tree would not change the kind
    /// (`SELECT`, `INSERT INTO t`, `CREATE FUNCTION`; see `parse::shortcut`).
    Tokens,
}

/// A column type, normalised to lower case with single spaces (`character varying(20)`
/// becomes `varchar(20)`), with its base name and numeric arguments split out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DataType {
    pub text: String,
    pub base: String,
    pub args: Vec<u32>,
    pub array: bool,
}

/// Whether an expression's value can change from row to row when a default is applied.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Volatility {
    /// Evaluated once per statement (constants, `now()`, casts): PostgreSQL 11+ stores it
    /// in the catalogue without touching rows.
    Stable,
    /// Evaluated per row (`random()`, `gen_random_uuid()`, `nextval(...)`): rewrites.
    Volatile,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub text: String,
    pub volatility: Volatility,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Generated {
    /// `GENERATED ALWAYS AS (...) STORED` (or MySQL `STORED`): computed for every row.
    Stored,
    /// `VIRTUAL` generated column (MySQL, PostgreSQL 18+): computed on read.
    Virtual,
    /// `GENERATED ALWAYS AS (...)` with neither `STORED` nor `VIRTUAL`: virtual on MySQL and
    /// on PostgreSQL 18+, refused by PostgreSQL before 18 (which only has stored ones).
    Unspecified,
    /// `GENERATED ... AS IDENTITY` or MySQL `AUTO_INCREMENT`. `always` for `GENERATED ALWAYS`,
    /// which refuses a value an insert supplies (unless it says `OVERRIDING SYSTEM VALUE`);
    /// `BY DEFAULT` and `AUTO_INCREMENT` take it.
    Identity { always: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: Ident,
    pub data_type: DataType,
    pub not_null: bool,
    pub default: Option<Expr>,
    pub generated: Option<Generated>,
    pub primary_key: bool,
    pub unique: bool,
    pub references: Option<ObjectName>,
    /// The columns an inline `REFERENCES t (a)` names; empty for the primary key.
    pub referred_columns: Vec<Ident>,
    pub check: Option<String>,
}

impl DataType {
    /// MySQL `CHARACTER SET x` / `CHARSET x` written with the type, lower-cased.
    pub fn charset(&self) -> Option<&str> {
        charset_after_keyword(&self.text)
    }

    /// For a serial pseudo-type, the integer type the column really has.
    pub fn serial_storage(&self) -> Option<&'static str> {
        match self.base.as_str() {
            "serial" | "serial4" => Some("integer"),
            "bigserial" | "serial8" => Some("bigint"),
            "smallserial" | "serial2" => Some("smallint"),
            _ => None,
        }
    }
}

/// The name after `charset` or `character set` (with an optional `=`) in lower-case text.
pub fn charset_after_keyword(lower: &str) -> Option<&str> {
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == '=')
        .filter(|w| !w.is_empty())
        .collect();
    let at = words.iter().enumerate().find_map(|(i, w)| match *w {
        "charset" => Some(i + 1),
        "character" if words.get(i + 1) == Some(&"set") => Some(i + 2),
        _ => None,
    })?;
    words
        .get(at)
        .map(|w| w.trim_matches(|c| c == '\'' || c == '"' || c == '`'))
}

/// An unquoted name as the catalogue keys it: in lower case, beyond ASCII too; borrowed
/// when it already is.
pub fn fold_unquoted(value: &str) -> Cow<'_, str> {
    if value.is_ascii() {
        if value.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(value.to_ascii_lowercase())
        } else {
            Cow::Borrowed(value)
        }
    } else {
        Cow::Owned(value.to_lowercase())
    }
}

impl ColumnDef {
    /// A nullable column with no default and no constraints.
    pub fn new(name: Ident, data_type: DataType) -> ColumnDef {
        ColumnDef {
            name,
            data_type,
            not_null: false,
            default: None,
            generated: None,
            primary_key: false,
            unique: false,
            references: None,
            referred_columns: Vec::new(),
            check: None,
        }
    }

    /// `serial`, `bigserial` and `smallserial` are an integer plus a sequence default.
    pub fn is_serial(&self) -> bool {
        self.data_type.serial_storage().is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey {
        columns: Vec<Ident>,
        /// `USING INDEX idx`: attaches an index built beforehand. Boxed, as the foreign
        /// key's target is: it is rarely set, and inline it took a name's room in every
        /// constraint the replayed catalogue holds.
        using_index: Option<Box<Ident>>,
    },
    Unique {
        columns: Vec<Ident>,
        using_index: Option<Box<Ident>>,
    },
    ForeignKey {
        columns: Vec<Ident>,
        /// Boxed: the replayed catalogue holds every table's constraints, and this part
        /// would make every constraint as large as a foreign key.
        target: Box<ForeignTarget>,
    },
    Check {
        expr: String,
    },
    Exclude,
    /// PostgreSQL 18+ `[CONSTRAINT name] NOT NULL column`: the column's NOT NULL as a named
    /// constraint, which may be added `NOT VALID` and validated later.
    NotNull {
        column: Ident,
    },
}

impl ConstraintKind {
    /// The table a foreign key references; `None` for every other kind of constraint.
    pub fn referenced_table(&self) -> Option<&ObjectName> {
        match self {
            ConstraintKind::ForeignKey { target, .. } => Some(&target.references),
            _ => None,
        }
    }
}

/// What a foreign key refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignTarget {
    pub references: ObjectName,
    pub referred_columns: Vec<Ident>,
    /// What follows the referenced columns (`ON DELETE CASCADE DEFERRABLE`), so advice
    /// and plans that rewrite the key keep it; empty when there is nothing.
    pub clauses: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    pub name: Option<Ident>,
    pub kind: ConstraintKind,
    pub not_valid: bool,
    /// PostgreSQL 18 (CHECK, FOREIGN KEY) and MySQL (CHECK) `NOT ENFORCED`: recorded, never
    /// checked, until `ALTER CONSTRAINT ... ENFORCED`.
    pub not_enforced: bool,
}

impl Constraint {
    /// Whether adding the constraint reads the rows already in the table.
    pub fn checks_existing_rows(&self) -> bool {
        !self.not_valid && !self.not_enforced
    }
}

/// What an `ALTER COLUMN` does to the column's identity. `always` is `GENERATED ALWAYS`
/// (see [`Generated::Identity`]), else `BY DEFAULT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityChange {
    Add { always: bool },
    Set { always: bool },
    Drop,
}

/// Where MySQL places a column (`FIRST` / `AFTER col`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnPosition {
    First,
    After(Ident),
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlterAction {
    AddColumn {
        column: ColumnDef,
        if_not_exists: bool,
        position: Option<ColumnPosition>,
    },
    DropColumn {
        column: Ident,
        if_exists: bool,
        cascade: bool,
    },
    RenameColumn {
        from: Ident,
        to: Ident,
    },
    RenameTable {
        to: ObjectName,
    },
    SetSchema {
        schema: Ident,
    },
    /// PostgreSQL `ALTER COLUMN c TYPE t [USING e]`.
    AlterColumnType {
        column: Ident,
        data_type: DataType,
        using: Option<String>,
    },
    /// MySQL `MODIFY [COLUMN]` and `CHANGE [COLUMN] old new ...`: a whole new definition.
    RedefineColumn {
        old: Ident,
        column: ColumnDef,
        position: Option<ColumnPosition>,
    },
    SetNotNull {
        column: Ident,
    },
    DropNotNull {
        column: Ident,
    },
    SetDefault {
        column: Ident,
        default: Expr,
    },
    DropDefault {
        column: Ident,
    },
    AddConstraint(Constraint),
    ValidateConstraint {
        name: Ident,
    },
    DropConstraint {
        name: Ident,
        if_exists: bool,
        cascade: bool,
    },
    RenameConstraint {
        from: Ident,
        to: Ident,
    },
    /// MySQL `ADD [UNIQUE|FULLTEXT|SPATIAL] INDEX`.
    AddIndex(IndexDef),
    /// MySQL `DROP INDEX name` / `DROP KEY name`.
    DropIndex {
        name: Ident,
    },
    /// MySQL `RENAME INDEX from TO to` / `RENAME KEY from TO to`.
    RenameIndex {
        from: Ident,
        to: Ident,
    },
    /// MySQL `DROP PRIMARY KEY`.
    DropPrimaryKey,
    SetLogged,
    SetUnlogged,
    SetTablespace,
    EnableTrigger,
    DisableTrigger,
    AttachPartition {
        /// The table attached, when the parser could read its name.
        partition: Option<ObjectName>,
        /// `DEFAULT` instead of `FOR VALUES ...`.
        default: bool,
    },
    DetachPartition {
        /// The partition, when the statement names one the parser could read.
        partition: Option<ObjectName>,
        /// `CONCURRENTLY`, or `FINALIZE` (which completes an interrupted concurrent detach).
        concurrently: bool,
    },
    /// PostgreSQL 18 `ALTER CONSTRAINT name ENFORCED` (foreign keys): checks every row.
    EnforceConstraint {
        name: Ident,
    },
    /// PostgreSQL `ALTER COLUMN c ADD GENERATED ... AS IDENTITY`, `SET GENERATED ...` or
    /// `DROP IDENTITY [IF EXISTS]`.
    ChangeIdentity {
        column: Ident,
        change: IdentityChange,
    },
    /// PostgreSQL 17+ `ALTER COLUMN c SET EXPRESSION AS (...)` of a generated column.
    SetExpression {
        column: Ident,
    },
    /// MySQL `PARTITION BY ... (key) ...` (`Some`: every word of the key, as
    /// [`Partitioning::Parent`] holds it) or `REMOVE PARTITIONING` (`None`): the table is
    /// copied into the new layout.
    Repartition {
        key: Option<Vec<Ident>>,
    },
    /// PostgreSQL 19 `MERGE PARTITIONS (a, b, ...) INTO merged`.
    MergePartitions {
        partitions: Vec<ObjectName>,
        into: ObjectName,
    },
    /// PostgreSQL 19 `SPLIT PARTITION p INTO (PARTITION a FOR VALUES ..., PARTITION b ...)`.
    SplitPartition {
        partition: ObjectName,
        /// Each new partition, and whether it is the `DEFAULT` one.
        into: Vec<(ObjectName, bool)>,
    },
    /// A setting of how the table is stored, vacuumed, clustered or planned, not of its rows
    /// or columns: storage parameters (`SET (fillfactor = 70)`, `RESET (...)`), a column's
    /// statistics target or options (`ALTER COLUMN c SET STATISTICS 500`, `SET (n_distinct
    /// = 100)`), `CLUSTER ON`, `SET WITHOUT CLUSTER`. PostgreSQL takes SHARE UPDATE EXCLUSIVE
    /// for them, ACCESS EXCLUSIVE only for the `user_catalog_table` parameter.
    TableSetting {
        user_catalog_table: bool,
    },
    /// MySQL `ALGORITHM = ...`.
    Algorithm(String),
    /// MySQL `LOCK = ...`.
    Lock(String),
    /// Any other action, by its leading words (`SET STATISTICS`, `OWNER TO`, `ENGINE`, ...).
    Other(String),
}

impl AlterAction {
    /// The column this action makes NOT NULL with a scan of the existing rows: `SET NOT
    /// NULL`, or PostgreSQL 18's `ADD CONSTRAINT ... NOT NULL column` without `NOT VALID`.
    pub fn validates_not_null(&self) -> Option<&Ident> {
        match self {
            AlterAction::SetNotNull { column } => Some(column),
            AlterAction::AddConstraint(Constraint {
                kind: ConstraintKind::NotNull { column },
                not_valid: false,
                ..
            }) => Some(column),
            _ => None,
        }
    }

    /// Whether this action can share one ALTER TABLE with the actions of a neighbouring
    /// statement to the same effect. Constraint steps, defaults and NOT NULL stay apart on
    /// purpose (a NOT VALID add before its VALIDATE, a check before the SET NOT NULL it
    /// proves, a SET DEFAULT that must not fill the column it follows).
    pub fn merges_with_others(&self) -> bool {
        matches!(
            self,
            AlterAction::AddColumn { .. }
                | AlterAction::DropColumn { .. }
                | AlterAction::AlterColumnType { .. }
                | AlterAction::DropDefault { .. }
                | AlterAction::DropNotNull { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDef {
    pub name: Option<Ident>,
    pub table: ObjectName,
    /// A plain column as written (its quotes decide its catalogue key); an expression as
    /// an unquoted `Ident` holding its text.
    pub columns: Vec<Ident>,
    pub unique: bool,
    pub concurrently: bool,
    pub if_not_exists: bool,
    /// `btree`, `gin`, MySQL `fulltext` / `spatial`, ...
    pub method: Option<String>,
    /// `ON ONLY table`: on a partitioned table, the index of the parent alone, left invalid
    /// until an index of every partition is attached to it.
    pub only: bool,
}

/// Where a PostgreSQL table stands in declarative partitioning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Partitioning {
    #[default]
    None,
    /// `PARTITION BY ...`: a partitioned table, which holds no rows of its own. `key` is
    /// every name its partition key mentions: the key's columns, and for an expression
    /// (`lower(region)`) every word in it, since PostgreSQL refuses to drop or alter any
    /// column the key uses.
    Parent { key: Vec<Ident> },
    /// `PARTITION OF parent { FOR VALUES ... | DEFAULT }`.
    Of { parent: ObjectName, default: bool },
}

#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    CreateTable {
        name: ObjectName,
        columns: Vec<ColumnDef>,
        constraints: Vec<Constraint>,
        if_not_exists: bool,
        /// `CREATE TABLE ... AS SELECT` / `LIKE`: columns not written out.
        from_query: bool,
        /// `CREATE TABLE t LIKE source` (MySQL, also `(LIKE source)`) or PostgreSQL's
        /// `(LIKE source ...)`: the table whose definition is copied.
        like: Option<ObjectName>,
        /// MySQL `[DEFAULT] CHARSET=x` / `CHARACTER SET x` table option, lower-cased.
        charset: Option<String>,
        /// PostgreSQL declarative partitioning declared with the table.
        partitioning: Partitioning,
        /// MySQL `FULLTEXT` and `SPATIAL` keys declared with the table, which decide what
        /// later ALTERs of it cost. Plain `KEY`s are not kept.
        search_indexes: Vec<IndexDef>,
    },
    AlterTable {
        name: ObjectName,
        if_exists: bool,
        actions: Vec<AlterAction>,
    },
    CreateIndex(IndexDef),
    DropIndex {
        names: Vec<ObjectName>,
        /// MySQL `DROP INDEX i ON t`.
        table: Option<ObjectName>,
        concurrently: bool,
        if_exists: bool,
    },
    DropTable {
        names: Vec<ObjectName>,
        if_exists: bool,
        cascade: bool,
    },
    DropSchema {
        names: Vec<Ident>,
        cascade: bool,
    },
    DropDatabase {
        name: Ident,
    },
    AlterSchemaRename {
        from: Ident,
        to: Ident,
    },
    /// PostgreSQL `ALTER INDEX [IF EXISTS] name RENAME TO to` (the index keeps its schema).
    RenameIndex {
        name: ObjectName,
        to: Ident,
    },
    /// MySQL `RENAME TABLE a TO b, c TO d`.
    RenameTables {
        pairs: Vec<(ObjectName, ObjectName)>,
    },
    Truncate {
        tables: Vec<ObjectName>,
        cascade: bool,
    },
    Update {
        table: ObjectName,
        has_where: bool,
        /// The assignments that carry one column's every value into another (see
        /// [`ColumnCopy`]); empty when the reader could not tell.
        copies: Vec<ColumnCopy>,
    },
    Delete {
        table: ObjectName,
        has_where: bool,
    },
    Insert {
        table: ObjectName,
        /// `INSERT INTO table [(...)] SELECT ... FROM from` reading every row of one table
        /// (no WHERE, JOIN, GROUP BY, DISTINCT, LIMIT, set operation, ON CONFLICT).
        from: Option<ObjectName>,
    },
    Begin,
    Commit,
    Rollback,
    /// `SET [SESSION|LOCAL] name = value` (value as written, lower-cased, quotes removed).
    Set {
        name: String,
        value: String,
        local: bool,
    },
    Reindex {
        concurrently: bool,
        scope: ReindexScope,
        target: Option<ObjectName>,
    },
    Vacuum {
        full: bool,
        tables: Vec<ObjectName>,
    },
    Cluster {
        table: Option<ObjectName>,
    },
    /// PostgreSQL 19 `REPACK [(options)] [table [USING INDEX [index]]]`, which replaces
    /// `VACUUM FULL` and `CLUSTER`; `CONCURRENTLY` copies the table while reads and writes go
    /// on.
    Repack {
        table: Option<ObjectName>,
        concurrently: bool,
    },
    LockTable {
        tables: Vec<ObjectName>,
        mode: String,
    },
    /// PostgreSQL `CREATE MATERIALIZED VIEW name ...`: a new relation no running release
    /// reads yet.
    CreateMaterializedView {
        name: ObjectName,
        query: ViewQuery,
    },
    RefreshMaterializedView {
        name: ObjectName,
        concurrently: bool,
    },
    CreateTrigger {
        table: ObjectName,
    },
    /// PostgreSQL `DROP TRIGGER name ON table` (MySQL's names no table).
    DropTrigger {
        table: ObjectName,
    },
    /// `CREATE [OR REPLACE] {VIEW | FUNCTION | PROCEDURE | TYPE | SEQUENCE | EXTENSION} name`.
    CreateObject {
        kind: ObjectKind,
        name: ObjectName,
        or_replace: bool,
        /// For a view: what its query reads.
        view: Option<ViewQuery>,
    },
    /// `DROP {VIEW | MATERIALIZED VIEW | FUNCTION | ...} [IF EXISTS] name [, ...] [CASCADE]`.
    DropObject {
        kind: ObjectKind,
        names: Vec<ObjectName>,
        cascade: bool,
    },
    /// `ALTER {VIEW | FUNCTION | TYPE | ...} name ...`: a rename, a move to another schema.
    AlterObject {
        kind: ObjectKind,
        name: ObjectName,
        change: ObjectChange,
    },
    /// PostgreSQL `CREATE DOMAIN name [AS] type ...`.
    CreateDomain {
        name: ObjectName,
        /// How many `CHECK` and `NOT NULL` constraints it is created with.
        constraints: u32,
    },
    /// PostgreSQL `ALTER DOMAIN name ...`.
    AlterDomain {
        name: ObjectName,
        change: DomainChange,
    },
    /// `ALTER TYPE name ADD VALUE ...` and other `ALTER TYPE` forms.
    AlterType {
        name: ObjectName,
        action: AlterTypeAction,
    },
    /// MySQL `OPTIMIZE TABLE`.
    OptimizeTable {
        tables: Vec<ObjectName>,
    },
    /// A statement the rules have nothing to say about (`CREATE FUNCTION`, `GRANT`, ...),
    /// named by its leading keywords.
    Other {
        keyword: String,
    },
    /// Neither `sqlparser` nor the fallback understood it.
    Unparsed {
        message: String,
        /// Byte offset in the file where the parser stopped, when it said.
        at: Option<u32>,
    },
}

/// What a view's query reads, from its tokens (the replay needs it to know which columns a
/// view holds on to: PostgreSQL refuses to drop or retype a column a view uses). It is an
/// over-approximation, never an under one: every relation named after `FROM` or `JOIN`
/// (a CTE's name too), and every name the query mentions, wherever it stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewQuery {
    pub relations: Vec<ObjectName>,
    /// Every word of the query but the reserved words no unquoted name can be (keywords a
    /// column may be called, `name` or `year`, are kept).
    pub names: Vec<Ident>,
    /// The query selects `*` or `t.*`: every column the relations have when the view is
    /// created.
    pub star: bool,
}

/// `UPDATE t SET to = f(from)` where the value reads no column but `from`, and the WHERE,
/// if any, reads no other column either (`WHERE from IS NOT NULL`): the data of `from` is
/// carried into `to` for every row the statement sees, as in a copy-and-swap rebuild.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnCopy {
    pub to: Ident,
    pub from: Ident,
}

/// What a `REINDEX` names: one index, one table's indexes, or many tables.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReindexScope {
    Index,
    Table,
    /// `SCHEMA`, `DATABASE` or `SYSTEM`: every table in it.
    Many,
}

/// Objects besides tables and indexes that an application names in its queries.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    View,
    MaterializedView,
    Function,
    /// A function that `RETURNS trigger`: triggers call it, the application never does.
    /// Only `CREATE FUNCTION` tells; `DROP` and `ALTER` name it a [`ObjectKind::Function`].
    TriggerFunction,
    Procedure,
    Type,
    Sequence,
    Domain,
    Extension,
}

impl ObjectKind {
    /// Views, materialized views and sequences live in `pg_class` and are locked like tables.
    pub fn is_relation(self) -> bool {
        matches!(
            self,
            ObjectKind::View | ObjectKind::MaterializedView | ObjectKind::Sequence
        )
    }

    /// The kind as SQL writes it after `CREATE` / `DROP`, lower-case for messages.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Function => "function",
            ObjectKind::TriggerFunction => "trigger function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::Type => "type",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Domain => "domain",
            ObjectKind::Extension => "extension",
        }
    }
}

/// What an `ALTER` of an [`ObjectKind`] does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectChange {
    RenameTo(Ident),
    SetSchema(Ident),
    /// `ALTER VIEW v RENAME [COLUMN] a TO b`.
    RenameColumn {
        from: Ident,
        to: Ident,
    },
    Other,
}

/// What an `ALTER DOMAIN` does to the domain's constraints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainChange {
    /// `ADD [CONSTRAINT name] CHECK (...) [NOT VALID]`.
    AddConstraint {
        not_valid: bool,
    },
    SetNotNull,
    DropConstraint,
    DropNotNull,
    /// Defaults, renames, owners, `VALIDATE CONSTRAINT`: no constraint added or dropped.
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlterTypeAction {
    AddValue,
    RenameValue,
    Other,
}

impl StatementKind {
    /// Whether this statement changes the definition of a table (views, functions, types,
    /// sequences and domains are not tables).
    pub fn is_ddl(&self) -> bool {
        !matches!(
            self,
            StatementKind::Update { .. }
                | StatementKind::Delete { .. }
                | StatementKind::Insert { .. }
                | StatementKind::Begin
                | StatementKind::Commit
                | StatementKind::Rollback
                | StatementKind::Set { .. }
                | StatementKind::CreateMaterializedView { .. }
                | StatementKind::CreateDomain { .. }
                | StatementKind::AlterDomain { .. }
                | StatementKind::CreateObject { .. }
                | StatementKind::DropObject { .. }
                | StatementKind::AlterObject { .. }
                | StatementKind::RenameIndex { .. }
                | StatementKind::Other { .. }
                | StatementKind::Unparsed { .. }
        )
    }

    /// Whether this changes the schema in any way: tables, or the objects beside them.
    pub fn is_schema_change(&self) -> bool {
        self.is_ddl()
            || matches!(
                self,
                StatementKind::CreateMaterializedView { .. }
                    | StatementKind::CreateDomain { .. }
                    | StatementKind::AlterDomain { .. }
                    | StatementKind::CreateObject { .. }
                    | StatementKind::DropObject { .. }
                    | StatementKind::AlterObject { .. }
                    | StatementKind::RenameIndex { .. }
            )
    }

    pub fn is_data_change(&self) -> bool {
        matches!(
            self,
            StatementKind::Update { .. }
                | StatementKind::Delete { .. }
                | StatementKind::Insert { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: &str, quote: char) -> String {
        Ident {
            value: value.to_string(),
            quote: Some(quote),
        }
        .to_string()
    }

    #[test]
    fn a_quoted_name_keeps_the_quotes_it_needs_to_name_the_same_object() {
        assert_eq!(written("ProjectAlert", '"'), "\"ProjectAlert\"");
        assert_eq!(written("order", '"'), "\"order\"");
        assert_eq!(written("with space", '"'), "\"with space\"");
        assert_eq!(written("say \"hi\"", '"'), "\"say \"\"hi\"\"\"");
        assert_eq!(written("1st", '"'), "\"1st\"");
        // Quotes PostgreSQL would read the same without are dropped.
        assert_eq!(written("orders", '"'), "orders");
        // MySQL: case does not need backquotes, keywords and odd characters do.
        assert_eq!(written("Orders", '`'), "Orders");
        assert_eq!(written("order", '`'), "`order`");
        assert_eq!(written("a`b", '`'), "`a``b`");
        assert_eq!(Ident::new("Orders").to_string(), "Orders");
    }

    #[test]
    fn the_quote_character_does_not_change_which_name_it_is() {
        assert_eq!(
            Ident {
                value: "a".into(),
                quote: Some('`')
            },
            Ident::quoted("a")
        );
        assert_ne!(Ident::new("a"), Ident::quoted("a"));
    }
}
