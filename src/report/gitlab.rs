//! GitLab Code Quality: the JSON array of issues a CI job publishes with
//! `artifacts: reports: codequality:`, which merge requests show in their widget and diff.
//! Each issue has what GitLab requires: `description`, `check_name`, `fingerprint` (unique
//! in the report, stable when lines are inserted above), `severity` (`info` to `blocker`)
//! and `location` with a repository-relative `path` and `lines.begin`.

use super::{fingerprint, Report};
use crate::diagnostic::Severity;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

/// An error blocks reads or writes, rewrites a table or breaks the running release:
/// `critical`; a warning depends on the table's size: `major`; a note is advice: `info`.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let issues: Vec<Issue> = report
        .findings()
        .zip(fingerprint::fingerprints(report))
        .map(|((file, f), fingerprint)| {
            let path = file.uri();
            Issue {
                description: &f.message,
                check_name: f.rule.id,
                fingerprint: fingerprint::across_files(&path, &fingerprint),
                severity: severity(f.severity),
                location: Location {
                    lines: Lines {
                        begin: file.line_col(f.span.start).line,
                        end: file.line_col(f.span.end).line,
                    },
                    path,
                },
            }
        })
        .collect();
    // `From`, not `other`: an I/O error keeps its kind, so a closed pipe stays `BrokenPipe`.
    serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::from)?;
    writeln!(out)
}
