//! rustc-style text: `error[rule-id]: message`, the file position, the source line with
//! the statement underlined, a note on the lock and a `help:` line; then one summary line.

use super::{plan_command, FileReport, PrintOptions, Report};
use crate::diagnostic::{printable, Finding, Severity};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::io::{self, Write};

pub fn print(report: &Report, out: &mut dyn Write, options: PrintOptions) -> io::Result<()> {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for file in &report.files {
        if file.findings.is_empty() {
            continue;
        }
        // Once per file, not per finding: a file may hold thousands of findings.
        let shown = Shown {
            path: printable(&file.path.to_string_lossy()).into_owned(),
            source: terminal_safe(&file.source),
        };
        for finding in &file.findings {
            writeln!(out, "{}\n", render(&renderer, file, &shown, finding))?;
        }
    }
    for error in &report.errors {
        writeln!(
            out,
            "error: {}: {}\n",
            printable(&error.path.display().to_string()),
            printable(&error.message)
        )?;
    }
    writeln!(out, "{}", summary_line(report))
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// A file's path and source as the terminal may show them.
struct Shown {
    path: String,
    source: String,
}

/// The source is shown line by line: a control character other than a line break (a
/// terminal escape in a name) becomes `?`, one byte for one so the spans still fit.
fn terminal_safe(source: &str) -> String {
    let mut safe = String::with_capacity(source.len());
    for c in source.chars() {
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            safe.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            safe.push(c);
        }
    }
    safe
}

fn render(renderer: &Renderer, file: &FileReport, shown: &Shown, finding: &Finding) -> String {
    let (path, source) = (shown.path.as_str(), shown.source.as_str());
    // Underline the first line of the finding only: a long statement stays one line.
    let start = (finding.span.start as usize).min(source.len());
    let line_end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    let end = (finding.span.end as usize).clamp(start, line_end);
    let mut group = level(finding.severity)
        .primary_title(finding.message.as_str())
        .id(finding.rule.id)
        .element(
            Snippet::source(source)
                .path(path)
                .annotation(AnnotationKind::Primary.span(start..end)),
        );
    let lock = finding.lock_summary();
    if let Some(lock) = &lock {
        group = group.element(Level::NOTE.message(lock.as_str()));
    }
    let held = finding.lock_duration.as_ref().map(|d| d.describe());
    if let Some(held) = &held {
        group = group.element(Level::NOTE.message(held.as_str()));
    }
    if let Some(help) = &finding.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let plan = plan_command(file, finding).map(|command| format!("phased plan: `{command}`"));
    if let Some(plan) = &plan {
        group = group.element(Level::HELP.message(plan.as_str()));
    }
    let groups: [Group; 1] = [group];
    renderer.render(&groups)
}

/// `2 errors, 1 warning, 3 notes in 4 files (25 statements)`.
pub fn summary_line(report: &Report) -> String {
    let s = report.summary();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{}, {}, {} in {} ({})",
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.notes, "note"),
        plural(s.files, "file"),
        plural(s.statements, "statement"),
    );
    if s.unparsed > 0 {
        line.push_str(&format!(", {} not parsed", s.unparsed));
    }
    if !report.errors.is_empty() {
        line.push_str(&format!(
            "; {} could not be read",
            plural(report.errors.len(), "input")
        ));
    }
    line
}
