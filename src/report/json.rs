//! The versioned JSON report:
//! `{"version": 1, "findings": [...], "errors": [...], "summary": {...}}`.
//! Lines and columns are 1-based; columns count characters. `end_line`/`end_column` point
//! just past the last character of the finding.

use super::{Report, Summary};
use crate::diagnostic::{Blocks, LockMode, TableEffect};
use serde::Serialize;
use std::io::{self, Write};

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError>,
    summary: Summary,
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
    let findings = report
        .findings()
        .map(|(file, f)| {
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
            }
        })
        .collect();
    let json = JsonReport {
        version: VERSION,
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
    // `From`, not `other`: an I/O error keeps its kind, so a closed pipe stays `BrokenPipe`.
    serde_json::to_writer_pretty(&mut *out, &json).map_err(io::Error::from)?;
    writeln!(out)
}
