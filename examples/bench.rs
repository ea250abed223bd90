//! The benchmark: generates the reproducible corpus (2,000 Flyway files, about 60,000
//! statements) in several shapes and times `lockstep check --format json` on each, reporting
//! median wall time, CPU time, peak memory and statements per CPU-second; with squawk on
//! PATH (or `--squawk PATH`), squawk is timed on the same files, interleaved, and the
//! ratios are printed.
//!
//! Run with `bash bench/run.sh` (builds in release mode first).
//! Options: `--runs N` (9), `--folders N` (20) and `--files-per-folder N` (100) for the
//! `many` shape (the `one` shape puts the same files in one folder), `--pr-files N` (5000),
//! `--shapes many,one,pr`, `--squawk PATH` or `--no-squawk`, `--keep DIR` (leave the corpora).

#[path = "../bench/child_usage.rs"]
mod child_usage;
#[path = "../bench/corpus.rs"]
mod corpus;
#[path = "../bench/measure.rs"]
mod measure;

use std::path::{Path, PathBuf};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let options = measure::Options {
        runs: number(&args, "--runs").unwrap_or(9),
        folders: number(&args, "--folders").unwrap_or(20),
        files_per_folder: number(&args, "--files-per-folder").unwrap_or(100),
        pr_files: number(&args, "--pr-files").unwrap_or(5000),
        shapes: value(&args, "--shapes")
            .unwrap_or("many,one,pr")
            .split(',')
            .map(str::to_string)
            .collect(),
        lockstep: lockstep_binary(),
        squawk: if args.iter().any(|a| a == "--no-squawk") {
            None
        } else {
            value(&args, "--squawk")
                .map(PathBuf::from)
                .or_else(|| on_path("squawk"))
                .map(|squawk| native_squawk(&squawk).unwrap_or(squawk))
        },
        keep: value(&args, "--keep").map(PathBuf::from),
    };
    if let Err(message) = measure::run(&options) {
        eprintln!("bench: {message}");
        std::process::exit(2);
    }
}

fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).map(String::as_str)
}

fn number(args: &[String], name: &str) -> Option<usize> {
    value(args, name)?.parse().ok()
}

/// The native binary npm's `squawk` launches: `squawk-cli` installs a Node.js script that
/// starts `@squawk-cli/<platform>/bin/squawk`, and timing the script would add Node's start
/// (about 0.1 s of CPU and 4 MiB here) to squawk's figures. `None` for any other file.
fn native_squawk(squawk: &Path) -> Option<PathBuf> {
    let script = std::fs::canonicalize(squawk).ok()?;
    let head = std::fs::read(&script).ok()?;
    if !(head.starts_with(b"#!") && head.windows(4).any(|w| w == b"node")) {
        return None;
    }
    // node_modules/squawk-cli/js/bin/squawk
    let node_modules = script.ancestors().nth(4)?;
    let platforms = std::fs::read_dir(node_modules.join("@squawk-cli")).ok()?;
    let native = platforms
        .filter_map(Result::ok)
        .map(|platform| platform.path().join("bin/squawk"))
        .find(|binary| binary.is_file())?;
    println!(
        "timing squawk's native binary {} (npm's {} is a Node.js launcher)",
        native.display(),
        squawk.display()
    );
    Some(native)
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// The `lockstep` beside this example's folder (`target/release/examples/bench`).
fn lockstep_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let release = exe.parent().and_then(Path::parent).expect("target/release");
    release.join("lockstep")
}
