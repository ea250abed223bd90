//! A mutation fuzzer over lockstep's own corpus (every `.sql` under `fixtures/`), run as an
//! ordinary test: each fixture is mutated with the byte and token edits that broke parsers
//! before (unclosed quotes and comments, dollar quotes, deep nesting, template braces, line
//! breaks inside names, control bytes, splices of two files), then linted for both dialects
//! and rendered in every report format. Any panic fails the test and names the seed that
//! made the input, so the case can be replayed alone.
//!
//! Bounded by count, not time: the same mutations run on every machine (a fixed seed per
//! round), so a failure reproduces.

use lockstep::config::Settings;
use lockstep::dialect::Dialect;
use lockstep::engine::lint_source;
use lockstep::report::{FileReport, Format, PrintOptions, Report};
use std::path::{Path, PathBuf};

/// Mutated inputs per run: about twenty seconds of a debug build on two cores.
const ROUNDS: u64 = 800;

/// Pieces spliced in: each has broken a scanner or a parser somewhere.
const TOKENS: &[&str] = &[
    "'",
    "\"",
    "`",
    "$$",
    "$tag$",
    "/*",
    "*/",
    "--",
    "#",
    ";",
    "(",
    ")",
    "((((((((",
    "))))",
    "{{",
    "}}",
    "${",
    "{$",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "\0",
    "\u{1b}[31m",
    "\u{feff}",
    "é",
    "\u{200b}",
    "BEGIN",
    "COMMIT",
    "END",
    "CONCURRENTLY",
    "CREATE INDEX ",
    "ALTER TABLE ",
    "DROP TABLE ",
    "ADD COLUMN ",
    "RENAME COLUMN ",
    " TO ",
    "NOT NULL",
    "DEFAULT now()",
    "DELIMITER $$\n",
    "DELIMITER ;\n",
    "-- +goose StatementBegin\n",
    "-- +goose StatementEnd\n",
    "-- migrate:up\n",
    "-- migrate:down\n",
    "-- lockstep:ignore drop-table\n",
    "\\set x 1\n",
    "COPY t FROM stdin;\n",
    "\n\\.\n",
    "/*!40101 ",
    "E'",
    "U&'",
    "@octocat",
    "<img src=x>",
    "%0A::error::",
];

/// xorshift64: deterministic, no dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn pick(state: &mut u64, len: usize) -> usize {
    (next(state) % len.max(1) as u64) as usize
}

/// A char boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One to four edits of `text`, some with help from `other`.
fn mutate(text: &str, other: &str, state: &mut u64) -> String {
    let mut out = text.to_string();
    for _ in 0..1 + pick(state, 4) {
        let at = boundary(&out, pick(state, out.len() + 1));
        match pick(state, 6) {
            0 | 1 => out.insert_str(at, TOKENS[pick(state, TOKENS.len())]),
            2 => {
                let end = boundary(&out, at + pick(state, 64));
                out.replace_range(at..end, "");
            }
            3 => {
                let end = boundary(&out, at + pick(state, 200));
                let piece = out[at..end].to_string();
                out.insert_str(end, &piece.repeat(1 + pick(state, 20)));
            }
            4 => {
                let from = boundary(other, pick(state, other.len() + 1));
                let to = boundary(other, from + pick(state, 400));
                out.insert_str(at, &other[from..to]);
            }
            _ => {
                let depth = 1 + pick(state, 3_000);
                out.insert_str(at, &format!("{}1{}", "(".repeat(depth), ")".repeat(depth)));
            }
        }
    }
    out
}

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sql_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "sql") {
            out.push(path);
        }
    }
}

/// Renders the findings of `text` in every report format, as the CLI would.
fn render_all(text: &str, findings: Vec<lockstep::diagnostic::Finding>) {
    let statements = findings.len();
    let file = FileReport::new(
        PathBuf::from("db/V1__fuzz.sql"),
        text.to_string(),
        statements,
        0,
        findings,
    );
    let report = Report {
        files: vec![file],
        ..Report::default()
    };
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Gitlab,
        Format::Markdown,
    ] {
        let mut sink = Vec::new();
        lockstep::report::print(format, &report, &mut sink, PrintOptions::default())
            .expect("rendering into memory");
    }
}

#[test]
fn mutated_fixtures_never_panic_in_any_dialect_or_format() {
    let mut corpus = Vec::new();
    sql_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut corpus,
    );
    let texts: Vec<String> = corpus
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect();
    assert!(
        texts.len() > 50,
        "the fixtures are the corpus: {}",
        texts.len()
    );
    for round in 0..ROUNDS {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ round.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let mut state = seed;
        let text = &texts[pick(&mut state, texts.len())];
        let other = &texts[pick(&mut state, texts.len())];
        let input = mutate(text, other, &mut state);
        let dialect = if round % 3 == 0 {
            Dialect::Mysql
        } else {
            Dialect::Postgres
        };
        let outcome = std::panic::catch_unwind(|| {
            let findings = lint_source(&input, &Settings::new(dialect));
            render_all(&input, findings);
        });
        assert!(
            outcome.is_ok(),
            "round {round} (seed {seed:#x}, {dialect:?}) panicked on:\n{}",
            input.escape_debug()
        );
    }
}
