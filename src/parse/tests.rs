use super::*;
use crate::statement::{AlterAction, ConstraintKind, Generated, Volatility};

fn one(sql: &str) -> Statement {
    let parsed = parse_text(sql, Dialect::Postgres);
    assert_eq!(parsed.statements.len(), 1, "{sql}");
    parsed.statements.into_iter().next().unwrap()
}

#[test]
fn alter_table_actions_are_lowered_with_their_details() {
    let s = one("ALTER TABLE app.users ADD COLUMN score numeric(5,2) NOT NULL DEFAULT random(), ALTER COLUMN email TYPE varchar(320), ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;");
    assert_eq!(s.origin, Origin::Parser);
    let StatementKind::AlterTable { name, actions, .. } = s.kind else {
        panic!("not an ALTER TABLE: {:?}", s.kind)
    };
    assert_eq!(name.to_string(), "app.users");
    let AlterAction::AddColumn { column, .. } = &actions[0] else {
        panic!("{:?}", actions[0])
    };
    assert!(column.not_null);
    assert_eq!(column.data_type.base, "numeric");
    assert_eq!(column.data_type.args, [5, 2]);
    assert_eq!(
        column.default.as_ref().map(|d| d.volatility),
        Some(Volatility::Volatile)
    );
    let AlterAction::AlterColumnType { data_type, .. } = &actions[1] else {
        panic!("{:?}", actions[1])
    };
    assert_eq!(
        (data_type.base.as_str(), data_type.args.as_slice()),
        ("varchar", &[320][..])
    );
    let AlterAction::AddConstraint(c) = &actions[2] else {
        panic!("{:?}", actions[2])
    };
    assert!(c.not_valid);
    assert!(
        matches!(&c.kind, ConstraintKind::ForeignKey { target, .. } if target.references.name.value == "orgs")
    );
}

#[test]
fn identity_and_generated_columns_are_told_apart() {
    let s = one("ALTER TABLE t ADD COLUMN a bigint GENERATED ALWAYS AS IDENTITY, ADD COLUMN b int GENERATED ALWAYS AS (a * 2) STORED;");
    let StatementKind::AlterTable { actions, .. } = s.kind else {
        panic!()
    };
    let generated: Vec<_> = actions
        .iter()
        .map(|a| match a {
            AlterAction::AddColumn { column, .. } => column.generated.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(
        generated,
        [
            Some(Generated::Identity { always: true }),
            Some(Generated::Stored)
        ]
    );
}

#[test]
fn spans_point_into_the_file_and_statements_keep_their_order() {
    let sql = "-- header\nCREATE TABLE a (id int);\n\nCREATE INDEX i ON a (id);";
    let parsed = parse_text(sql, Dialect::Postgres);
    let texts: Vec<&str> = parsed.statements.iter().map(|s| s.span.text(sql)).collect();
    assert_eq!(
        texts,
        ["CREATE TABLE a (id int)", "CREATE INDEX i ON a (id)"]
    );
}

#[test]
fn drop_index_concurrently_is_read_from_tokens() {
    // sqlparser's DROP keeps no CONCURRENTLY flag, so DROP INDEX is classified by tokens.
    let s = one("DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;");
    assert!(
        matches!(
            s.kind,
            StatementKind::DropIndex {
                concurrently: true,
                if_exists: true,
                ..
            }
        ),
        "{:?}",
        s.kind
    );
}

#[test]
fn garbage_is_unparsed_with_a_position_inside_the_statement() {
    let sql = "SELECT 1;\nFROBNICATE the users table;";
    let parsed = parse_text(sql, Dialect::Postgres);
    let s = &parsed.statements[1];
    let StatementKind::Unparsed { at, message } = &s.kind else {
        panic!("{:?}", s.kind)
    };
    assert!(!message.contains("Line:"), "{message}");
    let at = at.expect("sqlparser reports a position") as usize;
    assert!(s.span.start as usize <= at && at <= s.span.end as usize);
}

#[test]
fn ddl_inside_a_do_block_is_checked_too() {
    let sql = "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'i') THEN\n    CREATE INDEX i ON users (email);\n  END IF;\nEND\n$$;";
    let parsed = parse_text(sql, Dialect::Postgres);
    let inner: Vec<&str> = parsed
        .statements
        .iter()
        .skip(1)
        .map(|s| s.span.text(sql))
        .collect();
    assert_eq!(inner, ["CREATE INDEX i ON users (email)"]);
}

#[test]
fn a_statement_sqlparser_rejects_is_still_classified_by_the_fallback() {
    let s =
        one("ALTER TABLE {$NS}_users ALTER COLUMN email SET STATISTICS 500, ADD COLUMN nick text;");
    assert!(
        matches!(s.origin, Origin::Fallback { .. }),
        "{:?}",
        s.origin
    );
    let StatementKind::AlterTable { name, actions, .. } = s.kind else {
        panic!("{:?}", s.kind)
    };
    assert_eq!(name.name.value.len(), "{$NS}_users".len());
    assert!(
        matches!(&actions[1], AlterAction::AddColumn { column, .. } if column.name.value == "nick"),
        "{actions:?}"
    );
}

#[test]
fn placeholders_keep_spans_exact() {
    let sql = "CREATE INDEX i ON {{ .Schema }}.users (email);";
    let s = one(sql);
    assert_eq!(s.span.text(sql), &sql[..sql.len() - 1]);
    assert!(
        matches!(s.kind, StatementKind::CreateIndex(_)),
        "{:?}",
        s.kind
    );
}

#[test]
fn trailing_tokens_send_the_statement_to_the_fallback() {
    let text = "ALTER TABLE users DROP CHECK users_age_positive";
    let parsed = parse_text(text, Dialect::Mysql);
    assert_eq!(parsed.statements.len(), 1);
    let StatementKind::AlterTable { actions, .. } = &parsed.statements[0].kind else {
        panic!("{:?}", parsed.statements[0].kind);
    };
    assert!(
        matches!(&actions[..], [AlterAction::DropConstraint { name, .. }] if name.value == "users_age_positive"),
        "{actions:?}"
    );
}

/// The shortcut is exact: on every statement of the fixtures and test files, both dialects, the
/// kind it reads from tokens is the kind `sqlparser` and the fallback give.
#[test]
fn the_shortcut_gives_the_kind_a_full_parse_gives() {
    let mut decided = 0;
    for (path, text) in super::fixture_texts() {
        for dialect in [Dialect::Postgres, Dialect::Mysql] {
            for raw in split(&text, dialect).statements {
                let original = raw.span.text(&text);
                let masked = placeholders::mask(original);
                let sql = masked.as_deref().unwrap_or(original);
                if let Some(kind) = shortcut::classify(sql, dialect) {
                    decided += 1;
                    let full = parse_fully(raw.span, sql, dialect).kind;
                    assert_eq!(kind, full, "{path}: {sql}");
                }
            }
        }
    }
    assert!(decided > 100, "only {decided} statements took the shortcut");
}

/// The replay leaves `INSERT`s without `SELECT` unparsed: in every fixture, a full parse
/// of such an insert finds no table it copies, the one thing the catalogue takes from it.
#[test]
fn the_replay_skips_only_inserts_that_copy_no_table() {
    let mut texts = vec![(
        "written here".into(),
        [
            "INSERT INTO t VALUES (1), (2);",
            "INSERT INTO s.t (a, b) VALUES (1, 'x') ON CONFLICT (a) DO NOTHING RETURNING a;",
            "INSERT INTO t DEFAULT VALUES;",
            "INSERT INTO t TABLE u;",
            "INSERT INTO t SET a = 1;",
            "INSERT IGNORE INTO t (a) VALUES (1);",
            "REPLACE INTO t (a) VALUES (1);",
            "INSERT INTO t SELECT * FROM u;",
            "INSERT INTO t (a) (SELECT a FROM u);",
            "REPLACE INTO t SELECT * FROM u;",
        ]
        .concat(),
    )];
    texts.extend(super::fixture_texts());
    let (mut skipped, mut read) = (0, 0);
    for (path, text) in &texts {
        for dialect in [Dialect::Postgres, Dialect::Mysql] {
            for raw in split(text, dialect).statements {
                let sql = raw.span.text(text);
                let kind = parse_statement(text, raw.span, dialect).kind;
                let copies = matches!(kind, StatementKind::Insert { from: Some(_), .. });
                if !matches!(kind, StatementKind::Insert { .. }) {
                    continue;
                }
                if shortcut::replay_ignores(sql) {
                    skipped += 1;
                    assert!(!copies, "{path}: {sql}");
                } else {
                    read += 1;
                }
            }
        }
    }
    assert!(
        skipped > 10 && read > 5,
        "{skipped} inserts skipped, {read} read"
    );
}

#[test]
fn an_update_names_the_columns_it_copies_whole() {
    let copies = |sql: &str| match parse_text(sql, Dialect::Postgres).statements[0]
        .kind
        .clone()
    {
        StatementKind::Update { copies, .. } => copies
            .iter()
            .map(|c| format!("{}<-{}", c.to, c.from))
            .collect::<Vec<_>>(),
        other => panic!("{sql}: {other:?}"),
    };
    assert_eq!(
        copies("UPDATE t SET a_new = a::bigint, b_new = lower(b), c = 1"),
        ["a_new<-a", "b_new<-b"]
    );
    assert_eq!(
        copies("UPDATE t SET (a_new, b_new) = (a, b)"),
        ["a_new<-a", "b_new<-b"]
    );
    assert_eq!(
        copies("UPDATE t SET a_new = a WHERE a IS NOT NULL"),
        ["a_new<-a"]
    );
    assert!(copies("UPDATE t SET a_new = a WHERE id > 10").is_empty());
    assert!(copies("UPDATE t SET a_new = a || b").is_empty());
    assert!(copies("UPDATE t SET a_new = (SELECT a FROM u)").is_empty());
}

/// What a MySQL CREATE TABLE keeps of its inline keys, as (name, method, columns).
fn search_keys(kind: &StatementKind) -> Vec<(Option<String>, Option<String>, Vec<String>)> {
    let StatementKind::CreateTable { search_indexes, .. } = kind else {
        panic!("not a CREATE TABLE: {kind:?}")
    };
    search_indexes
        .iter()
        .map(|i| {
            let columns = i.columns.iter().map(|c| c.value.clone()).collect();
            (
                i.name.as_ref().map(|n| n.value.clone()),
                i.method.clone(),
                columns,
            )
        })
        .collect()
}

#[test]
fn create_table_keeps_its_fulltext_and_spatial_keys_in_both_parsers() {
    let sql = "CREATE TABLE posts (id INT PRIMARY KEY, body TEXT, g POINT NOT NULL, \
               KEY posts_id (id), FULLTEXT KEY posts_body_ft (body), FULLTEXT (body), \
               SPATIAL INDEX posts_g (g)) ENGINE=InnoDB";
    let parsed = parse_text(sql, Dialect::Mysql);
    assert_eq!(parsed.statements[0].origin, Origin::Parser);
    let expected = vec![
        (
            Some("posts_body_ft".to_string()),
            Some("fulltext".to_string()),
            vec!["body".to_string()],
        ),
        (None, Some("fulltext".to_string()), vec!["body".to_string()]),
        (
            Some("posts_g".to_string()),
            Some("spatial".to_string()),
            vec!["g".to_string()],
        ),
    ];
    assert_eq!(search_keys(&parsed.statements[0].kind), expected);
    let recognised = super::fallback::recognise(sql, Dialect::Mysql).expect("recognised");
    assert_eq!(search_keys(&recognised), expected);
}
