//! Scratch git repositories for the tests: every command runs with a fixed identity, `main`
//! as the first branch and no commit signing, whatever the machine's git config says.

use std::path::Path;
use std::process::Command;

/// `git -C dir` with the test identity; add arguments and run it.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args([
        "-c",
        "user.name=lockstep",
        "-c",
        "user.email=ci@lockstep.invalid",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
    ]);
    command
}

/// Runs `git args` in `dir`, asserts it succeeded and returns its trimmed standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
