//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run by pre-commit itself in a temporary
//! repository: through `pre-commit try-repo`, and through the README's config snippet
//! installed as a git hook, where a risky migration fails `git commit` and a safe one passes.
//!
//! pre-commit builds the hook with `cargo install` from this repository's committed HEAD
//! (`language: rust`), into a store under `target/tools`, reused while HEAD is unchanged.

mod support;

use support::git::{git, git_command};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pre_commit() -> Option<PathBuf> {
    let local = root().join("target/tools/venv/bin/pre-commit");
    if local.is_file() {
        return Some(local);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "pre-commit is missing in CI: scripts/install-test-deps.sh installs it"
    );
    eprintln!("skipped: pre-commit not installed (run scripts/install-test-deps.sh)");
    None
}

/// The environment pre-commit and the cargo build it starts run with: a store that
/// outlives the test, and a quick unoptimised build whose artefacts are reused.
fn with_env(command: &mut Command, pre_commit: &Path) {
    let tools = root().join("target/tools");
    command
        .env("PATH", path_with_venv(pre_commit))
        .env("PRE_COMMIT_HOME", tools.join("pre-commit-home"))
        .env("CARGO_TARGET_DIR", tools.join("pre-commit-build"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        // The release profile's whole-program optimisation is for users' runs; here it would
        // only lengthen the build.
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
}

/// PATH with pre-commit's virtualenv first (pre-commit runs maturin and pip from there).
fn path_with_venv(pre_commit: &Path) -> String {
    let venv_bin = pre_commit.parent().unwrap_or(Path::new("."));
    format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The sha pre-commit builds the hooks from: this repository's HEAD.
fn head() -> String {
    git(root(), &["rev-parse", "HEAD"])
}

fn repository_with(file: &str, sql: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    let path = dir.path().join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, sql).unwrap();
    git(dir.path(), &["add", "."]);
    dir
}

const RISKY: &str = "CREATE INDEX orders_placed_at_idx ON orders (placed_at);\n";
const SAFE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz);\n";

fn try_repo(pre_commit: &Path, repo: &Path, hook: &str) -> Output {
    let mut command = Command::new(pre_commit);
    command
        .current_dir(repo)
        .args(["try-repo"])
        .arg(root())
        // --verbose: a passing hook's output is shown too.
        .args([hook, "--ref", &head(), "--verbose"]);
    with_env(&mut command, pre_commit);
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `run` (a hook run in the repository it is given) fails a repository staging a risky
/// migration, naming the rule, and passes one staging a safe one.
fn fails_risky_and_passes_safe(run: impl Fn(&Path) -> Output) {
    let risky = repository_with("db/V1__index.sql", RISKY);
    let out = run(risky.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("create-index-non-concurrently"),
        "{}",
        text(&out)
    );
    let safe = repository_with("db/V1__orders.sql", SAFE);
    let out = run(safe.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn try_repo_fails_a_risky_migration_and_passes_a_safe_one() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    fails_risky_and_passes_safe(|repo| try_repo(&pre_commit, repo, "lockstep"));

    // The `lockstep` hook takes the dialect from lockstep.toml: on MySQL the same index
    // build is online (a warning about its lock wait), so the commit may go through.
    let configured = repository_with("lockstep.toml", "dialect = \"mysql\"\n");
    std::fs::create_dir_all(configured.path().join("db")).unwrap();
    std::fs::write(configured.path().join("db/V1__index.sql"), RISKY).unwrap();
    git(configured.path(), &["add", "."]);
    let out = try_repo(&pre_commit, configured.path(), "lockstep");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("mysql-missing-lock-wait-timeout"),
        "{}",
        text(&out)
    );

    // The MySQL hook lints with MySQL rules: a MySQL-only statement form parses there.
    let mysql = repository_with(
        "db/V1__orders.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY AUTO_INCREMENT) ENGINE=InnoDB;\n",
    );
    let out = try_repo(&pre_commit, mysql.path(), "lockstep-mysql");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// The README's `.pre-commit-config.yaml`, pointed at this checkout, as a real git hook.
#[test]
fn readme_config_blocks_a_risky_commit() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let marker = "<!-- snippet:pre-commit -->";
    let after = &readme[readme.find(marker).unwrap() + marker.len()..];
    let body = &after[after.find("```yaml\n").unwrap() + "```yaml\n".len()..];
    let snippet = &body[..body.find("```").unwrap()];
    assert!(snippet.contains("repo: https://github.com/lockstep-sql/lockstep"));
    let config = snippet
        .replace(
            "https://github.com/lockstep-sql/lockstep",
            &root().display().to_string(),
        )
        .replace("rev: main", &format!("rev: {}", head()));

    let repo = repository_with("db/migrations/V1__orders.sql", SAFE);
    std::fs::write(repo.path().join(".pre-commit-config.yaml"), config).unwrap();
    // Outside the `files:` folder, a risky .sql file (a seed, a query) is not checked.
    std::fs::write(repo.path().join("queries.sql"), RISKY).unwrap();
    git(repo.path(), &["add", "."]);
    let mut install = Command::new(&pre_commit);
    install.current_dir(repo.path()).arg("install");
    with_env(&mut install, &pre_commit);
    assert!(install.output().unwrap().status.success());

    let commit = |message: &str| {
        let mut command = git_command(repo.path());
        command.args(["commit", "-q", "-m", message]);
        with_env(&mut command, &pre_commit);
        command.output().unwrap()
    };
    let out = commit("safe");
    assert!(out.status.success(), "{}", text(&out));

    std::fs::write(repo.path().join("db/migrations/V2__index.sql"), RISKY).unwrap();
    git(repo.path(), &["add", "."]);
    let out = commit("risky");
    assert!(!out.status.success(), "the risky commit went through");
    assert!(
        text(&out).contains("create-index-non-concurrently"),
        "{}",
        text(&out)
    );
    assert_eq!(git(repo.path(), &["log", "--format=%s"]), "safe");
}

/// pre-commit runs `entry + args + staged files`: every hook ends its args with `--`, so a
/// staged file whose name starts with `-` is read as a path; lockstep reads it so.
#[test]
fn staged_files_named_like_options_are_paths() {
    // The compiled hooks and the prebuilt (python) hook alike.
    for file in [
        ".pre-commit-hooks.yaml",
        "packaging/pre-commit/.pre-commit-hooks.yaml",
    ] {
        let hooks = std::fs::read_to_string(root().join(file)).unwrap();
        let ids = hooks.matches("- id:").count();
        assert!(ids > 0, "{file}");
        assert_eq!(
            hooks.matches("args: [\"--\"]").count(),
            ids,
            "{file}: {hooks}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["--format=sarif.sql", "-rf.sql"] {
        std::fs::write(
            dir.path().join(name),
            "ALTER TABLE users ADD COLUMN note text;\n",
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .current_dir(dir.path())
            .args(["check", "--dialect", "postgres", "--", name])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        assert!(stdout.contains("missing-lock-timeout"), "{name}: {stdout}");
        assert!(
            !stdout.trim_start().starts_with('{'),
            "{name} read as an option: {stdout}"
        );
    }
}

/// The prebuilt path, as ruff ships it: maturin builds the wheel that carries the binary
/// (`pyproject.toml`, `bindings = "bin"`), and the `language: python` hook of
/// `packaging/pre-commit` (its own repository once published) installs it. Offline: pip may
/// read only a local wheelhouse holding that wheel and setuptools (for the hook's own empty
/// package), so nothing is compiled or downloaded when the hook is installed.
///
/// The wheel's cargo build shares the `language: rust` hook's target folder and profile, so
/// the dependencies compiled for one serve the other (cold, the wheel took 6 min 40 s at
/// load 9 on 2 cores; warm, this whole test takes under a minute). Not the test build's
/// own folder, although its compiled dependencies would serve: building the binary there
/// relinks `target/debug/lockstep` (without the dev-dependencies' features), and the other
/// test binaries running beside this one find no binary while it is replaced.
#[test]
fn the_python_hook_installs_the_prebuilt_wheel_offline() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let maturin = pre_commit.with_file_name("maturin");
    assert!(
        maturin.is_file(),
        "maturin is missing: scripts/install-test-deps.sh installs it"
    );
    let wheelhouse = root().join("target/tools/wheelhouse");
    let mut build = Command::new(&maturin);
    build
        .current_dir(root())
        .args(["build", "--release", "--locked", "--quiet"])
        // `warn`, not the default `repair`: repairing copies the libssl and libcrypto the
        // binary links into the wheel and rewrites the binary with patchelf, in place, which
        // also rewrites cargo's hard-linked build output, so the next build without a relink
        // fails. This wheel runs on the machine that built it; a published one is built where
        // it can be repaired (a manylinux container) or without native-tls.
        .args(["--auditwheel", "warn", "--out"])
        .arg(&wheelhouse);
    with_env(&mut build, &pre_commit);
    let built = build.output().unwrap();
    assert!(built.status.success(), "{}", text(&built));
    let version = env!("CARGO_PKG_VERSION");
    let wheel = std::fs::read_dir(&wheelhouse)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with(&format!("lockstep_migrate-{version}-")));
    assert!(wheel.is_some_and(|w| w.ends_with(".whl")));

    // The hook repository as it is published: the folder's files, committed.
    let hooks = tempfile::tempdir().unwrap();
    for file in ["pyproject.toml", ".pre-commit-hooks.yaml"] {
        std::fs::copy(
            root().join("packaging/pre-commit").join(file),
            hooks.path().join(file),
        )
        .unwrap();
    }
    git(hooks.path(), &["init", "-q"]);
    git(hooks.path(), &["add", "."]);
    git(hooks.path(), &["commit", "-q", "-m", "hooks"]);

    let store = tempfile::tempdir().unwrap();
    let run = |repo: &Path| {
        let mut command = Command::new(&pre_commit);
        command
            .current_dir(repo)
            .arg("try-repo")
            .arg(hooks.path())
            .args(["lockstep", "--verbose"]);
        with_env(&mut command, &pre_commit);
        command
            .env("PRE_COMMIT_HOME", store.path())
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &wheelhouse)
            // No Rust toolchain is needed: hide cargo.
            .env("CARGO", "/nonexistent/cargo");
        command.output().unwrap()
    };
    fails_risky_and_passes_safe(run);
}

/// The hook package pins the wheel of the crate's own version.
#[test]
fn the_python_hook_pins_the_crates_version() {
    let pyproject =
        std::fs::read_to_string(root().join("packaging/pre-commit/pyproject.toml")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        pyproject.contains(&format!("version = \"{version}\"")),
        "{pyproject}"
    );
    assert!(
        pyproject.contains(&format!("\"lockstep-migrate=={version}\"")),
        "{pyproject}"
    );
}
