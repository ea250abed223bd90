//! The git plumbing behind `lockstep check --since REF`: which files were added or edited
//! since the merge base of `HEAD` and `REF`. Plain `git` through [`std::process::Command`];
//! nothing is fetched, so a shallow clone that lacks the history fails with a message
//! saying what to fetch.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The migration files a change touched, as absolute paths under the repository root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeScope {
    /// The merge base the change is measured from.
    pub base: String,
    /// Files that did not exist at the merge base (untracked files included).
    pub added: HashSet<PathBuf>,
    /// Files that existed at the merge base and whose content changed since.
    pub edited: HashSet<PathBuf>,
}

impl ChangeScope {
    /// Whether `path` (as discovery names it) was added or edited.
    pub fn contains(&self, path: &Path) -> bool {
        let path = absolute(path);
        self.added.contains(&path) || self.edited.contains(&path)
    }

    pub fn is_added(&self, path: &Path) -> bool {
        self.added.contains(&absolute(path))
    }

    pub fn is_edited(&self, path: &Path) -> bool {
        self.edited.contains(&absolute(path))
    }
}

/// Canonical when the file exists, so symlinked folders and `./` prefixes compare equal.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GitError {
    #[error("--since needs git: {0}")]
    NotRunnable(String),
    #[error("--since needs a git repository: {dir} is not inside one")]
    NotARepository { dir: PathBuf },
    #[error(
        "--since {rev}: no such commit in this clone; fetch it first \
         (`git fetch origin {rev}`), or with actions/checkout use `fetch-depth: 0`"
    )]
    UnknownRevision { rev: String },
    #[error(
        "--since {rev}: HEAD and {rev} share no history in this shallow clone; fetch more \
         (`git fetch --deepen=100 origin {rev}` or `git fetch --unshallow`), or with \
         actions/checkout use `fetch-depth: 0`"
    )]
    ShallowHistory { rev: String },
    #[error("--since {rev}: HEAD and {rev} have no common ancestor")]
    NoMergeBase { rev: String },
    #[error("git {args}: {message}")]
    Failed { args: String, message: String },
}

/// The files added or edited between the merge base of `HEAD` and `rev` and the working
/// tree of the repository holding `dir`. A file renamed without a content change counts
/// as unchanged; deleted files are left out.
pub fn changes_since(dir: &Path, rev: &str) -> Result<ChangeScope, GitError> {
    let root = repository_root(dir)?;
    let base = merge_base(&root, rev)?;
    let mut scope = ChangeScope {
        base: base.clone(),
        ..ChangeScope::default()
    };
    let diff = git(
        &root,
        &["diff", "--name-status", "-z", "--find-renames", &base, "--"],
    )?;
    for change in parse_name_status(&diff) {
        match change {
            Change::Added(path) => scope.added.insert(root.join(path)),
            Change::Edited(path) => scope.edited.insert(root.join(path)),
        };
    }
    let untracked = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    for path in untracked.split('\0').filter(|p| !p.is_empty()) {
        scope.added.insert(root.join(path));
    }
    Ok(scope)
}

fn repository_root(dir: &Path) -> Result<PathBuf, GitError> {
    let dir = if dir.is_file() {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match git(dir, &["rev-parse", "--show-toplevel"]) {
        Ok(top) => Ok(absolute(Path::new(top.trim_end_matches('\n')))),
        Err(GitError::Failed { .. }) => Err(GitError::NotARepository {
            dir: dir.to_path_buf(),
        }),
        Err(other) => Err(other),
    }
}

fn merge_base(root: &Path, rev: &str) -> Result<String, GitError> {
    let commit = format!("{rev}^{{commit}}");
    if git(root, &["rev-parse", "--verify", "--quiet", &commit]).is_err() {
        return Err(GitError::UnknownRevision {
            rev: rev.to_string(),
        });
    }
    match git(root, &["merge-base", "HEAD", rev]) {
        Ok(base) => Ok(base.trim().to_string()),
        Err(_) if is_shallow(root) => Err(GitError::ShallowHistory {
            rev: rev.to_string(),
        }),
        Err(_) => Err(GitError::NoMergeBase {
            rev: rev.to_string(),
        }),
    }
}

fn is_shallow(root: &Path) -> bool {
    git(root, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|out| out.trim() == "true")
}

/// Runs `git -C dir args...` and returns its standard output.
fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| GitError::NotRunnable(e.to_string()))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(GitError::Failed {
            args: args.join(" "),
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Change<'a> {
    Added(&'a str),
    Edited(&'a str),
}

/// Reads `git diff --name-status -z`: a status field, then one path (two for renames and
/// copies, the new one last), all NUL-terminated. A rename at 100% similarity is an
/// unchanged file under a new name; a copy is a new file.
fn parse_name_status(output: &str) -> Vec<Change<'_>> {
    let mut fields = output.split('\0').filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let Some(status) = fields.next() {
        let kind = status.chars().next().unwrap_or(' ');
        let two_paths = matches!(kind, 'R' | 'C');
        let Some(first) = fields.next() else { break };
        let path = if two_paths {
            match fields.next() {
                Some(second) => second,
                None => break,
            }
        } else {
            first
        };
        match kind {
            'A' | 'C' => changes.push(Change::Added(path)),
            'M' | 'T' => changes.push(Change::Edited(path)),
            'R' if status != "R100" => changes.push(Change::Edited(path)),
            _ => {}
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_classifies_each_kind() {
        let output = "A\0db/V3.sql\0M\0db/V1.sql\0R100\0old/V2.sql\0db/V2.sql\0\
                      R087\0a.sql\0b.sql\0D\0gone.sql\0C100\0x.sql\0y.sql\0T\0link.sql\0";
        assert_eq!(
            parse_name_status(output),
            [
                Change::Added("db/V3.sql"),
                Change::Edited("db/V1.sql"),
                Change::Edited("b.sql"),
                Change::Added("y.sql"),
                Change::Edited("link.sql"),
            ]
        );
    }

    #[test]
    fn truncated_output_does_not_panic() {
        assert_eq!(parse_name_status("R100\0only-one"), []);
        assert_eq!(parse_name_status("M"), []);
    }
}
