//! Release packaging as the release workflow runs it, for the host: `scripts/package.sh`
//! packs the binary with its licenses and a SHA-256 file, and the action's install step
//! (`scripts/action/install.sh`) downloads such a release, checks it, and refuses one whose
//! checksum does not match.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The release target install.sh picks on this machine (its `archive_name`).
fn host_target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-musl",
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        (os, arch) => panic!("no release target for {os} {arch}"),
    }
}

fn package(out_dir: &Path, binary: &Path) -> Output {
    Command::new("bash")
        .arg(root().join("scripts/package.sh"))
        .arg(host_target())
        .arg(out_dir)
        .arg(binary)
        .output()
        .unwrap()
}

fn lockstep_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_lockstep"))
}

fn archive_name() -> String {
    format!("lockstep-{}.tar.gz", host_target())
}

#[test]
fn package_sh_packs_the_binary_and_licenses_with_a_matching_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let out = package(dir.path(), lockstep_binary());
    assert!(out.status.success(), "{out:?}");
    let name = archive_name();
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(dir.path().join(&name))
        .output()
        .unwrap();
    let mut entries: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            "CHANGELOG.md",
            "LICENSE-APACHE",
            "LICENSE-MIT",
            "README.md",
            "lockstep"
        ]
    );
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(dir.path().join(&name))
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read(unpacked.join("lockstep")).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_lockstep")).unwrap(),
        "the archive holds the binary as built"
    );
    // The checksum file is what `sha256sum -c` checks, as a user verifying a download does.
    let sums = std::fs::read_to_string(dir.path().join(format!("{name}.sha256"))).unwrap();
    assert!(sums.ends_with(&format!("  {name}\n")), "{sums}");
    let check = Command::new("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    // A second run never replaces the archive.
    let again = package(dir.path(), lockstep_binary());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

/// A release folder laid out as GitHub serves one: `<base>/v<version>/<archive>`. Its
/// binary is a stand-in that prints a version: the install step's work is to fetch, check
/// and unpack it, and packing the 150 MB debug build again would only slow the tests.
struct Release {
    dir: tempfile::TempDir,
}

const VERSION: &str = "9.9.9";

impl Release {
    fn new() -> Release {
        let dir = tempfile::tempdir().unwrap();
        let stand_in = dir.path().join("lockstep");
        std::fs::write(
            &stand_in,
            format!("#!/bin/sh\necho 'lockstep {VERSION} (stand-in)'\n"),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = package(&dir.path().join(format!("v{VERSION}")), &stand_in);
        assert!(out.status.success(), "{out:?}");
        Release { dir }
    }

    fn asset(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("v{VERSION}")).join(name)
    }

    /// Runs install.sh as the action's install step does, with `path` as PATH.
    fn install(&self, env: &[(&str, &str)], path: &str) -> (Output, PathBuf, String) {
        let work = self.dir.path().join("work");
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let outputs = work.join("output.txt");
        let mut command = Command::new("/bin/bash");
        command
            .arg(root().join("scripts/action/install.sh"))
            .env("PATH", path)
            .env(
                "LOCKSTEP_RELEASES_URL",
                format!("file://{}", self.dir.path().display()),
            )
            .env("LOCKSTEP_INSTALL_DIR", work.join("install"))
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_ACTION_PATH", root());
        for (name, value) in env {
            command.env(name, value);
        }
        let out = command.output().unwrap();
        let outputs = std::fs::read_to_string(outputs).unwrap_or_default();
        (out, work.join("install/bin/lockstep"), outputs)
    }
}

fn system_path() -> String {
    std::env::var("PATH").unwrap()
}

#[test]
fn install_sh_downloads_checks_and_installs_the_release() {
    let release = Release::new();
    let (out, bin, outputs) = release.install(&[("LOCKSTEP_VERSION", VERSION)], &system_path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("verified SHA-256"), "{stderr}");
    assert_eq!(outputs, format!("bin={}\n", bin.display()));
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!("lockstep {VERSION} (stand-in)\n")
    );
}

#[test]
fn install_sh_refuses_an_archive_whose_checksum_differs() {
    let release = Release::new();
    let sums = release.asset(&format!("{}.sha256", archive_name()));
    std::fs::write(&sums, format!("{}  {}\n", "0".repeat(64), archive_name())).unwrap();
    let (out, bin, outputs) = release.install(&[("LOCKSTEP_VERSION", VERSION)], &system_path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SHA-256 mismatch"));
    assert!(!bin.exists(), "nothing installed");
    assert!(outputs.is_empty());
}

#[test]
fn install_sh_says_so_when_it_cannot_download_or_build() {
    let release = Release::new();
    // A version asked for by name that has no release: no quiet build instead.
    let (out, _, _) = release.install(
        &[
            ("LOCKSTEP_VERSION", "1.2.3"),
            ("LOCKSTEP_VERSION_REQUESTED", "1.2.3"),
        ],
        &system_path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not building instead"));
    // No release to download and no cargo: say what to do. The PATH holds no tool at all,
    // and the script reaches that message with shell builtins only.
    let empty = tempfile::tempdir().unwrap();
    let (out, _, _) = release.install(&[], empty.path().to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cargo is not installed"), "{stderr}");
    assert!(stderr.contains("release tag"), "{stderr}");
}

#[test]
fn the_release_workflow_builds_every_archive_the_action_downloads() {
    let install = std::fs::read_to_string(root().join("scripts/action/install.sh")).unwrap();
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let targets: Vec<&str> = install
        .split("echo lockstep-")
        .skip(1)
        .map(|rest| rest.split(['.', '\n']).next().unwrap())
        .collect();
    assert_eq!(targets.len(), 5, "{targets:?}");
    for target in targets {
        assert!(
            workflow.contains(&format!("- target: {target}\n")),
            "release.yml does not build {target}"
        );
    }
}
