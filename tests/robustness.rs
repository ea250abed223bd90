//! Whatever the input, lockstep reports and never panics: a generated corpus of realistic
//! folders, hostile single files, and random byte and statement mixes through the whole
//! pipeline (split, parse, replay, rules).

#[path = "../bench/corpus.rs"]
mod corpus;

use lockstep::config::Settings;
use lockstep::dialect::Dialect;
use lockstep::engine::{check, lint_source};
use proptest::prelude::*;

#[test]
fn a_generated_corpus_is_linted_and_every_garbage_statement_is_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let stats = corpus::write_corpus(dir.path(), 3, 40, 42).unwrap();
    assert!(
        stats.garbage > 0,
        "the corpus should contain unparsable statements"
    );
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![dir.path().to_path_buf()];
    let report = check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.files.len(), stats.files);
    let summary = report.summary();
    assert_eq!(summary.unparsed, stats.garbage);
    let unparsed_notes = report
        .findings()
        .filter(|(_, f)| {
            f.rule.id == "unparsed-statement" && f.message.starts_with("could not parse")
        })
        .count();
    assert_eq!(unparsed_notes, stats.garbage);
}

fn lint(text: &str) -> Vec<lockstep::diagnostic::Finding> {
    lint_source(text, &Settings::new(Dialect::Postgres))
}

/// The errors only: warnings about lock timeouts are beside the point of these inputs.
fn errors(text: &str) -> Vec<lockstep::diagnostic::Finding> {
    lint(text)
        .into_iter()
        .filter(|f| f.severity == lockstep::diagnostic::Severity::Error)
        .collect()
}

#[test]
fn empty_and_comment_only_files_have_no_findings() {
    assert!(lint("").is_empty());
    assert!(lint("-- nothing\n/* at all */\n").is_empty());
    assert!(lint("\u{feff}").is_empty());
}

#[test]
fn bom_and_crlf_keep_positions_right() {
    let text = "\u{feff}-- header\r\nCREATE INDEX i ON users (email);\r\n";
    let findings = errors(text);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].span.text(text),
        "CREATE INDEX i ON users (email)"
    );
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 10_000;
    let text = format!(
        "SELECT {}1{};\nCREATE INDEX i ON users (email);",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let findings = lint(&text);
    assert!(
        findings
            .iter()
            .any(|f| f.rule.id == "create-index-non-concurrently"),
        "{findings:?}"
    );
}

#[test]
fn an_unterminated_dollar_quote_is_reported_at_its_opening() {
    let text = "CREATE TABLE a (id int);\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1;\n";
    let findings = lint(text);
    let problem = findings
        .iter()
        .find(|f| f.rule.id == "unterminated-literal")
        .expect("reported");
    assert_eq!(problem.span.start as usize, text.find("$body$").unwrap());
}

#[test]
fn a_50_mb_file_is_linted() {
    let mut text = String::from("CREATE INDEX i ON users (email);\n/*");
    let line = "padding padding padding padding padding padding padding padding\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    text.push_str("*/\nALTER TABLE users DROP COLUMN fax;\n");
    let rules: Vec<&str> = errors(&text).iter().map(|f| f.rule.id).collect();
    assert_eq!(rules, ["create-index-non-concurrently", "drop-column"]);
}

const FRAGMENTS: &[&str] = &[
    "CREATE TABLE t (id int)",
    "ALTER TABLE t ADD COLUMN c int NOT NULL",
    "CREATE INDEX i ON t (c)",
    "DROP INDEX CONCURRENTLY i",
    "BEGIN",
    "COMMIT",
    "'",
    "\"",
    "$$",
    "$x$",
    "/*",
    "*/",
    "--",
    "\n",
    ";",
    "(",
    ")",
    "DO $$ BEGIN",
    "END $$",
    "E'\\'",
    "{{ .X }}",
    "ALTER TABLE t RENAME COLUMN a TO b",
    "UPDATE t SET a = 1",
    "SET lock_timeout = 0",
    "\\set x 1",
    "é",
    "\u{feff}",
    "`",
    "#",
    "DELIMITER //",
    "-- lockstep:ignore drop-column",
    "ALTER TABLE t DROP COLUMN c",
    "CREATE INDEX CONCURRENTLY j ON t (a)",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        for dialect in [Dialect::Postgres, Dialect::Mysql] {
            let _ = lint_source(&text, &Settings::new(dialect));
        }
    }

    #[test]
    fn random_statement_mixes_never_panic(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..40)) {
        let text: String = picks.iter().map(|&i| FRAGMENTS[i]).collect::<Vec<_>>().join(" ");
        for dialect in [Dialect::Postgres, Dialect::Mysql] {
            for finding in lint_source(&text, &Settings::new(dialect)) {
                prop_assert!(finding.span.end as usize <= text.len());
                prop_assert!(text.is_char_boundary(finding.span.start as usize));
                prop_assert!(text.is_char_boundary(finding.span.end as usize));
            }
        }
    }

    #[test]
    fn random_bytes_through_the_cli_path_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = lint_source(&text, &Settings::new(Dialect::Postgres));
    }
}
