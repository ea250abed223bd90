//! Records the commit lockstep is built from, for `lockstep --version`: `LOCKSTEP_COMMIT`
//! when the builder sets it, else this checkout's HEAD, else the commit cargo recorded when
//! the crate was packaged (`.cargo_vcs_info.json`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LOCKSTEP_COMMIT");
    // Run again when HEAD moves: HEAD names the branch, the branch's file its commit. A
    // build outside a checkout watches only this script, not every file of the package.
    println!("cargo:rerun-if-changed=build.rs");
    let git = Path::new(".git");
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        println!("cargo:rerun-if-changed=.git/HEAD");
        if let Some(branch) = head.trim().strip_prefix("ref: ") {
            for watched in [git.join(branch), git.join("packed-refs")] {
                if watched.exists() {
                    println!("cargo:rerun-if-changed={}", watched.display());
                }
            }
        }
    }
    let commit = std::env::var("LOCKSTEP_COMMIT")
        .ok()
        .or_else(checkout_head)
        .or_else(packaged_commit);
    if let Some(commit) = commit.filter(|c| !c.is_empty()) {
        println!("cargo:rustc-env=LOCKSTEP_COMMIT={commit}");
    }
}

/// HEAD of the git checkout this package is the root of; not that of a repository the
/// package merely sits in (vendored into another project), whose commit is not ours.
fn checkout_head() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--show-toplevel", "--short=12", "HEAD"])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut lines = text.lines();
    let top = PathBuf::from(lines.next()?).canonicalize().ok()?;
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").ok()?)
        .canonicalize()
        .ok()?;
    (out.status.success() && top == here).then(|| lines.next().map(str::to_string))?
}

/// The commit `cargo package` wrote into `.cargo_vcs_info.json`, shortened like git's.
fn packaged_commit() -> Option<String> {
    let info = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let after = &info[info.find("\"sha1\"")? + "\"sha1\"".len()..];
    let start = after.find('"')? + 1;
    let sha: String = after[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .take(12)
        .collect();
    (sha.len() == 12).then_some(sha)
}
