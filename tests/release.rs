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

/// The lines of job `name` of a workflow, from its `  name:` line to the next job's.
fn job<'a>(workflow: &'a str, name: &str) -> &'a str {
    let start = workflow
        .find(&format!("\n  {name}:\n"))
        .unwrap_or_else(|| panic!("no job {name}"))
        + 1;
    let rest = &workflow[start..];
    // The next line indented by two spaces exactly starts the next job.
    let end = rest
        .match_indices("\n  ")
        .map(|(at, _)| at)
        .find(|&at| !rest[at + 3..].starts_with([' ', '#']))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The matrix entry of `target` in `job`: its `- target:` line and the lines under it.
fn matrix_entry<'a>(job: &'a str, target: &str) -> Option<&'a str> {
    let start = job.find(&format!("- target: {target}\n"))?;
    let rest = &job[start..];
    let end = rest[1..]
        .find("- target: ")
        .or_else(|| rest.find("\n    runs-on:"))
        .map_or(rest.len(), |at| at + 1);
    Some(&rest[..end])
}

#[test]
fn the_release_workflow_builds_a_wheel_for_each_platform_with_checksums() {
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let wheels = job(&workflow, "wheels");
    assert!(
        wheels.contains("uses: PyO3/maturin-action@"),
        "maturin builds the wheels:\n{wheels}"
    );
    for matrix_value in ["target", "manylinux", "features"] {
        assert!(
            wheels.contains(&format!("${{{{ matrix.{matrix_value} }}}}")),
            "the matrix's {matrix_value} is not passed to maturin:\n{wheels}"
        );
    }
    let targets = [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ];
    for target in targets {
        let entry = matrix_entry(wheels, target)
            .unwrap_or_else(|| panic!("no wheel for {target}:\n{wheels}"));
        // A Linux wheel is built in the manylinux container with OpenSSL compiled in, so
        // the binary needs no libssl from the machine it runs on.
        let linux = target.contains("linux");
        assert_eq!(
            entry.contains("manylinux: \"2_17\""),
            linux,
            "{target}:\n{entry}"
        );
        assert_eq!(
            entry.contains("features: --features vendored-openssl"),
            linux,
            "{target}:\n{entry}"
        );
    }
    assert_eq!(wheels.matches("- target: ").count(), targets.len());
    // The feature the Linux wheels are built with exists, and compiles OpenSSL in.
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        manifest["features"]["vendored-openssl"],
        toml::Value::Array(vec!["native-tls/vendored".into()])
    );
    assert!(
        wheels.contains("gh release upload \"$TAG\" dist/*.whl"),
        "{wheels}"
    );
    let sums = job(&workflow, "wheel-checksums");
    assert!(sums.contains("needs: wheels"), "{sums}");
    assert!(
        sums.contains("sha256sum \"$wheel\" >\"$wheel.sha256\""),
        "{sums}"
    );
    assert!(sums.contains("./*.whl.sha256"), "{sums}");
    // The release goes public only with its wheels and their checksums.
    let publish = job(&workflow, "publish");
    assert!(
        publish.contains("needs: [build, wheel-checksums]"),
        "{publish}"
    );
    // PyPI by trusted publishing only: an OIDC token in the `pypi` environment, no secret,
    // and only the wheels whose checksums match the release's.
    let pypi = job(&workflow, "pypi");
    assert!(pypi.contains("needs: publish"), "{pypi}");
    assert!(pypi.contains("environment: pypi"), "{pypi}");
    assert!(pypi.contains("id-token: write"), "{pypi}");
    assert!(
        pypi.contains("uses: pypa/gh-action-pypi-publish@"),
        "{pypi}"
    );
    assert!(pypi.contains("sha256sum -c"), "{pypi}");
    assert!(!pypi.contains("secrets."), "{pypi}");
    assert!(!pypi.contains("password"), "{pypi}");
}

/// `uses: owner/repo@<40 hex digits> # v<version>`: a tag can be moved to other code, a
/// commit cannot, and the comment is what Dependabot updates beside it.
#[test]
fn every_third_party_action_is_pinned_by_commit_with_its_version() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(root().join("action.yml"));
    let mut pinned = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let Some(reference) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            else {
                continue;
            };
            if reference.starts_with("./") {
                continue;
            }
            let (action, rest) = reference
                .split_once('@')
                .unwrap_or_else(|| panic!("{}: {line}", file.display()));
            let (commit, version) = rest
                .split_once(" # v")
                .unwrap_or_else(|| panic!("{}: no version comment: {line}", file.display()));
            assert!(
                commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: not pinned by commit: {line}",
                file.display()
            );
            assert!(
                !version.is_empty() && version.split('.').all(|n| n.parse::<u32>().is_ok()),
                "{}: {line}",
                file.display()
            );
            pinned.push(action.to_string());
        }
    }
    for action in [
        "actions/checkout",
        "PyO3/maturin-action",
        "pypa/gh-action-pypi-publish",
    ] {
        assert!(pinned.iter().any(|a| a == action), "{action}: {pinned:?}");
    }
}

/// The musl binaries are static: they cannot link the system's libssl, so OpenSSL is
/// compiled in (without it, openssl-sys finds no OpenSSL for the musl target and the build
/// stops).
#[test]
fn the_static_linux_binaries_compile_openssl_in() {
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let build = job(&workflow, "build");
    let mut musl = 0;
    for entry in build.split("- target: ").skip(1) {
        let target = entry.lines().next().unwrap();
        assert_eq!(
            entry.contains("features: vendored-openssl"),
            target.contains("musl"),
            "{target}:\n{entry}"
        );
        musl += usize::from(target.contains("musl"));
    }
    assert_eq!(musl, 2, "{build}");
    assert!(
        build.contains("FEATURES: ${{ matrix.features }}")
            && build.contains("${FEATURES:+--features \"$FEATURES\"}"),
        "{build}"
    );
}
