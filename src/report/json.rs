//! The versioned JSON report:
//! `{"version": 1, "tool": {...}, "findings": [...], "errors": [...], "summary": {...}}`,
//! written compact on one line followed by a newline.
//! Lines and columns are 1-based; columns count characters. `end_line`/`end_column` point
//! just past the last character of the finding (or of the text an edit replaces).

use super::{fingerprint, FileReport, Report};
use crate::diagnostic::{Blocks, Finding, Fix, LockDuration, LockMode, TableEffect};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};

pub const VERSION: u32 = 1;

/// Which lockstep wrote the report, so a stored report says what produced it.
#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    rule: &'static str,
    group: &'static str,
    severity: &'static str,
    message: &'a str,
    help: Option<&'a str>,
    /// The strongest lock the statement takes, or null.
    lock: Option<JsonLock<'a>>,
    locks: Vec<JsonLock<'a>>,
    statement: &'a str,
    /// The same value as SARIF's `partialFingerprints["lockstepStatement/v1"]`: it stays
    /// the same when lines are inserted above the statement.
    fingerprint: String,
    /// Text edits that make the statement safe, when the rule knows them.
    fix: Option<JsonFix<'a>>,
    /// With `--stats`: how long the lock is held (`status: "estimated"`, with the range in
    /// seconds) or that the stats file does not know the table (`"unknown-table"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    lock_duration: Option<JsonLockDuration<'a>>,
}

#[derive(Serialize)]
struct JsonLockDuration<'a> {
    #[serde(flatten)]
    duration: &'a LockDuration,
    /// The sentence the text report prints.
    text: String,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    replacement: &'a str,
}

fn fix<'a>(file: &FileReport, fix: &'a Fix) -> JsonFix<'a> {
    JsonFix {
        title: &fix.title,
        edits: fix
            .edits
            .iter()
            .map(|edit| {
                let start = file.line_col(edit.span.start);
                let end = file.line_col(edit.span.end);
                JsonEdit {
                    line: start.line,
                    column: start.column,
                    end_line: end.line,
                    end_column: end.column,
                    replacement: &edit.replacement,
                }
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct JsonLock<'a> {
    table: &'a str,
    mode: LockMode,
    blocks: Blocks,
    effect: TableEffect,
}

#[derive(Serialize)]
struct JsonError {
    file: String,
    message: String,
}

/// Files whose findings are serialised side by side before they are written: enough to
/// keep every core busy, few enough that the report is never held whole in memory.
const FILES_PER_CHUNK: usize = 64;

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Compact, on one line: a report of many thousand findings is for programs, and
    // indenting it made it about a third larger and slower to write and read.
    // `From`, not `other`: an I/O error keeps its kind, so a closed pipe stays `BrokenPipe`.
    let tool = JsonTool {
        name: "lockstep",
        version: env!("CARGO_PKG_VERSION"),
    };
    write!(out, "{{\"version\":{VERSION},\"tool\":")?;
    serde_json::to_writer(&mut *out, &tool).map_err(io::Error::from)?;
    out.write_all(b",\"findings\":[")?;
    let mut first = true;
    for files in report.files.chunks(FILES_PER_CHUNK) {
        // Each file's findings are serialised on their own (their fingerprints count
        // repeats within the file), so a report of thousands of files uses every core.
        let serialised: Vec<Vec<u8>> = files
            .par_iter()
            .map(file_findings)
            .collect::<Result<_, _>>()
            .map_err(io::Error::from)?;
        for bytes in serialised.iter().filter(|b| !b.is_empty()) {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(bytes)?;
        }
    }
    out.write_all(b"],\"errors\":")?;
    let errors: Vec<JsonError> = report
        .errors
        .iter()
        .map(|e| JsonError {
            file: e.path.to_string_lossy().replace('\\', "/"),
            message: e.message.clone(),
        })
        .collect();
    serde_json::to_writer(&mut *out, &errors).map_err(io::Error::from)?;
    out.write_all(b",\"summary\":")?;
    serde_json::to_writer(&mut *out, &report.summary()).map_err(io::Error::from)?;
    out.write_all(b"}\n")
}

/// The findings of `file` as JSON objects separated by commas (empty when it has none).
fn file_findings(file: &FileReport) -> serde_json::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for (index, (f, fingerprint)) in file
        .findings
        .iter()
        .zip(fingerprint::of_file(file))
        .enumerate()
    {
        if index > 0 {
            bytes.push(b',');
        }
        serde_json::to_writer(&mut bytes, &finding(file, f, fingerprint))?;
    }
    Ok(bytes)
}

fn finding<'a>(file: &'a FileReport, f: &'a Finding, fingerprint: String) -> JsonFinding<'a> {
    let start = file.line_col(f.span.start);
    let end = file.line_col(f.span.end);
    let locks: Vec<JsonLock> = f
        .locks
        .iter()
        .map(|l| JsonLock {
            table: &l.table,
            mode: l.mode,
            blocks: l.blocks(),
            effect: l.effect,
        })
        .collect();
    let strongest = f
        .locks
        .iter()
        .max_by_key(|l| (l.blocks(), l.mode))
        .map(|l| JsonLock {
            table: &l.table,
            mode: l.mode,
            blocks: l.blocks(),
            effect: l.effect,
        });
    JsonFinding {
        file: file.uri(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        rule: f.rule.id,
        group: f.rule.group.id(),
        severity: f.severity.as_str(),
        message: &f.message,
        help: f.help.as_deref(),
        lock: strongest,
        locks,
        statement: f.statement.text(&file.source),
        fingerprint,
        fix: f.fix.as_ref().map(|known| fix(file, known)),
        lock_duration: f.lock_duration.as_ref().map(|duration| JsonLockDuration {
            duration,
            text: duration.describe(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::InputError;
    use crate::rules::meta::input_encoding;
    use crate::span::Span;
    use std::path::PathBuf;

    fn file(path: &str, source: &str, spans: &[(usize, usize)]) -> FileReport {
        let findings = spans
            .iter()
            .map(|&(start, end)| Finding::new(&input_encoding::RULE, Span::new(start, end), "m"))
            .collect();
        FileReport::new(PathBuf::from(path), source.into(), spans.len(), 0, findings)
    }

    /// The report is written in chunks of files serialised side by side: it must still be
    /// one JSON document on one line, findings in file order with each file's repeats
    /// counted in its fingerprints, files without findings leaving no stray comma.
    #[test]
    fn chunks_of_files_make_one_document_in_file_order() {
        let mut files = vec![file("a.sql", "x;\nx;\n", &[(0, 1), (3, 4)])];
        files.extend((0..FILES_PER_CHUNK).map(|n| file(&format!("empty{n}.sql"), "", &[])));
        files.push(file("b.sql", "y;\n", &[(0, 1)]));
        let report = Report {
            files,
            errors: vec![InputError {
                path: PathBuf::from("c\\d.sql"),
                message: "unreadable".into(),
            }],
            discovered: 0,
        };
        let mut out = Vec::new();
        print(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(text.ends_with("}\n"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["version"], VERSION);
        assert_eq!(json["tool"]["name"], "lockstep");
        let findings = json["findings"].as_array().unwrap();
        let located: Vec<(&str, u64)> = findings
            .iter()
            .map(|f| (f["file"].as_str().unwrap(), f["line"].as_u64().unwrap()))
            .collect();
        assert_eq!(located, [("a.sql", 1), ("a.sql", 2), ("b.sql", 1)]);
        // The same statement twice in a.sql: occurrences 1 and 2; b.sql counts afresh.
        let occurrence = |f: &serde_json::Value| {
            let fingerprint = f["fingerprint"].as_str().unwrap().to_owned();
            fingerprint.rsplit(':').next().unwrap().to_owned()
        };
        let occurrences: Vec<String> = findings.iter().map(occurrence).collect();
        assert_eq!(occurrences, ["1", "2", "1"]);
        assert_eq!(json["errors"][0]["file"], "c/d.sql");
        assert_eq!(json["summary"]["files"], FILES_PER_CHUNK + 2);
    }
}
