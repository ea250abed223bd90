//! The files `lockstep plan` writes for a phase, and what their headers claim.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `template` with every `{word}` replaced by `name(word)`: the grids write statements once
/// and let each table shape spell its names.
pub fn fill_placeholders(template: &str, name: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').expect("closed placeholder");
        out.push_str(&name(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `word` as a quoted mixed-case name, `Word` between `quote`s.
pub fn mixed_case(word: &str, quote: char) -> String {
    let mut chars = word.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase());
    format!(
        "{quote}{}{}{quote}",
        first.unwrap_or_default(),
        chars.as_str()
    )
}

/// One phase: its files and the header's claims.
pub struct PhaseFiles {
    pub name: String,
    pub up: String,
    pub down: String,
    pub kind: String,
    pub after_all_instances: bool,
    pub before_release: bool,
    pub lock_mode: String,
    /// The header's whole lock line (after `-- Lock: `).
    pub lock: String,
    /// The header says the lock covers catalogue changes only: no rewrite, no scan.
    pub catalogue_only: bool,
    pub verify: String,
    pub expected: String,
    pub irreversible: bool,
    pub has_rollback_steps: bool,
}

/// `lockstep plan` of the last statement of `change`, after `create`, with `args` (and
/// `--layout golang-migrate` among them); the phases' files in order, or lockstep's
/// message when it refuses.
pub fn plan(create: &str, change: &str, args: &[&str]) -> Result<Vec<PhaseFiles>, String> {
    let (_temp, out) = plan_into_folder(create, change, args)?;
    let mut ups: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(|e| e.to_string())?
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    ups.sort();
    Ok(ups.iter().map(|up| read_phase(up)).collect())
}

/// `lockstep plan ... --out` of the last statement of `change`, after `create`, with
/// `args`: the temporary folder (removed when dropped) and the folder the files are in,
/// or lockstep's message when it refuses.
pub fn plan_into_folder(
    create: &str,
    change: &str,
    args: &[&str],
) -> Result<(tempfile::TempDir, PathBuf), String> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = temp.path();
    std::fs::write(dir.join("000001_create.up.sql"), create).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("000002_change.up.sql"), change).map_err(|e| e.to_string())?;
    let out = dir.join("plan");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .arg("plan")
        .arg(dir.join("000002_change.up.sql"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .map_err(|e| format!("run lockstep plan: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok((temp, out))
}

/// The rest of the header line of `text` that starts with `prefix`.
pub fn header_line(text: &str, prefix: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("header line {prefix:?} missing in {text}"))
        .to_string()
}

/// A phase file's verify query and the answer its header expects.
pub fn verify_of(text: &str) -> (String, String) {
    (
        header_line(text, "-- Verify: ")
            .trim_end_matches(';')
            .to_string(),
        header_line(text, "--   expect: "),
    )
}

/// A golang-migrate phase: its `.up.sql` file at `up_path` and the `.down.sql` beside it.
pub fn read_phase(up_path: &Path) -> PhaseFiles {
    let up = std::fs::read_to_string(up_path).expect("read up");
    let down_path = up_path.to_string_lossy().replace(".up.sql", ".down.sql");
    let down = std::fs::read_to_string(down_path).expect("read down");
    let name = up_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    phase_of(name, up, down)
}

/// A phase as the tool of its layout finds it: the header's claims, and the parts of its
/// files the tool sends for the phase and for its rollback, each with whether the tool runs
/// it in a transaction.
pub struct ToolPhase {
    pub files: PhaseFiles,
    pub up: Vec<(String, bool)>,
    pub down: Vec<(String, bool)>,
}

/// The phases of a plan written into `dir`, as lockstep's discovery reads the layout: the
/// files of one version (in sqitch, which has none, of one change name) are a phase, its up
/// parts from the file holding the header, its down parts from a down file or section.
pub fn tool_phases(dir: &Path) -> Vec<ToolPhase> {
    use lockstep::layout::Direction;
    let discovery = lockstep::discover::discover(&lockstep::discover::DiscoverRequest {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    });
    let files: Vec<_> = discovery.sets.iter().flat_map(|set| &set.files).collect();
    let parts = |file: &lockstep::discover::MigrationFile, direction: Direction| {
        let text = std::fs::read_to_string(&file.path).expect("read a phase file");
        lockstep::layout::sections(&text, file)
            .into_iter()
            .filter(|s| s.direction == direction)
            .map(|s| (s.span.text(&text).to_string(), s.transactional))
            .collect::<Vec<_>>()
    };
    files
        .iter()
        .filter(|file| file.direction == Direction::Up)
        .map(|file| {
            let down: Vec<(String, bool)> = files
                .iter()
                .filter(|other| {
                    other.version == file.version
                        && (file.version.is_some()
                            || other.path.file_name() == file.path.file_name())
                })
                .flat_map(|other| parts(other, Direction::Down))
                .collect();
            let up_text = std::fs::read_to_string(&file.path).expect("read a phase file");
            let down_text: String = down.iter().map(|(sql, _)| sql.as_str()).collect();
            let name = file.path.to_string_lossy().into_owned();
            ToolPhase {
                files: phase_of(name, up_text, down_text),
                up: parts(file, Direction::Up),
                down,
            }
        })
        .collect()
}

/// The phase file `name`, whose text `up` opens with the plan's header, with `down`, the
/// code that rolls it back (a file of its own, or a down section).
pub fn phase_of(name: String, up: String, down: String) -> PhaseFiles {
    let line = |prefix: &str| header_line(&up, prefix);
    let phase = line("-- Phase ");
    let kind = phase
        .split_once(", ")
        .and_then(|(_, rest)| rest.split_once(':'))
        .map(|(kind, _)| kind.to_string())
        .expect("phase kind");
    let deploy = line("-- Deploy: ");
    let lock = line("-- Lock: ");
    let (mode, rest) = lock.split_once(" on ").expect("lock mode");
    let catalogue_only = rest.contains("(catalogue changes only");
    let verify = line("-- Verify: ");
    let irreversible = line("-- Rollback: ").starts_with("none, IRREVERSIBLE");
    PhaseFiles {
        name,
        kind,
        after_all_instances: deploy.starts_with("only after every application instance"),
        before_release: deploy.starts_with("before the application release"),
        lock_mode: pg_locks_name(mode),
        lock: lock.clone(),
        catalogue_only,
        verify: verify.trim_end_matches(';').to_string(),
        expected: line("--   expect: "),
        irreversible,
        has_rollback_steps: !irreversible
            && down.lines().any(|l| !l.is_empty() && !l.starts_with("--")),
        up,
        down,
    }
}

impl PhaseFiles {
    /// What the phase's header claims that decides the writes and checks around it (when
    /// it deploys, whether it rolls back, its verify query and answer), as one line.
    pub fn claims(&self) -> String {
        format!(
            "phase {} after all instances {} before release {} rollback {} verify {} expect {}",
            self.kind,
            self.after_all_instances,
            self.before_release,
            self.has_rollback_steps,
            self.verify,
            self.expected,
        )
    }
}

/// `ACCESS EXCLUSIVE` -> `AccessExclusiveLock`.
pub fn pg_locks_name(mode: &str) -> String {
    let words: String = mode
        .split(' ')
        .map(|w| {
            let lower = w.to_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{words}Lock")
}

/// The earlier phase to run again after rolling back a phase of `kind`: two rollbacks undo
/// a little more than their phase, as their plans note. The one of set_not_null leaves the
/// check NOT VALID (validate restores it), and the one of attach_index drops the index with
/// the constraint (build_index rebuilds it).
pub fn redo_after_rollback(kind: &str) -> Option<&'static str> {
    match kind {
        "set_not_null" => Some("validate"),
        "attach_index" => Some("build_index"),
        _ => None,
    }
}

/// Every file under `dir` except the starting ones, sorted, under a banner with its path
/// from `dir` (Diesel and Prisma write a folder per phase).
pub fn written_files(dir: &Path, skip: &[&str]) -> String {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let entry = entry.expect("entry");
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if name == ".lockstep-pending" {
                // Listed on its own, as what waits for a later release.
                continue;
            }
            if entry.path().is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut names = Vec::new();
    walk(dir, "", &mut names);
    names.retain(|n| !skip.contains(&n.as_str()));
    names.sort_by(|a, b| lockstep::discover::natural_cmp(a, b));
    names
        .iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(n)).expect("read file");
            format!("==== {n} ====\n{text}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The phases `plan --write` kept for a later release in `folder`, listed as
/// [`written_files`] lists a folder, and their pending folders.
pub fn kept_for_later(folder: &Path) -> (String, Vec<PathBuf>) {
    let mut pending: Vec<PathBuf> = std::fs::read_dir(folder.join(".lockstep-pending"))
        .map(|dirs| dirs.map(|d| d.expect("entry").path()).collect())
        .unwrap_or_default();
    pending.sort();
    let listed = pending
        .iter()
        .map(|dir| {
            format!(
                "\n==== kept for a later release in {} ====\n{}",
                dir.file_name().expect("name").to_string_lossy(),
                written_files(dir, &[])
            )
        })
        .collect();
    (listed, pending)
}

/// Key columns an insert gives, and their values' SQL from a number's SQL, when a grid
/// shape's key has no default.
pub type KeyInsert = (&'static str, fn(&str) -> String);

pub fn plain_number(n: &str) -> String {
    n.to_string()
}

/// A composite key's two values from a number, in both dialects.
pub fn tenant_line(n: &str) -> String {
    format!("({n}) % 7, {n}")
}

/// The word the refusal of `change` on `shape` must hold, when `refusals` (shape, change,
/// word) lists one.
pub fn expected_refusal(
    refusals: &[(&str, &str, &'static str)],
    shape: &str,
    change: &str,
) -> Option<&'static str> {
    refusals
        .iter()
        .find(|(s, c, _)| *s == shape && *c == change)
        .map(|(_, _, word)| *word)
}

/// A grid test's record of every row's last acknowledged value, by key.
pub struct Model {
    pub values: HashMap<String, String>,
    pub next: u64,
}

/// The key columns and values (each list followed by `, `) an insert of row number `n`
/// gives, when the key has no default.
pub fn key_insert_parts(key_insert: Option<KeyInsert>, n: &str) -> (String, String) {
    match key_insert {
        Some((columns, values)) => (format!("{columns}, "), format!("{}, ", values(n))),
        None => (String::new(), String::new()),
    }
}

/// Whether every one of `sent` writes was acknowledged by a row.
pub fn check_acknowledged(when: &str, acknowledged: usize, sent: usize) -> Result<(), String> {
    if acknowledged == sent {
        return Ok(());
    }
    Err(format!(
        "{when}: {acknowledged} writes acknowledged, {sent} sent"
    ))
}

impl Model {
    /// The keys of the two rows a release updates: spread over the key order.
    pub fn update_targets(&self) -> Vec<String> {
        let mut keys: Vec<&String> = self.values.keys().collect();
        keys.sort();
        keys.iter()
            .step_by(keys.len() / 2 + 1)
            .map(|k| k.to_string())
            .collect()
    }

    /// Whether `rows` (key and value of every row at the end) hold the last writes.
    pub fn check_final_rows(&self, rows: &HashMap<String, String>) -> Result<(), String> {
        if *rows == self.values {
            return Ok(());
        }
        let wrong: Vec<String> = self
            .values
            .iter()
            .filter(|(key, value)| rows.get(*key) != Some(value))
            .take(3)
            .map(|(key, value)| format!("{key}: wrote {value}, holds {:?}", rows.get(key)))
            .collect();
        Err(format!(
            "rows differ from the last writes ({} rows, {} expected): {wrong:?}",
            rows.len(),
            self.values.len()
        ))
    }
}

/// Whether `answer`, what `phase`'s verify query gave, is what its header expects.
pub fn check_verify(phase: &PhaseFiles, answer: &str) -> Result<(), String> {
    if answer == phase.expected {
        return Ok(());
    }
    Err(format!(
        "{}: verify query gave {answer}, the header expects {}",
        phase.name, phase.expected
    ))
}

/// The first value of the rows `sql` gave (empty when none), or its error.
pub fn first_value(sql: &str, rows: Result<Vec<Vec<String>>, String>) -> Result<String, String> {
    let rows = rows.map_err(|e| format!("{sql}: {e}"))?;
    Ok(rows.into_iter().flatten().next().unwrap_or_default())
}

/// Whether the schema after every phase is the plain statement's.
pub fn check_final_schema(planned: &str, plain: &str) -> Result<(), String> {
    if planned == plain {
        return Ok(());
    }
    Err(format!(
        "the final schema differs from the plain statement's:\n plan:  {planned}\n plain: {plain}"
    ))
}

/// One `#[test]` per change of a grid, each calling the grid's `grid(change_name)`.
// Only the grids' test binaries use it, as with the rest of `support` (see its `dead_code`).
#[allow(unused_macros)]
macro_rules! grid_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                grid(stringify!($name));
            }
        )*
        /// A change of the grid without a test would never run.
        #[test]
        fn every_change_of_the_grid_has_a_test() {
            let tested = [$(stringify!($name)),*];
            for change in CHANGES {
                assert!(tested.contains(&change.name), "{} has no grid test", change.name);
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use grid_tests;

/// What one scenario of a plan grid (a change planned on one table shape) came to.
pub enum Outcome {
    Passed,
    /// Refused with the message the grid expects for that shape.
    Refused,
    /// No server of the version asked for (outside CI).
    Skipped,
}

/// A layout, and how a scenario went in it.
pub type LayoutOutcome = (&'static str, Result<Outcome, String>);

/// The scenarios of one change across a grid, so that every failure is reported at once.
#[derive(Default)]
pub struct GridTally {
    passed: usize,
    refused: usize,
    failures: Vec<String>,
    /// Plans run on a server: layouts whose tools send the same thing share one run.
    server_runs: usize,
}

impl GridTally {
    pub fn record(&mut self, scenario: String, outcome: Result<Outcome, String>) {
        match outcome {
            Ok(Outcome::Passed) => self.passed += 1,
            Ok(Outcome::Refused) => self.refused += 1,
            Ok(Outcome::Skipped) => {}
            Err(e) => self.failures.push(format!("{scenario}: {e}")),
        }
    }

    /// Records how `scenario` went in each layout, or the failure that came before any
    /// layout ran.
    pub fn record_layouts(&mut self, scenario: &str, outcomes: Result<Vec<LayoutOutcome>, String>) {
        match outcomes {
            Ok(outcomes) => {
                for (layout, outcome) in outcomes {
                    self.record(format!("{scenario}, {layout}"), outcome);
                }
            }
            Err(failure) => self.record(scenario.to_string(), Err(failure)),
        }
    }

    /// Runs a layout's plan on a server with `run`, unless a layout of the same scenario
    /// whose tool sends the server the same thing (the same `trace`) passed already:
    /// `traces` holds the scenario's traces run so far.
    pub fn run_once(
        &mut self,
        traces: &mut Vec<String>,
        trace: String,
        run: impl FnOnce() -> Result<(), String>,
    ) -> Result<Outcome, String> {
        if traces.contains(&trace) {
            return Ok(Outcome::Passed);
        }
        self.server_runs += 1;
        run()?;
        traces.push(trace);
        Ok(Outcome::Passed)
    }

    /// Prints the counts, then fails listing every failed scenario.
    pub fn assert_no_failures(self, change_name: &str) {
        eprintln!(
            "{change_name}: {} passed, {} refused as expected, {} failed ({} runs on a server)",
            self.passed,
            self.refused,
            self.failures.len(),
            self.server_runs
        );
        assert!(
            self.failures.is_empty(),
            "{change_name}:\n{}",
            self.failures.join("\n\n")
        );
    }
}

/// A goose section's statements as goose splits them: a statement ends at a line ending in
/// `;`, except between `-- +goose StatementBegin` and `-- +goose StatementEnd`, which
/// enclose one statement; other comment lines and blank lines are dropped.
pub fn goose_statements(section: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut in_block = false;
    for line in section.lines() {
        match line.trim() {
            "-- +goose StatementBegin" => in_block = true,
            "-- +goose StatementEnd" => {
                in_block = false;
                statements.push(std::mem::take(&mut current));
            }
            trimmed if trimmed.starts_with("--") || trimmed.is_empty() => {}
            trimmed => {
                current.push_str(line);
                current.push('\n');
                if !in_block && trimmed.ends_with(';') {
                    statements.push(std::mem::take(&mut current));
                }
            }
        }
    }
    statements
}
