//! The benchmark's measurements, shared by `examples/bench.rs` (the command) and the test
//! that checks it still runs: write the corpus of each shape, time `lockstep check --format
//! json` on it several times (interleaved with squawk when one is given), and print medians.
//!
//! Shapes:
//! - `many`: the files spread over several Flyway folders, each replayed on its own;
//! - `one`: the same number of files in one folder (the shape of most real projects), where
//!   only parsing runs in parallel and replay goes file by file;
//! - `pr`: a pull request: a few new files after many committed ones, `--since HEAD`,
//!   against a full run of the same folder.

use crate::corpus;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct Options {
    pub runs: usize,
    pub folders: usize,
    pub files_per_folder: usize,
    /// Files committed before the pull request's new ones in the `pr` shape.
    pub pr_files: usize,
    pub shapes: Vec<String>,
    pub lockstep: PathBuf,
    /// A squawk binary to time on the same files, interleaved with lockstep.
    pub squawk: Option<PathBuf>,
    /// Where to write the corpora and leave them (default: a temporary folder, removed).
    pub keep: Option<PathBuf>,
}

/// The new files of the `pr` shape.
const PR_NEW_FILES: usize = 3;

/// One run of one command, measured with `wait4` so CPU time and peak RSS are the child's own.
#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: f64,
    max_rss_kib: i64,
}

/// The medians of several samples.
struct Medians {
    wall: f64,
    cpu: f64,
    peak_mib: f64,
}

fn medians(samples: &[Sample]) -> Medians {
    let median = |mut values: Vec<f64>| {
        values.sort_by(|a, b| a.total_cmp(b));
        values[values.len() / 2]
    };
    Medians {
        wall: median(samples.iter().map(|s| s.wall).collect()),
        cpu: median(samples.iter().map(|s| s.cpu).collect()),
        peak_mib: median(
            samples
                .iter()
                .map(|s| s.max_rss_kib as f64 / 1024.0)
                .collect(),
        ),
    }
}

pub fn run(options: &Options) -> Result<(), String> {
    let scratch = options.keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("lockstep-bench-{}", std::process::id()))
    });
    let result = options.shapes.iter().try_for_each(|shape| {
        let dir = scratch.join(shape);
        let _ = std::fs::remove_dir_all(&dir);
        match shape.as_str() {
            "many" => folders_shape(options, &dir, options.folders),
            "one" => folders_shape(options, &dir, 1),
            "pr" => pr_shape(options, &dir),
            other => Err(format!("unknown shape `{other}`: many, one or pr")),
        }
    });
    if options.keep.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    result
}

/// `folders` folders holding `options.folders * options.files_per_folder` files between them.
fn folders_shape(options: &Options, dir: &Path, folders: usize) -> Result<(), String> {
    let total = options.folders * options.files_per_folder;
    let stats = corpus::write_corpus(dir, folders, total / folders, 0x5eed)
        .map_err(|e| format!("write corpus: {e}"))?;
    let files = sql_files(dir)?;
    let statements = count_statements(&options.lockstep, dir)?;
    println!(
        "\nshape `{}`: {} files in {folders} folder(s), {statements} statements ({} unparsable on purpose)",
        if folders == 1 { "one" } else { "many" },
        stats.files,
        stats.garbage,
    );
    let squawk = options.squawk.as_ref().map(|binary| {
        let mut command = Command::new(binary);
        command.args(["--reporter", "json"]).args(&files);
        command
    });
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..options.runs {
        ours.push(measure(lockstep_check(&options.lockstep, dir, &[]))?);
        if let Some(squawk) = &squawk {
            theirs.push(measure(copy(squawk))?);
        }
    }
    print_medians("lockstep", &medians(&ours), statements);
    if let Some(binary) = &options.squawk {
        let ours = medians(&ours);
        let theirs = medians(&theirs);
        print_medians(&version_of(binary), &theirs, statements);
        println!(
            "lockstep / squawk (medians): wall {:.2}x, CPU {:.2}x, peak memory {:.2}x (below 1: lockstep uses less)",
            ours.wall / theirs.wall,
            ours.cpu / theirs.cpu,
            ours.peak_mib / theirs.peak_mib
        );
    }
    Ok(())
}

/// A git repository holding `pr_files` committed files and a few new ones: the run a pull
/// request makes (`--since HEAD`) against a full run of the same folder.
fn pr_shape(options: &Options, dir: &Path) -> Result<(), String> {
    let stats = corpus::write_corpus(dir, 1, options.pr_files, 0x5eed)
        .map_err(|e| format!("write corpus: {e}"))?;
    git(dir, &["init", "--quiet"])?;
    git(dir, &["add", "--all"])?;
    git(
        dir,
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@localhost",
            "commit",
            "--quiet",
            "--message",
            "corpus",
        ],
    )?;
    let folder = corpus_folder(dir, 0);
    let new = dir.join("new");
    corpus::write_corpus(&new, 1, PR_NEW_FILES, 0xbeef).map_err(|e| format!("write: {e}"))?;
    for (i, file) in sql_files(&new)?.iter().enumerate() {
        let name = format!("V{}__pull_request.sql", options.pr_files + 1 + i);
        std::fs::rename(file, folder.join(name)).map_err(|e| e.to_string())?;
    }
    std::fs::remove_dir_all(&new).map_err(|e| e.to_string())?;
    println!(
        "\nshape `pr`: {PR_NEW_FILES} new files after {} committed ones in one folder, `--since HEAD`",
        stats.files
    );
    let mut full = Vec::new();
    let mut since = Vec::new();
    for _ in 0..options.runs {
        full.push(measure(lockstep_check(&options.lockstep, &folder, &[]))?);
        since.push(measure(lockstep_check(
            &options.lockstep,
            &folder,
            &["--since", "HEAD"],
        ))?);
    }
    let statements = count_statements(&options.lockstep, &folder)?;
    let (full, since) = (medians(&full), medians(&since));
    print_medians("lockstep, full run", &full, statements);
    print_medians("lockstep --since HEAD", &since, statements);
    println!(
        "--since / full run (medians): wall {:.2}x, CPU {:.2}x",
        since.wall / full.wall,
        since.cpu / full.cpu
    );
    Ok(())
}

fn print_medians(label: &str, m: &Medians, statements: u64) {
    println!(
        "{label:<24} wall {:.3} s   CPU {:.3} s   peak memory {:.1} MiB   {:.0} statements per CPU-second",
        m.wall,
        m.cpu,
        m.peak_mib,
        statements as f64 / m.cpu
    );
}

fn lockstep_check(binary: &Path, dir: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--fail-on", "never"])
        .args(extra)
        .current_dir(dir);
    command
}

/// `Command` is not `Clone`: the same program and arguments again.
fn copy(command: &Command) -> Command {
    let mut copy = Command::new(command.get_program());
    copy.args(command.get_args());
    copy
}

fn corpus_folder(root: &Path, folder: usize) -> PathBuf {
    root.join(format!("service_{folder:02}/db/migration"))
}

/// Every `.sql` file under `dir`, sorted: what squawk is handed (`squawk DIR/*.sql`).
fn sql_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn git(dir: &Path, args: &[&str]) -> Result<(), String> {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("git: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or(format!("git {} failed", args.join(" ")))
}

fn version_of(binary: &Path) -> String {
    Command::new(binary)
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "squawk".to_string())
}

/// The report's `summary.statements`, read from the end of lockstep's JSON without holding
/// the report: a child spawned later starts from this process's peak RSS (Linux carries it
/// over exec), so a bench that had parsed a 20 MB report would misstate every peak after it.
fn count_statements(binary: &Path, dir: &Path) -> Result<u64, String> {
    use std::io::Read;
    let mut child = lockstep_check(binary, dir, &[])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("run lockstep: {e}"))?;
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut tail = Vec::new();
    let mut chunk = vec![0; 1 << 16];
    loop {
        let n = out.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&chunk[..n]);
        if tail.len() > 1 << 17 {
            tail.drain(..tail.len() - (1 << 16));
        }
    }
    child.wait().map_err(|e| e.to_string())?;
    // The summary closes the report.
    let text = String::from_utf8_lossy(&tail);
    let at = text
        .rfind("\"statements\":")
        .ok_or("no summary in lockstep's json")?;
    let digits: String = text[at + "\"statements\":".len()..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().map_err(|e| format!("statements: {e}"))
}

fn measure(mut command: Command) -> Result<Sample, String> {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let (_, usage) = crate::child_usage::run_to_end(command)?;
    let wall = start.elapsed().as_secs_f64();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Sample {
        wall,
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
    })
}
