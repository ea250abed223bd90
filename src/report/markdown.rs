//! Markdown for pull requests (the GitHub Action's job summary and PR comment): a headline
//! with the counts, one table of findings per file (rule, line, lock, what it blocks),
//! and the safe alternative of each finding in a collapsed `<details>` section, with the
//! files of its phased plan, when it has one, collapsed again under the `lockstep plan`
//! command that writes them.
//!
//! Pull requests come from strangers: every name, path and piece of SQL in a message is
//! theirs. What comes from input is made inert for GitHub's markdown: outside code spans HTML
//! is escaped and `@mentions` / `#123` references are broken with a zero-width space; code
//! spans are fenced so no backtick in a name can close them; line breaks never reach a line.
//! A plan's SQL is a fenced block whose fence is longer than any run of backticks in it,
//! each of its lines indented into the list item, so no line of it can end the block, the
//! item or the `<details>` around it.

use super::{plan_command, text::summary_line, FileReport, Report, StatementPlan};
use crate::diagnostic::Finding;
use crate::plan::render::{OutFile, Role};
use std::io::{self, Write};

/// `source_url`, when given, is where the files can be browsed at the reviewed commit: each
/// file heading and line number links there.
pub fn print(report: &Report, out: &mut dyn Write, source_url: Option<&str>) -> io::Result<()> {
    writeln!(out, "## lockstep: {}\n", summary_line(report))?;
    let with_findings: Vec<&FileReport> = report
        .files
        .iter()
        .filter(|f| !f.findings.is_empty())
        .collect();
    if with_findings.is_empty() && report.errors.is_empty() {
        writeln!(out, "No risky statements found.")?;
    }
    for file in with_findings {
        print_file(file, out, source_url)?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "### Inputs that could not be read\n")?;
        for error in &report.errors {
            writeln!(
                out,
                "- {}: {}",
                code(&error.path.display().to_string()),
                cell(&error.message)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `text` as a link to `file` (at `line`) under `source_url`, or as it is without one or
/// for a file outside the working directory. The path is percent-encoded, so no character
/// of it can end the link.
fn linked(text: String, source_url: Option<&str>, file: &FileReport, line: Option<u32>) -> String {
    match source_url {
        Some(base) if file.path.is_relative() => {
            let anchor = line.map(|line| format!("#L{line}")).unwrap_or_default();
            format!(
                "[{text}]({base}/{}{anchor})",
                super::uri_reference(&file.path)
            )
        }
        _ => text,
    }
}

fn print_file(file: &FileReport, out: &mut dyn Write, source_url: Option<&str>) -> io::Result<()> {
    writeln!(
        out,
        "### {}\n",
        linked(code(&file.uri()), source_url, file, None)
    )?;
    writeln!(out, "| severity | rule | line | lock | blocks | finding |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for finding in &file.findings {
        let (lock, blocks) = lock_cells(finding);
        writeln!(
            out,
            "| {} | [`{}`]({}) | {} | {} | {} | {} |",
            finding.severity,
            finding.rule.id,
            crate::docs::rule_url(finding.rule),
            {
                let line = file.line_col(finding.span.start).line;
                linked(line.to_string(), source_url, file, Some(line))
            },
            lock,
            blocks,
            cell(&finding.message),
        )?;
    }
    writeln!(out)?;
    let advised: Vec<&Finding> = file
        .findings
        .iter()
        .filter(|f| f.help.is_some() || f.planned)
        .collect();
    if advised.is_empty() {
        return Ok(());
    }
    writeln!(out, "<details><summary>Safe plan</summary>\n")?;
    // Findings of one statement are adjacent and share its plan: its files are shown once.
    let mut files_shown_for = None;
    for finding in advised {
        writeln!(
            out,
            "- **line {}, `{}`**: {}",
            file.line_col(finding.span.start).line,
            finding.rule.id,
            finding
                .help
                .as_deref()
                .map_or("see below".to_string(), inline)
        )?;
        let Some(command) = plan_command(file, finding) else {
            continue;
        };
        let plan = file.plan_of(finding);
        let shown_above = plan.is_some() && files_shown_for == Some(finding.statement);
        writeln!(
            out,
            "  - phased plan, ready to commit: {}{}",
            code(&command),
            if shown_above {
                " (its files are above)"
            } else {
                ""
            }
        )?;
        if let Some(plan) = plan.filter(|_| !shown_above) {
            print_plan_files(plan, out)?;
            files_shown_for = Some(finding.statement);
        }
    }
    writeln!(
        out,
        "\n`lockstep explain RULE` shows each rule's full safe pattern.\n\n</details>\n"
    )
}

/// Indentation of a plan's `<details>` lines and file names: the content of the command's
/// list item. `scripts/action/shorten.py` finds the block by its first and last line.
const PLAN_INDENT: &str = "    ";
/// Indentation of every line of a plan file's fenced text: deeper than [`PLAN_INDENT`], so
/// no line of the text reads as the block's own `</details>`, a heading or a list item.
const FILE_INDENT: &str = "      ";

/// The files of `plan`, each name then its text, in a collapsed block of their own.
fn print_plan_files(plan: &StatementPlan, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\n{PLAN_INDENT}<details><summary>The plan: {} files</summary>\n",
        plan.files.len()
    )?;
    for file in &plan.files {
        writeln!(out, "{PLAN_INDENT}{}\n", code(&file.name))?;
        fenced(file, out)?;
    }
    writeln!(out, "{PLAN_INDENT}</details>\n")
}

/// The text of `file` as a fenced block at [`FILE_INDENT`]. The fence is longer than the
/// longest run of backticks in the text; CR, LF and CRLF each end a line (as they do for
/// markdown), so every line gets the indentation; other control characters are written as
/// escapes (`\u{7}`), as the plan's own comments write them.
fn fenced(file: &OutFile, out: &mut dyn Write) -> io::Result<()> {
    let fence = "`".repeat((longest_backtick_run(&file.text) + 1).max(3));
    let language = match file.role {
        Role::Up | Role::Down | Role::Verify => "sql",
        // Flyway's `executeInTransaction=false`, a line of `sqitch.plan`.
        Role::Config | Role::PlanEntry => "",
    };
    writeln!(out, "{FILE_INDENT}{fence}{language}")?;
    let text = file.text.replace("\r\n", "\n").replace('\r', "\n");
    for line in text.lines() {
        if line.is_empty() {
            writeln!(out)?;
            continue;
        }
        let mut shown = String::with_capacity(line.len());
        for c in line.chars() {
            if c.is_control() && c != '\t' {
                shown.extend(c.escape_default());
            } else {
                shown.push(c);
            }
        }
        writeln!(out, "{FILE_INDENT}{shown}")?;
    }
    writeln!(out, "{FILE_INDENT}{fence}\n")
}

/// The strongest lock (mode and tables) and what it blocks, or dashes.
fn lock_cells(finding: &Finding) -> (String, String) {
    let Some(strongest) = finding.locks.iter().max_by_key(|l| (l.blocks(), l.mode)) else {
        return ("—".to_string(), "—".to_string());
    };
    let tables: Vec<&str> = finding
        .locks
        .iter()
        .filter(|l| l.mode == strongest.mode)
        .map(|l| l.table.as_str())
        .collect();
    (
        format!("{} on {}", strongest.mode, cell(&tables.join(", "))),
        match &finding.lock_duration {
            Some(duration) => format!(
                "{}; {}; {}",
                strongest.blocks().describe(),
                strongest.effect.describe(),
                cell(&duration.describe())
            ),
            None => format!(
                "{}; {}",
                strongest.blocks().describe(),
                strongest.effect.describe()
            ),
        },
    )
}

/// Text made safe for one table cell: inert (see [`inline`]), pipes escaped.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// A message of lockstep's (prose with `code spans` around names and SQL) made inert: line
/// breaks and other control characters folded to spaces, HTML escaped and mentions broken
/// in the prose, each code span fenced to fit what it holds. A message whose backticks do
/// not pair up (a name holding one) is read as prose throughout.
fn inline(text: &str) -> String {
    let folded: String = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let pieces: Vec<&str> = folded.split('`').collect();
    if pieces.len() % 2 == 0 {
        return prose(&folded);
    }
    pieces
        .iter()
        .enumerate()
        .map(|(at, piece)| {
            if at % 2 == 1 {
                code(piece)
            } else {
                prose(piece)
            }
        })
        .collect()
}

/// Prose from input: HTML escaped, `@name` and `#123` no longer link, backticks literal.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push_str("\\`"),
            '@' | '#' => {
                out.push(c);
                out.push('\u{200B}');
            }
            _ => out.push(c),
        }
    }
    out
}

/// `text` as one code span, however many backticks it holds: the fence is one backtick
/// longer than its longest run, and line breaks are folded.
fn code(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let fence = "`".repeat(longest_backtick_run(&folded) + 1);
    let pad = if folded.starts_with('`') || folded.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{folded}{pad}{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_and_fold_lines() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }

    #[test]
    fn names_from_input_cannot_ping_link_or_render_html() {
        // A table named "@octocat" pings nobody; inside a code span it is inert already.
        assert_eq!(inline("dropping `@octocat` now"), "dropping `@octocat` now");
        assert_eq!(
            inline("for @octocat see #12"),
            "for @\u{200B}octocat see #\u{200B}12"
        );
        // A backtick in a name cannot close the span and let HTML render.
        let hostile = "dropping `x`<img src=x onerror=alert(1)>`y` rows";
        let shown = inline(hostile);
        assert!(!shown.contains("<img"), "{shown}");
        assert!(shown.contains("&lt;img"), "{shown}");
        // Unpaired backticks: everything is prose.
        assert_eq!(inline("a`b"), "a\\`b");
        // Line breaks never start a heading or a list item.
        assert_eq!(inline("x\n# heading\n- item"), "x #\u{200B} heading - item");
    }

    #[test]
    fn plan_files_are_fenced_past_their_backticks_with_every_line_indented() {
        let file = |text: &str, role| OutFile {
            name: "V2.1__x.sql".to_string(),
            text: text.to_string(),
            role,
            phase: 0,
        };
        let shown = |file: &OutFile| {
            let mut out = Vec::new();
            fenced(file, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            shown(&file("SELECT 1;\n\nSELECT 2;\n", Role::Up)),
            "      ```sql\n      SELECT 1;\n\n      SELECT 2;\n      ```\n\n"
        );
        // Five backticks in a name: a fence of six. CR and CRLF end lines as LF does; a
        // bell is escaped, a tab kept.
        assert_eq!(
            shown(&file("a \"`````\r</details>\r\nb\u{7}\tc\"", Role::Down)),
            "      ``````sql\n      a \"`````\n      </details>\n      b\\u{7}\tc\"\n      ``````\n\n"
        );
        assert_eq!(
            shown(&file("executeInTransaction=false\n", Role::Config)),
            "      ```\n      executeInTransaction=false\n      ```\n\n"
        );
    }

    #[test]
    fn code_spans_are_fenced_to_fit_their_backticks() {
        assert_eq!(code("db/V1__a.sql"), "`db/V1__a.sql`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\nb"), "`a b`");
    }
}
