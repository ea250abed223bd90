//! Parsing: each statement alone with `sqlparser`, lowered into the statement model; the
//! token fallback where `sqlparser` fails; `unparsed` where neither understands it.
//! Statements whose kind the syntax tree cannot change skip `sqlparser` (`shortcut`).
//! One bad statement never hides the rest of the file.

pub mod fallback;
mod fold;
pub mod lexer;
pub mod lower;
pub mod placeholders;
mod shortcut;

use crate::dialect::Dialect;
use crate::span::{LineIndex, Span};
use crate::split::{split, RawKind, SplitProblem};
use crate::statement::{Origin, Statement, StatementKind};
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

/// A file's text as statements, plus what the splitter could not close.
#[derive(Debug, Default)]
pub struct ParsedText {
    pub statements: Vec<Statement>,
    pub problems: Vec<SplitProblem>,
    /// psql meta-command lines (`\set`, `\connect`), which are not SQL.
    pub meta_commands: Vec<Span>,
    /// goose `StatementBegin` ... `StatementEnd` bodies: each is sent as one query string.
    pub goose_blocks: Vec<Span>,
}

/// Who reads the parsed statements.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reader {
    /// The rules (and the replay): every statement is parsed.
    Rules,
    /// Only the schema replay, for a file nothing of which is reported: statements that
    /// cannot change the schema the replay tracks (`SELECT`, `DELETE`, `SET`, transaction
    /// control, `COMMENT`, `GRANT`, ...) are labelled by their first words and not parsed.
    Replay,
}

/// Splits and parses `text`. Statements inside a PostgreSQL `DO` block follow the block,
/// with spans into the same text, so rules see the DDL the block runs.
pub fn parse_text(text: &str, dialect: Dialect) -> ParsedText {
    parse_text_for(text, dialect, Reader::Rules)
}

/// [`parse_text`] for `reader`: the statements and their spans are the same, only kinds
/// the replay ignores may be left as `Other`.
pub fn parse_text_for(text: &str, dialect: Dialect, reader: Reader) -> ParsedText {
    parse_split(text, split(text, dialect), dialect, reader, None)
}

/// [`parse_text_for`] on the pieces [`split`] gave; with `keep`, only the SQL pieces it
/// marks (by their index among `split.statements`) are parsed, and the others left out.
pub fn parse_split(
    text: &str,
    split: crate::split::Split,
    dialect: Dialect,
    reader: Reader,
    keep: Option<&[bool]>,
) -> ParsedText {
    let mut parsed = ParsedText {
        problems: split.problems,
        goose_blocks: split.goose_blocks,
        ..ParsedText::default()
    };
    for (index, raw) in split.statements.into_iter().enumerate() {
        match raw.kind {
            RawKind::Sql => {
                let sql = raw.span.text(text);
                if keep.is_some_and(|keep| !keep[index]) {
                    continue;
                }
                if reader == Reader::Replay && shortcut::replay_ignores(sql) {
                    parsed.statements.push(Statement {
                        span: raw.span,
                        kind: StatementKind::Other {
                            keyword: leading_keywords(sql),
                        },
                        origin: Origin::Tokens,
                    });
                    continue;
                }
                let statement = parse_statement(text, raw.span, dialect);
                let body = match statement.kind {
                    StatementKind::Other { ref keyword } if keyword == "DO" => {
                        fallback::do_block_body(raw.span.text(text))
                    }
                    _ => None,
                };
                parsed.statements.push(statement);
                if let Some((start, end)) = body {
                    let base = raw.span.start as usize;
                    parsed.statements.extend(parse_block(
                        text,
                        Span::new(base + start, base + end),
                        dialect,
                    ));
                }
            }
            RawKind::PsqlMeta => parsed.meta_commands.push(raw.span),
            RawKind::Delimiter => {}
        }
    }
    parsed
}

/// Whether the schema replay ignores the statement `sql` whatever its syntax.
pub fn replay_ignores(sql: &str) -> bool {
    shortcut::replay_ignores(sql)
}

/// The texts [`parse_text`] parses in the body of the PostgreSQL `DO` block `sql`, `None`
/// when it finds no body.
pub fn do_block_statements(sql: &str) -> Option<Vec<&str>> {
    let (start, end) = fallback::do_block_body(sql)?;
    let body = Span::new(start, end);
    Some(
        block_pieces(sql, body, Dialect::Postgres)
            .map(|span| span.text(sql))
            .collect(),
    )
}

/// The SQL pieces of the `DO` block body at `body` of `text`. PL/pgSQL control flow (`IF
/// ... THEN`, `BEGIN`, `END IF`) is not SQL; only pieces that start with a DDL or DML
/// keyword are read, from that keyword on.
fn block_pieces(text: &str, body: Span, dialect: Dialect) -> impl Iterator<Item = Span> + '_ {
    split(body.text(text), dialect)
        .statements
        .into_iter()
        .filter(|raw| raw.kind == RawKind::Sql)
        .filter_map(move |raw| {
            let span = raw.span.shifted(body.start);
            let start = plpgsql_statement_start(span.text(text))?;
            Some(Span::new(span.start as usize + start, span.end as usize))
        })
}

/// The statements of a `DO` block body that lower to a kind the rules read.
fn parse_block(text: &str, body: Span, dialect: Dialect) -> Vec<Statement> {
    block_pieces(text, body, dialect)
        .filter_map(|span| {
            let statement = parse_statement(text, span, dialect);
            (!matches!(
                statement.kind,
                StatementKind::Unparsed { .. } | StatementKind::Other { .. }
            ))
            .then_some(statement)
        })
        .collect()
}

/// Where the SQL statement inside a PL/pgSQL piece starts, skipping control words such as
/// `BEGIN`, `IF NOT EXISTS (...) THEN`, `ELSE`.
fn plpgsql_statement_start(piece: &str) -> Option<usize> {
    const SQL_STARTS: [&[u8]; 8] = [
        b"alter ",
        b"create ",
        b"drop ",
        b"update ",
        b"delete ",
        b"insert ",
        b"truncate ",
        b"set ",
    ];
    let bytes = piece.as_bytes();
    (0..bytes.len()).find(|&i| {
        (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && SQL_STARTS.iter().any(|keyword| {
                bytes
                    .get(i..i + keyword.len())
                    .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
            })
    })
}

fn sqlparser_dialect(dialect: Dialect) -> Box<dyn sqlparser::dialect::Dialect> {
    match dialect {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::Mysql => Box::new(MySqlDialect {}),
    }
}

/// The longest statement handed to `sqlparser`; see [`parse_statement`].
const SQLPARSER_MAX_BYTES: usize = 4 << 20;

/// Parses the statement at `span` of `text`, its names folded as the server folds them.
pub fn parse_statement(text: &str, span: Span, dialect: Dialect) -> Statement {
    let mut statement = parse_unfolded(text, span, dialect);
    if dialect == Dialect::Postgres {
        fold::fold_unquoted_names(&mut statement.kind);
    }
    statement
}

fn parse_unfolded(text: &str, span: Span, dialect: Dialect) -> Statement {
    let original = span.text(text);
    let masked = placeholders::mask(original);
    let sql = masked.as_deref().unwrap_or(original);
    if let Some(kind) = shortcut::classify(sql, dialect) {
        return Statement {
            span,
            kind,
            origin: Origin::Tokens,
        };
    }
    parse_fully(span, sql, dialect)
}

/// Parses `sql` (the masked text at `span`) with `sqlparser`, then the fallback.
fn parse_fully(span: Span, sql: &str, dialect: Dialect) -> Statement {
    let sql_dialect = sqlparser_dialect(dialect);
    let parsed = if sql.len() > SQLPARSER_MAX_BYTES {
        // A statement this long is data (a huge VALUES list, a generated predicate): its
        // syntax tree could be deeper than any stack. The token reader classifies it.
        Err(sqlparser::parser::ParserError::ParserError(format!(
            "statement longer than {SQLPARSER_MAX_BYTES} bytes, read by tokens only"
        )))
    } else {
        lexer::tokenize(sql, dialect)
            .map_err(sqlparser::parser::ParserError::from)
            .and_then(|tokens| {
                let mut parser =
                    Parser::new(sql_dialect.as_ref()).with_tokens_with_locations(tokens);
                parse_and_lower(&mut parser)
            })
    };
    match parsed {
        Ok(lowered) => {
            let kind = lowered
                .or_else(|| fallback::recognise(sql, dialect))
                .unwrap_or_else(|| StatementKind::Other {
                    keyword: leading_keywords(sql),
                });
            Statement {
                span,
                kind,
                origin: Origin::Parser,
            }
        }
        Err(error) => {
            let message = error.to_string();
            match fallback::recognise(sql, dialect) {
                Some(kind) => Statement {
                    span,
                    kind,
                    origin: Origin::Fallback {
                        parser_error: clean_message(&message),
                    },
                },
                None => Statement {
                    span,
                    kind: StatementKind::Unparsed {
                        at: error_offset(sql, &message).map(|o| span.start + o),
                        message: clean_message(&message),
                    },
                    origin: Origin::Parser,
                },
            }
        }
    }
}

/// One statement that must use all of `sql`, lowered: `parse_statement` alone stops where
/// the statement could end and ignores the rest (`DROP CHECK chk` read as dropping a column
/// named `CHECK`), so leftover tokens are an error and the fallback reads the statement.
/// The syntax tree is lowered where it was parsed: it is 3.5 KB, and each move copies it.
fn parse_and_lower(
    parser: &mut Parser<'_>,
) -> Result<Option<StatementKind>, sqlparser::parser::ParserError> {
    let statement = parser.parse_statement()?;
    while parser.consume_token(&sqlparser::tokenizer::Token::SemiColon) {}
    parser.expect_token(&sqlparser::tokenizer::Token::EOF)?;
    Ok(lower::lower(&statement))
}

/// The first two words, upper-cased: a label for statements no rule reads.
fn leading_keywords(sql: &str) -> String {
    sql.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// sqlparser ends its messages with `at Line: L, Column: C`, relative to the statement;
/// the report gives the file position instead.
fn clean_message(message: &str) -> String {
    let message = message
        .strip_prefix("sql parser error: ")
        .unwrap_or(message);
    match message.rfind(" at Line: ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn error_offset(sql: &str, message: &str) -> Option<u32> {
    let tail = &message[message.rfind("Line: ")? + "Line: ".len()..];
    let (line, rest) = tail.split_once(", Column: ")?;
    let line: u32 = line.trim().parse().ok()?;
    let column: usize = rest
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    let index = LineIndex::new(sql);
    let start = index.line_start(line)? as usize;
    let line_text = index.line_text(sql, line);
    let byte = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(b, _)| b);
    Some((start + byte) as u32)
}

/// Every file under the project's `fixtures/` and `tests/` folders that reads as text, with
/// its path: what the parser's tests compare one reader with another on.
#[cfg(test)]
pub(crate) fn fixture_texts() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for folder in ["fixtures", "tests"] {
        for entry in walkdir::WalkDir::new(root.join(folder)) {
            let entry = entry.expect("walk the fixtures");
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                texts.push((entry.path().display().to_string(), text));
            }
        }
    }
    texts
}

#[cfg(test)]
mod tests;
