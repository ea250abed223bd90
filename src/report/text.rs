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
        for finding in &file.findings {
            writeln!(out, "{}\n", render(&renderer, file, finding))?;
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

fn render(renderer: &Renderer, file: &FileReport, finding: &Finding) -> String {
    let path = file.path.to_string_lossy();
    let path = printable(&path);
    // The source is shown line by line: a control character other than a line break (a
    // terminal escape in a name) becomes `?`, one byte for one so the spans still fit.
    let mut source = String::with_capacity(file.source.len());
    for c in file.source.chars() {
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            source.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            source.push(c);
        }
    }
    let source = source.as_str();
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
                .path(path.as_ref())
                .annotation(AnnotationKind::Primary.span(start..end)),
        );
    let lock = finding.lock_summary();
    if let Some(lock) = &lock {
        group = group.element(Level::NOTE.message(lock.as_str()));
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
