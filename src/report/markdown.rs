//! Markdown for pull requests (the GitHub Action's job summary and PR comment): a headline
//! with the counts, one table of findings per file (rule, line, lock, what it blocks),
//! and the safe alternative of each finding in a collapsed `<details>` section.

use super::{plan_command, text::summary_line, FileReport, Report};
use crate::diagnostic::Finding;
use std::io::{self, Write};

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
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
        print_file(file, out)?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "### Inputs that could not be read\n")?;
        for error in &report.errors {
            writeln!(
                out,
                "- `{}`: {}",
                error.path.display(),
                cell(&error.message)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn print_file(file: &FileReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### `{}`\n", file.uri())?;
    writeln!(out, "| severity | rule | line | lock | blocks | finding |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for finding in &file.findings {
        let (lock, blocks) = lock_cells(finding);
        writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} |",
            finding.severity,
            finding.rule.id,
            file.line_col(finding.span.start).line,
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
    for finding in advised {
        writeln!(
            out,
            "- **line {}, `{}`**: {}",
            file.line_col(finding.span.start).line,
            finding.rule.id,
            finding.help.as_deref().unwrap_or("see below")
        )?;
        if let Some(command) = plan_command(file, finding) {
            writeln!(out, "  - phased plan, ready to commit: `{command}`")?;
        }
    }
    writeln!(
        out,
        "\n`lockstep explain RULE` shows each rule's full safe pattern.\n\n</details>\n"
    )
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
        format!(
            "{}; {}",
            strongest.blocks().describe(),
            strongest.effect.describe()
        ),
    )
}

/// Text made safe for one table cell: pipes escaped, line breaks folded.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_and_fold_lines() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }
}
