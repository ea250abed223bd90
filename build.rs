//! Records the commit lockstep is built from, for `lockstep --version`: `LOCKSTEP_COMMIT`
//! when the builder sets it (a source archive has no git history), else `git rev-parse`.

use std::path::Path;
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
    let commit = std::env::var("LOCKSTEP_COMMIT").ok().or_else(|| {
        let out = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    if let Some(commit) = commit.filter(|c| !c.is_empty()) {
        println!("cargo:rustc-env=LOCKSTEP_COMMIT={commit}");
    }
}
