//! A mutation fuzzer over lockstep's own corpus (every `.sql` under `fixtures/`), run as an
//! ordinary test: each fixture is mutated with the byte and token edits that broke parsers
//! before (unclosed quotes and comments, dollar quotes, deep nesting, template braces, line
//! breaks inside names, control bytes, splices of two files), then linted for both dialects
//! and rendered in every report format. Any panic fails the test and names the seed that
//! made the input, so the case can be replayed alone.
//!
//! Bounded by count, not time: the same mutations run on every machine (a fixed seed per
//! round), so a failure reproduces.

use lockstep::config::Settings;
use lockstep::dialect::Dialect;
use lockstep::engine::lint_source;
use lockstep::report::{FileReport, Format, PrintOptions, Report};
use std::io::Write;
use std::path::{Path, PathBuf};

#[path = "../bench/child_usage.rs"]
mod child_usage;
mod support;

/// Mutated inputs per run: about twenty seconds of a debug build on two cores.
const ROUNDS: u64 = 800;

/// Pieces spliced in: each has broken a scanner or a parser somewhere.
const TOKENS: &[&str] = &[
    "'",
    "\"",
    "`",
    "$$",
    "$tag$",
    "/*",
    "*/",
    "--",
    "#",
    ";",
    "(",
    ")",
    "((((((((",
    "))))",
    "{{",
    "}}",
    "${",
    "{$",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "\0",
    "\u{1b}[31m",
    "\u{feff}",
    "é",
    "\u{200b}",
    "BEGIN",
    "COMMIT",
    "END",
    "CONCURRENTLY",
    "CREATE INDEX ",
    "ALTER TABLE ",
    "DROP TABLE ",
    "ADD COLUMN ",
    "RENAME COLUMN ",
    " TO ",
    "NOT NULL",
    "DEFAULT now()",
    "DELIMITER $$\n",
    "DELIMITER ;\n",
    "-- +goose StatementBegin\n",
    "-- +goose StatementEnd\n",
    "-- migrate:up\n",
    "-- migrate:down\n",
    "-- lockstep:ignore drop-table\n",
    "\\set x 1\n",
    "COPY t FROM stdin;\n",
    "\n\\.\n",
    "/*!40101 ",
    "E'",
    "U&'",
    "@octocat",
    "<img src=x>",
    "%0A::error::",
];

/// xorshift64: deterministic, no dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn pick(state: &mut u64, len: usize) -> usize {
    (next(state) % len.max(1) as u64) as usize
}

/// A char boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One to four edits of `text`, some with help from `other`.
fn mutate(text: &str, other: &str, state: &mut u64) -> String {
    let mut out = text.to_string();
    for _ in 0..1 + pick(state, 4) {
        let at = boundary(&out, pick(state, out.len() + 1));
        match pick(state, 6) {
            0 | 1 => out.insert_str(at, TOKENS[pick(state, TOKENS.len())]),
            2 => {
                let end = boundary(&out, at + pick(state, 64));
                out.replace_range(at..end, "");
            }
            3 => {
                let end = boundary(&out, at + pick(state, 200));
                let piece = out[at..end].to_string();
                out.insert_str(end, &piece.repeat(1 + pick(state, 20)));
            }
            4 => {
                let from = boundary(other, pick(state, other.len() + 1));
                let to = boundary(other, from + pick(state, 400));
                out.insert_str(at, &other[from..to]);
            }
            _ => {
                let depth = 1 + pick(state, 3_000);
                out.insert_str(at, &format!("{}1{}", "(".repeat(depth), ")".repeat(depth)));
            }
        }
    }
    out
}

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sql_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "sql") {
            out.push(path);
        }
    }
}

/// Renders the findings of `text` in every report format, as the CLI would.
fn render_all(text: &str, findings: Vec<lockstep::diagnostic::Finding>) {
    let statements = findings.len();
    let file = FileReport::new(
        PathBuf::from("db/V1__fuzz.sql"),
        text.to_string(),
        statements,
        0,
        findings,
    );
    let report = Report {
        files: vec![file],
        ..Report::default()
    };
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Gitlab,
        Format::Markdown,
    ] {
        let mut sink = Vec::new();
        lockstep::report::print(format, &report, &mut sink, PrintOptions::default())
            .expect("rendering into memory");
    }
}

/// The text of every fixture.
fn corpus_texts() -> Vec<String> {
    let mut corpus = Vec::new();
    sql_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut corpus,
    );
    corpus
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect()
}

#[test]
fn mutated_fixtures_never_panic_in_any_dialect_or_format() {
    let texts = corpus_texts();
    assert!(
        texts.len() > 50,
        "the fixtures are the corpus: {}",
        texts.len()
    );
    for round in 0..ROUNDS {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ round.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let mut state = seed;
        let text = &texts[pick(&mut state, texts.len())];
        let other = &texts[pick(&mut state, texts.len())];
        let input = mutate(text, other, &mut state);
        let dialect = if round % 3 == 0 {
            Dialect::Mysql
        } else {
            Dialect::Postgres
        };
        let outcome = std::panic::catch_unwind(|| {
            let findings = lint_source(&input, &Settings::new(dialect));
            render_all(&input, findings);
        });
        assert!(
            outcome.is_ok(),
            "round {round} (seed {seed:#x}, {dialect:?}) panicked on:\n{}",
            input.escape_debug()
        );
    }
}

/// What one run of the lockstep binary under cachegrind cost: the instructions it executed
/// and the bytes of every report it wrote.
struct CountedRun {
    instructions: u64,
    report_bytes: u64,
}

/// The `lockstep check` command for `paths`, writing every report format into `reports`, on
/// one worker thread: the same input then takes the same path through the code on every run.
fn check_command(
    program: &[&std::ffi::OsStr],
    paths: &[PathBuf],
    dialect: &str,
    reports: &Path,
) -> std::process::Command {
    let mut command = std::process::Command::new(program[0]);
    command.args(&program[1..]);
    command
        .env("RAYON_NUM_THREADS", "1")
        .args([
            "check",
            "--dialect",
            dialect,
            "--fail-on",
            "never",
            "--allow-no-files",
            "--output",
        ])
        .arg(reports.join("report.txt"));
    for format in ["json", "sarif", "github", "gitlab", "markdown"] {
        command
            .arg("--report")
            .arg(format!("{format}={}", reports.join(format).display()));
    }
    command
        .args(paths)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(reports.join("stderr")).expect("a file for stderr"));
    command
}

/// Runs `command` to its end, which must be a clean exit, and returns its resource usage.
fn run_to_end(command: std::process::Command, reports: &Path) -> libc::rusage {
    let (status, usage) = child_usage::run_to_end(command).expect("lockstep runs");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "lockstep must finish cleanly (status {status:#x}): {}",
        std::fs::read_to_string(reports.join("stderr")).unwrap_or_default()
    );
    usage
}

/// Runs lockstep on `paths` under valgrind's cachegrind, which counts the instructions
/// executed: a count, unlike a time, is the same on an idle and on a loaded machine.
fn counted_run(paths: &[PathBuf], dialect: &str) -> CountedRun {
    let reports = tempfile::tempdir().expect("a temporary folder");
    let counts = reports.path().join("cachegrind.out");
    let out_file = std::ffi::OsString::from(format!("--cachegrind-out-file={}", counts.display()));
    let valgrind = [
        std::ffi::OsStr::new("valgrind"),
        std::ffi::OsStr::new("--quiet"),
        std::ffi::OsStr::new("--tool=cachegrind"),
        std::ffi::OsStr::new("--cache-sim=no"),
        &out_file,
        std::ffi::OsStr::new(env!("CARGO_BIN_EXE_lockstep")),
    ];
    run_to_end(
        check_command(&valgrind, paths, dialect, reports.path()),
        reports.path(),
    );
    let summary = std::fs::read_to_string(&counts).expect("cachegrind writes its counts");
    let instructions = summary
        .lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no instruction count in cachegrind's output:\n{summary}"));
    let report_bytes = std::fs::read_dir(reports.path())
        .expect("the report folder")
        .flatten()
        .filter(|entry| {
            !matches!(
                entry.file_name().to_str(),
                Some("stderr" | "cachegrind.out")
            )
        })
        .map(|entry| entry.metadata().map_or(0, |meta| meta.len()))
        .sum();
    CountedRun {
        instructions,
        report_bytes,
    }
}

/// Runs lockstep on `paths` natively (under valgrind its own memory would be measured) and
/// returns its peak resident memory in KiB.
fn peak_memory_kib(paths: &[PathBuf], dialect: &str) -> i64 {
    let reports = tempfile::tempdir().expect("a temporary folder");
    let lockstep = std::ffi::OsStr::new(env!("CARGO_BIN_EXE_lockstep"));
    run_to_end(
        check_command(&[lockstep], paths, dialect, reports.path()),
        reports.path(),
    )
    .ru_maxrss
}

/// Whether valgrind runs here; CI installs it (`scripts/install-test-deps.sh`) and must
/// never skip the growth check.
fn valgrind_runs() -> bool {
    let runs = std::process::Command::new("valgrind")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        runs || !support::is_ci(),
        "valgrind is missing (CI=true): scripts/install-test-deps.sh installs it"
    );
    runs
}

/// An input that grows by repeating `unit` between a fixed `head` and `tail`.
struct GrowthShape {
    name: &'static str,
    dialect: &'static str,
    head: String,
    unit: String,
    tail: String,
    input: GrowthInput,
}

/// Where the units go and how lockstep is pointed at them.
#[derive(Clone, Copy, PartialEq)]
enum GrowthInput {
    /// One more piece of one file; lockstep is given the folder.
    OneFile,
    /// One file per unit in one folder; lockstep is given the folder.
    FilesInFolder,
    /// One file per unit, each named on the command line, as pre-commit passes staged files.
    FilesNamed,
}

impl GrowthShape {
    fn new(name: &'static str, dialect: &'static str, parts: [&str; 3]) -> Self {
        GrowthShape {
            name,
            dialect,
            head: parts[0].to_string(),
            unit: parts[1].to_string(),
            tail: parts[2].to_string(),
            input: GrowthInput::OneFile,
        }
    }

    /// Instructions and report bytes of a run on `units` units.
    fn counted(&self, units: usize) -> CountedRun {
        let (_dir, paths) = self.write_input(units);
        counted_run(&paths, self.dialect)
    }

    /// Peak memory of a native run on `units` units.
    fn peak_kib(&self, units: usize) -> i64 {
        let (_dir, paths) = self.write_input(units);
        peak_memory_kib(&paths, self.dialect)
    }

    /// Whether an input of `units` units is small enough to write and lint natively in a
    /// few seconds: at most 16 MiB of text and 32,768 files.
    fn fits(&self, units: usize) -> bool {
        let bytes = self.head.len() + self.unit.len() * units + self.tail.len();
        let files = if self.input == GrowthInput::OneFile {
            1
        } else {
            units
        };
        bytes <= 16 << 20 && files <= 1 << 15
    }

    /// Writes the input of `units` units into a fresh folder; returns the folder (removed
    /// when dropped) and the paths lockstep is given.
    fn write_input(&self, units: usize) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut named = Vec::new();
        if self.input == GrowthInput::OneFile {
            // Written piece by piece: a 16 MiB string here would raise this process's memory,
            // which the kernel counts into the peak of every lockstep started after it.
            let file = std::fs::File::create(dir.path().join("V1__grown.sql"))
                .expect("create a migration");
            let mut file = std::io::BufWriter::new(file);
            let pieces = std::iter::once(&self.head)
                .chain(std::iter::repeat_n(&self.unit, units))
                .chain(std::iter::once(&self.tail));
            for piece in pieces {
                file.write_all(piece.as_bytes()).expect("write a migration");
            }
            file.flush().expect("write a migration");
        } else {
            for index in 0..units {
                let body = format!("{}{}{}", self.head, self.unit, self.tail);
                let path = dir.path().join(format!("V{}__step.sql", index + 1));
                std::fs::write(&path, body.replace("{n}", &index.to_string()))
                    .expect("write a migration");
                named.push(path);
            }
        }
        let paths = if self.input == GrowthInput::FilesNamed && !named.is_empty() {
            named
        } else {
            vec![dir.path().to_path_buf()]
        };
        (dir, paths)
    }
}

/// The shapes that grew faster than their input before (a long line, CR-only breaks, deep
/// operator chains, one huge identifier, an unclosed quote that swallows the rest, a goose
/// block, thousands of files in one folder), and spliced mutations of the corpus.
fn growth_shapes(texts: &[String]) -> Vec<GrowthShape> {
    let mut shapes = vec![
        GrowthShape::new(
            "statements on one line",
            "postgres",
            [
                "",
                "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0; ",
                "\n",
            ],
        ),
        GrowthShape::new(
            "statements on one line",
            "mysql",
            ["", "ALTER TABLE t ADD COLUMN c int NOT NULL; ", "\n"],
        ),
        GrowthShape::new(
            "statements on their own lines",
            "postgres",
            [
                "",
                "CREATE INDEX i ON t (id);\nALTER TABLE t RENAME COLUMN id TO key;\n",
                "",
            ],
        ),
        GrowthShape::new(
            "CR-only line breaks",
            "postgres",
            ["", "DROP TABLE t;\r", ""],
        ),
        GrowthShape::new(
            "a chain of operators",
            "postgres",
            ["SELECT 1", " + 1", ";\n"],
        ),
        GrowthShape::new(
            "a chain of ORs",
            "mysql",
            ["DELETE FROM t WHERE id = 0", " OR id = 1", ";\n"],
        ),
        GrowthShape::new("unclosed parentheses", "postgres", ["SELECT ", "(", "1;\n"]),
        GrowthShape::new(
            "an unclosed quote",
            "postgres",
            ["SELECT '", "x; DROP TABLE t;\n", ""],
        ),
        GrowthShape::new(
            "an unclosed dollar quote",
            "postgres",
            ["DO $$", "BEGIN DROP TABLE t; END;\n", ""],
        ),
        GrowthShape::new(
            "one long identifier",
            "postgres",
            ["ALTER TABLE \"", "a", "\" RENAME TO b;\n"],
        ),
        GrowthShape::new(
            "one goose block",
            "postgres",
            [
                "-- +goose Up\n-- +goose StatementBegin\n",
                "CREATE INDEX i ON t (c);\n",
                "-- +goose StatementEnd\n",
            ],
        ),
        GrowthShape {
            input: GrowthInput::FilesInFolder,
            ..GrowthShape::new(
                "files in one folder",
                "postgres",
                ["", "CREATE INDEX i{n} ON t (c{n});\n", ""],
            )
        },
        GrowthShape {
            input: GrowthInput::FilesNamed,
            ..GrowthShape::new(
                "files named one by one",
                "postgres",
                ["", "CREATE INDEX i{n} ON t (c{n});\n", ""],
            )
        },
    ];
    for round in 0..3u64 {
        let mut state = 0xD1B5_4A32_D192_ED03 ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let text = &texts[pick(&mut state, texts.len())];
        let other = &texts[pick(&mut state, texts.len())];
        let unit = mutate(text, other, &mut state);
        shapes.push(GrowthShape::new(
            "a repeated mutation of the corpus",
            if round == 2 { "mysql" } else { "postgres" },
            ["", &unit, ""],
        ));
    }
    shapes
}

/// Work grows with input size, never faster: for each shape, the run on 16 times the input
/// executes at most 32 times the instructions of the smaller run above those of an empty run
/// (linear work gives about 16, n log n about 20, quadratic about 256), writes at most 32
/// times the report bytes and grows its peak memory at most 32 times. The smaller size is
/// the first, from an estimate, whose run executes a measurable number of instructions more
/// than an empty one, so fixed start-up costs do not hide the growth. Instructions are
/// counted, not timed, so the verdict is the same on an idle and on a loaded machine. Memory
/// is compared on sizes where the smaller run holds at least 8 MiB more than an empty one
/// (peak memory of one input varies by up to 2 MiB between runs), or on the largest input
/// that fits when memory does not grow that much.
#[test]
fn work_and_report_size_grow_linearly_with_the_input() {
    if !valgrind_runs() {
        eprintln!(
            "skipping: valgrind, which counts the instructions compared here, is not installed"
        );
        return;
    }
    let shapes = growth_shapes(&corpus_texts());
    // Shapes are measured on every core: the counts do not depend on what else runs.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut verdicts: Vec<(usize, Growth)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(shape) = shapes.get(index) else {
                            return done;
                        };
                        done.push((index, growth_of(shape)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a measuring thread"))
            .collect()
    });
    verdicts.sort_by_key(|(index, _)| *index);
    let mut failures = Vec::new();
    for (_, growth) in &verdicts {
        println!("{}", growth.line);
        failures.extend(growth.failure.clone());
    }
    assert!(
        failures.is_empty(),
        "superlinear growth:\n{}",
        failures.join("\n")
    );
}

/// How one shape's costs grew: the line printed, and what failed.
struct Growth {
    line: String,
    failure: Option<String>,
}

fn growth_of(shape: &GrowthShape) -> Growth {
    const FACTOR: usize = 16;
    const LIMIT: f64 = 32.0;
    const MEASURABLE: f64 = 20e6;
    // Peak memory varies by up to 2 MiB between runs of the same input (where the allocator
    // maps its segments), so a smaller run must hold at least 8 MiB more than an empty one.
    const MEASURABLE_KIB: i64 = 8 * 1024;
    let empty = shape.counted(0);
    let work = |run: &CountedRun| run.instructions.saturating_sub(empty.instructions) as f64;
    // A probe that does at least 1M instructions of work (counts vary by a few thousand
    // between runs, with the hash seed) estimates a unit's work; it gives the first size.
    let mut probe = 1;
    let mut probed = shape.counted(probe);
    while work(&probed) < 1e6 && probe < 1 << 22 {
        probe *= 16;
        probed = shape.counted(probe);
    }
    let per_unit = work(&probed).max(1.0) / probe as f64;
    let mut units = ((MEASURABLE / per_unit).ceil() as usize)
        .next_power_of_two()
        .min(1 << 22)
        .max(probe);
    let mut small = shape.counted(units);
    while work(&small) < MEASURABLE && units < 1 << 22 {
        units *= 4;
        small = shape.counted(units);
    }
    let large = shape.counted(units * FACTOR);
    let work_ratio = work(&large) / work(&small).max(1.0);
    let report_ratio = large.report_bytes as f64 / small.report_bytes.max(1) as f64;
    // Memory is sized on its own: from the same first size, up until the smaller run's memory
    // stands out of the noise or the input would no longer fit.
    let empty_kib = shape.peak_kib(0);
    let above_empty = |kib: i64| (kib - empty_kib).max(0);
    let mut memory_units = units;
    let mut small_kib = shape.peak_kib(memory_units);
    while above_empty(small_kib) < MEASURABLE_KIB && shape.fits(memory_units * 4 * FACTOR) {
        memory_units *= 4;
        small_kib = shape.peak_kib(memory_units);
    }
    let large_kib = shape.peak_kib(memory_units * FACTOR);
    let memory_ratio =
        above_empty(large_kib) as f64 / above_empty(small_kib).max(MEASURABLE_KIB) as f64;
    let ratios =
        format!("work ×{work_ratio:.1}, reports ×{report_ratio:.1}, memory ×{memory_ratio:.1}");
    Growth {
        line: format!(
            "{} ({}): {units} units {:.1}M instructions, ×{FACTOR} {:.1}M; \
             {memory_units} units {} KiB, ×{FACTOR} {} KiB (empty {empty_kib}): {ratios}",
            shape.name,
            shape.dialect,
            work(&small) / 1e6,
            work(&large) / 1e6,
            small_kib,
            large_kib,
        ),
        failure: (work_ratio > LIMIT || report_ratio > LIMIT || memory_ratio > LIMIT).then(|| {
            format!(
                "{} ({}): {ratios} for ×{FACTOR} input",
                shape.name, shape.dialect
            )
        }),
    }
}
