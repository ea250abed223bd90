//! The versioned JSON report:
//! `{"version": 1, "tool": {...}, "findings": [...], "errors": [...], "summary": {...}}`,
//! written compact on one line followed by a newline.
//! Lines and columns are 1-based; columns count characters. `end_line`/`end_column` point
//! just past the last character of the finding (or of the text an edit replaces).

use super::{fingerprint, FileReport, Report, Summary};
use crate::diagnostic::{Blocks, Finding, Fix, LockDuration, LockMode, TableEffect};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: JsonTool,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError>,
    summary: Summary,
}

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

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Each file's findings are converted on their own (their fingerprints count repeats
    // within the file), so a report of thousands of files is built on every core.
    let findings = report
        .files
        .par_iter()
        .flat_map_iter(|file| {
            file.findings
                .iter()
                .zip(fingerprint::of_file(file))
                .map(move |(f, fingerprint)| finding(file, f, fingerprint))
        })
        .collect();
    let json = JsonReport {
        version: VERSION,
        tool: JsonTool {
            name: "lockstep",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings,
        errors: report
            .errors
            .iter()
            .map(|e| JsonError {
                file: e.path.to_string_lossy().replace('\\', "/"),
                message: e.message.clone(),
            })
            .collect(),
        summary: report.summary(),
    };
    // Compact, on one line: a report of many thousand findings is for programs, and
    // indenting it made it about a third larger and slower to write and read.
    // `From`, not `other`: an I/O error keeps its kind, so a closed pipe stays `BrokenPipe`.
    serde_json::to_writer(&mut *out, &json).map_err(io::Error::from)?;
    writeln!(out)
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
