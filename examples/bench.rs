//! The benchmark: generates the reproducible corpus (2,000 Flyway files, about 60,000
//! statements) and times `lockstep check --format json` on it several times, reporting
//! median wall time, CPU time, statements per CPU-second and peak memory.
//!
//! Run with `bash bench/run.sh` (builds in release mode first).

#[path = "../bench/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Sample {
    wall: f64,
    cpu: f64,
    max_rss_kib: i64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = flag(&args, "--runs").unwrap_or(9);
    let folders: usize = flag(&args, "--folders").unwrap_or(20);
    let files: usize = flag(&args, "--files-per-folder").unwrap_or(100);
    let binary = lockstep_binary();
    let dir = std::env::temp_dir().join(format!("lockstep-bench-{}", std::process::id()));
    let stats = corpus::write_corpus(&dir, folders, files, 0x5eed).expect("write corpus");
    let statements = count_statements(&binary, &dir);
    println!(
        "corpus: {} files, {statements} statements ({} unparsable on purpose) in {}",
        stats.files,
        stats.garbage,
        dir.display()
    );
    let mut samples: Vec<Sample> = (0..runs).map(|_| run_once(&binary, &dir)).collect();
    let _ = std::fs::remove_dir_all(&dir);
    let median = |values: &mut Vec<f64>| {
        values.sort_by(|a, b| a.total_cmp(b));
        values[values.len() / 2]
    };
    let wall = median(&mut samples.iter().map(|s| s.wall).collect());
    let cpu = median(&mut samples.iter().map(|s| s.cpu).collect());
    let peak = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
    samples.clear();
    println!("runs: {runs}");
    println!("median wall time: {:.3} s", wall);
    println!("median CPU time (user+sys): {:.3} s", cpu);
    println!("statements per CPU-second: {:.0}", statements as f64 / cpu);
    println!("peak memory (max RSS): {:.1} MiB", peak as f64 / 1024.0);
}

fn flag(args: &[String], name: &str) -> Option<usize> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

/// The release `lockstep` beside this example's folder (`target/release/examples/bench`).
fn lockstep_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let release = exe.parent().and_then(Path::parent).expect("target/release");
    release.join("lockstep")
}

fn count_statements(binary: &Path, dir: &Path) -> u64 {
    let out = Command::new(binary)
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .expect("run lockstep");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    json["summary"]["statements"].as_u64().unwrap_or(0)
}

/// One run, measured with `wait4` so CPU time and peak RSS are the child's own.
// The child is reaped by `wait4` below, which std's `Child::wait` cannot replace: it
// does not return resource usage.
#[allow(clippy::zombie_processes)]
fn run_once(binary: &Path, dir: &Path) -> Sample {
    let start = Instant::now();
    let child = Command::new(binary)
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--fail-on", "never"])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn lockstep");
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waiting on our own child pid with valid pointers.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let wall = start.elapsed().as_secs_f64();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Sample {
        wall,
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
    }
}
