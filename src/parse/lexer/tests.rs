use super::*;
use proptest::prelude::*;

fn sqlparser_tokens(sql: &str) -> Result<Vec<TokenWithSpan>, TokenizerError> {
    by_sqlparser(sql, Dialect::Postgres)
}

/// `Token`'s own equality ignores spans; these compare token and span.
fn assert_same(sql: &str) -> bool {
    let Some(ours) = postgres_subset(sql) else {
        return false;
    };
    let theirs = sqlparser_tokens(sql)
        .unwrap_or_else(|error| panic!("sqlparser rejects what we read: {sql:?}: {error}"));
    let ours: Vec<_> = ours.iter().map(|t| (&t.token, t.span)).collect();
    let theirs: Vec<_> = theirs.iter().map(|t| (&t.token, t.span)).collect();
    assert_eq!(ours, theirs, "{sql:?}");
    true
}

#[test]
fn every_keyword_is_found_as_sqlparser_finds_it() {
    for word in ALL_KEYWORDS {
        let Token::Word(expected) = Token::make_keyword(word) else {
            unreachable!()
        };
        assert_eq!(keyword(word.as_bytes()), expected.keyword, "{word}");
        let lower = word.to_ascii_lowercase();
        assert_eq!(keyword(lower.as_bytes()), expected.keyword, "{lower}");
    }
    for word in ["users", "created_at", "SELECTS", "", "x$1", &"A".repeat(60)] {
        assert_eq!(keyword(word.as_bytes()), Keyword::NoKeyword, "{word}");
    }
}

#[test]
fn the_subset_gives_sqlparser_tokens_and_spans() {
    for sql in [
        "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';",
        "CREATE INDEX CONCURRENTLY idx ON \"Users\" (lower(email)) WHERE deleted_at IS NULL",
        "SELECT 1.5, 2., 10 , a.b, x::int, y := 3, t[1] -- note\r\nFROM t /* a /* nested */ one */",
        "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN RETURN 'é'; END $body$ LANGUAGE plpgsql",
        "DO $$ BEGIN RAISE NOTICE 'it''s'; END $$",
        "UPDATE t SET a = a + 1 WHERE b <> 2 AND c <= 3 AND d >= 4 AND e != 5 AND f < 6 AND g > 7",
        "COMMENT ON COLUMN t.c IS 'naïve ''quote'' ✓'\n;",
        "SELECT \"a\"\"b\", 'line\nbreak', x-1, 4/2, 3*2",
        "SELECT E'a\\nb\\t\\\\c\\'d', e'it''s\\q', E'', E'\\b\\f\\r\\8'",
    ] {
        assert!(assert_same(sql), "left the subset: {sql:?}");
    }
}

#[test]
fn what_the_subset_does_not_handle_is_left_to_sqlparser() {
    for sql in [
        "SELECT E'\\x41'",
        "SELECT E'\\101'",
        "SELECT E'\\u0041'",
        "SELECT E'open\\'",
        "SELECT E'é\\é'",
        "SELECT 1e5",
        "SELECT 0x1F",
        "SELECT 1_000",
        "SELECT $1",
        "SELECT a || b",
        "SELECT a->>'b'",
        "COPY t FROM STDIN",
        "SELECT 'open",
        "SELECT /* open",
        "SELECT naïve",
        "SELECT @a",
        "SELECT a <=> b",
        "SELECT .5",
    ] {
        assert_eq!(postgres_subset(sql), None, "{sql:?}");
        // The public entry answers as sqlparser does, an error included.
        let answer = |tokens: Result<Vec<TokenWithSpan>, TokenizerError>| {
            tokens
                .map(|tokens| {
                    tokens
                        .into_iter()
                        .map(|t| (t.token, t.span))
                        .collect::<Vec<_>>()
                })
                .map_err(|error| error.to_string())
        };
        assert_eq!(
            answer(tokenize(sql, Dialect::Postgres)),
            answer(sqlparser_tokens(sql)),
            "{sql:?}"
        );
    }
}

/// Every statement and every whole file of the bundled fixtures: the subset must agree with
/// `sqlparser` wherever it answers, and answer for most of them.
#[test]
fn the_subset_agrees_with_sqlparser_on_every_fixture() {
    let (mut read, mut total) = (0, 0);
    for (path, text) in crate::parse::fixture_texts() {
        if !path.ends_with(".sql") {
            continue;
        }
        assert_same(&text);
        for raw in crate::split::split(&text, Dialect::Postgres).statements {
            total += 1;
            read += usize::from(assert_same(raw.span.text(&text)));
        }
    }
    assert!(total > 500, "only {total} statements found");
    assert!(
        read * 10 > total * 8,
        "the subset read only {read} of {total}"
    );
}

/// Pieces that sit on the subset's edges, so random joins of them cross every edge.
const PIECES: &[&str] = &[
    "a", "Select", "e", "E", "b", "x", "n", "u", "U&", "_", "$", "$$", "$t$", "1", "0", ".", "5",
    "e5", "L", "_1", "'", "''", "\"", "\"\"", "--", "/*", "*/", "*", "/", "-", ">", "<", "=", "!",
    "|", ":", "::", "(", ")", ",", ";", "[", "]", "+", "%", "@", "#", "~", "?", "&", "^", "`", " ",
    "\t", "\n", "\r", "\r\n", "é", "✓", "\u{a0}", "\\", "{", "}", "COPY", "stdin", "from", "E'",
    "\\n", "\\'", "\\x", "\\0", "\\\\",
];

/// Pieces the subset reads, so that most joins of them are read and compared.
const READ_PIECES: &[&str] = &[
    "a", "Select", "e", "_", "$$", "$t$", "1", "0", ".", "5", "'", "''", "\"", "--", "/*", "*/",
    "*", "/", "-", ">", "<", "=", ":", "::", "(", ")", ",", ";", "[", "]", "+", " ", "\t", "\n",
    "\r", "\r\n", "é", "✓", "E'", "\\n", "\\'", "\\\\",
];

fn read_as_sqlparser_reads(sql: &str) -> Result<(), TestCaseError> {
    if let Some(ours) = postgres_subset(sql) {
        let theirs = sqlparser_tokens(sql);
        prop_assert!(theirs.is_ok(), "sqlparser rejects {:?}", sql);
        let theirs = theirs.unwrap();
        let ours: Vec<_> = ours.iter().map(|t| (&t.token, t.span)).collect();
        let theirs: Vec<_> = theirs.iter().map(|t| (&t.token, t.span)).collect();
        prop_assert_eq!(ours, theirs, "{:?}", sql);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn random_text_is_read_as_sqlparser_reads_it(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..24)
    ) {
        read_as_sqlparser_reads(&pieces.concat())?;
    }

    #[test]
    fn random_text_of_the_subset_is_read_as_sqlparser_reads_it(
        pieces in proptest::collection::vec(proptest::sample::select(READ_PIECES), 0..24)
    ) {
        read_as_sqlparser_reads(&pieces.concat())?;
    }
}
