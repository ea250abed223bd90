//! Throwaway database servers for the integration tests.
//!
//! Each test process lazily starts at most one PostgreSQL cluster ([`postgres()`]) and one MariaDB
//! server ([`mariadb()`]) in a private temporary directory, reachable only through a unix socket
//! in that directory (no TCP listener at all, so nothing is exposed beyond the machine and no port
//! can collide). Tests share the server and isolate themselves with `fresh_db()`.
//!
//! The servers are driven through the `psql` and `mariadb` command-line clients rather than the
//! `postgres`/`mysql` crates: those clients come with the server packages anyway, they report
//! errors with the server's own codes, and shelling out keeps the dev-dependency tree (and the
//! build on two cores) free of an async runtime and TLS stacks.
//!
//! Lifetime: a Drop on a static never runs, so every server gets a "reaper": a tiny `sh` process
//! whose stdin is a pipe held open by the test process. When the test process ends for any reason
//! (even SIGKILL) the kernel closes the pipe, the reaper's `read` sees end-of-file, and it stops
//! the server by pid and removes the directory. No server outlives the test run.
//!
//! Policy: with `CI` set, a server that cannot start fails the test loudly; elsewhere the test is
//! skipped with the reason printed.

// Each test binary compiles this module but uses only part of it (one engine, say).
#![allow(dead_code)]

pub mod git;
pub mod mariadb;
pub mod plan_files;
pub mod plan_layouts;
pub mod postgres;
pub mod traffic;

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a server may take to accept its first connection.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);

/// The OS account the servers run as: initdb and postgres refuse to run as root.
#[derive(Debug, Clone, Copy)]
pub struct ServerAccount {
    /// `None` when the test process is not root: the servers then run as the current user.
    ids: Option<(u32, u32)>,
}

impl ServerAccount {
    /// The dedicated `lockstep-test` user (or `$LOCKSTEP_TEST_USER`) when running as root,
    /// falling back to `nobody`; the current user otherwise.
    pub fn resolve() -> Result<Self, String> {
        if !running_as_root()? {
            return Ok(ServerAccount { ids: None });
        }
        let preferred =
            std::env::var("LOCKSTEP_TEST_USER").unwrap_or_else(|_| "lockstep-test".into());
        for name in [preferred.as_str(), "nobody"] {
            if let Some(ids) = lookup_user(name) {
                return Ok(ServerAccount { ids: Some(ids) });
            }
        }
        Err(format!(
            "running as root but neither user {preferred:?} nor \"nobody\" exists; \
             run scripts/install-test-deps.sh"
        ))
    }

    /// Makes `command` run as this account.
    pub fn apply(&self, command: &mut Command) {
        if let Some((uid, gid)) = self.ids {
            // std drops supplementary groups when a root parent sets the uid.
            command.uid(uid).gid(gid);
        }
    }

    fn take_ownership(&self, path: &Path) -> Result<(), String> {
        match self.ids {
            Some((uid, gid)) => std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(|err| format!("cannot chown {}: {err}", path.display())),
            None => Ok(()),
        }
    }
}

/// Whether the test process is root, so the servers run as another account.
pub fn running_as_root() -> Result<bool, String> {
    std::fs::metadata("/proc/self")
        .map(|meta| meta.uid() == 0)
        .map_err(|err| format!("cannot read /proc/self: {err}"))
}

/// `(uid, gid)` of a user from the system's account database.
fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let output = Command::new("getent")
        .args(["passwd", name])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let line = String::from_utf8(output.stdout).ok()?;
    let mut fields = line.trim_end().split(':').skip(2);
    let uid = fields.next()?.parse().ok()?;
    let gid = fields.next()?.parse().ok()?;
    Some((uid, gid))
}

/// A fresh directory owned by `account`, which the reaper removes when the test process ends.
pub fn private_dir(prefix: &str, account: &ServerAccount) -> Result<PathBuf, String> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|err| format!("cannot create a temporary directory: {err}"))?
        .keep();
    account.take_ownership(&dir)?;
    Ok(dir)
}

/// Stops a server once the test process is gone; see the module documentation.
///
/// The reaper reads the server's pid from its stdin, then waits for end-of-file, sends
/// `stop_signal`, waits (bounded) for the server to remove its pid file, kills it if it did not,
/// and deletes `dir`. It ignores terminal signals and sits in its own process group so that a
/// Ctrl-C aimed at `cargo test` cannot kill it before it has cleaned up.
pub struct Reaper {
    /// Never written after the pid; kept open for the life of the process on purpose.
    pipe: ChildStdin,
}

const REAPER_SCRIPT: &str = r#"
trap '' INT TERM HUP
dir=$1; pid_file=$2; stop_signal=$3; pid=
while read -r line; do pid=$line; done
if [ -n "$pid" ]; then
    kill -"$stop_signal" "$pid" 2>/dev/null
    waited=0
    while [ -e "$pid_file" ] && kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 300 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if [ -e "$pid_file" ]; then kill -KILL "$pid" 2>/dev/null; fi
fi
case "$dir" in
    */lockstep-*) rm -rf "$dir" ;;
esac
"#;

impl Reaper {
    /// Starts the reaper for a server that will live in `dir` and write `pid_file`.
    pub fn start(dir: &Path, pid_file: &Path, stop_signal: &str) -> Result<Self, String> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(REAPER_SCRIPT)
            .arg("lockstep-reaper")
            .arg(dir)
            .arg(pid_file)
            .arg(stop_signal)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot start the reaper shell: {err}"))?;
        let pipe = child
            .stdin
            .take()
            .ok_or_else(|| "the reaper has no stdin pipe".to_string())?;
        Ok(Reaper { pipe })
    }

    /// Tells the reaper which process to stop.
    pub fn watch(&mut self, server_pid: u32) -> Result<(), String> {
        writeln!(self.pipe, "{server_pid}")
            .and_then(|()| self.pipe.flush())
            .map_err(|err| format!("cannot reach the reaper: {err}"))
    }
}

/// Whether this run is CI, where database tests must never be skipped.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"))
}

/// Applies the skip policy to a server start result.
pub fn available<T>(engine: &str, started: &'static Result<T, String>) -> Option<&'static T> {
    match started {
        Ok(server) => Some(server),
        Err(reason) if is_ci() => {
            panic!("{engine} test server could not start (CI=true): {reason}")
        }
        Err(reason) => {
            eprintln!("skipping: {engine} test server could not start: {reason}");
            None
        }
    }
}

/// A name unique within this machine's test runs: pid plus a per-process counter.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// Runs `command` with `input` on stdin; its stdout on success, its stderr (or stdout when
/// stderr is empty) on failure.
pub fn run_with_input(command: &mut Command, input: &str) -> Result<String, String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run {:?}: {err}", command.get_program()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A client that exits early (bad connection) closes the pipe; its stderr says why.
        let _ = stdin.write_all(input.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|err| format!("cannot wait for {:?}: {err}", command.get_program()))?;
    if output.status.success() {
        return String::from_utf8(output.stdout)
            .map_err(|err| format!("output is not UTF-8: {err}"));
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if stderr.is_empty() {
        Err(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(stderr)
    }
}

/// Polls `ready` until it succeeds, `failed` reports a reason, or the startup timeout passes.
pub fn wait_for_startup(
    mut ready: impl FnMut() -> Result<(), String>,
    mut failed: impl FnMut() -> Option<String>,
) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let last_error = match ready() {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        if let Some(reason) = failed() {
            return Err(reason);
        }
        if Instant::now() > deadline {
            return Err(format!("not ready after {STARTUP_TIMEOUT:?}: {last_error}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until every counter in `done` has grown by `by` from now: application threads
/// making progress, bounded by `limit` against a hang, checked every `pause`.
pub fn wait_for_progress(
    done: &[std::sync::Arc<AtomicU64>],
    by: u64,
    limit: Duration,
    pause: Duration,
) {
    let targets: Vec<u64> = done
        .iter()
        .map(|count| count.load(Ordering::Relaxed) + by)
        .collect();
    let deadline = Instant::now() + limit;
    while done
        .iter()
        .zip(&targets)
        .any(|(count, target)| count.load(Ordering::Relaxed) < *target)
    {
        assert!(
            Instant::now() < deadline,
            "application traffic made no progress for {limit:?}"
        );
        std::thread::sleep(pause);
    }
}

/// The findings of rule `rule_id` on `change`, linted with `settings` as the migration after
/// `schema` in one folder: the schema's tables exist, with the definitions it gives them.
pub fn findings_after(
    schema: &str,
    change: &str,
    rule_id: &str,
    mut settings: lockstep::config::Settings,
) -> Vec<lockstep::diagnostic::Finding> {
    let rule = lockstep::rules::find(rule_id).unwrap_or_else(|| panic!("no rule {rule_id}"));
    settings.rules = lockstep::config::RuleLevels::only(rule);
    change_findings(schema, change, settings)
}

/// Every finding the rules of `settings` raise on `change`, linted as the migration after
/// `schema` in one folder.
pub fn change_findings(
    schema: &str,
    change: &str,
    mut settings: lockstep::config::Settings,
) -> Vec<lockstep::diagnostic::Finding> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("1_schema.sql"), schema).expect("write schema");
    std::fs::write(dir.path().join("2_change.sql"), change).expect("write change");
    settings.paths = vec![dir.path().to_path_buf()];
    let report = lockstep::engine::check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .files
        .into_iter()
        .filter(|f| f.path.ends_with("2_change.sql"))
        .flat_map(|f| f.findings)
        .collect()
}

/// The last lines of a server log, for error messages.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// The first existing executable among `candidates`, else `name` for a PATH lookup.
pub fn find_binary(name: &str, candidates: &[PathBuf]) -> PathBuf {
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| PathBuf::from(name))
}

/// The reason a server process died during startup, if it did.
pub fn exited_early(child: &mut Child, log_path: &Path) -> Option<String> {
    match child.try_wait() {
        Ok(Some(status)) => Some(format!(
            "server exited with {status}:\n{}",
            log_tail(log_path)
        )),
        Ok(None) => None,
        Err(err) => Some(format!("cannot poll the server process: {err}")),
    }
}
