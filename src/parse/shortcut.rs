//! Statements whose kind `sqlparser`'s syntax tree cannot change, read from their tokens
//! alone: building the tree is most of the cost of parsing, and for these it is thrown away.
//!
//! [`super::parse_statement`] takes `lower(tree)`, else the token fallback's kind, else
//! `Other`; where `sqlparser` fails, the fallback's kind, else `unparsed`. For a statement
//! that `lower` never lowers (`SELECT`, `COMMENT ON`, `GRANT`, `DO`, `CREATE FUNCTION` and
//! other objects no rule reads), a kind from the fallback is therefore the answer whether
//! or not `sqlparser` would succeed. `INSERT INTO name` is lowered, but only to its target,
//! which is the same name for both readers when it starts with a word `sqlparser` does not
//! read as a keyword (not `TABLE`, `OVERWRITE`, `FUNCTION`, `LOCAL`, `OR ...`). Everything
//! else (DDL, `UPDATE`, `DELETE`, transaction control, `SET`) still goes through `sqlparser`.

use super::{fallback, lexer};
use crate::dialect::Dialect;
use crate::statement::StatementKind;
use crate::text::contains_ignore_ascii_case;
use sqlparser::keywords::Keyword;

/// The statement's kind when its tokens decide it, `None` when `sqlparser` must be asked.
/// `sql` is one statement, placeholders already masked.
pub fn classify(sql: &str, dialect: Dialect) -> Option<StatementKind> {
    let words = leading_words(sql);
    // A cheap look at the first words first, so statements that must be parsed anyway are
    // not tokenized once more here.
    let expected: fn(&StatementKind) -> bool =
        if words.is_one_of(0, &["SELECT", "COMMENT", "GRANT", "REVOKE", "DO"]) {
            is_unlowered_other
        } else if words.is(0, "CREATE") && (words.is_one_of(1, CREATE_KINDS) || words.is(1, "OR")) {
            is_unlowered_create
        } else if words.is(0, "INSERT")
            && words.is(1, "INTO")
            && !words.word(2).is_empty()
            && lexer::keyword(words.word(2).as_bytes()) == Keyword::NoKeyword
        {
            |kind| matches!(kind, StatementKind::Insert { .. })
        } else {
            return None;
        };
    fallback::recognise(sql, dialect).filter(expected)
}

/// Whether the schema replay ignores the statement whatever its syntax: the catalogue
/// applies only `CREATE`, `ALTER`, `DROP`, `RENAME`, `UPDATE` and `INSERT ... SELECT` (also
/// after `WITH`, or as MySQL's `REPLACE`), and a `DO` block's body is read for the DDL it
/// runs. A statement whose first word cannot be read (a comment left open, a parenthesis)
/// is parsed.
pub fn replay_ignores(sql: &str) -> bool {
    const READ_BY_REPLAY: &[&str] = &[
        "CREATE", "ALTER", "DROP", "RENAME", "UPDATE", "INSERT", "REPLACE", "WITH", "DO",
    ];
    let words = leading_words(sql);
    if words.is_one_of(0, &["INSERT", "REPLACE"]) {
        // The catalogue only notes an insert that copies every row of a table, which both
        // readers see in a `SELECT`; without the word anywhere, even inside a name, string
        // or comment (rows of `VALUES`, often thousands), there is nothing to parse for it.
        return !contains_ignore_ascii_case(sql, "select");
    }
    !words.word(0).is_empty() && !words.is_one_of(0, READ_BY_REPLAY)
}

/// The word after `CREATE` (or `CREATE OR REPLACE`) for objects `lower` has no model of.
const CREATE_KINDS: &[&str] = &[
    "FUNCTION",
    "PROCEDURE",
    "VIEW",
    "MATERIALIZED",
    "TRIGGER",
    "EXTENSION",
    "SEQUENCE",
    "TYPE",
    "DOMAIN",
];

/// What the fallback says for the statements `lower` passes over whatever their syntax.
fn is_unlowered_other(kind: &StatementKind) -> bool {
    matches!(kind, StatementKind::Other { keyword }
        if matches!(keyword.as_str(), "SELECT" | "COMMENT ON" | "GRANT" | "REVOKE" | "DO"))
}

/// `sqlparser` reads these as `CreateFunction`, `CreateView`, `CreateTrigger` and the like,
/// never as the `CreateTable` or `CreateIndex` that `lower` lowers.
fn is_unlowered_create(kind: &StatementKind) -> bool {
    match kind {
        StatementKind::CreateTrigger { .. }
        | StatementKind::CreateMaterializedView { .. }
        | StatementKind::CreateDomain { .. }
        | StatementKind::CreateObject { .. } => true,
        StatementKind::Other { keyword } => keyword
            .strip_prefix("CREATE ")
            .is_some_and(|object| CREATE_KINDS.contains(&object.split(' ').next().unwrap_or(""))),
        _ => false,
    }
}

/// The first three words of a statement as written (`""` past the last one). They are
/// borrowed, not upper-cased copies: every statement of every file is looked at here, most
/// of them twice for a replayed file.
struct LeadingWords<'a> {
    words: [&'a str; 3],
}

impl LeadingWords<'_> {
    fn word(&self, at: usize) -> &str {
        self.words[at]
    }

    /// Whether word `at` is `keyword` (upper case), in any case.
    fn is(&self, at: usize, keyword: &str) -> bool {
        self.words[at].eq_ignore_ascii_case(keyword)
    }

    fn is_one_of(&self, at: usize, keywords: &[&str]) -> bool {
        keywords.iter().any(|keyword| self.is(at, keyword))
    }
}

/// The first three words after whitespace and comments; a word ends at any character that
/// cannot continue an unquoted name, so `"users"` or `t(` stop the list.
fn leading_words(sql: &str) -> LeadingWords<'_> {
    let mut words = [""; 3];
    let mut count = 0;
    let mut rest = sql;
    while count < 3 {
        rest = rest.trim_start();
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
            continue;
        }
        if let Some(comment) = rest.strip_prefix("/*") {
            // Nested comments are rare in a statement's first words: give up on them.
            let Some((_, after)) = comment.split_once("*/") else {
                break;
            };
            if comment
                .split_once("*/")
                .is_some_and(|(inside, _)| inside.contains("/*"))
            {
                break;
            }
            rest = after;
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 || rest.as_bytes()[0].is_ascii_digit() {
            break;
        }
        words[count] = &rest[..end];
        count += 1;
        rest = &rest[end..];
        // A name followed by `.`, `(` or a quote is not a keyword sequence any more.
        if !rest.starts_with(char::is_whitespace) {
            break;
        }
    }
    LeadingWords { words }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_words_skip_comments_and_stop_at_names() {
        let words = |sql| leading_words(sql).words;
        assert_eq!(
            words("  -- x\n/* y */ insert into t (a)"),
            ["insert", "into", "t"]
        );
        assert_eq!(words("INSERT INTO \"t\" VALUES"), ["INSERT", "INTO", ""]);
        assert_eq!(words("INSERT INTO s.t VALUES"), ["INSERT", "INTO", "s"]);
        assert_eq!(words("/* open"), ["", "", ""]);
        let insert = leading_words("insert Into t");
        assert!(insert.is(0, "INSERT") && insert.is(1, "INTO") && !insert.is(2, "INTO"));
        assert!(leading_words("Create view v").is_one_of(1, CREATE_KINDS));
    }

    #[test]
    fn the_replay_ignores_statements_that_cannot_change_the_schema() {
        for ignored in [
            "SELECT 1",
            "BEGIN",
            "commit",
            "SET lock_timeout = '2s'",
            "DELETE FROM t",
            "COMMENT ON TABLE t IS 'x'",
            "FROBNICATE TABLE t",
            "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')",
            "replace into t values (1)",
        ] {
            assert!(replay_ignores(ignored), "{ignored}");
        }
        for read in [
            "CREATE TABLE t (id int)",
            "/* c */ alter table t add column a int",
            "DROP TABLE t",
            "RENAME TABLE a TO b",
            "UPDATE t SET a = b",
            "INSERT INTO t SELECT * FROM u",
            "insert into t (a) Select a from u",
            "INSERT INTO t VALUES ('selected')",
            "REPLACE INTO t SELECT * FROM u",
            "WITH s AS (SELECT 1) INSERT INTO t SELECT * FROM s",
            "DO $$ BEGIN CREATE INDEX i ON t (a); END $$",
            "(SELECT 1)",
            "/* open",
        ] {
            assert!(!replay_ignores(read), "{read}");
        }
    }

    #[test]
    fn only_statements_lower_passes_over_are_decided_by_tokens() {
        let kind = |sql: &str| classify(sql, Dialect::Postgres);
        assert!(kind("SELECT 1").is_some());
        assert!(
            kind("CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql")
                .is_some()
        );
        assert!(kind("INSERT INTO users (id) VALUES (1)").is_some());
        assert!(kind("CREATE TABLE t (id int)").is_none());
        assert!(kind("CREATE OR REPLACE TABLE t (id int)").is_none());
        assert!(kind("INSERT INTO TABLE t VALUES (1)").is_none());
        assert!(kind("INSERT INTO \"T\" VALUES (1)").is_none());
        assert!(kind("UPDATE t SET a = 1").is_none());
    }
}
