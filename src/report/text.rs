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

/// Bytes of a long line shown on each side of a finding: the renderer trims a line to the
/// terminal's width anyway, and handing it only this window keeps the work per finding
/// bounded (thousands of findings on one generated line of megabytes).
const LONG_LINE_MARGIN: usize = 256;

/// The largest character boundary of `text` at or before `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn render(renderer: &Renderer, file: &FileReport, shown: &Shown, finding: &Finding) -> String {
    let (path, source) = (shown.path.as_str(), shown.source.as_str());
    // Underline the first line of the finding only: a long statement stays one line.
    let position = file.line_col(finding.span.start);
    let index = file.line_index();
    let line_begin = index.line_start(position.line).unwrap_or(0) as usize;
    let line = index.line_text(source, position.line);
    let start = (finding.span.start as usize)
        .saturating_sub(line_begin)
        .min(line.len());
    let end = (finding.span.end as usize)
        .saturating_sub(line_begin)
        .clamp(start, line.len());
    let from = floor_boundary(line, start.saturating_sub(LONG_LINE_MARGIN));
    let to = floor_boundary(line, end.max(start + LONG_LINE_MARGIN));
    let snippet = Snippet::source(&line[from..to])
        .line_start(position.line as usize)
        .annotation(AnnotationKind::Primary.span(start - from..end.min(to) - from));
    let mut group = level(finding.severity)
        .primary_title(finding.message.as_str())
        .id(finding.rule.id)
        .element(snippet.path(path));
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
    let rendered = renderer.render(&groups);
    if from == 0 {
        return rendered;
    }
    // The renderer counted the column from the window's start: state the line's own.
    let counted = format!(
        "{path}:{}:{}",
        position.line,
        line[from..start].chars().count() + 1
    );
    let stated = format!("{path}:{}:{}", position.line, position.column);
    match rendered.find("-->") {
        Some(arrow) => {
            let (title, rest) = rendered.split_at(arrow);
            format!("{title}{}", rest.replacen(&counted, &stated, 1))
        }
        None => rendered,
    }
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
