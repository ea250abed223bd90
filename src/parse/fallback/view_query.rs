//! What a view's query reads, from the tokens the fallback already holds: `CREATE VIEW` and
//! `CREATE MATERIALIZED VIEW` are classified from their tokens alone (`parse::shortcut`), so
//! walking those tokens once more costs far less than building a syntax tree of the query.
//! The answer may say too much (see [`ViewQuery`]), never too little: the plans refuse on it.

use super::tokens::{Cursor, Tok};
use crate::statement::{Ident, ViewQuery};

/// Keywords that end a `FROM` list: after them a comma separates expressions, not relations.
/// (A join's `ON` condition does not: `FROM a JOIN b ON a.id = b.id, c` lists `c` too.)
const END_OF_FROM_LIST: &[&str] = &[
    "WHERE",
    "GROUP",
    "HAVING",
    "WINDOW",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "FETCH",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "SELECT",
    "FOR",
];

/// Words both PostgreSQL and MySQL reserve, which name no column unless quoted: left out of
/// the names a query mentions, which the replay keeps for every view. (`END` and `CAST` name
/// columns on MySQL.)
const RESERVED: &[&str] = &[
    "ALL", "AND", "AS", "ASC", "BY", "CASE", "DESC", "DISTINCT", "ELSE", "FROM", "GROUP", "HAVING",
    "IN", "IS", "JOIN", "LIMIT", "NOT", "NULL", "ON", "OR", "ORDER", "SELECT", "THEN", "UNION",
    "WHEN", "WHERE", "WITH",
];

/// After the view's name and column list: `[options] AS query [WITH ... CHECK OPTION]`.
pub(super) fn view_query(c: &mut Cursor<'_>) -> ViewQuery {
    c.skip_until(|c| c.is_kw("AS"));
    c.eat_kw("AS");
    let mut query = ViewQuery::default();
    // Whether the `FROM` list of each open parenthesis (and of the query outside them) is
    // being read: there a comma is followed by another relation.
    let mut in_from_list = vec![false];
    let mut relation_next = false;
    let mut previous: Option<&Tok> = None;
    while let Some(tok) = c.peek() {
        match tok {
            Tok::Word { .. } if relation_next => {
                if c.is_any_kw(&["LATERAL", "ONLY"]) {
                    c.advance();
                    previous = Some(tok);
                    continue;
                }
                relation_next = false;
                let Some(name) = c.object_name() else {
                    break;
                };
                query.names.push(name.name.clone());
                // `FROM generate_series(...)`: a function, not a relation.
                if c.peek() != Some(&Tok::LParen) {
                    query.relations.push(name);
                }
                previous = None;
                continue;
            }
            // Only words `sqlparser` knows as keywords are compared with the lists (most
            // words of a query are names).
            Tok::Word {
                value,
                keyword: true,
                ..
            } => {
                let is = |word: &&str| value.eq_ignore_ascii_case(word);
                if ["FROM", "JOIN"].iter().any(is) {
                    relation_next = true;
                    set_last(&mut in_from_list, true);
                } else if END_OF_FROM_LIST.iter().any(is) {
                    set_last(&mut in_from_list, false);
                } else if is(&"NATURAL") {
                    // A natural join uses the columns both sides share without naming them.
                    query.star = true;
                }
                if !RESERVED.iter().any(is) {
                    query.names.push(Ident::new(value.clone()));
                }
            }
            Tok::Word { value, quote, .. } => query.names.push(Ident {
                value: value.clone(),
                quote: *quote,
            }),
            Tok::Comma if in_from_list.last() == Some(&true) => relation_next = true,
            Tok::LParen => {
                // A subquery where a relation was expected reads its own FROM list.
                relation_next = false;
                in_from_list.push(false);
            }
            Tok::RParen => {
                // `substring(x FROM 1)`: no relation follows.
                relation_next = false;
                if in_from_list.len() > 1 {
                    in_from_list.pop();
                }
            }
            Tok::Other(op) if op == "*" => query.star |= selects_every_column(previous),
            _ => {}
        }
        previous = Some(tok);
        c.advance();
    }
    query
}

fn set_last(stack: &mut [bool], value: bool) {
    if let Some(last) = stack.last_mut() {
        *last = value;
    }
}

/// Whether a `*` after `previous` is a select-list item (`SELECT *`, `, *`, `t.*`), not a
/// multiplication or `count(*)`.
fn selects_every_column(previous: Option<&Tok>) -> bool {
    match previous {
        Some(Tok::Comma | Tok::Period) => true,
        Some(Tok::Word {
            value, quote: None, ..
        }) => ["SELECT", "DISTINCT", "ALL"]
            .iter()
            .any(|k| value.eq_ignore_ascii_case(k)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::parse::fallback::recognise;
    use crate::statement::{StatementKind, ViewQuery};

    fn query(sql: &str, dialect: Dialect) -> ViewQuery {
        match recognise(sql, dialect) {
            Some(StatementKind::CreateObject {
                view: Some(query), ..
            })
            | Some(StatementKind::CreateMaterializedView { query, .. }) => query,
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn relations(query: &ViewQuery) -> Vec<String> {
        query.relations.iter().map(|r| r.to_string()).collect()
    }

    fn mentions(query: &ViewQuery, name: &str) -> bool {
        query.names.iter().any(|n| n.value == name)
    }

    #[test]
    fn the_relations_a_view_reads_are_the_ones_after_from_and_join() {
        let q = query(
            "CREATE OR REPLACE VIEW v (a, b) WITH (security_barrier) AS \
             SELECT o.id, c.\"Code\" FROM s.orders o JOIN customers AS c ON c.id = o.customer_id, \
             LATERAL generate_series(1, 2) g, (SELECT id FROM refunds) r, ONLY archive \
             WHERE o.total > 1 GROUP BY o.id, c.\"Code\"",
            Dialect::Postgres,
        );
        assert_eq!(
            relations(&q),
            ["s.orders", "customers", "refunds", "archive"]
        );
        assert!(mentions(&q, "Code") && mentions(&q, "customer_id") && mentions(&q, "total"));
        assert!(!q.star);
    }

    #[test]
    fn a_star_in_the_select_list_reads_every_column_and_a_count_does_not() {
        let star = |sql: &str| query(sql, Dialect::Postgres).star;
        assert!(star("CREATE VIEW v AS SELECT * FROM t"));
        assert!(star("CREATE VIEW v AS SELECT DISTINCT t.* FROM t"));
        assert!(star("CREATE VIEW v AS SELECT 1 AS one, * FROM t"));
        assert!(star(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT * FROM t WITH NO DATA"
        ));
        assert!(!star("CREATE VIEW v AS SELECT count(*), a * 2 FROM t"));
        // The columns a natural join compares are named nowhere.
        assert!(star("CREATE VIEW v AS SELECT a.id FROM a NATURAL JOIN b"));
    }

    #[test]
    fn a_mysql_view_is_read_the_same_way() {
        let q = query(
            "CREATE ALGORITHM=MERGE DEFINER=`a`@`%` SQL SECURITY DEFINER VIEW v AS \
             SELECT `code` FROM `orders` WITH CASCADED CHECK OPTION",
            Dialect::Mysql,
        );
        assert_eq!(relations(&q), ["orders"]);
        assert!(mentions(&q, "code"));
    }
}
