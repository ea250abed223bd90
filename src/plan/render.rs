//! Plans as migration files, in a framework's own naming, ordering and markers.
//!
//! How each framework runs a file, which decides what the files must say:
//!
//! | framework | wraps a file in a transaction | no-transaction marker | rollback |
//! |---|---|---|---|
//! | Flyway | yes | `<script>.sql.conf` holding `executeInTransaction=false` | `<script>.sql.rollback` run by hand, or (`flyway_undo`) a `U<version>__` undo file |
//! | golang-migrate | no (the file is one query string) | none needed | `.down.sql` |
//! | sqlx | yes | the file starts with `-- no-transaction` | `.down.sql` |
//! | dbmate | yes, per block | `-- migrate:up transaction:false` | `-- migrate:down` block |
//! | goose | yes | `-- +goose NO TRANSACTION` | `-- +goose Down` section |
//! | sqitch | no (psql runs each statement) | none needed | `revert/<change>.sql` |
//! | plain | no (psql runs each statement) | none needed | `.rollback.sql` beside it |
//!
//! A transactional phase in a framework that does not wrap gets an explicit
//! `BEGIN`/`COMMIT`, so `SET LOCAL lock_timeout` applies to it everywhere. Flyway versions
//! are digits and dots: the phases of a plan for `V8__x.sql` are `V8.1__`, `V8.2__`, ...
//! (a letter suffix such as `V8A` is not a Flyway version); integer-versioned frameworks
//! number the phases after the file's own version, keeping its zero padding.
//!
//! Flyway runs `U` undo files only in its Teams edition; Community ignores them. So by
//! default a Flyway rollback is a `<script>.sql.rollback` beside the script, to run by hand
//! with psql (with its own `BEGIN`/`COMMIT`): not `.sql`, since Flyway would read a
//! `V<version>__<x>.rollback.sql` as a second migration of the same version, and a `.sql`
//! named without the prefix fails a run with `validateMigrationNaming` on. `flyway_undo`
//! writes `U` files.

use super::{Phase, Plan, PlanError, Rollback, Step, LOCK_TIMEOUT};
use std::fmt::Write;

mod header;

pub(super) use header::{phase_header, rollback_header};

/// The migration convention files are written in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Convention {
    Flyway,
    GolangMigrate,
    Sqlx,
    Dbmate,
    Goose,
    /// A folder per migration, `<version>_<name>/up.sql` and `down.sql`, with
    /// `metadata.toml` saying `run_in_transaction = false` when it must.
    Diesel,
    /// A folder per migration, `<version>_<name>/migration.sql`; Prisma has no down
    /// migrations, so the rollback is a `rollback.sql` beside it, run by hand.
    Prisma,
    /// A sqitch change per phase: `deploy/`, `revert/` and `verify/` scripts and a line
    /// in `sqitch.plan` (see [`super::sqitch`]).
    Sqitch,
    Plain,
}

impl Convention {
    pub fn name(self) -> &'static str {
        match self {
            Convention::Flyway => "flyway",
            Convention::GolangMigrate => "golang-migrate",
            Convention::Sqlx => "sqlx",
            Convention::Dbmate => "dbmate",
            Convention::Goose => "goose",
            Convention::Diesel => "diesel",
            Convention::Prisma => "prisma",
            Convention::Sqitch => "sqitch",
            Convention::Plain => "plain",
        }
    }

    pub fn from_name(name: &str) -> Option<Convention> {
        [
            Convention::Flyway,
            Convention::GolangMigrate,
            Convention::Sqlx,
            Convention::Dbmate,
            Convention::Goose,
            Convention::Diesel,
            Convention::Prisma,
            Convention::Sqitch,
            Convention::Plain,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }

    /// Whether the framework runs each migration in a transaction unless told otherwise.
    pub fn wraps(self) -> bool {
        match self {
            Convention::Flyway
            | Convention::Sqlx
            | Convention::Dbmate
            | Convention::Goose
            | Convention::Diesel => true,
            // Prisma sends the script as one query string, as golang-migrate does; sqitch
            // hands it to psql in autocommit mode.
            Convention::GolangMigrate
            | Convention::Prisma
            | Convention::Sqitch
            | Convention::Plain => false,
        }
    }

    /// Whether each migration is a folder of its own under the migrations folder.
    pub fn folder_per_migration(self) -> bool {
        matches!(self, Convention::Diesel | Convention::Prisma)
    }
}

/// What a written file is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The phase's forward migration (for dbmate and goose, with its down section).
    Up,
    /// The phase's rollback, in a file of its own.
    Down,
    /// Flyway's per-script configuration.
    Config,
    /// A sqitch change's verify script.
    Verify,
    /// A line to append to `sqitch.plan` (never a whole file to write).
    PlanEntry,
}

/// One file to write, named relative to the migration folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutFile {
    pub name: String,
    pub text: String,
    pub role: Role,
    /// Index of the phase in the flattened list of all plans' phases.
    pub phase: usize,
}

/// The phase versions after `base` (the version of the file being replaced).
pub fn versions(
    convention: Convention,
    base: &str,
    count: usize,
) -> Result<Vec<String>, PlanError> {
    if convention == Convention::Sqitch {
        // Changes are named, not numbered: the plan file orders them.
        return Ok((1..=count).map(|i| i.to_string()).collect());
    }
    // Diesel versions are dates and times: `2024-01-15-103000`.
    let separators: &[char] = if convention == Convention::Diesel {
        &['.', '-']
    } else {
        &['.']
    };
    if !base.ends_with(|c: char| c.is_ascii_digit())
        || !base
            .chars()
            .all(|c| c.is_ascii_digit() || separators.contains(&c))
    {
        return Err(PlanError(format!(
            "cannot number the phase files after version `{base}`: expected digits"
        )));
    }
    if convention == Convention::Flyway {
        return Ok((1..=count).map(|i| format!("{base}.{i}")).collect());
    }
    if convention.folder_per_migration() {
        return Ok(versions_after(base, count));
    }
    if base.parse::<u128>().is_err() {
        return Err(PlanError(format!(
            "cannot number the phase files after version `{base}`: {} versions are whole numbers",
            convention.name()
        )));
    }
    Ok(versions_after(base, count))
}

/// The versions after `base`, counting on from its last run of digits and keeping its
/// width: `000009` -> `000010`, Diesel's `2024-01-15-103000` -> `2024-01-15-103001` (Diesel
/// and Prisma read the version as text, not as a time).
fn versions_after(base: &str, count: usize) -> Vec<String> {
    let digits_from = base
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let (head, tail) = base.split_at(digits_from);
    let number: u128 = tail.parse().unwrap_or(0);
    let width = tail.len();
    (1..=count as u128)
        .map(|i| format!("{head}{:0width$}", number + i))
        .collect()
}

/// How a dialect writes the files of one phase (the `usize` is the phase's index among
/// all plans' phases).
pub(super) type PhaseWriter = fn(&PhaseContext, &Names, usize) -> Result<Vec<OutFile>, PlanError>;

/// Every file of the plans, phase after phase, numbered from `versions`, each phase's
/// written by the dialect's `phase_files`; Flyway rollbacks as `U` undo files when
/// `flyway_undo`.
pub(super) fn files(
    plans: &[Plan],
    (convention, flyway_undo): (Convention, bool),
    versions: &[String],
    expected: &[Option<String>],
    phase_files: PhaseWriter,
) -> Result<Vec<OutFile>, PlanError> {
    let phases: Vec<(&Plan, usize, &Phase)> = plans
        .iter()
        .flat_map(|plan| {
            plan.phases
                .iter()
                .enumerate()
                .map(move |(i, phase)| (plan, i, phase))
        })
        .collect();
    let mut out = Vec::new();
    for (index, ((plan, position, phase), version)) in phases.iter().zip(versions).enumerate() {
        let stem = plan.phase_stem(*position);
        let names = Names::new(convention, version, &stem, flyway_undo);
        let context = PhaseContext {
            plan,
            position: *position,
            phase,
            convention,
            rollback_at: &names.rollback_at,
            expected: expected.get(index).and_then(Option::as_deref),
        };
        out.extend(phase_files(&context, &names, index)?);
    }
    Ok(out)
}

/// The files of one phase and where its rollback lives.
pub(super) struct Names {
    /// `<kind>_<slug>`: the name after the version, and a sqitch change's whole name.
    pub(super) stem: String,
    pub(super) up: String,
    pub(super) down: Option<String>,
    pub(super) config: Option<String>,
    pub(super) rollback_at: String,
    /// The rollback is run by hand with psql (or the mysql client), not by the tool.
    pub(super) down_by_hand: bool,
}

impl Names {
    fn new(convention: Convention, version: &str, stem: &str, flyway_undo: bool) -> Names {
        let down_by_hand = convention == Convention::Flyway && !flyway_undo;
        let (up, down) = match convention {
            Convention::Flyway if flyway_undo => (
                format!("V{version}__{stem}.sql"),
                Some(format!("U{version}__{stem}.sql")),
            ),
            Convention::Flyway => (
                format!("V{version}__{stem}.sql"),
                Some(format!("V{version}__{stem}.sql.rollback")),
            ),
            Convention::GolangMigrate | Convention::Sqlx => (
                format!("{version}_{stem}.up.sql"),
                Some(format!("{version}_{stem}.down.sql")),
            ),
            Convention::Dbmate | Convention::Goose => (format!("{version}_{stem}.sql"), None),
            Convention::Plain => (
                format!("{version}_{stem}.sql"),
                Some(format!("{version}_{stem}.rollback.sql")),
            ),
            Convention::Diesel => (
                format!("{version}_{stem}/up.sql"),
                Some(format!("{version}_{stem}/down.sql")),
            ),
            Convention::Prisma => (
                format!("{version}_{stem}/migration.sql"),
                Some(format!("{version}_{stem}/rollback.sql")),
            ),
            Convention::Sqitch => (
                format!("deploy/{stem}.sql"),
                Some(format!("revert/{stem}.sql")),
            ),
        };
        let rollback_at = match (&down, convention) {
            (Some(down), _) if down_by_hand => format!(
                "{down}, run by hand (Flyway runs `U` undo files only in its Teams edition; `--flyway-undo` writes one instead)"
            ),
            (Some(down), _) => down.clone(),
            (None, Convention::Dbmate) => "the `-- migrate:down` block below".into(),
            (None, _) => "the `-- +goose Down` section below".into(),
        };
        let config = match convention {
            Convention::Flyway => Some(format!("V{version}__{stem}.sql.conf")),
            Convention::Diesel => Some(format!("{version}_{stem}/metadata.toml")),
            _ => None,
        };
        Names {
            stem: stem.to_string(),
            up,
            down,
            config,
            rollback_at,
            down_by_hand,
        }
    }
}

pub(super) struct PhaseContext<'a> {
    pub(super) plan: &'a Plan,
    pub(super) position: usize,
    pub(super) phase: &'a Phase,
    pub(super) convention: Convention,
    pub(super) rollback_at: &'a str,
    /// How long the phase's work takes on the tables of the stats file, when one is given.
    pub(super) expected: Option<&'a str>,
}

/// A file of the phase at `index` (among all plans' phases): its name, text and role.
pub(super) fn phase_file(index: usize) -> impl Fn(&str, String, Role) -> OutFile {
    move |name, text, role| OutFile {
        name: name.to_string(),
        text,
        role,
        phase: index,
    }
}

/// The files of one PostgreSQL phase.
pub(super) fn phase_files(
    context: &PhaseContext,
    names: &Names,
    index: usize,
) -> Result<Vec<OutFile>, PlanError> {
    let phase = context.phase;
    let file = phase_file(index);
    let header = header(context);
    let up_body = up_body(context);
    // psql opens no transaction: a rollback run by hand carries its own BEGIN/COMMIT.
    let down_runner = if names.down_by_hand {
        Convention::Plain
    } else {
        context.convention
    };
    let down_body = rollback_body(context, down_runner);
    let mut out = Vec::new();
    match context.convention {
        Convention::Dbmate => {
            let options = if phase.transactional {
                ""
            } else {
                " transaction:false"
            };
            let down_options = if rollback_transactional(phase) {
                ""
            } else {
                " transaction:false"
            };
            let text = format!(
                "{header}\n-- migrate:up{options}\n{up_body}\n-- migrate:down{down_options}\n{down_body}"
            );
            out.push(file(&names.up, text, Role::Up));
        }
        Convention::Goose => {
            let marker = if phase.transactional {
                ""
            } else {
                "-- +goose NO TRANSACTION\n"
            };
            let text =
                format!("{marker}{header}\n-- +goose Up\n{up_body}\n-- +goose Down\n{down_body}");
            out.push(file(&names.up, text, Role::Up));
        }
        Convention::Sqlx if !phase.transactional => {
            // sqlx reads the marker only at the very start of the file.
            let text = format!("{SQLX_NO_TRANSACTION}{header}\n{up_body}");
            out.push(file(&names.up, text, Role::Up));
        }
        _ => out.push(file(&names.up, format!("{header}\n{up_body}"), Role::Up)),
    }
    if let Some(down) = &names.down {
        let marker = match context.convention {
            Convention::Sqlx if !rollback_transactional(phase) => SQLX_NO_TRANSACTION,
            _ => "",
        };
        let header = rollback_header(context, names, down, "psql -v ON_ERROR_STOP=1 -f");
        let text = format!("{marker}{header}\n{down_body}");
        out.push(file(down, text, Role::Down));
    }
    if let (Some(config), Convention::Diesel) = (&names.config, context.convention) {
        // One setting for the folder's up.sql and down.sql alike.
        if !phase.transactional {
            out.push(file(config, DIESEL_NO_TRANSACTION.into(), Role::Config));
        }
    } else if let Some(config) = &names.config {
        let no_transaction = |name: &str| file(name, FLYWAY_NO_TRANSACTION.into(), Role::Config);
        if !phase.transactional {
            out.push(no_transaction(config));
        }
        let tool_runs_down = !names.down_by_hand && !rollback_transactional(phase);
        if let (Some(down), true) = (&names.down, tool_runs_down) {
            out.push(no_transaction(&format!("{down}.conf")));
        }
    }
    if context.convention == Convention::Sqitch {
        let change = super::sqitch::change_name(&names.stem)?;
        out.extend(super::sqitch::change_files(context, &change, index)?);
    }
    Ok(out)
}

const SQLX_NO_TRANSACTION: &str = "-- no-transaction\n";
const FLYWAY_NO_TRANSACTION: &str = "executeInTransaction=false\n";
const DIESEL_NO_TRANSACTION: &str = "run_in_transaction = false\n";

/// A rollback runs in a transaction unless its phase cannot (dropping an index built
/// `CONCURRENTLY` is itself `CONCURRENTLY`); such a rollback is one statement too.
fn rollback_transactional(phase: &Phase) -> bool {
    phase.transactional || !matches!(phase.rollback, Rollback::Steps(_))
}

fn header(context: &PhaseContext) -> String {
    let transaction = format!("-- Transaction: {}.", transaction_note(context));
    let lock_wait = format!("-- Lock wait: at most {LOCK_TIMEOUT} (lock_timeout). On SQLSTATE 55P03 (lock_not_available) nothing changed: run the migration again, at a quieter time if it keeps timing out.");
    phase_header(context, &[transaction], &lock_wait)
}

fn transaction_note(context: &PhaseContext) -> &'static str {
    match (context.phase.transactional, context.convention.wraps()) {
        (true, true) => "one transaction, opened by the migration tool",
        (true, false) => "one transaction, opened by the BEGIN below",
        (false, _) => {
            "none: one statement that commits as it goes, so it must run outside a transaction block"
        }
    }
}

fn up_body(context: &PhaseContext) -> String {
    let phase = context.phase;
    statements(&phase.steps, phase.transactional, context.convention)
}

/// The body of a rollback with nothing to undo, whatever the dialect: why not.
pub(super) fn nothing_to_undo(why: &str) -> String {
    let mut text = String::new();
    comment_line(&mut text, format_args!("-- Nothing to undo: {why}."));
    text
}

/// The rollback's statements, as `runner` runs them.
fn rollback_body(context: &PhaseContext, runner: Convention) -> String {
    match &context.phase.rollback {
        Rollback::Steps(steps) => statements(steps, rollback_transactional(context.phase), runner),
        Rollback::Nothing(why) => nothing_to_undo(why),
        Rollback::Irreversible(why) => {
            let message = super::sql::literal(&format!("irreversible: {why}"));
            let step = Step::new(format!(
                "DO {}",
                super::sql::dollar_quoted(&format!("\nBEGIN\n  RAISE EXCEPTION {message};\nEND\n"))
            ));
            statements(&[step], true, runner)
        }
    }
}

fn statements(steps: &[Step], transactional: bool, convention: Convention) -> String {
    let explicit = transactional && !convention.wraps();
    let mut body = String::new();
    if explicit {
        body.push_str("BEGIN;\n");
    }
    let lock_timeout = format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'");
    write_steps(&mut body, steps, &lock_timeout, |body, step| {
        let goose_block = convention == Convention::Goose && step.is_compound();
        if goose_block {
            body.push_str("-- +goose StatementBegin\n");
        }
        let _ = writeln!(body, "{};", step.sql);
        if goose_block {
            body.push_str("-- +goose StatementEnd\n");
        }
    });
    if explicit {
        body.push_str("COMMIT;\n");
    }
    body
}

/// Appends `steps` to `body`, whatever the dialect, each written by the dialect's
/// `write_step`: `lock_timeout` (the statement that bounds the lock wait) before the first
/// step that takes a strong lock, and a step's ignore comment before the step.
pub(super) fn write_steps(
    body: &mut String,
    steps: &[Step],
    lock_timeout: &str,
    write_step: impl Fn(&mut String, &Step),
) {
    let mut timeout_set = false;
    for step in steps {
        if step.strong_lock && !timeout_set {
            let _ = writeln!(body, "{lock_timeout};");
            timeout_set = true;
        }
        if let Some(ignore) = &step.ignore {
            comment_line(body, format_args!("{ignore}"));
        }
        write_step(body, step);
    }
}

/// Appends `line`, a `--` comment, and a newline. Names and expressions from the input
/// may hold newlines or other control characters: written raw, a newline would end the
/// comment and turn the rest of a stranger's identifier into a live statement, so they
/// are written as escapes (`\n`, `\u{7}`).
pub fn comment_line(out: &mut String, line: std::fmt::Arguments) {
    for c in line.to_string().chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\n');
}

/// All files as one script for the terminal, each under a banner with its name.
pub fn annotated_script(files: &[OutFile]) -> String {
    let mut out = String::new();
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        comment_line(&mut out, format_args!("-- ==== {} ====", file.name));
        out.push_str(&file.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_versions_are_sub_versions_of_digits_and_dots() {
        let got = versions(Convention::Flyway, "8", 3).ok();
        assert_eq!(got, Some(vec!["8.1".into(), "8.2".into(), "8.3".into()]));
        let nested = versions(Convention::Flyway, "1.2", 1).ok();
        assert_eq!(nested, Some(vec!["1.2.1".into()]));
    }

    #[test]
    fn integer_versions_keep_their_padding() {
        let got = versions(Convention::GolangMigrate, "000009", 2).ok();
        assert_eq!(got, Some(vec!["000010".into(), "000011".into()]));
        let stamp = versions(Convention::Dbmate, "20240101120000", 1).ok();
        assert_eq!(stamp, Some(vec!["20240101120001".into()]));
    }

    #[test]
    fn versions_that_are_not_numbers_are_refused() {
        assert!(versions(Convention::Flyway, "8A", 1).is_err());
        assert!(versions(Convention::GolangMigrate, "1.2", 1).is_err());
        assert!(versions(Convention::Plain, "", 1).is_err());
    }
}
