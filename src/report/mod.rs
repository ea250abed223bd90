//! The result of a run, and the printers that write it: each format is a function from a
//! [`Report`] to a writer. Rules never format output.

use crate::diagnostic::{Finding, Severity};
use crate::span::{LineCol, LineIndex};
use std::path::PathBuf;
use std::sync::OnceLock;

pub mod fingerprint;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod statistics;
pub mod text;

/// One linted file: its text (spans index it), its findings sorted by position.
#[derive(Debug)]
pub struct FileReport {
    /// The path as shown to the user: relative to the working directory when inside it.
    pub path: PathBuf,
    pub source: String,
    pub statements: usize,
    pub unparsed: usize,
    pub findings: Vec<Finding>,
    /// With [`crate::config::Settings::plan_files`]: the files `lockstep plan` writes for
    /// each statement a finding points at a plan for.
    pub plans: Vec<StatementPlan>,
    /// Found when the report is printed: found during the replay, every file's line starts
    /// were held to the end of the run and added to its peak memory.
    index: OnceLock<LineIndex>,
}

/// The phase files (and their rollbacks) `lockstep plan` writes in place of one statement.
#[derive(Debug)]
pub struct StatementPlan {
    /// The statement, as its findings' `statement` span.
    pub statement: crate::span::Span,
    pub files: Vec<crate::plan::render::OutFile>,
}

impl FileReport {
    pub fn new(
        path: PathBuf,
        source: String,
        statements: usize,
        unparsed: usize,
        mut findings: Vec<Finding>,
    ) -> FileReport {
        findings.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.severity), f.rule.id));
        // The report holds every file's findings until it is printed: the room a vector
        // grew by while they were collected would be held that long too.
        findings.shrink_to_fit();
        findings.iter_mut().for_each(Finding::compact);
        FileReport {
            path,
            source,
            statements,
            unparsed,
            findings,
            plans: Vec::new(),
            index: OnceLock::new(),
        }
    }

    /// The file with `plans`, less those no finding points at (an ignore comment took
    /// every finding of their statement).
    pub fn with_plans(mut self, mut plans: Vec<StatementPlan>) -> FileReport {
        plans.retain(|plan| {
            self.findings
                .iter()
                .any(|f| f.planned && f.statement == plan.statement)
        });
        self.plans = plans;
        self
    }

    /// The plan `finding` points at, when the report carries it.
    pub fn plan_of(&self, finding: &Finding) -> Option<&StatementPlan> {
        self.plans
            .iter()
            .find(|plan| finding.planned && plan.statement == finding.statement)
    }

    pub fn line_col(&self, offset: u32) -> LineCol {
        self.line_index().line_col(&self.source, offset)
    }

    pub fn line_index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.source))
    }

    /// The path with `/` separators, as SARIF and GitHub want it.
    pub fn uri(&self) -> String {
        self.path.to_string_lossy().replace('\\', "/")
    }
}

/// `lockstep plan FILE --line N` for a finding whose statement has a phased plan.
pub fn plan_command(file: &FileReport, finding: &Finding) -> Option<String> {
    finding.planned.then(|| {
        format!(
            "lockstep plan {} --line {}",
            crate::shell::shell_path(&file.path),
            file.line_col(finding.statement.start).line
        )
    })
}

/// A path as a relative URI reference: `/` between segments, every byte but the unreserved
/// ones percent-encoded (a space, `%`, `#` or `?` in a name would otherwise change what the
/// URI means), from the name's own bytes so a name that is not UTF-8 still points at it.
pub fn uri_reference(path: &std::path::Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut uri = String::with_capacity(bytes.len());
    for byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// A file or folder that could not be read, or a discovery problem: the run exits 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub errors: Vec<InputError>,
    /// How many migration files the paths and globs matched, before `--since` narrowed
    /// them: zero usually means a mistyped path or glob.
    pub discovered: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub statements: usize,
    pub unparsed: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Report {
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(move |finding| (f, finding)))
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files: self.files.len(),
            ..Summary::default()
        };
        for f in &self.files {
            s.statements += f.statements;
            s.unparsed += f.unparsed;
        }
        for (_, finding) in self.findings() {
            match finding.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Note => s.notes += 1,
            }
        }
        s
    }
}

/// How to print: every printer takes the same options.
#[derive(Debug, Clone, Default)]
pub struct PrintOptions {
    pub color: bool,
    /// Where the linted files can be browsed at the reviewed commit
    /// (`https://github.com/OWNER/REPO/blob/SHA`): the markdown report links files and lines.
    pub source_url: Option<String>,
    /// SARIF `automationDetails.id`.
    pub automation_id: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    /// GitLab Code Quality (`artifacts: reports: codequality:`).
    Gitlab,
    /// Pull-request summary: a table per file, safe plans in collapsed sections.
    Markdown,
}

pub fn print(
    format: Format,
    report: &Report,
    out: &mut dyn std::io::Write,
    options: PrintOptions,
) -> std::io::Result<()> {
    match format {
        Format::Text => text::print(report, out, options),
        Format::Json => json::print(report, out),
        Format::Sarif => sarif::print(report, out, options.automation_id.as_deref()),
        Format::Github => github::print(report, out),
        Format::Gitlab => gitlab::print(report, out),
        Format::Markdown => markdown::print(report, out, options.source_url.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_from_the_name_bytes() {
        use std::path::Path;
        assert_eq!(uri_reference(Path::new("db/V1__a.sql")), "db/V1__a.sql");
        assert_eq!(
            uri_reference(Path::new("db/my file#1%?.sql")),
            "db/my%20file%231%25%3F.sql"
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let latin1 = std::ffi::OsStr::from_bytes(b"db/caf\xe9.sql");
            assert_eq!(uri_reference(Path::new(latin1)), "db/caf%E9.sql");
        }
    }
}
