//! GitHub Actions workflow commands: one `::error file=...,line=...::message` line per
//! finding, escaped as the runner expects.

use super::Report;
use crate::diagnostic::Severity;
use std::io::{self, Write};

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for (file, f) in report.findings() {
        let start = file.line_col(f.span.start);
        let end = file.line_col(f.span.end);
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut message = f.message.clone();
        if let Some(lock) = f.lock_summary() {
            message.push_str(&format!("\n{lock}"));
        }
        if let Some(duration) = &f.lock_duration {
            message.push_str(&format!("\n{}", duration.describe()));
        }
        if let Some(help) = &f.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&file.uri()),
            start.line,
            start.column,
            end.line,
            end.column,
            property(&format!("lockstep {}", f.rule.id)),
            data(&message),
        )?;
    }
    for e in &report.errors {
        writeln!(
            out,
            "::error file={}::{}",
            property(&e.path.to_string_lossy()),
            data(&e.message)
        )?;
    }
    Ok(())
}

/// The message part: `%`, CR and LF are escaped.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as data, plus `:` and `,`, which delimit properties.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_runner_rules() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
