//! From the statement model to the matrix: which operation each clause of a MySQL
//! ALTER TABLE (or CREATE INDEX, OPTIMIZE TABLE) is, judged against the column definitions
//! the replay has seen, and the table lock that follows from the verdict.

use super::online_ddl::{judge, Algorithm, Clause, Operation, Pins, TableTraits, Verdict};
use crate::catalog::{Catalog, Column};
use crate::diagnostic::{LockMode, TableEffect, TableLock};
use crate::dialect::Target;
use crate::statement::{
    AlterAction, ColumnDef, ConstraintKind, Generated, ObjectName, Statement, StatementKind,
};

/// An online-DDL statement on one table, split into judged clauses.
#[derive(Clone, Debug)]
pub struct TableChange {
    pub table: ObjectName,
    pub clauses: Vec<Clause>,
    pub pins: Pins,
    /// MODIFY/CHANGE of columns whose current definition the replay has not seen.
    pub unknown_columns: Vec<String>,
    /// The table's FULLTEXT and SPATIAL state, as far as the replay knows it.
    pub traits: TableTraits,
}

impl TableChange {
    pub fn verdict(&self, target: &Target) -> Option<Verdict> {
        judge(&self.clauses, &self.pins, target, &self.traits)
    }
}

/// The online-DDL statements in `statement`: one per table it alters. `foreign_key_checks_off`
/// is the session's `foreign_key_checks = 0`.
pub fn table_changes(
    statement: &Statement,
    catalog: &Catalog,
    foreign_key_checks_off: bool,
) -> Vec<TableChange> {
    let single = |table: &ObjectName, operation: Operation, text: String| TableChange {
        table: table.clone(),
        clauses: vec![Clause { operation, text }],
        pins: Pins::default(),
        unknown_columns: Vec::new(),
        traits: table_traits(catalog, table, &[]),
    };
    match &statement.kind {
        StatementKind::AlterTable { name, actions, .. } => {
            vec![alter_table(name, actions, catalog, foreign_key_checks_off)]
        }
        StatementKind::CreateIndex(index) => {
            let operation = index_operation(index.method.as_deref());
            vec![single(
                &index.table,
                operation,
                index_text(operation, index.name.as_ref()),
            )]
        }
        StatementKind::DropIndex {
            names,
            table: Some(table),
            ..
        } => names
            .iter()
            .map(|n| {
                single(
                    table,
                    Operation::DropIndex,
                    format!("DROP INDEX `{}`", n.name),
                )
            })
            .collect(),
        StatementKind::OptimizeTable { tables } => tables
            .iter()
            .map(|t| single(t, Operation::OptimizeTable, "OPTIMIZE TABLE".to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

fn alter_table(
    table: &ObjectName,
    actions: &[AlterAction],
    catalog: &Catalog,
    foreign_key_checks_off: bool,
) -> TableChange {
    let mut change = TableChange {
        table: table.clone(),
        clauses: Vec::new(),
        pins: Pins::default(),
        unknown_columns: Vec::new(),
        traits: table_traits(catalog, table, actions),
    };
    let replaces_primary_key = actions
        .iter()
        .any(|a| matches!(a, AlterAction::DropPrimaryKey))
        && actions.iter().any(adds_primary_key);
    for action in actions {
        let mut push =
            |operation: Operation, text: String| change.clauses.push(Clause { operation, text });
        match action {
            AlterAction::Algorithm(value) => change.pins.set(Some(value), None),
            AlterAction::Lock(value) => change.pins.set(None, Some(value)),
            AlterAction::AddColumn {
                column, position, ..
            } => {
                for operation in add_column(column, position.is_some(), replaces_primary_key) {
                    push(operation, format!("ADD COLUMN `{}`", column.name));
                }
            }
            AlterAction::DropColumn { column, .. } => {
                let generated = catalog
                    .column(table, column)
                    .and_then(|c| c.generated.as_ref());
                push(drop_column(generated), format!("DROP COLUMN `{column}`"));
                if in_secondary_key(catalog, table, column) {
                    // Its indexes lose the column, and an index change is never INSTANT
                    // (MariaDB refuses ALGORITHM=INSTANT here: tests/db_mysql_rules.rs).
                    push(
                        Operation::DropIndex,
                        format!("index on `{column}` changed with it"),
                    );
                }
            }
            AlterAction::RenameColumn { from, to } => push(
                Operation::RenameColumn,
                format!("RENAME COLUMN `{from}` TO `{to}`"),
            ),
            AlterAction::RedefineColumn {
                old,
                column,
                position,
            } => match catalog.column(table, old) {
                Some(current) => {
                    let known = catalog.table(table);
                    let context = Context {
                        table_charset: known.and_then(|t| t.charset.as_deref()),
                        in_primary_key: known.is_some_and(|t| in_primary_key(t, old)),
                    };
                    for (operation, text) in redefine(current, column, position.is_some(), &context)
                    {
                        push(operation, text);
                    }
                }
                None => change.unknown_columns.push(old.value.clone()),
            },
            AlterAction::AlterColumnType {
                column, data_type, ..
            } => push(
                Operation::ChangeColumnType,
                format!("`{column}` to {}", data_type.text),
            ),
            AlterAction::SetNotNull { column } => {
                push(Operation::MakeNotNull, format!("`{column}` NOT NULL"))
            }
            AlterAction::DropNotNull { column } => {
                push(Operation::MakeNullable, format!("`{column}` NULL"))
            }
            AlterAction::SetDefault { column, .. } | AlterAction::DropDefault { column } => {
                push(Operation::SetDefault, format!("DEFAULT of `{column}`"))
            }
            AlterAction::AddConstraint(constraint) => {
                let operation = match &constraint.kind {
                    ConstraintKind::PrimaryKey { .. } if replaces_primary_key => {
                        Operation::ReplacePrimaryKey
                    }
                    ConstraintKind::PrimaryKey { .. } => Operation::AddPrimaryKey,
                    ConstraintKind::Unique { .. } => Operation::AddIndex,
                    ConstraintKind::ForeignKey { .. } if foreign_key_checks_off => {
                        Operation::AddForeignKeyUnchecked
                    }
                    ConstraintKind::ForeignKey { .. } => Operation::AddForeignKey,
                    ConstraintKind::Check { .. } => Operation::AddCheckConstraint,
                    ConstraintKind::Exclude | ConstraintKind::NotNull { .. } => continue,
                };
                let name = constraint
                    .name
                    .as_ref()
                    .map(|n| format!(" `{n}`"))
                    .unwrap_or_default();
                push(operation, format!("{}{name}", operation.row().label));
            }
            AlterAction::DropConstraint { name, .. } => push(
                Operation::DropConstraint,
                format!("DROP CONSTRAINT `{name}`"),
            ),
            AlterAction::AddIndex(index) => {
                let operation = index_operation(index.method.as_deref());
                push(operation, index_text(operation, index.name.as_ref()));
            }
            AlterAction::DropIndex { name } => {
                push(Operation::DropIndex, format!("DROP INDEX `{name}`"))
            }
            AlterAction::RenameIndex { from, to } => push(
                Operation::RenameIndex,
                format!("RENAME INDEX `{from}` TO `{to}`"),
            ),
            // Judged with the ADD PRIMARY KEY it travels with.
            AlterAction::DropPrimaryKey if replaces_primary_key => {}
            AlterAction::DropPrimaryKey => {
                push(Operation::DropPrimaryKey, "DROP PRIMARY KEY".to_string())
            }
            AlterAction::RenameTable { to } => {
                push(Operation::RenameTable, format!("RENAME TO `{to}`"))
            }
            AlterAction::Repartition { key } => {
                let operation = match key {
                    Some(_) => Operation::PartitionBy,
                    None => Operation::RemovePartitioning,
                };
                push(operation, operation.row().label.to_string());
            }
            AlterAction::Other(words) => {
                if let Some(operation) = table_option(words) {
                    push(operation, operation.row().label.to_string());
                }
            }
            _ => {}
        }
    }
    change
}

/// What the replay knows of `table` that changes what `actions` (none for a statement of
/// its own, such as CREATE INDEX) cost on it: an index stays through them unless they drop
/// it or every one of its columns.
pub fn table_traits(catalog: &Catalog, table: &ObjectName, actions: &[AlterAction]) -> TableTraits {
    let Some(known) = catalog.table(table) else {
        return TableTraits::default();
    };
    let drops_index = |name: &str| {
        actions
            .iter()
            .any(|a| matches!(a, AlterAction::DropIndex { name: n } if n.key() == name))
    };
    let drops_column = |column: &crate::statement::Ident| {
        actions.iter().any(
            |a| matches!(a, AlterAction::DropColumn { column: c, .. } if c.key() == column.key()),
        )
    };
    let keeps = |fulltext: bool| {
        known.search_indexes.iter().any(|i| {
            i.fulltext == fulltext && !drops_index(&i.name) && !i.columns.iter().all(drops_column)
        })
    };
    TableTraits {
        fulltext: known.has_fulltext(),
        hidden_fts_doc_id: known.hidden_fts_doc_id,
        fts_doc_id_column: known.declares_fts_doc_id(),
        keeps_fulltext: keeps(true),
        keeps_spatial: keeps(false),
    }
}

fn adds_primary_key(action: &AlterAction) -> bool {
    match action {
        AlterAction::AddConstraint(c) => matches!(c.kind, ConstraintKind::PrimaryKey { .. }),
        AlterAction::AddColumn { column, .. } => column.primary_key,
        _ => false,
    }
}

fn add_column(column: &ColumnDef, positioned: bool, replaces_primary_key: bool) -> Vec<Operation> {
    let mut operations = vec![match column.generated {
        Some(Generated::Stored) => Operation::AddStoredColumn,
        Some(Generated::Virtual | Generated::Unspecified) => Operation::AddVirtualColumn,
        Some(Generated::Identity { .. }) => Operation::AddAutoIncrementColumn,
        None if positioned => Operation::AddColumnPositioned,
        None => Operation::AddColumnLast,
    }];
    if column.primary_key {
        operations.push(if replaces_primary_key {
            Operation::ReplacePrimaryKey
        } else {
            Operation::AddPrimaryKey
        });
    }
    if column.unique {
        operations.push(Operation::AddIndex);
    }
    operations
}

/// Whether the replay saw `column` in an index or UNIQUE key of `table`.
fn in_secondary_key(
    catalog: &Catalog,
    table: &ObjectName,
    column: &crate::statement::Ident,
) -> bool {
    let key = column.key();
    catalog.column_is_indexed(table, column)
        || catalog.table(table).is_some_and(|t| {
            t.constraints.iter().any(|c| {
                matches!(&c.kind, ConstraintKind::Unique { columns, .. }
                    if columns.iter().any(|k| k.key() == key))
            })
        })
}

/// A stored column's values are in every row, a virtual column's are computed on read.
fn drop_column(generated: Option<&Generated>) -> Operation {
    match generated {
        Some(Generated::Virtual | Generated::Unspecified) => Operation::DropVirtualColumn,
        Some(Generated::Stored) => Operation::DropStoredColumn,
        _ => Operation::DropColumn,
    }
}

fn index_operation(method: Option<&str>) -> Operation {
    match method {
        Some("fulltext") => Operation::AddFulltextIndex,
        Some("spatial") => Operation::AddSpatialIndex,
        _ => Operation::AddIndex,
    }
}

fn index_text(operation: Operation, name: Option<&crate::statement::Ident>) -> String {
    let label = operation.row().label;
    match name {
        Some(n) => format!("{label} `{n}`"),
        None => label.to_string(),
    }
}

/// Whether an ALTER TABLE action the parsers could only label (`AlterAction::Other`) is a
/// MySQL table option or partition clause the matrix judges, or one that does nothing on
/// InnoDB (`DISABLE KEYS` / `ENABLE KEYS`, written by mysqldump).
pub fn understood_action(words: &str) -> bool {
    let upper = words.to_ascii_uppercase();
    table_option(words).is_some()
        || upper.starts_with("DISABLE KEYS")
        || upper.starts_with("ENABLE KEYS")
}

/// Table options and partition clauses, by the leading words the parser keeps for them.
fn table_option(words: &str) -> Option<Operation> {
    let words = words.to_ascii_uppercase();
    let starts = |prefix: &str| words.starts_with(prefix);
    Some(if starts("ENGINE") {
        Operation::NullRebuild
    } else if starts("FORCE") {
        Operation::Force
    } else if starts("ROW_FORMAT") {
        Operation::RowFormat
    } else if starts("KEY_BLOCK_SIZE") {
        Operation::KeyBlockSize
    } else if starts("STATS_") {
        Operation::StatisticsOptions
    } else if starts("CONVERT TO") {
        Operation::ConvertCharset
    } else if ["DEFAULT", "CHARACTER SET", "CHARSET", "COLLATE"]
        .iter()
        .any(|p| starts(p))
    {
        Operation::TableDefaultCharset
    } else if starts("AUTO_INCREMENT") {
        Operation::AutoIncrementValue
    } else if starts("ADD PARTITION") {
        Operation::AddPartition
    } else if starts("DROP PARTITION") {
        Operation::DropPartition
    } else if ["COALESCE", "REORGANIZE", "REBUILD"]
        .iter()
        .any(|p| starts(p))
    {
        Operation::ReorganizePartition
    } else if starts("ENCRYPTION") {
        Operation::TableEncryption
    } else {
        return None;
    })
}

/// What the table adds to a column's definition.
struct Context<'a> {
    table_charset: Option<&'a str>,
    /// Primary key columns are NOT NULL whatever their definition says.
    in_primary_key: bool,
}

fn in_primary_key(table: &crate::catalog::Table, column: &crate::statement::Ident) -> bool {
    table.constraints.iter().any(|c| {
        matches!(&c.kind, ConstraintKind::PrimaryKey { columns, .. }
            if columns.iter().any(|k| k.key() == column.key()))
    })
}

/// The operations a MODIFY/CHANGE of `current` into `new` performs.
fn redefine(
    current: &Column,
    new: &ColumnDef,
    positioned: bool,
    context: &Context,
) -> Vec<(Operation, String)> {
    let table_charset = context.table_charset;
    let name = &current.name;
    let mut out = Vec::new();
    if current.name.key() != new.name.key() {
        out.push((
            Operation::RenameColumn,
            format!("CHANGE `{name}` to `{}`", new.name),
        ));
    }
    let (old_type, new_type) = (&current.data_type, &new.data_type);
    let type_change = format!("`{name}` {} -> {}", old_type.text, new_type.text);
    let old_charset = old_type
        .charset()
        .or(table_charset)
        .unwrap_or(ASSUMED_CHARSET);
    let new_charset = new_type
        .charset()
        .or(table_charset)
        .unwrap_or(ASSUMED_CHARSET);
    if type_without_charset(&old_type.text) != type_without_charset(&new_type.text) {
        out.push((type_operation(old_type, new_type, old_charset), type_change));
    } else if old_charset != new_charset && is_character_type(&old_type.base) {
        out.push((Operation::ChangeColumnCharset, type_change));
    }
    let not_null = new.not_null || new.primary_key || context.in_primary_key;
    if current.not_null && !not_null {
        out.push((
            Operation::MakeNullable,
            format!("`{name}` NOT NULL -> NULL (MODIFY without NOT NULL)"),
        ));
    } else if !current.not_null && not_null {
        out.push((Operation::MakeNotNull, format!("`{name}` NULL -> NOT NULL")));
    }
    if positioned {
        let operation = match new.generated {
            Some(Generated::Stored | Generated::Virtual | Generated::Unspecified) => {
                Operation::ReorderGeneratedColumn
            }
            _ => Operation::ReorderColumn,
        };
        out.push((operation, format!("`{name}` moved")));
    }
    let old_default = current.default.as_ref().map(|d| &d.text);
    if old_default != new.default.as_ref().map(|d| &d.text) {
        out.push((Operation::SetDefault, format!("DEFAULT of `{name}`")));
    }
    out
}

/// Columns whose character set the table and column do not state are taken to be utf8mb4,
/// MySQL 8.0's default: the widest common case, so a length-prefix change is not missed.
const ASSUMED_CHARSET: &str = "utf8mb4";

fn type_operation(
    old: &crate::statement::DataType,
    new: &crate::statement::DataType,
    charset: &str,
) -> Operation {
    match (old.base.as_str(), new.base.as_str()) {
        ("varchar", "varchar") => {
            let (Some(&from), Some(&to)) = (old.args.first(), new.args.first()) else {
                return Operation::ChangeColumnType;
            };
            let bytes = bytes_per_char(charset);
            let prefix = |chars: u32| if chars * bytes > 255 { 2 } else { 1 };
            if to < from {
                Operation::ShrinkVarchar
            } else if prefix(to) != prefix(from) {
                Operation::ExtendVarcharPastPrefix
            } else {
                Operation::ExtendVarchar
            }
        }
        ("enum", "enum") | ("set", "set") => {
            let (from, to) = (members(&old.text), members(&new.text));
            let appended = to.len() > from.len() && to.starts_with(&from);
            let same_size =
                storage_bytes(&old.base, from.len()) == storage_bytes(&new.base, to.len());
            if appended && same_size {
                Operation::AppendEnumMembers
            } else {
                Operation::RewriteEnumMembers
            }
        }
        _ => Operation::ChangeColumnType,
    }
}

fn type_without_charset(text: &str) -> &str {
    [" character set ", " charset ", " collate "]
        .iter()
        .filter_map(|k| text.find(k))
        .min()
        .map_or(text, |at| &text[..at])
}

fn is_character_type(base: &str) -> bool {
    base.contains("char") || base.contains("text") || base == "enum" || base == "set"
}

/// Maximum bytes per character of a MySQL character set.
fn bytes_per_char(charset: &str) -> u32 {
    match charset {
        "latin1" | "ascii" | "binary" | "latin2" | "cp1250" | "cp1251" | "cp1252" => 1,
        "ucs2" | "gbk" | "big5" | "sjis" | "euckr" | "cp932" => 2,
        "utf8" | "utf8mb3" | "ujis" | "eucjpms" => 3,
        _ => 4,
    }
}

/// The quoted members of `enum('a','b')` / `set('x')`, as written.
fn members(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut member = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    break;
                }
            }
            member.push(c);
        }
        out.push(member);
    }
    out
}

/// Bytes an ENUM or SET value takes: ENUM 1 up to 255 members, else 2; SET 1, 2, 3, 4 or 8.
fn storage_bytes(base: &str, members: usize) -> usize {
    if base == "enum" {
        return if members <= 255 { 1 } else { 2 };
    }
    match members.div_ceil(8) {
        n @ 0..=4 => n.max(1),
        _ => 8,
    }
}

/// The table locks a MySQL statement takes while it works on the rows. Every DDL statement
/// also takes a brief exclusive metadata lock at its start and end, which is what queues
/// behind long transactions; these locks are what the rows see in between.
pub fn statement_locks(
    statement: &Statement,
    catalog: &Catalog,
    target: &Target,
) -> Vec<TableLock> {
    let lock = TableLock::on;
    match &statement.kind {
        StatementKind::DropTable { names, .. } | StatementKind::Truncate { tables: names, .. } => {
            names
                .iter()
                .map(|n| lock(n, LockMode::MysqlExclusive, TableEffect::None))
                .collect()
        }
        StatementKind::RenameTables { pairs } => pairs
            .iter()
            .map(|(from, _)| lock(from, LockMode::MysqlExclusive, TableEffect::None))
            .collect(),
        _ => table_changes(statement, catalog, false)
            .iter()
            .filter_map(|change| {
                let verdict = change.verdict(target)?;
                Some(lock(&change.table, verdict.lock, effect(&verdict)))
            })
            .collect(),
    }
}

/// What the verdict does to the rows.
pub fn effect(verdict: &Verdict) -> TableEffect {
    let builds_index = verdict.deciding.iter().any(|c| {
        matches!(
            c.operation,
            Operation::AddIndex | Operation::AddFulltextIndex | Operation::AddSpatialIndex
        )
    });
    if verdict.rebuilds || verdict.algorithm == Algorithm::Copy {
        TableEffect::Rewrite
    } else if builds_index {
        TableEffect::Scan
    } else {
        TableEffect::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ChangeSet;
    use crate::dialect::{Dialect, Target};
    use crate::parse::parse_text;

    /// The operations of the last statement of `sql`, after replaying the others.
    fn operations(sql: &str) -> Vec<Operation> {
        let parsed = parse_text(sql, Dialect::Mysql);
        let mut catalog = Catalog::new(Dialect::Mysql);
        let (last, earlier) = parsed.statements.split_last().unwrap();
        for s in earlier {
            catalog.apply(s, ChangeSet(0));
        }
        table_changes(last, &catalog, false)
            .into_iter()
            .flat_map(|c| c.clauses.into_iter().map(|c| c.operation))
            .collect()
    }

    const USERS: &str = "CREATE TABLE users (id INT NOT NULL, email VARCHAR(60) NOT NULL, \
        code VARCHAR(200) CHARACTER SET latin1, state ENUM('a','b'), tags SET('x','y','z','w','v','u','t','s'), \
        PRIMARY KEY (id));\n";

    #[test]
    fn a_dropped_column_is_judged_by_how_it_is_generated() {
        use Operation::*;
        let table = "CREATE TABLE t (a INT, v INT AS (a + 1), s INT AS (a * 2) STORED);\n";
        let drop = |column: &str| operations(&format!("{table}ALTER TABLE t DROP COLUMN {column}"));
        assert_eq!(drop("a"), [DropColumn]);
        assert_eq!(drop("v"), [DropVirtualColumn]);
        assert_eq!(drop("s"), [DropStoredColumn]);
        let indexed =
            |sql: &str| operations(&format!("{table}{sql};\nALTER TABLE t DROP COLUMN a"));
        assert_eq!(
            indexed("CREATE INDEX t_a ON t (a)"),
            [DropColumn, DropIndex]
        );
        assert_eq!(
            indexed("ALTER TABLE t ADD UNIQUE (a)"),
            [DropColumn, DropIndex]
        );
        let moved = |def: &str| operations(&format!("{table}ALTER TABLE t MODIFY {def} FIRST"));
        assert_eq!(moved("a INT"), [ReorderColumn]);
        assert_eq!(moved("v INT AS (a + 1)"), [ReorderGeneratedColumn]);
        assert_eq!(moved("s INT AS (a * 2) STORED"), [ReorderGeneratedColumn]);
    }

    #[test]
    fn varchar_growth_is_judged_in_bytes_of_the_charset() {
        use Operation::*;
        // utf8mb4: 63 characters fit one length byte, 64 do not.
        let grow = |ddl: &str| operations(&format!("{USERS}{ddl}"));
        assert_eq!(
            grow("ALTER TABLE users MODIFY email VARCHAR(63) NOT NULL"),
            [ExtendVarchar]
        );
        assert_eq!(
            grow("ALTER TABLE users MODIFY email VARCHAR(64) NOT NULL"),
            [ExtendVarcharPastPrefix]
        );
        assert_eq!(
            grow("ALTER TABLE users MODIFY email VARCHAR(50) NOT NULL"),
            [ShrinkVarchar]
        );
        // latin1: one byte per character.
        assert_eq!(
            grow("ALTER TABLE users MODIFY code VARCHAR(255) CHARACTER SET latin1"),
            [ExtendVarchar]
        );
        assert_eq!(
            grow("ALTER TABLE users MODIFY code VARCHAR(256) CHARACTER SET latin1"),
            [ExtendVarcharPastPrefix]
        );
        // Leaving the charset out means the table's default: a charset change.
        assert_eq!(
            grow("ALTER TABLE users MODIFY code VARCHAR(200)"),
            [ChangeColumnCharset]
        );
    }

    #[test]
    fn enum_and_set_members_may_only_be_appended_within_the_storage_size() {
        use Operation::*;
        let modify = |ddl: &str| operations(&format!("{USERS}{ddl}"));
        assert_eq!(
            modify("ALTER TABLE users MODIFY state ENUM('a','b','c')"),
            [AppendEnumMembers]
        );
        assert_eq!(
            modify("ALTER TABLE users MODIFY state ENUM('c','a','b')"),
            [RewriteEnumMembers]
        );
        assert_eq!(
            modify("ALTER TABLE users MODIFY tags SET('x','y','z','w','v','u','t','s','r')"),
            [RewriteEnumMembers]
        );
    }

    #[test]
    fn nullability_position_rename_and_type_are_separate_clauses() {
        use Operation::*;
        assert_eq!(
            operations(&format!(
                "{USERS}ALTER TABLE users CHANGE email mail VARCHAR(60) AFTER id"
            )),
            [RenameColumn, MakeNullable, ReorderColumn]
        );
        assert_eq!(
            operations(&format!("{USERS}ALTER TABLE users MODIFY id BIGINT")),
            [ChangeColumnType]
        );
    }

    #[test]
    fn table_options_and_keys_map_to_their_rows() {
        use Operation::*;
        let ops = |ddl: &str| operations(ddl);
        assert_eq!(
            ops("ALTER TABLE t ENGINE=InnoDB, ROW_FORMAT=DYNAMIC"),
            [NullRebuild, RowFormat]
        );
        assert_eq!(
            ops("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4"),
            [ConvertCharset]
        );
        assert_eq!(
            ops("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)"),
            [ReplacePrimaryKey]
        );
        assert_eq!(ops("ALTER TABLE t DROP PRIMARY KEY"), [DropPrimaryKey]);
        assert_eq!(
            ops("ALTER TABLE t ADD FULLTEXT INDEX ft (body)"),
            [AddFulltextIndex]
        );
        assert_eq!(
            ops("ALTER TABLE t ADD COLUMN c INT AS (a + 1) STORED"),
            [AddStoredColumn]
        );
        assert_eq!(
            ops("ALTER TABLE t ADD COLUMN c INT FIRST"),
            [AddColumnPositioned]
        );
        assert_eq!(ops("CREATE INDEX i ON t (a)"), [AddIndex]);
    }

    #[test]
    fn unknown_columns_are_kept_apart() {
        let parsed = parse_text("ALTER TABLE t MODIFY c VARCHAR(10)", Dialect::Mysql);
        let changes = table_changes(&parsed.statements[0], &Catalog::new(Dialect::Mysql), false);
        assert_eq!(changes[0].unknown_columns, ["c"]);
        assert!(changes[0].verdict(&Target::new(Dialect::Mysql)).is_none());
    }

    /// The table traits of the last statement of `sql`, after replaying the others.
    fn traits(sql: &str) -> TableTraits {
        let parsed = parse_text(sql, Dialect::Mysql);
        let mut catalog = Catalog::new(Dialect::Mysql);
        let (last, earlier) = parsed.statements.split_last().unwrap();
        for s in earlier {
            catalog.apply(s, ChangeSet(0));
        }
        table_changes(last, &catalog, false)[0].traits
    }

    #[test]
    fn an_index_is_kept_unless_the_statement_drops_it_or_all_its_columns() {
        let table = "CREATE TABLE posts (id INT, title TEXT, body TEXT, g POINT NOT NULL, \
            FULLTEXT KEY posts_ft (title, body), SPATIAL KEY posts_g (g));\n";
        let on = |alter: &str| traits(&format!("{table}{alter}"));
        let kept = on("ALTER TABLE posts FORCE");
        assert!(kept.fulltext && kept.hidden_fts_doc_id && !kept.fts_doc_id_column);
        assert!(kept.keeps_fulltext && kept.keeps_spatial);
        assert!(on("ALTER TABLE posts DROP COLUMN title").keeps_fulltext);
        let dropped =
            on("ALTER TABLE posts DROP COLUMN title, DROP COLUMN body, DROP INDEX posts_g");
        assert!(dropped.fulltext && !dropped.keeps_fulltext && !dropped.keeps_spatial);
        assert!(!on("ALTER TABLE posts DROP INDEX posts_ft").keeps_fulltext);
        assert_eq!(
            traits("ALTER TABLE unknown FORCE"),
            TableTraits::default(),
            "a table the replay never saw"
        );
    }
}
