//! Column definitions, table constraints and MySQL index definitions from tokens, shared by
//! `CREATE TABLE` and `ALTER TABLE`.

use super::tokens::{Cursor, Tok};
use super::types::{classify_default, parse_data_type};
use crate::dialect::Dialect;
use crate::statement::{
    ColumnDef, ColumnPosition, Constraint, ConstraintKind, Expr, ForeignTarget, Generated, Ident,
    IndexDef, ObjectName,
};

/// Words that end a column's type and start its options.
const COLUMN_OPTION_WORDS: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY",
    "UNIQUE",
    "REFERENCES",
    "CHECK",
    "CONSTRAINT",
    "GENERATED",
    "AS",
    "COLLATE",
    "AUTO_INCREMENT",
    "COMMENT",
    "FIRST",
    "AFTER",
    "ON",
    "STORED",
    "VIRTUAL",
    "KEY",
    "USING",
    "INVISIBLE",
    "VISIBLE",
    "COLUMN_FORMAT",
    "STORAGE",
    "SRID",
    "DEFERRABLE",
    "INITIALLY",
];

/// Words that end an expression inside column options (`DEFAULT expr`, `ON UPDATE expr`).
const EXPRESSION_END_WORDS: &[&str] = &[
    "NOT",
    "NULL",
    "PRIMARY",
    "UNIQUE",
    "REFERENCES",
    "CHECK",
    "CONSTRAINT",
    "GENERATED",
    "COLLATE",
    "COMMENT",
    "AUTO_INCREMENT",
    "ON",
    "FIRST",
    "AFTER",
    "STORED",
    "VIRTUAL",
    "INVISIBLE",
    "VISIBLE",
    "KEY",
    "DEFERRABLE",
    "INITIALLY",
];

/// `name type [options...]`, with MySQL's `FIRST` / `AFTER col` placement.
pub(super) fn column_def(c: &mut Cursor<'_>) -> Option<(ColumnDef, Option<ColumnPosition>)> {
    let name = c.ident()?;
    let data_type = column_type(c)?;
    let mut column = ColumnDef::new(name, data_type);
    let mut position = None;
    while !c.at_end() {
        if let Some(placed) = column_position(c) {
            position = Some(placed);
        } else {
            column_option(c, &mut column);
        }
    }
    Some((column, position))
}

/// The type tokens up to the first option word; MySQL's `CHARACTER SET x` belongs to the
/// type (a charset change rewrites the column).
pub(super) fn column_type(c: &mut Cursor<'_>) -> Option<crate::statement::DataType> {
    let mark = c.mark();
    while !c.at_end() {
        if c.eat_kws(&["CHARACTER", "SET"]) || c.eat_kw("CHARSET") {
            c.advance();
        } else if c.is_any_kw(COLUMN_OPTION_WORDS) {
            break;
        } else {
            c.skip_one();
        }
    }
    let text = c.text_since(mark);
    (!text.is_empty()).then(|| parse_data_type(text))
}

fn column_position(c: &mut Cursor<'_>) -> Option<ColumnPosition> {
    if c.eat_kw("FIRST") {
        Some(ColumnPosition::First)
    } else if c.is_kw("AFTER") && matches!(c.peek_at(1), Some(Tok::Word { .. })) {
        c.advance();
        c.ident().map(ColumnPosition::After)
    } else {
        None
    }
}

/// One column option; always consumes at least one token.
fn column_option(c: &mut Cursor<'_>, column: &mut ColumnDef) {
    if c.eat_kws(&["NOT", "NULL"]) {
        column.not_null = true;
    } else if c.eat_kw("DEFAULT") {
        column.default = expression(c);
    } else if c.eat_kws(&["PRIMARY", "KEY"]) {
        column.primary_key = true;
    } else if c.eat_kw("UNIQUE") {
        c.eat_kw("KEY");
        column.unique = true;
    } else if c.eat_kw("REFERENCES") {
        if let Some((table, referred_columns, _)) = references(c) {
            column.references = Some(table);
            column.referred_columns = referred_columns;
        }
    } else if c.eat_kw("CHECK") {
        column.check = c.group().map(|g| g.full_text().to_string());
    } else if c.eat_kw("CONSTRAINT") {
        c.ident();
    } else if c.eat_kw("AUTO_INCREMENT") {
        column.generated = Some(Generated::Identity { always: false });
    } else if c.is_kw("GENERATED") || c.is_kw("AS") {
        column.generated = generated(c);
    } else if c.eat_kws(&["ON", "UPDATE"]) {
        expression(c);
    } else if c.eat_kw("COLLATE") || c.eat_kw("COMMENT") || c.eat_kw("COLUMN_FORMAT") {
        c.advance();
    } else {
        c.skip_one();
    }
}

/// An expression up to the next column option word, as written, with its volatility.
pub(super) fn expression(c: &mut Cursor<'_>) -> Option<Expr> {
    let mark = c.mark();
    c.skip_one();
    c.skip_until(|c| c.is_any_kw(EXPRESSION_END_WORDS));
    let text = c.text_since(mark);
    (!text.is_empty()).then(|| Expr {
        text: text.to_string(),
        volatility: classify_default(text),
    })
}

/// `GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY [(...)]`, `GENERATED ALWAYS AS (e) STORED`,
/// `[GENERATED ALWAYS] AS (e) [VIRTUAL|STORED]`; without a keyword it is virtual on MySQL
/// and PostgreSQL 18+ (see [`Generated::Unspecified`]).
fn generated(c: &mut Cursor<'_>) -> Option<Generated> {
    let always = c.eat_kw("GENERATED") && !c.eat_kws(&["BY", "DEFAULT"]) && c.eat_kw("ALWAYS");
    if !c.eat_kw("AS") {
        return None;
    }
    if c.eat_kw("IDENTITY") {
        c.group();
        return Some(Generated::Identity { always });
    }
    c.group();
    if c.eat_kw("STORED") {
        Some(Generated::Stored)
    } else if c.eat_kw("VIRTUAL") {
        Some(Generated::Virtual)
    } else {
        Some(Generated::Unspecified)
    }
}

/// After `REFERENCES`: the table, its column list, and the `MATCH` / `ON DELETE` /
/// `ON UPDATE` clauses (consumed so that `ON UPDATE` is not read as MySQL's column option).
/// `REFERENCES table (columns)` and the clauses after it (`MATCH`, `ON DELETE`, `ON UPDATE`,
/// `DEFERRABLE`, `INITIALLY ...`), returned as written.
fn references<'a>(c: &mut Cursor<'a>) -> Option<(ObjectName, Vec<Ident>, &'a str)> {
    let table = c.object_name()?;
    let columns = c.ident_list().unwrap_or_default();
    let clauses = c.mark();
    loop {
        if c.eat_kw("MATCH") || c.eat_kw("INITIALLY") {
            c.advance();
        } else if c.is_kw("ON") && (c.is_kw_at(1, "DELETE") || c.is_kw_at(1, "UPDATE")) {
            c.advance();
            c.advance();
            referential_action(c);
        } else if !(c.eat_kw("DEFERRABLE") || c.eat_kws(&["NOT", "DEFERRABLE"])) {
            break;
        }
    }
    Some((table, columns, c.text_since(clauses)))
}

fn referential_action(c: &mut Cursor<'_>) {
    if c.eat_kw("SET") {
        c.advance();
        c.group();
    } else if c.eat_kw("NO") {
        c.eat_kw("ACTION");
    } else {
        c.advance();
    }
}

/// Whether a table element / `ADD` action starts a table constraint.
pub(super) fn starts_constraint(c: &Cursor<'_>) -> bool {
    c.is_any_kw(&[
        "CONSTRAINT",
        "PRIMARY",
        "UNIQUE",
        "FOREIGN",
        "CHECK",
        "EXCLUDE",
        "NOT",
    ])
}

/// `[CONSTRAINT name] PRIMARY KEY | UNIQUE | FOREIGN KEY | CHECK | EXCLUDE | NOT NULL ...
/// [NOT VALID]`.
pub(super) fn table_constraint(c: &mut Cursor<'_>) -> Option<Constraint> {
    let name = if c.eat_kw("CONSTRAINT") {
        if c.is_any_kw(&["PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE"]) {
            None
        } else {
            c.ident()
        }
    } else {
        None
    };
    let kind = if c.eat_kws(&["PRIMARY", "KEY"]) {
        let (columns, using_index) = key_columns(c);
        ConstraintKind::PrimaryKey {
            columns,
            using_index,
        }
    } else if c.eat_kw("UNIQUE") {
        c.eat_kws(&["NULLS", "NOT", "DISTINCT"]);
        c.eat_kws(&["NULLS", "DISTINCT"]);
        if !c.eat_kw("INDEX") {
            c.eat_kw("KEY");
        }
        if matches!(c.peek(), Some(Tok::Word { .. })) && !c.is_kw("USING") {
            c.ident();
        }
        let (columns, using_index) = key_columns(c);
        ConstraintKind::Unique {
            columns,
            using_index,
        }
    } else if c.eat_kws(&["FOREIGN", "KEY"]) {
        if matches!(c.peek(), Some(Tok::Word { .. })) {
            c.ident();
        }
        let columns = c.ident_list()?;
        if !c.eat_kw("REFERENCES") {
            return None;
        }
        let (references, referred_columns, clauses) = references(c)?;
        ConstraintKind::ForeignKey {
            columns,
            target: Box::new(ForeignTarget {
                references,
                referred_columns,
                clauses: clauses.to_string(),
            }),
        }
    } else if c.eat_kw("CHECK") {
        let expr = c.group()?.full_text().to_string();
        ConstraintKind::Check { expr }
    } else if c.eat_kw("EXCLUDE") {
        ConstraintKind::Exclude
    } else if c.eat_kws(&["NOT", "NULL"]) {
        ConstraintKind::NotNull { column: c.ident()? }
    } else {
        return None;
    };
    let not_valid = has_trailing(c, &["NOT", "VALID"]);
    let not_enforced = has_trailing(c, &["NOT", "ENFORCED"]);
    c.skip_until(|_| false);
    Some(Constraint {
        name,
        kind,
        not_valid,
        not_enforced,
    })
}

/// The column list of a key, or PostgreSQL's `USING INDEX name` instead of one
/// (MySQL's `USING BTREE` before the list is skipped).
fn key_columns(c: &mut Cursor<'_>) -> (Vec<Ident>, Option<Box<Ident>>) {
    if c.eat_kws(&["USING", "INDEX"]) {
        return (Vec::new(), c.ident().map(Box::new));
    }
    if c.eat_kw("USING") {
        c.advance();
    }
    (c.ident_list().unwrap_or_default(), None)
}

/// Whether `words` follow at the top level of the rest (`NOT VALID`, `NOT ENFORCED`).
fn has_trailing(c: &Cursor<'_>, words: &[&str]) -> bool {
    let mut probe = *c;
    while !probe.at_end() {
        if probe.eat_kws(words) {
            return true;
        }
        probe.skip_one();
    }
    false
}

/// Whether a table element / `ADD` action starts a MySQL index (`INDEX`, `KEY`,
/// `UNIQUE [INDEX|KEY]`, `FULLTEXT`, `SPATIAL`).
pub(super) fn starts_mysql_index(c: &Cursor<'_>) -> bool {
    c.is_any_kw(&["INDEX", "KEY", "FULLTEXT", "SPATIAL"]) || c.is_kw("UNIQUE")
}

/// MySQL `[UNIQUE|FULLTEXT|SPATIAL] [INDEX|KEY] [IF NOT EXISTS] [name] [USING m] (parts)
/// [USING m] ...` on `table`.
pub(super) fn mysql_index(c: &mut Cursor<'_>, table: &ObjectName) -> Option<IndexDef> {
    let unique = c.eat_kw("UNIQUE");
    let mut method = ["FULLTEXT", "SPATIAL"]
        .iter()
        .find(|kind| c.eat_kw(kind))
        .map(|kind| kind.to_lowercase());
    if !c.eat_kw("INDEX") {
        c.eat_kw("KEY");
    }
    let if_not_exists = c.eat_kws(&["IF", "NOT", "EXISTS"]);
    let name = if c.peek() == Some(&Tok::LParen) || c.is_kw("USING") {
        None
    } else {
        c.ident()
    };
    if c.eat_kw("USING") {
        method = c.keyword().map(|m| m.to_lowercase());
    }
    let columns = index_columns(c.group()?, Dialect::Mysql);
    if c.eat_kw("USING") {
        method = c.keyword().map(|m| m.to_lowercase());
    }
    c.skip_until(|_| false);
    Some(IndexDef {
        name,
        table: table.clone(),
        columns,
        unique,
        concurrently: false,
        if_not_exists,
        method,
        only: false,
    })
}

/// The items of an index's column list: a plain column's name (without `ASC`, operator class,
/// MySQL prefix length, ...), otherwise the expression as written.
pub(super) fn index_columns(group: Cursor<'_>, dialect: Dialect) -> Vec<Ident> {
    group
        .split_commas()
        .into_iter()
        .filter(|item| !item.at_end())
        .map(|item| {
            plain_column(item, dialect).unwrap_or_else(|| Ident::new(collapse(item.full_text())))
        })
        .collect()
}

fn plain_column(mut item: Cursor<'_>, dialect: Dialect) -> Option<Ident> {
    let name = item.ident()?;
    let is_plain = match item.peek() {
        None | Some(Tok::Word { .. }) => true,
        Some(Tok::LParen) => {
            dialect == Dialect::Mysql && {
                let mut probe = item;
                probe
                    .group()
                    .is_some_and(|mut g| g.eat(&Tok::Number) && g.at_end())
            }
        }
        _ => false,
    };
    is_plain.then_some(name)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
