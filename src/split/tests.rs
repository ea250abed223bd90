use super::*;
use proptest::prelude::*;

fn texts(src: &str, dialect: Dialect) -> Vec<&str> {
    split(src, dialect)
        .statements
        .iter()
        .map(|statement| statement.span.text(src))
        .collect()
}

fn pieces(src: &str, dialect: Dialect) -> Vec<(RawKind, &str)> {
    split(src, dialect)
        .statements
        .iter()
        .map(|statement| (statement.kind, statement.span.text(src)))
        .collect()
}

fn pg(src: &str) -> Vec<&str> {
    texts(src, Dialect::Postgres)
}

fn my(src: &str) -> Vec<&str> {
    texts(src, Dialect::Mysql)
}

fn only_problem(src: &str, dialect: Dialect) -> SplitProblem {
    let problems = split(src, dialect).problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    problems[0].clone()
}

fn offset_of(src: &str, needle: &str) -> u32 {
    src.find(needle).expect("needle in source") as u32
}

#[test]
fn statements_end_before_the_terminator_and_the_last_may_lack_one() {
    assert_eq!(pg("SELECT 1; SELECT 2"), ["SELECT 1", "SELECT 2"]);
    assert_eq!(my("SELECT 1;\n\nSELECT 2;\n"), ["SELECT 1", "SELECT 2"]);
}

#[test]
fn leading_and_trailing_comments_are_trimmed_inner_ones_kept() {
    let src = "-- head\n/* c */ SELECT /* in; */ 1 -- tail;\n; ;; -- only\n";
    assert_eq!(pg(src), ["SELECT /* in; */ 1"]);
    assert_eq!(my(src), ["SELECT /* in; */ 1"]);
}

#[test]
fn empty_statements_and_comment_only_files_produce_nothing() {
    for src in ["", ";;", " ; \n ;", "-- x\n/* y */\n", "\u{feff}"] {
        assert_eq!(pg(src), Vec::<&str>::new(), "{src:?}");
        assert_eq!(my(src), Vec::<&str>::new(), "{src:?}");
    }
}

#[test]
fn postgres_strings_double_their_quotes_and_only_e_strings_use_backslashes() {
    assert_eq!(
        pg("INSERT INTO t VALUES ('a;b''c;'); SELECT 2"),
        ["INSERT INTO t VALUES ('a;b''c;')", "SELECT 2"]
    );
    assert_eq!(
        pg(r"SELECT E'it\'s; fine', e'\\'; SELECT 'plain\'; SELECT 3;"),
        [
            r"SELECT E'it\'s; fine', e'\\'",
            r"SELECT 'plain\'",
            "SELECT 3"
        ]
    );
}

#[test]
fn postgres_dollar_quotes_hide_semicolons_but_parameters_do_not_open_them() {
    let src = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
               SELECT $tag$ a $$ ; $tag$;\n\
               PREPARE p AS SELECT $1; SELECT a$b$ FROM t; SELECT $x$;$x$";
    assert_eq!(
        pg(src),
        [
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
            "SELECT $tag$ a $$ ; $tag$",
            "PREPARE p AS SELECT $1",
            "SELECT a$b$ FROM t",
            "SELECT $x$;$x$",
        ]
    );
}

#[test]
fn postgres_quoted_identifiers_double_their_quotes() {
    assert_eq!(
        pg(r#"CREATE TABLE "we;ird""x" (a int); SELECT 1"#),
        [r#"CREATE TABLE "we;ird""x" (a int)"#, "SELECT 1"]
    );
}

#[test]
fn postgres_block_comments_nest() {
    assert_eq!(
        pg("/* a /* b; */ still; */ SELECT 1; SELECT /* x /* y */ ; */ 2;"),
        ["SELECT 1", "SELECT /* x /* y */ ; */ 2"]
    );
}

#[test]
fn mysql_block_comments_do_not_nest() {
    assert_eq!(
        my("/* a /* b */ SELECT 1; SELECT 2"),
        ["SELECT 1", "SELECT 2"]
    );
}

#[test]
fn psql_meta_command_lines_are_their_own_pieces() {
    let src =
        "\\set ON_ERROR_STOP on\nSELECT 1;\n  \\connect db \r\nSELECT 2\n\\gset\nSELECT a \\ b;";
    assert_eq!(
        pieces(src, Dialect::Postgres),
        [
            (RawKind::PsqlMeta, "\\set ON_ERROR_STOP on"),
            (RawKind::Sql, "SELECT 1"),
            (RawKind::PsqlMeta, "\\connect db"),
            (RawKind::Sql, "SELECT 2"),
            (RawKind::PsqlMeta, "\\gset"),
            (RawKind::Sql, "SELECT a \\ b"),
        ]
    );
}

#[test]
fn copy_from_stdin_data_lines_are_skipped() {
    let src = "COPY users (id, name) FROM stdin; -- data follows\n\
               1\tO'Brien; the first\n2\t/* not a comment\n\\.\n\
               SELECT 1;\n\
               \\copy users FROM STDIN\n3\t'x\n\\.\r\n\
               COPY users TO stdout; COPY users FROM '/tmp/u'; SELECT 2";
    assert_eq!(
        pieces(src, Dialect::Postgres),
        [
            (RawKind::Sql, "COPY users (id, name) FROM stdin"),
            (RawKind::Sql, "SELECT 1"),
            (RawKind::PsqlMeta, "\\copy users FROM STDIN"),
            (RawKind::Sql, "COPY users TO stdout"),
            (RawKind::Sql, "COPY users FROM '/tmp/u'"),
            (RawKind::Sql, "SELECT 2"),
        ]
    );
    assert_eq!(split(src, Dialect::Postgres).problems, []);
    let unended = "COPY t FROM stdin;\n1\t'\n";
    assert_eq!(pg(unended), ["COPY t FROM stdin"]);
}

#[test]
fn postgres_begin_atomic_bodies_keep_their_semicolons() {
    let src = "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
               BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n  SELECT 3;\nEND;\n\
               BEGIN;\nSELECT 4;\nCOMMIT;";
    assert_eq!(
        pg(src),
        [
            "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
             BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n  SELECT 3;\nEND",
            "BEGIN",
            "SELECT 4",
            "COMMIT",
        ]
    );
}

#[test]
fn postgres_semicolons_inside_parentheses_do_not_split_as_in_psql() {
    let src = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); \
               INSERT INTO b VALUES (2)); SELECT 1;";
    assert_eq!(
        pg(src),
        [
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); \
             INSERT INTO b VALUES (2))",
            "SELECT 1"
        ]
    );
}

#[test]
fn goose_statement_regions_split_like_the_rest_and_are_recorded() {
    // The server runs a region's statements one by one: each is checked on its own.
    let src = "-- +goose Up\nSELECT 0;\n-- +goose StatementBegin\n\
               CREATE FUNCTION f() RETURNS trigger AS 'BEGIN; END' LANGUAGE plpgsql;\n\
               SELECT 1;\n-- +goose StatementEnd\nSELECT 2;\n";
    let expected = [
        "SELECT 0",
        "CREATE FUNCTION f() RETURNS trigger AS 'BEGIN; END' LANGUAGE plpgsql",
        "SELECT 1",
        "SELECT 2",
    ];
    assert_eq!(pg(src), expected);
    assert_eq!(my(src), expected);
    let blocks = split(src, Dialect::Postgres).goose_blocks;
    assert_eq!(blocks.len(), 1);
    assert_eq!(
        blocks[0].text(src).trim(),
        "CREATE FUNCTION f() RETURNS trigger AS 'BEGIN; END' LANGUAGE plpgsql;\nSELECT 1;"
    );
}

#[test]
fn a_mysql_routine_in_a_goose_region_stays_whole() {
    let src = "-- +goose StatementBegin\n\
               CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;\n\
               CREATE INDEX i ON t (c);\n-- +goose StatementEnd\n";
    assert_eq!(
        my(src),
        [
            "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END",
            "CREATE INDEX i ON t (c)"
        ]
    );
}

#[test]
fn an_unclosed_goose_region_runs_to_the_end() {
    let src = "-- +goose StatementBegin\nSELECT 1;\nSELECT 2;\n";
    let blocks = split(src, Dialect::Postgres).goose_blocks;
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].text(src).trim(), "SELECT 1;\nSELECT 2;");
}

#[test]
fn crlf_and_byte_order_mark_keep_spans_in_the_original_text() {
    let src = "\u{feff}SELECT 1;\r\n-- c\r\nSELECT\r\n  2\r\n";
    for dialect in [Dialect::Postgres, Dialect::Mysql] {
        let split = split(src, dialect);
        assert_eq!(split.statements[0].span, Span::new(3, 11));
        assert_eq!(texts(src, dialect), ["SELECT 1", "SELECT\r\n  2"]);
    }
    let meta = "\u{feff}\\set x 1\r\nSELECT 1\r\n";
    assert_eq!(
        pieces(meta, Dialect::Postgres),
        [(RawKind::PsqlMeta, "\\set x 1"), (RawKind::Sql, "SELECT 1")]
    );
}

#[test]
fn unterminated_string_swallows_the_rest_of_the_file() {
    let src = "SELECT 1; SELECT 'abc;\nSELECT 2;\n";
    assert_eq!(pg(src), ["SELECT 1", "SELECT 'abc;\nSELECT 2;"]);
    let problem = only_problem(src, Dialect::Postgres);
    assert_eq!(problem.kind, SplitProblemKind::UnterminatedString);
    assert_eq!(problem.offset, offset_of(src, "'"));

    let escaped = r"SELECT E'it\';";
    let problem = only_problem(escaped, Dialect::Postgres);
    assert_eq!(problem.offset, offset_of(escaped, "'"));
    assert_eq!(pg(escaped), [escaped]);

    let mysql = "SELECT \"a\\\";";
    let problem = only_problem(mysql, Dialect::Mysql);
    assert_eq!(problem.kind, SplitProblemKind::UnterminatedString);
    assert_eq!(problem.offset, 7);
}

#[test]
fn unterminated_quoted_identifiers_are_reported_at_their_quote() {
    let src = "SELECT 1;\nSELECT \"a;";
    assert_eq!(pg(src), ["SELECT 1", "SELECT \"a;"]);
    let problem = only_problem(src, Dialect::Postgres);
    assert_eq!(problem.kind, SplitProblemKind::UnterminatedQuotedIdentifier);
    assert_eq!(problem.offset, offset_of(src, "\""));

    let src = "SELECT `a``;";
    let problem = only_problem(src, Dialect::Mysql);
    assert_eq!(problem.kind, SplitProblemKind::UnterminatedQuotedIdentifier);
    assert_eq!(problem.offset, 7);
}

#[test]
fn unterminated_dollar_quote_names_its_tag() {
    let src = "SELECT 1;\nCREATE FUNCTION f() AS $fn$ SELECT 1; $$ \n";
    assert_eq!(
        pg(src),
        ["SELECT 1", "CREATE FUNCTION f() AS $fn$ SELECT 1; $$"]
    );
    let problem = only_problem(src, Dialect::Postgres);
    assert_eq!(
        problem.kind,
        SplitProblemKind::UnterminatedDollarQuote {
            tag: "fn".to_string()
        }
    );
    assert_eq!(problem.offset, offset_of(src, "$fn$"));
    assert_eq!(
        problem.kind.describe(),
        "unterminated dollar-quoted string $fn$"
    );
}

#[test]
fn unterminated_block_comment_becomes_the_last_statement() {
    let src = "SELECT 1; /* x /* y */ ;\n";
    assert_eq!(pg(src), ["SELECT 1", "/* x /* y */ ;"]);
    let problem = only_problem(src, Dialect::Postgres);
    assert_eq!(problem.kind, SplitProblemKind::UnterminatedComment);
    assert_eq!(problem.offset, 10);
    assert_eq!(split(src, Dialect::Mysql).problems, []);

    let conditional = "SELECT 1; /*!40101 SET a = 1; ";
    assert_eq!(my(conditional), ["SELECT 1", "/*!40101 SET a = 1;"]);
    assert_eq!(only_problem(conditional, Dialect::Mysql).offset, 10);
}

#[test]
fn deep_nesting_neither_recurses_nor_slows_down() {
    let comments = format!("{}{} SELECT 1", "/*".repeat(10_000), "*/".repeat(10_000));
    assert_eq!(pg(&comments), ["SELECT 1"]);
    let parens = format!(
        "SELECT {}1{}; SELECT 2",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(pg(&parens).len(), 2);
    let blocks = format!(
        "CREATE PROCEDURE p() {} SELECT 1; {}; SELECT 2",
        "BEGIN ".repeat(10_000),
        "END ".repeat(10_000)
    );
    assert_eq!(my(&blocks).len(), 2);
}

#[test]
fn mysql_backticks_double_their_quotes() {
    assert_eq!(
        my("CREATE TABLE `a;``b` (x int); SELECT 1"),
        ["CREATE TABLE `a;``b` (x int)", "SELECT 1"]
    );
}

#[test]
fn mysql_comments_hash_and_dash_dash_with_whitespace_only() {
    let src = "SELECT 1--2;\nSELECT 2 # c;\n;--\tc;\nSELECT 3;--";
    assert_eq!(my(src), ["SELECT 1--2", "SELECT 2", "SELECT 3"]);
    assert_eq!(pg("SELECT 1--2;\nSELECT 3"), ["SELECT 1--2;\nSELECT 3"]);
}

#[test]
fn mysql_strings_accept_backslash_and_doubled_quotes() {
    let src = r#"INSERT INTO t VALUES ('it\'s; ok', "dq \" ; x", 'a''b;'); SELECT 2;"#;
    assert_eq!(
        my(src),
        [
            r#"INSERT INTO t VALUES ('it\'s; ok', "dq \" ; x", 'a''b;')"#,
            "SELECT 2"
        ]
    );
}

#[test]
fn mysql_has_no_dollar_quotes() {
    assert_eq!(my("SELECT $$ ; SELECT 2"), ["SELECT $$", "SELECT 2"]);
    assert_eq!(pg("SELECT $$ ; SELECT 2"), ["SELECT $$ ; SELECT 2"]);
}

#[test]
fn mysql_conditional_comments_stay_in_the_statement() {
    let src = "/*!40101 SET NAMES utf8 */;\n\
               /*!50003 CREATE*/ /*!50020 DEFINER=`root`@`%`*/ /*!50003 TRIGGER t BEFORE \
               INSERT ON x FOR EACH ROW SET NEW.a = 1 */;\n\
               /*!40101 SET a = 1; SET b = 2 */; /*M!100101 SET c = 3 */;\n\
               SELECT /*+ BKA(t) */ 1;";
    assert_eq!(
        my(src),
        [
            "/*!40101 SET NAMES utf8 */",
            "/*!50003 CREATE*/ /*!50020 DEFINER=`root`@`%`*/ /*!50003 TRIGGER t BEFORE \
             INSERT ON x FOR EACH ROW SET NEW.a = 1 */",
            "/*!40101 SET a = 1; SET b = 2 */",
            "/*M!100101 SET c = 3 */",
            "SELECT /*+ BKA(t) */ 1",
        ]
    );
}

#[test]
fn mysql_delimiter_lines_change_the_terminator() {
    let src = "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND$$\n\
               delimiter //\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END //\n\
               DELIMITER ;\nSELECT 2;";
    assert_eq!(
        pieces(src, Dialect::Mysql),
        [
            (RawKind::Delimiter, "DELIMITER $$"),
            (
                RawKind::Sql,
                "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND"
            ),
            (RawKind::Delimiter, "delimiter //"),
            (
                RawKind::Sql,
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END"
            ),
            (RawKind::Delimiter, "DELIMITER ;"),
            (RawKind::Sql, "SELECT 2"),
        ]
    );
}

#[test]
fn mysql_delimiter_word_inside_a_statement_is_a_column_name() {
    let src = "CREATE TABLE t (\ndelimiter varchar(3)\n);\nSELECT 1";
    assert_eq!(
        my(src),
        ["CREATE TABLE t (\ndelimiter varchar(3)\n)", "SELECT 1"]
    );
}

#[test]
fn mysql_routine_bodies_without_delimiter_keep_their_semicolons() {
    let body = "CREATE DEFINER=`root`@`localhost` PROCEDURE p(IN n INT)\n\
                BEGIN\n\
                \x20 DECLARE i INT DEFAULT 0;\n\
                \x20 lbl: WHILE i < n DO\n\
                \x20   IF i = 2 THEN SET i = i + 1; ITERATE lbl; END IF;\n\
                \x20   SET i = IF(i > 5, i, i + 1);\n\
                \x20   CASE WHEN i > 3 THEN SELECT 1; ELSE IF i > 1 THEN SELECT 2; END IF; END CASE;\n\
                \x20 END WHILE lbl;\n\
                \x20 l2: LOOP LEAVE l2; END LOOP l2;\n\
                \x20 REPEAT SET i = i - 1; UNTIL i = 0 END REPEAT;\n\
                \x20 SELECT CASE WHEN i = 0 THEN IF(1, 2, 3) ELSE IF(4, 5, 6) END;\n\
                \x20 BEGIN END;\n\
                END";
    let src = format!("{body};\nBEGIN;\nSELECT 1;\nCOMMIT;");
    assert_eq!(my(&src), [body, "BEGIN", "SELECT 1", "COMMIT"]);
}

#[test]
fn mysql_triggers_events_and_functions_without_delimiter() {
    assert_eq!(
        my("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1; SELECT 1;"),
        [
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1",
            "SELECT 1"
        ]
    );
    assert_eq!(
        my(
            "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW IF NEW.a > 0 THEN \
            SET NEW.b = 1; END IF; SELECT 1;"
        ),
        [
            "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW IF NEW.a > 0 THEN \
             SET NEW.b = 1; END IF",
            "SELECT 1"
        ]
    );
    assert_eq!(
        my("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END; SELECT 1"),
        [
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END",
            "SELECT 1"
        ]
    );
    assert_eq!(
        my("CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1; SELECT f();"),
        [
            "CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1",
            "SELECT f()"
        ]
    );
}

#[test]
fn begin_outside_a_routine_is_a_transaction() {
    let src = "BEGIN;\nCREATE TABLE IF NOT EXISTS t (a int);\nDROP TABLE IF EXISTS t;\nCOMMIT;";
    let expected = [
        "BEGIN",
        "CREATE TABLE IF NOT EXISTS t (a int)",
        "DROP TABLE IF EXISTS t",
        "COMMIT",
    ];
    assert_eq!(my(src), expected);
    assert_eq!(pg(src), expected);
}

#[test]
fn problems_describe_themselves() {
    assert_eq!(
        SplitProblemKind::UnterminatedString.describe(),
        "unterminated string literal"
    );
    assert_eq!(
        SplitProblemKind::UnterminatedDollarQuote { tag: String::new() }.describe(),
        "unterminated dollar-quoted string $$"
    );
}

/// The first whitespace-separated word of each statement of `fixture`.
fn first_words(fixture: &str, dialect: Dialect) -> Vec<(RawKind, &str)> {
    split(fixture, dialect)
        .statements
        .iter()
        .map(|statement| {
            let text = statement.span.text(fixture);
            let first = text.split_ascii_whitespace().next().unwrap_or("");
            (statement.kind, first)
        })
        .collect()
}

type FirstWords = Vec<(RawKind, &'static str)>;

#[test]
fn fixtures_split_into_the_expected_statements() {
    use RawKind::{Delimiter, PsqlMeta, Sql};
    let cases: [(&str, &str, Dialect, FirstWords); 7] = [
        (
            "dollar_quoted_function.sql",
            include_str!("../../fixtures/splitter/dollar_quoted_function.sql"),
            Dialect::Postgres,
            vec![(Sql, "CREATE"), (Sql, "CREATE"), (Sql, "COMMENT")],
        ),
        (
            "psql_meta_commands.sql",
            include_str!("../../fixtures/splitter/psql_meta_commands.sql"),
            Dialect::Postgres,
            vec![
                (PsqlMeta, "\\set"),
                (Sql, "SET"),
                (PsqlMeta, "\\if"),
                (Sql, "CREATE"),
                (PsqlMeta, "\\endif"),
            ],
        ),
        (
            "mysql_delimiter_procedure.sql",
            include_str!("../../fixtures/splitter/mysql_delimiter_procedure.sql"),
            Dialect::Mysql,
            vec![
                (Sql, "DROP"),
                (Delimiter, "DELIMITER"),
                (Sql, "CREATE"),
                (Delimiter, "DELIMITER"),
                (Sql, "CALL"),
            ],
        ),
        (
            "mysql_conditional_comments.sql",
            include_str!("../../fixtures/splitter/mysql_conditional_comments.sql"),
            Dialect::Mysql,
            vec![
                (Sql, "/*!40101"),
                (Sql, "/*!40014"),
                (Sql, "CREATE"),
                (Sql, "/*!40101"),
            ],
        ),
        (
            "goose_statement_block.sql",
            include_str!("../../fixtures/splitter/goose_statement_block.sql"),
            Dialect::Postgres,
            vec![
                (Sql, "CREATE"),
                (Sql, "CREATE"),
                (Sql, "DROP"),
                (Sql, "DROP"),
            ],
        ),
        (
            "unterminated_string.sql",
            include_str!("../../fixtures/splitter/unterminated_string.sql"),
            Dialect::Postgres,
            vec![(Sql, "CREATE"), (Sql, "INSERT")],
        ),
        (
            "crlf_bom.sql",
            include_str!("../../fixtures/splitter/crlf_bom.sql"),
            Dialect::Postgres,
            vec![(Sql, "CREATE"), (Sql, "ALTER")],
        ),
    ];
    for (name, fixture, dialect, expected) in cases {
        assert_eq!(first_words(fixture, dialect), expected, "{name}");
    }
    let unterminated = include_str!("../../fixtures/splitter/unterminated_string.sql");
    assert_eq!(
        only_problem(unterminated, Dialect::Postgres).kind,
        SplitProblemKind::UnterminatedString
    );
    let crlf_bom = include_str!("../../fixtures/splitter/crlf_bom.sql");
    assert!(crlf_bom.starts_with('\u{feff}') && crlf_bom.contains("\r\n"));
}

/// The invariants every split keeps, whatever the input.
fn assert_well_formed(src: &str, dialect: Dialect) -> Result<(), TestCaseError> {
    let split = split(src, dialect);
    let mut previous_end = 0;
    for statement in &split.statements {
        let (start, end) = (statement.span.start as usize, statement.span.end as usize);
        prop_assert!(start < end, "empty span {statement:?}");
        prop_assert!(end <= src.len(), "span out of bounds {statement:?}");
        prop_assert!(src.is_char_boundary(start) && src.is_char_boundary(end));
        prop_assert!(start >= previous_end, "overlapping {statement:?}");
        previous_end = end;
    }
    for problem in &split.problems {
        prop_assert!((problem.offset as usize) < src.len());
    }
    Ok(())
}

const FRAGMENTS: &[&str] = &[
    "'",
    "\"",
    "`",
    "$$",
    "$a$",
    "$1",
    "/*",
    "*/",
    "/*!",
    "/*M!",
    ";",
    "--",
    "-- ",
    "#",
    "\n",
    "\r\n",
    "\\",
    "\\set x\n",
    "E'",
    "\\'",
    "BEGIN ",
    "END ",
    "CREATE PROCEDURE p() ",
    "CREATE FUNCTION ",
    "IF ",
    "CASE ",
    "THEN ",
    "(",
    ")",
    "DELIMITER $$\n",
    "DELIMITER ;\n",
    "-- +goose StatementBegin\n",
    "-- +goose StatementEnd\n",
    "x",
    " ",
    "é",
    "\u{feff}",
];

proptest! {
    #[test]
    fn arbitrary_text_splits_into_ordered_in_bounds_spans(src in any::<String>()) {
        assert_well_formed(&src, Dialect::Postgres)?;
        assert_well_formed(&src, Dialect::Mysql)?;
    }

    #[test]
    fn sql_fragment_mixes_split_into_ordered_in_bounds_spans(
        parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..60)
    ) {
        let src = parts.concat();
        assert_well_formed(&src, Dialect::Postgres)?;
        assert_well_formed(&src, Dialect::Mysql)?;
    }
}

#[test]
fn keywords_are_found_in_any_case_and_only_whole() {
    assert_eq!(Keyword::of(b"create"), Keyword::Create);
    assert_eq!(Keyword::of(b"Current_User"), Keyword::CurrentUser);
    assert_eq!(Keyword::of(b"STDIN"), Keyword::Stdin);
    assert_eq!(Keyword::of(b"do"), Keyword::Do);
    for other in [
        &b"creates"[..],
        b"CURRENT_USERS",
        b"cas",
        b"",
        b"a_very_long_column_name",
    ] {
        assert_eq!(Keyword::of(other), Keyword::Other, "{other:?}");
    }
}
