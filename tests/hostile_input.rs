//! Pull requests come from strangers: their file names, file types, identifiers and SQL
//! are the attacker's. These tests plant what a hostile commit can hold and check that
//! lockstep neither leaks, hangs, nor writes where it should not.

#![cfg(unix)]

use assert_cmd::Command;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

fn lockstep() -> Command {
    let mut cmd = Command::cargo_bin("lockstep").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

const REPORT: &str = "fixtures/report";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path for the duration of the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn output_never_overwrites_an_existing_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(&report, "keep me").unwrap();
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = lockstep()
        .args(["check", REPORT, "--format", "json", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("pass --force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "keep me");

    let out = lockstep()
        .args(["check", REPORT, "--format", "json", "--force", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("\"findings\""));
    let mode = std::fs::metadata(&report).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640, "a replaced report keeps its mode");
}

#[test]
fn output_never_replaces_a_symlink_or_a_fifo_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.path().join("report.json");
    symlink(&victim, &link).unwrap();
    let fifo = dir.path().join("report.fifo");
    mkfifo(&fifo);
    for target in [&link, &fifo] {
        let out = lockstep()
            .args(["check", REPORT, "--format", "json", "--force", "--output"])
            .arg(target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    for format in ["text", "json", "sarif", "github", "markdown"] {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors `pipe` writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just opened and nothing else owns them.
        let (reader, writer) = unsafe {
            use std::os::fd::FromRawFd;
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        };
        // Closed before lockstep writes a byte, as `| head -1` is after its first line.
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("lockstep"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", REPORT, "--format", format])
            .stdout(std::process::Stdio::from(writer))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{format}");
    }
}
