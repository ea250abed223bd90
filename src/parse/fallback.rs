//! The token fallback: classifies a statement `sqlparser` could not parse, from its tokens.
//!
//! About 3% of real PostgreSQL migration statements and a third of MySQL ones defeat the
//! parser (see the `sqlparser-gaps` reference): unusual clause orders, vendor options, `DO`
//! blocks. The rules only need the statement's kind and a few names and flags, which leading
//! keywords reveal, so this recogniser reads just those and skips what it does not know.
//! It returns `None` for text it cannot place, so that the caller reports it as unparsed
//! rather than guessing.
//!
//! Input is one statement, placeholders already masked (`parse::placeholders`).

mod alter;
mod definitions;
mod tokens;
mod types;
mod view_query;

pub use types::{classify_default, parse_data_type};

use crate::dialect::Dialect;
use crate::statement::{
    AlterTypeAction, DomainChange, ObjectChange, ObjectKind, ObjectName, Partitioning,
    ReindexScope, StatementKind,
};
use definitions::{column_def, index_columns, starts_constraint, table_constraint};
use tokens::{tokenize, Cursor, Tok};

/// Classify one statement's text (already masked) from tokens. `None` when not recognised.
pub fn recognise(text: &str, dialect: Dialect) -> Option<StatementKind> {
    let toks = tokenize(text, dialect)?;
    let mut c = Cursor::new(text, &toks);
    let first = c.keyword()?;
    match first.as_str() {
        "ALTER" => alter(&mut c, dialect),
        "CREATE" => create(&mut c, dialect),
        "DROP" => drop(&mut c, dialect),
        "TRUNCATE" => truncate(&mut c),
        "RENAME" => rename_tables(&mut c),
        "REINDEX" => reindex(&mut c),
        "VACUUM" => vacuum(&mut c),
        "CLUSTER" => cluster(&mut c),
        "REPACK" => repack(&mut c),
        "LOCK" => lock(&mut c, dialect),
        "REFRESH" => refresh(&mut c),
        "OPTIMIZE" => optimize(&mut c),
        "UPDATE" => update(&mut c),
        "DELETE" => delete(&mut c),
        "INSERT" | "REPLACE" => insert(&mut c),
        "BEGIN" => Some(StatementKind::Begin),
        "START" => c.eat_kw("TRANSACTION").then_some(StatementKind::Begin),
        "COMMIT" | "END" => Some(StatementKind::Commit),
        "ROLLBACK" | "ABORT" => rollback(&mut c),
        "SET" => set(&mut c, dialect),
        "DO" => is_do_block(&mut c).then(|| other("DO")),
        "COMMENT" => c.eat_kw("ON").then(|| other("COMMENT ON")),
        "GRANT" | "REVOKE" | "ANALYZE" | "ANALYSE" | "SELECT" | "SHOW" | "USE" | "SAVEPOINT"
        | "RELEASE" | "UNLOCK" | "NOTIFY" | "LISTEN" | "RESET" | "DISCARD" | "SIGNAL" => {
            Some(other(&first))
        }
        _ => None,
    }
}

/// The byte range of a `DO $$ ... $$` block's body inside its dollar quotes, relative to
/// `text`, so that the statements inside can be split and linted.
pub fn do_block_body(text: &str) -> Option<(usize, usize)> {
    let toks = tokenize(text, Dialect::Postgres)?;
    let mut c = Cursor::new(text, &toks);
    if !c.eat_kw("DO") {
        return None;
    }
    if c.eat_kw("LANGUAGE") {
        c.advance();
    }
    let Some(Tok::Str {
        dollar_tag: Some(tag),
        ..
    }) = c.peek()
    else {
        return None;
    };
    let (start, end) = c.span()?;
    let delimiter = tag.len() + 2;
    let body = (start + delimiter, end.checked_sub(delimiter)?);
    (body.0 <= body.1 && text.get(body.0..body.1).is_some()).then_some(body)
}

fn other(keyword: &str) -> StatementKind {
    StatementKind::Other {
        keyword: keyword.to_string(),
    }
}

/// Object kinds whose `CREATE` / `ALTER` / `DROP` the rules have nothing to say about.
const PLAIN_OBJECT_KINDS: &[&str] = &[
    "FUNCTION",
    "PROCEDURE",
    "VIEW",
    "SEQUENCE",
    "TYPE",
    "EXTENSION",
    "SCHEMA",
    "DATABASE",
    "DOMAIN",
    "ROLE",
    "USER",
    "GROUP",
    "POLICY",
    "AGGREGATE",
    "OPERATOR",
    "COLLATION",
    "CAST",
    "CONVERSION",
    "PUBLICATION",
    "SUBSCRIPTION",
    "SERVER",
    "EVENT",
    "RULE",
    "STATISTICS",
    "LANGUAGE",
    "TABLESPACE",
    "TRIGGER",
    "INDEX",
    "TRANSFORM",
    "MATERIALIZED",
    "TEXT",
    "FOREIGN",
    "ACCESS",
    "DEFAULT",
];

/// Kinds named by two words (`MATERIALIZED VIEW`, `EVENT TRIGGER`, `DEFAULT PRIVILEGES`).
const TWO_WORD_KINDS: &[&str] = &[
    "MATERIALIZED",
    "EVENT",
    "TEXT",
    "FOREIGN",
    "ACCESS",
    "DEFAULT",
];

/// `Other { "CREATE VIEW" }` and the like, when the next word is a plain object kind.
fn plain_object(c: &mut Cursor<'_>, verb: &str) -> Option<StatementKind> {
    let kind = c.keyword()?;
    if !PLAIN_OBJECT_KINDS.contains(&kind.as_str()) {
        return None;
    }
    let mut keyword = format!("{verb} {kind}");
    if TWO_WORD_KINDS.contains(&kind.as_str()) {
        if let Some(second) = c.keyword() {
            keyword.push(' ');
            keyword.push_str(&second);
        }
    }
    Some(other(&keyword))
}

fn alter(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    c.eat_kw("ONLINE");
    c.eat_kw("IGNORE");
    if c.eat_kw("TABLE") {
        return alter::alter_table(c, dialect);
    }
    if c.is_kw("SCHEMA") && c.is_kw_at(2, "RENAME") && c.is_kw_at(3, "TO") {
        c.advance();
        let from = c.ident()?;
        c.eat_kws(&["RENAME", "TO"]);
        return Some(StatementKind::AlterSchemaRename {
            from,
            to: c.ident()?,
        });
    }
    if c.eat_kw("DOMAIN") {
        let name = c.object_name()?;
        return Some(match object_change(c) {
            ObjectChange::Other => alter_domain(c, name),
            change => StatementKind::AlterObject {
                kind: ObjectKind::Domain,
                name,
                change,
            },
        });
    }
    if c.eat_kw("TYPE") {
        let name = c.object_name()?;
        if let change @ (ObjectChange::RenameTo(_) | ObjectChange::SetSchema(_)) = object_change(c)
        {
            return Some(StatementKind::AlterObject {
                kind: ObjectKind::Type,
                name,
                change,
            });
        }
        let action = if c.eat_kws(&["ADD", "VALUE"]) {
            AlterTypeAction::AddValue
        } else if c.eat_kws(&["RENAME", "VALUE"]) {
            AlterTypeAction::RenameValue
        } else {
            AlterTypeAction::Other
        };
        return Some(StatementKind::AlterType { name, action });
    }
    if dialect == Dialect::Postgres && c.is_kw("INDEX") {
        if let Some(rename) = index_rename(c) {
            return Some(rename);
        }
    }
    if let Some(kind) = named_object_kind(c) {
        c.eat_kws(&["IF", "EXISTS"]);
        let name = c.object_name()?;
        c.group();
        let change = object_change(c);
        return Some(StatementKind::AlterObject { kind, name, change });
    }
    plain_object(c, "ALTER")
}

/// `INDEX [IF EXISTS] name RENAME TO to`; consumes nothing when it is another ALTER INDEX.
fn index_rename(c: &mut Cursor<'_>) -> Option<StatementKind> {
    let start = c.mark();
    c.eat_kw("INDEX");
    c.eat_kws(&["IF", "EXISTS"]);
    let rename = c.object_name().and_then(|name| {
        c.eat_kws(&["RENAME", "TO"])
            .then(|| c.ident())
            .flatten()
            .map(|to| StatementKind::RenameIndex { name, to })
    });
    if rename.is_none() {
        c.rewind(start);
    }
    rename
}

/// The kinds of [`ObjectKind`] that `CREATE` / `DROP` / `ALTER` name here (a domain's
/// `CREATE` and `ALTER ... ADD` are read on their own).
fn named_object_kind(c: &mut Cursor<'_>) -> Option<ObjectKind> {
    let kind = match c.peek_keyword()?.as_str() {
        "VIEW" => ObjectKind::View,
        "MATERIALIZED" if c.is_kw_at(1, "VIEW") => {
            c.advance();
            ObjectKind::MaterializedView
        }
        "FUNCTION" => ObjectKind::Function,
        "PROCEDURE" => ObjectKind::Procedure,
        "TYPE" => ObjectKind::Type,
        "SEQUENCE" => ObjectKind::Sequence,
        "DOMAIN" => ObjectKind::Domain,
        "EXTENSION" => ObjectKind::Extension,
        _ => return None,
    };
    c.advance();
    Some(kind)
}

/// After an object's name: `RENAME TO n`, `SET SCHEMA s`, `RENAME [COLUMN] a TO b`. Consumes
/// nothing when it is none of these.
fn object_change(c: &mut Cursor<'_>) -> ObjectChange {
    let start = c.mark();
    let change = if c.eat_kws(&["RENAME", "TO"]) {
        c.ident().map(ObjectChange::RenameTo)
    } else if c.eat_kws(&["SET", "SCHEMA"]) {
        c.ident().map(ObjectChange::SetSchema)
    } else if c.eat_kw("RENAME") {
        c.eat_kw("COLUMN");
        let from = c.ident();
        c.eat_kw("TO");
        from.zip(c.ident())
            .map(|(from, to)| ObjectChange::RenameColumn { from, to })
    } else {
        None
    };
    change.unwrap_or_else(|| {
        c.rewind(start);
        ObjectChange::Other
    })
}

/// `CREATE` modifiers before the object kind: `OR REPLACE`, `TEMPORARY`, MySQL `DEFINER = u`,
/// `ALGORITHM = x`, `SQL SECURITY x`, PostgreSQL `CONSTRAINT` (trigger), ...
fn skip_create_modifiers(c: &mut Cursor<'_>) {
    loop {
        if c.eat_kws(&["OR", "REPLACE"])
            || c.eat_kw("TEMPORARY")
            || c.eat_kw("TEMP")
            || c.eat_kw("UNLOGGED")
            || c.eat_kw("GLOBAL")
            || c.eat_kw("LOCAL")
            || c.eat_kw("RECURSIVE")
            || c.eat_kw("TRUSTED")
            || c.eat_kw("PROCEDURAL")
            || c.eat_kw("CONSTRAINT")
        {
            continue;
        }
        if c.eat_kws(&["SQL", "SECURITY"]) {
            c.advance();
        } else if c.eat_kw("ALGORITHM") {
            c.eat(&Tok::Eq);
            c.advance();
        } else if c.eat_kw("DEFINER") {
            c.eat(&Tok::Eq);
            c.advance();
            c.skip_until(|c| {
                c.is_any_kw(PLAIN_OBJECT_KINDS) || c.is_any_kw(&["TABLE", "SQL", "ALGORITHM"])
            });
        } else {
            return;
        }
    }
}

fn create(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    let or_replace = c.is_kw("OR") && c.is_kw_at(1, "REPLACE");
    skip_create_modifiers(c);
    if c.is_any_kw(&["UNIQUE", "FULLTEXT", "SPATIAL", "INDEX"]) {
        return create_index(c, dialect);
    }
    if c.eat_kw("TRIGGER") {
        c.skip_until(|c| c.is_kw("ON"));
        c.eat_kw("ON");
        return Some(StatementKind::CreateTrigger {
            table: c.object_name()?,
        });
    }
    if c.eat_kw("TABLE") {
        return create_table(c, dialect);
    }
    if c.eat_kws(&["MATERIALIZED", "VIEW"]) {
        c.eat_kws(&["IF", "NOT", "EXISTS"]);
        let name = c.object_name()?;
        return Some(StatementKind::CreateMaterializedView {
            name,
            query: view_query::view_query(c),
        });
    }
    if c.eat_kw("DOMAIN") {
        return create_domain(c);
    }
    if let Some(mut kind) = named_object_kind(c) {
        c.eat_kws(&["IF", "NOT", "EXISTS"]);
        let name = c.object_name();
        c.group();
        let view = (kind == ObjectKind::View).then(|| view_query::view_query(c));
        if kind == ObjectKind::Function
            && c.eat_kw("RETURNS")
            && c.is_any_kw(&["TRIGGER", "EVENT_TRIGGER"])
        {
            kind = ObjectKind::TriggerFunction;
        }
        return Some(match name {
            Some(name) => StatementKind::CreateObject {
                kind,
                name,
                or_replace,
                view,
            },
            None => other(&format!("CREATE {}", kind.name().to_uppercase())),
        });
    }
    plain_object(c, "CREATE")
}

/// `... PARTITION BY {RANGE | LIST | HASH} (key)`: every word of the key (see
/// [`Partitioning::Parent`]). MySQL puts more words before the key (`RANGE COLUMNS`,
/// `LINEAR HASH`, `KEY ALGORITHM=2`), so the key is the first group after `BY`.
fn partition_key(c: &mut Cursor<'_>) -> Vec<crate::statement::Ident> {
    c.skip_until(|c| c.is_kw("PARTITION") && c.is_kw_at(1, "BY"));
    c.eat_kws(&["PARTITION", "BY"]);
    partition_key_after_by(c)
}

/// [`partition_key`] from just after `PARTITION BY`. MySQL's `KEY ()` names no column: the
/// table's primary key is the key then (see `Catalog`).
fn partition_key_after_by(c: &mut Cursor<'_>) -> Vec<crate::statement::Ident> {
    c.skip_until(|c| c.peek() == Some(&Tok::LParen));
    c.group().map(|key| key.words()).unwrap_or_default()
}

/// `name [AS] type [COLLATE c] [DEFAULT e] [[CONSTRAINT n] {NOT NULL | NULL | CHECK (e)}] ...`:
/// the name, and how many constraints (`CHECK`, `NOT NULL`) values of it must meet.
fn create_domain(c: &mut Cursor<'_>) -> Option<StatementKind> {
    let name = c.object_name()?;
    let mut constraints = 0;
    while !c.at_end() {
        if c.eat_kw("CHECK") || c.eat_kws(&["NOT", "NULL"]) {
            constraints += 1;
        } else {
            c.skip_one();
        }
    }
    Some(StatementKind::CreateDomain { name, constraints })
}

/// After `ALTER DOMAIN name`: `ADD ... | SET NOT NULL | DROP CONSTRAINT ... | DROP NOT NULL
/// | ...`.
fn alter_domain(c: &mut Cursor<'_>, name: ObjectName) -> StatementKind {
    let change = if c.eat_kw("ADD") {
        let mut not_valid = false;
        while !c.at_end() {
            not_valid = c.eat_kws(&["NOT", "VALID"]);
            if !not_valid {
                c.skip_one();
            }
        }
        DomainChange::AddConstraint { not_valid }
    } else if c.eat_kws(&["SET", "NOT", "NULL"]) {
        DomainChange::SetNotNull
    } else if c.eat_kws(&["DROP", "CONSTRAINT"]) {
        DomainChange::DropConstraint
    } else if c.eat_kws(&["DROP", "NOT", "NULL"]) {
        DomainChange::DropNotNull
    } else {
        DomainChange::Other
    };
    StatementKind::AlterDomain { name, change }
}

/// `[UNIQUE|FULLTEXT|SPATIAL] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] [USING m] ON [ONLY]
/// table [USING m] (columns) [USING m] ...`; trailing clauses (`INCLUDE`, `WHERE`,
/// CockroachDB `STORING`, MySQL `ALGORITHM` / `LOCK`) are not kept.
fn create_index(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    let unique = c.eat_kw("UNIQUE");
    let mut method = ["FULLTEXT", "SPATIAL"]
        .iter()
        .find(|kind| c.eat_kw(kind))
        .map(|kind| kind.to_lowercase());
    if !c.eat_kw("INDEX") {
        return None;
    }
    let concurrently = c.eat_kw("CONCURRENTLY");
    let if_not_exists = c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name = if c.is_kw("ON") { None } else { c.ident() };
    let mut eat_method = |c: &mut Cursor<'_>| {
        if c.eat_kw("USING") {
            method = c.keyword().map(|m| m.to_lowercase());
        }
    };
    eat_method(c);
    if !c.eat_kw("ON") {
        return None;
    }
    let only = c.eat_kw("ONLY");
    let table = c.object_name()?;
    eat_method(c);
    let columns = index_columns(c.group()?, dialect);
    eat_method(c);
    Some(StatementKind::CreateIndex(crate::statement::IndexDef {
        name,
        table,
        columns,
        unique,
        concurrently,
        if_not_exists,
        method,
        only,
    }))
}

/// `[IF NOT EXISTS] name (elements) ...`, or `AS query` / `LIKE t` / `PARTITION OF t` whose
/// columns are not written out. Of MySQL's inline keys only `FULLTEXT` and `SPATIAL` are kept
/// (see `StatementKind::CreateTable`).
fn create_table(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    let if_not_exists = c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name = c.object_name()?;
    let partition_of = if c.eat_kws(&["PARTITION", "OF"]) {
        c.object_name()
    } else {
        None
    };
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    let mut search_indexes = Vec::new();
    let mut from_query = true;
    let mut like = None;
    if c.eat_kw("LIKE") {
        like = c.object_name();
    } else if let Some(elements) = c.group() {
        from_query = false;
        for mut element in elements.split_commas() {
            if element.eat_kw("LIKE") {
                from_query = true;
                like = element.object_name();
            } else if element.is_any_kw(&["FULLTEXT", "SPATIAL"]) {
                search_indexes.extend(definitions::mysql_index(&mut element, &name));
            } else if element.is_any_kw(&["INDEX", "KEY"]) {
                continue;
            } else if starts_constraint(&element) {
                constraints.extend(table_constraint(&mut element));
            } else {
                columns.extend(column_def(&mut element).map(|(column, _)| column));
            }
        }
    }
    if dialect == Dialect::Postgres && c.is_kw("AS") {
        from_query = true;
    }
    let rest = c.rest_text().to_lowercase();
    let charset = crate::statement::charset_after_keyword(&rest).map(str::to_string);
    let words: Vec<&str> = rest.split_whitespace().collect();
    let partitioning = match partition_of {
        Some(parent) => {
            // The columns come from the parent.
            from_query = true;
            Partitioning::Of {
                parent,
                default: words.first() == Some(&"default"),
            }
        }
        None if words.windows(2).any(|w| w == ["partition", "by"]) => Partitioning::Parent {
            key: partition_key(c),
        },
        None => Partitioning::None,
    };
    Some(StatementKind::CreateTable {
        name,
        columns,
        constraints,
        if_not_exists,
        from_query,
        like,
        charset,
        partitioning,
        search_indexes,
    })
}

fn drop(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    c.eat_kw("TEMPORARY");
    if c.eat_kw("INDEX") {
        return drop_index(c);
    }
    if c.eat_kw("TRIGGER") {
        c.eat_kws(&["IF", "EXISTS"]);
        c.object_name();
        if dialect == Dialect::Postgres && c.eat_kw("ON") {
            return Some(StatementKind::DropTrigger {
                table: c.object_name()?,
            });
        }
        return Some(other("DROP TRIGGER"));
    }
    if c.eat_kw("TABLE") {
        let if_exists = c.eat_kws(&["IF", "EXISTS"]);
        let names = c.object_names(|_| {});
        return (!names.is_empty()).then(|| StatementKind::DropTable {
            names,
            if_exists,
            cascade: c.eat_kw("CASCADE"),
        });
    }
    let schema = c.is_kw("SCHEMA");
    if dialect == Dialect::Postgres && schema {
        c.advance();
        c.eat_kws(&["IF", "EXISTS"]);
        let names = c.object_names(|_| {});
        return (!names.is_empty()).then(|| StatementKind::DropSchema {
            names: names.into_iter().map(|n| n.name).collect(),
            cascade: c.eat_kw("CASCADE"),
        });
    }
    if schema || c.is_kw("DATABASE") {
        c.advance();
        c.eat_kws(&["IF", "EXISTS"]);
        return Some(StatementKind::DropDatabase { name: c.ident()? });
    }
    if dialect == Dialect::Postgres && c.is_kw("INDEX") {
        if let Some(rename) = index_rename(c) {
            return Some(rename);
        }
    }
    if let Some(kind) = named_object_kind(c) {
        c.eat_kws(&["IF", "EXISTS"]);
        // A function or procedure may be named with its argument types.
        let names = c.object_names(|c| {
            c.group();
        });
        return Some(if names.is_empty() {
            other(&format!("DROP {}", kind.name().to_uppercase()))
        } else {
            StatementKind::DropObject {
                kind,
                names,
                cascade: c.eat_kw("CASCADE"),
            }
        });
    }
    plain_object(c, "DROP")
}

/// `[CONCURRENTLY] [IF EXISTS] names [CASCADE]` (either order of the two options),
/// CockroachDB `table@index`, MySQL `name ON table`.
fn drop_index(c: &mut Cursor<'_>) -> Option<StatementKind> {
    let mut concurrently = c.eat_kw("CONCURRENTLY");
    let if_exists = c.eat_kws(&["IF", "EXISTS"]);
    concurrently |= c.eat_kw("CONCURRENTLY");
    let mut table = None;
    let mut names = Vec::new();
    while let Some(name) = c.object_name() {
        if c.eat(&Tok::Other("@".into())) {
            table = Some(name);
            names.push(ObjectName {
                schema: None,
                name: c.ident()?,
            });
        } else {
            names.push(name);
        }
        if !c.eat(&Tok::Comma) {
            break;
        }
    }
    if names.is_empty() {
        return None;
    }
    if c.eat_kw("ON") {
        table = Some(c.object_name()?);
    }
    Some(StatementKind::DropIndex {
        names,
        table,
        concurrently,
        if_exists,
    })
}

fn skip_star(c: &mut Cursor<'_>) {
    c.eat(&Tok::Other("*".into()));
}

fn truncate(c: &mut Cursor<'_>) -> Option<StatementKind> {
    c.eat_kw("TABLE");
    let tables = c.object_names(skip_star);
    (!tables.is_empty()).then(|| StatementKind::Truncate {
        tables,
        cascade: c.has_top_level_kw("CASCADE"),
    })
}

/// MySQL `RENAME TABLE a TO b [, c TO d ...]`.
fn rename_tables(c: &mut Cursor<'_>) -> Option<StatementKind> {
    if !c.eat_kw("TABLE") && !c.eat_kw("TABLES") {
        return None;
    }
    let mut pairs = Vec::new();
    for mut pair in c.split_commas() {
        let from = pair.object_name()?;
        if !pair.eat_kw("TO") {
            return None;
        }
        pairs.push((from, pair.object_name()?));
    }
    (!pairs.is_empty()).then_some(StatementKind::RenameTables { pairs })
}

/// Whether a parenthesised option list turns `option` on (`(FULL)`, `(FULL true)`, not
/// `(FULL false)`). Consumes the list.
fn option_enabled(c: &mut Cursor<'_>, option: &str) -> bool {
    let Some(options) = c.group() else {
        return false;
    };
    options.split_commas().into_iter().any(|mut item| {
        item.eat_kw(option)
            && !matches!(
                item.rest_text().to_ascii_lowercase().as_str(),
                "false" | "off" | "0"
            )
    })
}

/// `[(options)] {INDEX|TABLE|SCHEMA|DATABASE|SYSTEM} [CONCURRENTLY] name`.
fn reindex(c: &mut Cursor<'_>) -> Option<StatementKind> {
    let mut concurrently = option_enabled(c, "CONCURRENTLY");
    let scope = if c.eat_kw("INDEX") {
        ReindexScope::Index
    } else if c.eat_kw("TABLE") {
        ReindexScope::Table
    } else if c.is_any_kw(&["SCHEMA", "DATABASE", "SYSTEM"]) {
        c.advance();
        ReindexScope::Many
    } else {
        return None;
    };
    concurrently |= c.eat_kw("CONCURRENTLY");
    Some(StatementKind::Reindex {
        concurrently,
        scope,
        target: c.object_name(),
    })
}

/// `[FULL] [FREEZE] [VERBOSE] [ANALYZE] [(options)] [table [(columns)], ...]`.
fn vacuum(c: &mut Cursor<'_>) -> Option<StatementKind> {
    let mut full = false;
    loop {
        if c.eat_kw("FULL") {
            full = true;
        } else if !(c.eat_kw("FREEZE")
            || c.eat_kw("VERBOSE")
            || c.eat_kw("ANALYZE")
            || c.eat_kw("ANALYSE"))
        {
            break;
        }
    }
    if c.peek() == Some(&Tok::LParen) {
        full |= option_enabled(c, "FULL");
    }
    let tables = c.object_names(|c| {
        c.group();
    });
    c.at_end().then_some(StatementKind::Vacuum { full, tables })
}

/// `[VERBOSE] [(options)] [table [USING index]]`, or the old `index ON table`.
fn cluster(c: &mut Cursor<'_>) -> Option<StatementKind> {
    c.eat_kw("VERBOSE");
    c.group();
    let Some(first) = c.object_name() else {
        return c.at_end().then_some(StatementKind::Cluster { table: None });
    };
    let table = if c.eat_kw("ON") {
        c.object_name()?
    } else {
        first
    };
    Some(StatementKind::Cluster { table: Some(table) })
}

/// PostgreSQL 19 `[(options)] [table [(columns)] [USING INDEX [index]]]`.
fn repack(c: &mut Cursor<'_>) -> Option<StatementKind> {
    let concurrently = c.peek() == Some(&Tok::LParen) && option_enabled(c, "CONCURRENTLY");
    let table = if c.is_kw("USING") {
        None
    } else {
        c.object_name()
    };
    c.group();
    if c.eat_kws(&["USING", "INDEX"]) {
        c.ident();
    }
    c.at_end().then_some(StatementKind::Repack {
        table,
        concurrently,
    })
}

/// PostgreSQL `LOCK [TABLE] [ONLY] t [, ...] [IN mode MODE] [NOWAIT]` (the mode defaults to
/// `ACCESS EXCLUSIVE`); MySQL `LOCK TABLES t [AS a] READ|WRITE, ...` (`WRITE` if any is).
fn lock(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    if dialect == Dialect::Mysql {
        if !c.eat_kw("TABLES") && !c.eat_kw("TABLE") {
            return None;
        }
        let items = c.split_commas();
        let tables: Vec<ObjectName> = items
            .iter()
            .filter_map(|item| {
                let mut item = *item;
                item.object_name()
            })
            .collect();
        let writes = items.iter().any(|item| item.has_top_level_kw("WRITE"));
        let mode = if writes { "WRITE" } else { "READ" };
        return (!tables.is_empty()).then(|| StatementKind::LockTable {
            tables,
            mode: mode.to_string(),
        });
    }
    c.eat_kw("TABLE");
    let tables = c.object_names(skip_star);
    if tables.is_empty() {
        return None;
    }
    let mut mode = Vec::new();
    if c.eat_kw("IN") {
        while let Some(word) = c.keyword() {
            if word == "MODE" {
                break;
            }
            mode.push(word);
        }
    }
    let mode = if mode.is_empty() {
        "ACCESS EXCLUSIVE".to_string()
    } else {
        mode.join(" ")
    };
    Some(StatementKind::LockTable { tables, mode })
}

fn refresh(c: &mut Cursor<'_>) -> Option<StatementKind> {
    if !c.eat_kws(&["MATERIALIZED", "VIEW"]) {
        return None;
    }
    let concurrently = c.eat_kw("CONCURRENTLY");
    Some(StatementKind::RefreshMaterializedView {
        name: c.object_name()?,
        concurrently,
    })
}

/// MySQL `OPTIMIZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE t [, ...]`.
fn optimize(c: &mut Cursor<'_>) -> Option<StatementKind> {
    if !c.eat_kw("NO_WRITE_TO_BINLOG") {
        c.eat_kw("LOCAL");
    }
    if !c.eat_kw("TABLE") && !c.eat_kw("TABLES") {
        return None;
    }
    let tables = c.object_names(|_| {});
    (!tables.is_empty()).then_some(StatementKind::OptimizeTable { tables })
}

/// PostgreSQL `UPDATE [ONLY] t ...`, MySQL `UPDATE [LOW_PRIORITY] [IGNORE] t [alias] [JOIN ...]
/// SET ...`; `has_where` is a `WHERE` outside parentheses (subqueries have their own).
fn update(c: &mut Cursor<'_>) -> Option<StatementKind> {
    c.eat_kw("LOW_PRIORITY");
    c.eat_kw("IGNORE");
    c.eat_kw("ONLY");
    let table = c.object_name()?;
    if !c.has_top_level_kw("SET") {
        return None;
    }
    Some(StatementKind::Update {
        table,
        has_where: c.has_top_level_kw("WHERE"),
        copies: Vec::new(),
    })
}

/// `DELETE [LOW_PRIORITY] [QUICK] [IGNORE] FROM [ONLY] t ...`, or MySQL's multi-table
/// `DELETE t1 FROM t1 JOIN ...` (the first target is kept).
fn delete(c: &mut Cursor<'_>) -> Option<StatementKind> {
    c.eat_kw("LOW_PRIORITY");
    c.eat_kw("QUICK");
    c.eat_kw("IGNORE");
    if c.eat_kw("FROM") {
        c.eat_kw("ONLY");
    }
    let table = c.object_name()?;
    Some(StatementKind::Delete {
        table,
        has_where: c.has_top_level_kw("WHERE"),
    })
}

/// `INSERT [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE] [INTO] t`, MySQL `REPLACE [INTO] t`.
fn insert(c: &mut Cursor<'_>) -> Option<StatementKind> {
    if !(c.eat_kw("LOW_PRIORITY") || c.eat_kw("DELAYED")) {
        c.eat_kw("HIGH_PRIORITY");
    }
    c.eat_kw("IGNORE");
    c.eat_kw("INTO");
    let table = c.object_name()?;
    c.group();
    Some(StatementKind::Insert {
        table,
        from: whole_table_source(c),
    })
}

/// `SELECT ... FROM t [alias]` reading every row of one table (see `Insert::from`).
fn whole_table_source(c: &mut Cursor<'_>) -> Option<ObjectName> {
    if !c.eat_kw("SELECT") {
        return None;
    }
    let narrowing = [
        "WHERE",
        "JOIN",
        "GROUP",
        "HAVING",
        "DISTINCT",
        "LIMIT",
        "OFFSET",
        "FETCH",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "ON",
    ];
    if narrowing.iter().any(|kw| c.has_top_level_kw(kw)) {
        return None;
    }
    c.skip_until(|c| c.is_kw("FROM"));
    if !c.eat_kw("FROM") {
        return None;
    }
    c.eat_kw("ONLY");
    let source = c.object_name()?;
    c.eat_kw("AS");
    c.ident();
    c.at_end().then_some(source)
}

/// `ROLLBACK [WORK]`; `ROLLBACK TO SAVEPOINT` does not end the transaction.
fn rollback(c: &mut Cursor<'_>) -> Option<StatementKind> {
    c.eat_kw("WORK");
    c.eat_kw("TRANSACTION");
    if c.is_kw("TO") {
        return Some(other("ROLLBACK TO SAVEPOINT"));
    }
    Some(StatementKind::Rollback)
}

/// `SET [SESSION|LOCAL|GLOBAL] name {=|TO|:=} value`, `SET TIME ZONE v`, and forms without an
/// assignment (`SET NAMES utf8mb4`: name `names`). MySQL's `SET a = 1, b = 2` keeps the first
/// assignment only.
fn set(c: &mut Cursor<'_>, dialect: Dialect) -> Option<StatementKind> {
    let local = c.eat_kw("LOCAL");
    if !local && !c.eat_kw("SESSION") {
        c.eat_kw("GLOBAL");
    }
    if c.at_end() {
        return None;
    }
    let assignment = match dialect {
        Dialect::Mysql => c.split_commas().into_iter().next()?,
        Dialect::Postgres => *c,
    };
    let (name, value) = if c.eat_kws(&["TIME", "ZONE"]) {
        ("timezone".to_string(), c.rest_text())
    } else {
        split_assignment(assignment)?
    };
    Some(StatementKind::Set {
        name,
        value: setting_value(value),
        local,
    })
}

/// `name = value` / `name TO value`, or the first word as the name when there is no operator.
fn split_assignment(c: Cursor<'_>) -> Option<(String, &str)> {
    let mut probe = c;
    let mark = probe.mark();
    probe.skip_until(|c| c.is_kw("TO") || is_assign(c.peek()));
    if probe.at_end() {
        let mut words = c;
        let name = words.keyword()?.to_lowercase();
        return Some((name, words.rest_text()));
    }
    let name = setting_name(probe.text_since(mark));
    probe.advance();
    Some((name, probe.rest_text()))
}

fn is_assign(tok: Option<&Tok>) -> bool {
    match tok {
        Some(Tok::Eq) => true,
        Some(Tok::Other(op)) => op == ":=",
        _ => false,
    }
}

fn setting_name(text: &str) -> String {
    text.split_whitespace().collect::<String>().to_lowercase()
}

/// Quotes removed, lower case, single spaces.
fn setting_value(text: &str) -> String {
    text.replace(['\'', '"', '`'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// After `DO`: an optional `LANGUAGE x` then the body string.
fn is_do_block(c: &mut Cursor<'_>) -> bool {
    if c.eat_kw("LANGUAGE") {
        c.advance();
    }
    matches!(c.peek(), Some(Tok::Str { .. }))
}

#[cfg(test)]
mod tests;
