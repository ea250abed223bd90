//! `--statistics`: how many findings each rule raised, instead of the findings themselves,
//! to size up an existing project before adopting lockstep.

use super::Report;
use crate::diagnostic::Severity;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

#[derive(Serialize)]
struct RuleCount {
    rule: &'static str,
    severity: Severity,
    count: usize,
}

/// One row per rule and severity (a rollback's lock finding is a note of the same rule), the
/// most frequent first, then by rule id.
fn counts(report: &Report) -> Vec<RuleCount> {
    let mut counts: BTreeMap<(&'static str, Severity), usize> = BTreeMap::new();
    for (_, finding) in report.findings() {
        *counts
            .entry((finding.rule.id, finding.severity))
            .or_default() += 1;
    }
    let mut rows: Vec<RuleCount> = counts
        .into_iter()
        .map(|((rule, severity), count)| RuleCount {
            rule,
            severity,
            count,
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.count, b.severity)
            .cmp(&(a.count, a.severity))
            .then(a.rule.cmp(b.rule))
    });
    rows
}

pub fn print_text(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rows = counts(report);
    let width = rows
        .iter()
        .map(|row| row.count.to_string().len())
        .max()
        .unwrap_or(1);
    for row in &rows {
        writeln!(
            out,
            "{:>width$}  {:<7}  {}",
            row.count,
            row.severity.as_str(),
            row.rule
        )?;
    }
    let summary = report.summary();
    writeln!(
        out,
        "{} findings from {} rules in {} files",
        summary.errors + summary.warnings + summary.notes,
        rows.iter()
            .map(|row| row.rule)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        summary.files
    )
}

pub fn print_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &counts(report))?;
    writeln!(out)
}
