//! `lockstep plan FILE`: replay FILE's folder, plan its risky statements, then print the
//! phase files or write them (atomically, never over an existing file without `--force`).

use super::mysql::render as mysql_render;
use super::render::{self, Convention, OutFile, Role};
use super::{
    expected, pending, plan_statement, sqitch, sqitch_project, Deploy, Plan, PlanError,
    PlanOptions, PLANNED,
};
use crate::config::Settings;
use crate::dialect::Dialect;
use crate::discover::{discover, DiscoverRequest, MigrationFile};
use crate::engine::{self, FileReplay};
use crate::layout::Layout;
use crate::span::LineIndex;
use crate::write_file::{check_replaceable, write_atomically};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The migration file holding the risky statement.
    pub file: PathBuf,
    /// Only plan the statement on this line (1-based).
    #[arg(long)]
    pub line: Option<u32>,
    #[arg(long, value_enum)]
    pub dialect: Option<Dialect>,
    /// The server version the migrations will run on (default 15).
    #[arg(long)]
    pub target_version: Option<String>,
    /// The config file (default: the nearest `lockstep.toml` above FILE).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The migration convention to write (default: FILE's own).
    #[arg(long, value_enum, default_value_t = PlanLayout::Auto)]
    pub layout: PlanLayout,
    /// Write the phase files into this folder (default: print them as one annotated script).
    #[arg(long, conflicts_with = "write")]
    pub out: Option<PathBuf>,
    /// Write the phase files next to FILE, in its convention.
    #[arg(long)]
    pub write: bool,
    /// Rows per backfill batch; each batch commits on its own (default: sized from the
    /// stats file so a batch commits in about 0.2 s, else 10000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// Pause between backfill batches, in milliseconds.
    #[arg(long, default_value_t = crate::plan::DEFAULT_PAUSE_MS)]
    pub pause_ms: u32,
    /// Replace files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Write Flyway rollbacks as `U` undo files, which only Flyway Teams runs (default:
    /// `.sql.rollback` files beside the phases, run by hand; `flyway_undo` in the config).
    #[arg(long)]
    pub flyway_undo: bool,
    /// A stats file (`lockstep stats`): each backfill, index build and validation phase
    /// says how long it takes on the table's size (default: `stats` in the config).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanLayout {
    Auto,
    Flyway,
    GolangMigrate,
    Sqlx,
    Dbmate,
    Goose,
    Diesel,
    Prisma,
    Sqitch,
    Plain,
}

/// What the command produced.
#[derive(Debug, Default)]
pub struct Output {
    /// The annotated script to print, when nothing was written.
    pub script: Option<String>,
    pub written: Vec<PathBuf>,
    /// With `--write`: the folder keeping the phases of a later release.
    pub pending: Option<PathBuf>,
    /// With `--write`: the planned file's own down migration, which still undoes the
    /// planned statement rather than the phases.
    pub down_migration: Option<PathBuf>,
    /// With `--write`: why the new files come before a migration the tool may have run.
    pub out_of_order: Option<String>,
    /// Where the rollbacks are when no tool runs them (Flyway without undo files).
    pub rollbacks_by_hand: Option<String>,
}

pub fn run(args: &PlanArgs, settings: &Settings) -> Result<Output, PlanError> {
    let replay = engine::replay_file_for_plan(settings, &args.file).map_err(PlanError)?;
    let options = PlanOptions {
        target: settings.target,
        batch_size: args.batch_size,
        pause_ms: args.pause_ms,
        stats: settings.stats.as_deref(),
    };
    let plans = plans(&replay, args.line, &options)?;
    if plans.is_empty() {
        return Err(PlanError(format!(
            "{}: no statement here has a plan (lockstep plans {PLANNED})",
            args.file.display()
        )));
    }
    let file = &replay.set.files[replay.position];
    let convention = convention(args.layout, file)?;
    let flyway_undo = args.flyway_undo || settings.flyway_undo;
    let Numbered {
        base,
        versions,
        mut files,
    } = phase_files(&plans, file, convention, &options, flyway_undo)?;
    if convention == Convention::Sqitch {
        if let Some(change) = planned_change(file) {
            for entry in files.iter_mut().filter(|f| f.role == Role::PlanEntry) {
                entry.text = sqitch::require_change(&entry.text, &change);
            }
        }
    }
    let rollbacks_by_hand = (convention == Convention::Flyway && !flyway_undo).then(|| {
        "the Flyway rollbacks are the `.sql.rollback` files beside the phases: Flyway does not run them; run one by hand (psql or the mysql client) to undo its phase. Flyway Teams users: --flyway-undo (or `flyway_undo = true` in lockstep.toml) writes `U` undo files instead".to_string()
    });
    match (&args.out, args.write) {
        (Some(dir), _) => Ok(Output {
            written: write_files(dir, &files, &dir.join(sqitch::PLAN_FILE), args.force)?,
            rollbacks_by_hand,
            ..Output::default()
        }),
        (None, true) => {
            // sqitch's plan orders its changes: no version can be taken or come later.
            let (dir, plan, later) = if convention == Convention::Sqitch {
                let project = sqitch_project_of(&args.file)?;
                (project.top_dir, project.plan, None)
            } else {
                let dir = migrations_folder(&args.file, convention);
                let later = check_versions_free(&dir, &base, &versions, &files)?;
                let plan = dir.join(sqitch::PLAN_FILE);
                (dir, plan, later)
            };
            let out_of_order = later.map(|newer| out_of_order(convention, &newer));
            write_beside(
                &dir, &plan, &plans, convention, &versions, &files, args.force,
            )
            .map(|output| Output {
                down_migration: down_migration(file),
                out_of_order,
                rollbacks_by_hand,
                ..output
            })
        }
        (None, false) => Ok(Output {
            script: Some(render::annotated_script(&files)),
            ..Output::default()
        }),
    }
}

/// The phase files of plans, and the versions they are numbered with.
struct Numbered {
    /// The version of the file whose statements they replace (empty for sqitch).
    base: String,
    versions: Vec<String>,
    files: Vec<OutFile>,
}

/// The files of `plans` in `convention`, numbered after the version of `file`, the file
/// whose statements they replace.
fn phase_files(
    plans: &[Plan],
    file: &MigrationFile,
    convention: Convention,
    options: &PlanOptions,
    flyway_undo: bool,
) -> Result<Numbered, PlanError> {
    let phase_count = plans.iter().map(|p| p.phases.len()).sum();
    let base = match (convention, &file.version) {
        // sqitch names its changes; `sqitch.plan` orders them.
        (Convention::Sqitch, _) => String::new(),
        (_, Some(version)) => version.clone(),
        (_, None) => {
            return Err(PlanError(format!(
                "{}: its name has no version to number the phase files after",
                file.path.display()
            )))
        }
    };
    let mut versions = render::versions(convention, &base, phase_count)?;
    if convention == Convention::Flyway && flyway_underscores(file) {
        // `V1_23__x.sql`: the phases keep the project's separator, `V1_23_1__`.
        versions = versions.iter().map(|v| v.replace('.', "_")).collect();
    }
    let durations = expected::phase_durations(plans, options);
    let phase_files: render::PhaseWriter = match options.target.dialect {
        Dialect::Postgres => render::phase_files,
        Dialect::Mysql => {
            mysql_render::check_convention(convention)?;
            mysql_render::phase_files
        }
    };
    let files = render::files(
        plans,
        (convention, flyway_undo),
        &versions,
        &durations,
        phase_files,
    )?;
    Ok(Numbered {
        base,
        versions,
        files,
    })
}

/// For `lockstep check`'s markdown report: the files `lockstep plan FILE --line N` prints
/// for `statement` of `file` (`source` is its text, `catalog` the schema it runs on).
/// `None` when no plan is pointed to; an error when its files cannot be numbered.
pub fn statement_files(
    statement: &crate::statement::Statement,
    source: &str,
    catalog: &crate::catalog::Catalog,
    file: &MigrationFile,
    target: crate::dialect::Target,
    settings: &Settings,
) -> Option<Result<Vec<OutFile>, PlanError>> {
    let options = PlanOptions {
        target,
        batch_size: None,
        pause_ms: super::DEFAULT_PAUSE_MS,
        stats: settings.stats.as_deref(),
    };
    let plan = super::check_plan(statement, source, catalog, &options)?;
    Some(
        convention(PlanLayout::Auto, file)
            .and_then(|convention| {
                phase_files(&[plan], file, convention, &options, settings.flyway_undo)
            })
            .map(|numbered| numbered.files),
    )
}

/// `--write`: the phases that may deploy now go into `dir`; the rest, from each plan's
/// first phase that waits for every instance to run the new release, into a pending
/// folder inside it (see [`pending`]). A sqitch project's plan lines go to `plan`.
fn write_beside(
    dir: &Path,
    plan: &Path,
    plans: &[Plan],
    convention: Convention,
    versions: &[String],
    files: &[OutFile],
    force: bool,
) -> Result<Output, PlanError> {
    let mut later = Vec::new();
    let mut slug = None;
    for plan in plans {
        let mut waiting = false;
        for phase in &plan.phases {
            waiting |= phase.deploy == Deploy::AfterAllInstances;
            if waiting && slug.is_none() {
                slug = Some(plan.slug.clone());
            }
            later.push(waiting);
        }
    }
    let (kept, now): (Vec<&OutFile>, Vec<&OutFile>) = files
        .iter()
        .partition(|f| later.get(f.phase).copied().unwrap_or(false));
    let now: Vec<OutFile> = now.into_iter().cloned().collect();
    let Some(slug) = slug.filter(|_| !kept.is_empty()) else {
        return Ok(Output {
            written: write_files(dir, &now, plan, force)?,
            ..Output::default()
        });
    };
    let kept_versions: Vec<String> = versions
        .iter()
        .enumerate()
        .filter(|(i, _)| later[*i])
        .map(|(_, v)| v.clone())
        .collect();
    let pending_files = pending::pending_files(convention, &kept_versions, &kept)?;
    let pending_dir = pending::pending_dir(dir, &slug);
    for file in &pending_files {
        check_replaceable(&pending_dir.join(&file.name), force).map_err(PlanError)?;
    }
    // Released already: the same phase must not wait a second time.
    for file in &kept {
        if file.role == Role::PlanEntry {
            sqitch::lines_to_append(plan, &file.text, force)?;
        } else {
            check_replaceable(&dir.join(&file.name), force).map_err(PlanError)?;
        }
    }
    let mut written = write_files(dir, &now, plan, force)?;
    // The pending plan lines are a file of their own until released.
    let pending_plan = pending_dir.join(sqitch::PLAN_FILE);
    written.extend(write_files(
        &pending_dir,
        &pending_files,
        &pending_plan,
        force,
    )?);
    Ok(Output {
        written,
        pending: Some(pending_dir),
        ..Output::default()
    })
}

/// What the tool does with phases numbered before `newer`, a migration already in the
/// folder, on a database that has run it.
fn out_of_order(convention: Convention, newer: &str) -> String {
    let consequence = match convention {
        Convention::Flyway => "Flyway applies them only with outOfOrder=true once it has run that one".to_string(),
        Convention::GolangMigrate => "golang-migrate only migrates up from the database's version, so once it has run that one it never applies them".to_string(),
        Convention::Goose => "goose refuses to migrate past missing (out-of-order) migrations unless run with -allow-missing once it has run that one".to_string(),
        Convention::Plain => "a database that has run that one needs them run by hand".to_string(),
        other => format!("once {} has run that one, it applies them after it, out of the order the files say", other.name()),
    };
    format!("{newer} is newer than these phases: {consequence}; to keep the order, plan the change in a new migration after it")
}

/// The folder `--write` writes into: FILE's own, or the one above its folder for a
/// folder-per-migration layout.
fn migrations_folder(file: &Path, convention: Convention) -> PathBuf {
    let folders_up = if convention.folder_per_migration() {
        2
    } else {
        1
    };
    file.ancestors()
        .nth(folders_up)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The sqitch project `--write` adds FILE's phases to: its scripts go beside the `deploy/`
/// folder FILE is in, its plan lines into the plan that folder's project names.
fn sqitch_project_of(file: &Path) -> Result<sqitch_project::Project, PlanError> {
    let top_dir = sqitch_deploy_folder(file)
        .and_then(Path::parent)
        .ok_or_else(|| {
            PlanError(format!(
                "{}: not in a sqitch `deploy/` folder; use --out DIR with --layout sqitch",
                file.display()
            ))
        })?;
    sqitch_project::project(top_dir)
}

/// The sqitch change whose deploy script is `file`, when its project's plan names it.
fn planned_change(file: &MigrationFile) -> Option<String> {
    let deploy = sqitch_deploy_folder(&file.path)?;
    let script = file.path.strip_prefix(deploy).ok()?.to_str()?;
    let change = script.strip_suffix(".sql")?;
    // A name read from the file system goes into a plan line: sqitch's rules first.
    if !sqitch::valid_change_name(change) {
        return None;
    }
    let project = sqitch_project::project(deploy.parent()?).ok()?;
    let plan = std::fs::read_to_string(&project.plan).ok()?;
    sqitch::is_planned(&plan, change).then(|| change.to_string())
}

/// The sqitch `deploy/` folder `file` is in (at any depth: sqitch allows subfolders).
fn sqitch_deploy_folder(file: &Path) -> Option<&Path> {
    file.ancestors()
        .skip(1)
        .find(|dir| dir.file_name().is_some_and(|name| name == "deploy"))
}

/// The down migration beside `file` in its convention (golang-migrate's and sqlx's
/// `.down.sql`, Flyway's `U` file, sqitch's `revert/` script), when there is one.
fn down_migration(file: &MigrationFile) -> Option<PathBuf> {
    if file.layout == Layout::Sqitch {
        // `<project>/deploy/<change>.sql` -> `<project>/revert/<change>.sql`.
        let deploy = sqitch_deploy_folder(&file.path)?;
        let change = file.path.strip_prefix(deploy).ok()?;
        let path = deploy.parent()?.join("revert").join(change);
        return path.is_file().then_some(path);
    }
    let name = file.path.file_name()?.to_str()?;
    let down = if name == "up.sql" {
        // Diesel: the folder's down.sql.
        "down.sql".to_string()
    } else if let Some(stem) = name.strip_suffix(".up.sql") {
        format!("{stem}.down.sql")
    } else if let Some(rest) = name.strip_prefix('V') {
        format!("U{rest}")
    } else {
        return None;
    };
    let path = file.path.with_file_name(down);
    path.is_file().then_some(path)
}

/// `lockstep release DIR`: the pending phases of DIR into their migrations folder, then
/// DIR removed; nothing is written when one of the files exists (unless `force`).
pub fn release(dir: &Path, force: bool) -> Result<Vec<PathBuf>, PlanError> {
    let (folder, files) = pending::release(dir)?;
    let plan = if files.iter().any(|f| f.role == Role::PlanEntry) {
        sqitch_project::project(&folder)?.plan
    } else {
        folder.join(sqitch::PLAN_FILE)
    };
    let written = write_files(&folder, &files, &plan, force)?;
    pending::remove(dir)?;
    Ok(written)
}

/// The plans for FILE's statements (only the one on `line` when given).
fn plans(
    replay: &FileReplay,
    line: Option<u32>,
    options: &PlanOptions,
) -> Result<Vec<Plan>, PlanError> {
    let index = LineIndex::new(&replay.text);
    let mut plans = Vec::new();
    let mut on_line = false;
    for (statement, catalog) in &replay.statements {
        if let Some(line) = line {
            let first = index.line_col(&replay.text, statement.span.start).line;
            let last = index.line_col(&replay.text, statement.span.end).line;
            if !(first..=last).contains(&line) {
                continue;
            }
            on_line = true;
        }
        if let Some(plan) = plan_statement(statement, &replay.text, catalog, options) {
            plans.push(plan?);
        }
    }
    match line {
        Some(line) if !on_line => Err(PlanError(format!("no statement on line {line}"))),
        Some(line) if plans.is_empty() => Err(PlanError(format!(
            "the statement on line {line} has no plan: lockstep plans {PLANNED}"
        ))),
        _ => Ok(plans),
    }
}

/// Whether `lockstep plan FILE` writes plans for this file as it is named: it needs a
/// version to number the phases after and a convention it writes.
pub fn writes_plans_for(file: &MigrationFile) -> bool {
    (file.version.is_some() || file.layout == Layout::Sqitch)
        && convention(PlanLayout::Auto, file).is_ok()
}

/// The convention to write in: the one asked for, else the file's own.
fn convention(layout: PlanLayout, file: &MigrationFile) -> Result<Convention, PlanError> {
    let chosen = match layout {
        PlanLayout::Flyway => Convention::Flyway,
        PlanLayout::GolangMigrate => Convention::GolangMigrate,
        PlanLayout::Sqlx => Convention::Sqlx,
        PlanLayout::Dbmate => Convention::Dbmate,
        PlanLayout::Goose => Convention::Goose,
        PlanLayout::Diesel => Convention::Diesel,
        PlanLayout::Prisma => Convention::Prisma,
        PlanLayout::Plain => Convention::Plain,
        PlanLayout::Sqitch => Convention::Sqitch,
        PlanLayout::Auto => match file.layout {
            Layout::Flyway => Convention::Flyway,
            // sqlx shares golang-migrate's names; only sqlx wraps files in a transaction.
            Layout::GolangMigrate if file.transactional => Convention::Sqlx,
            Layout::GolangMigrate => Convention::GolangMigrate,
            Layout::Dbmate => Convention::Dbmate,
            Layout::Goose => Convention::Goose,
            Layout::Diesel => Convention::Diesel,
            Layout::Prisma => Convention::Prisma,
            Layout::Plain => Convention::Plain,
            Layout::Sqitch => Convention::Sqitch,
        },
    };
    Ok(chosen)
}

/// Whether a Flyway file writes its version with `_` between the parts (`V1_23__`).
fn flyway_underscores(file: &MigrationFile) -> bool {
    file.path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.get(1..)?.split_once("__"))
        .is_some_and(|(version, _)| version.contains('_'))
}

/// A new version must not be one another file of the folder already uses (files of this
/// plan written before are left to the overwrite check). Returns the folder's newest file
/// with a version after `base`, if any: the new files come before it.
fn check_versions_free(
    dir: &Path,
    base: &str,
    versions: &[String],
    planned: &[OutFile],
) -> Result<Option<String>, PlanError> {
    let folder = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    };
    let discovery = discover(&DiscoverRequest {
        paths: vec![folder],
        ..DiscoverRequest::default()
    });
    let files = discovery.sets.iter().flat_map(|set| &set.files);
    // Component-wise: Diesel's and Prisma's names are `<folder>/<file>`.
    let ours = |path: &Path| planned.iter().any(|f| path.ends_with(&f.name));
    let mut newer: Option<(&String, &Path)> = None;
    for file in files.filter(|file| !ours(&file.path)) {
        let Some(taken) = &file.version else { continue };
        if let Some(clash) = versions
            .iter()
            .find(|v| pending::version_order(v, taken).is_eq())
        {
            return Err(PlanError(format!(
                "version {clash} is taken by {}; use --out DIR and renumber the files by hand",
                file.path.display()
            )));
        }
        let after_base = pending::version_order(taken, base).is_gt();
        if after_base && newer.is_none_or(|(n, _)| pending::version_order(taken, n).is_gt()) {
            newer = Some((taken, &file.path));
        }
    }
    Ok(newer.map(|(_, path)| path.display().to_string()))
}

/// Writes every file into `dir`, then appends the plan entries (sqitch) to `plan`;
/// refuses (before writing anything) when a file exists or a change is planned already.
fn write_files(
    dir: &Path,
    files: &[OutFile],
    plan: &Path,
    force: bool,
) -> Result<Vec<PathBuf>, PlanError> {
    let (entries, files): (Vec<&OutFile>, Vec<&OutFile>) =
        files.iter().partition(|f| f.role == Role::PlanEntry);
    let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(&f.name)).collect();
    for path in &paths {
        check_replaceable(path, force).map_err(PlanError)?;
    }
    let entries: String = entries.iter().map(|entry| entry.text.as_str()).collect();
    let lines = if entries.is_empty() {
        None
    } else {
        Some(sqitch::lines_to_append(plan, &entries, force)?)
    };
    for path in &paths {
        // A folder-per-migration layout names files inside a folder of their own.
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .map_err(|e| PlanError(format!("{}: cannot create: {e}", parent.display())))?;
    }
    for (path, file) in paths.iter().zip(files) {
        write_atomically(path, file.text.as_bytes(), force).map_err(PlanError)?;
    }
    // Last: the plan names only changes whose scripts are written.
    let mut written = paths;
    if let Some(lines) = lines {
        sqitch::append(plan, &lines)?;
        written.push(plan.to_path_buf());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_without_padding() {
        let same = |a, b| pending::version_order(a, b).is_eq();
        assert!(same("0009", "9"));
        assert!(same("8.01", "8.1"));
        assert!(same("1_2", "1.2"));
        assert!(!same("8.1", "8.10"));
    }
}
