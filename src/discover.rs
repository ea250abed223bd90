//! Finding migration files, recognising their framework, ordering them for replay and
//! knowing the transaction mode each runs in.
//!
//! The named paths are walked (following symlinks, skipping `.git`, `target`,
//! `node_modules` and hidden folders; a symlink whose target leaves the folder being linted
//! is reported, never read); each file found is placed in its *migration set*:
//! the folder whose files are replayed together, in order, against one schema. Every set
//! is then listed in full so that files before the named ones are replayed for schema
//! knowledge (`report: false`), and files after the last named one are left out.
//!
//! Framework conventions this module relies on, checked against each tool's documentation
//! or source:
//!
//! - Flyway: `V<version>__<desc>.sql` versioned, `U<version>__<desc>.sql` undo (and the
//!   `V<version>__<desc>.sql.rollback` that `lockstep plan` writes instead, run by hand),
//!   `R__<desc>.sql` repeatable (run after all versioned ones). Version parts are separated
//!   by `.` or `_` (the same thing) and compared numerically. Flyway runs each script in a
//!   transaction (`executeInTransaction` defaults to true) unless a script configuration
//!   file `<script>.sql.conf` beside it sets `executeInTransaction=false`.
//! - golang-migrate: `<version>_<title>.up.sql` / `.down.sql`, version an unsigned integer,
//!   up files applied in increasing version order. The library hands each file to the
//!   driver as it is and opens no transaction of its own.
//! - sqlx: `<version>_<description>.sql`, or reversible `.up.sql` / `.down.sql`; each file
//!   runs in a transaction unless its text starts with `-- no-transaction`
//!   (`sql.starts_with("-- no-transaction")` in sqlx-core). sqlx shares golang-migrate's
//!   names, so a folder is taken as sqlx when a file carries that marker, or when a
//!   `Cargo.toml` sits beside the folder (sqlx's default `migrations/` at the crate root)
//!   and every file has a version prefix. Its files keep [`Layout::GolangMigrate`]
//!   (versioned names) with sqlx's transaction default.
//! - dbmate: `<version>_<name>.sql` holding `-- migrate:up` / `-- migrate:down` blocks;
//!   each block runs in a transaction unless its marker line says `transaction:false`
//!   (see [`crate::layout`]).
//! - goose: `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down`; wrapped in a
//!   transaction unless the file has `-- +goose NO TRANSACTION`.
//! - Diesel: `<version>_<name>/up.sql` and `down.sql`; each migration runs in its own
//!   transaction unless its `metadata.toml` has `run_in_transaction = false`.
//! - Prisma: `<timestamp>_<name>/migration.sql`. Prisma Migrate sends the script without
//!   a `BEGIN`/`COMMIT` of its own (its maintainers: wrapping migrations in a transaction
//!   is "currently not implemented"; recent versions send the statements one by one), so
//!   it is reported as not wrapped. A `rollback.sql` beside `migration.sql` (which
//!   `lockstep plan` writes, Prisma having no down migrations) is the migration's down script.
//! - sqitch: `deploy/`, `revert/` and `verify/` scripts named after the changes of
//!   `sqitch.plan`, deployed in plan order; a change reworked after a tag keeps its older
//!   script as `<change>@<tag>.sql`. sqitch hands each script to the database client as
//!   it is (its scripts carry their own `BEGIN`/`COMMIT`), so: not wrapped.
//! - plain: numbered or unnumbered `.sql` files in natural order, not wrapped.
//!
//! Ordering is natural everywhere (`V2` before `V10`, `1.1` before `1.10`); rollback files
//! come right after the up file of the same version so replay can skip them.

use crate::input;
use crate::layout::{self, Direction, Layout};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};
use walkdir::{DirEntry, WalkDir};

/// What to look at: paths (files or folders) and globs over paths relative to each
/// named folder. An empty `include` means `**/*.sql`.
#[derive(Clone, Debug)]
pub struct DiscoverRequest {
    pub paths: Vec<PathBuf>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// The largest migration file read (to recognise its framework), in bytes.
    pub max_file_size: u64,
}

impl Default for DiscoverRequest {
    fn default() -> DiscoverRequest {
        DiscoverRequest {
            paths: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            max_file_size: input::DEFAULT_MAX_FILE_SIZE,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Discovery {
    pub sets: Vec<MigrationSet>,
    pub errors: Vec<DiscoverError>,
    /// The text of the files discovery read to recognise their framework (valid UTF-8
    /// only), so that linting does not read them a second time. A file missing here is
    /// read when linted, which also reports why it could not be read.
    #[serde(skip)]
    pub read: HashMap<PathBuf, String>,
}

/// The files of one migration folder, in replay order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MigrationSet {
    pub root: PathBuf,
    pub layout: Layout,
    pub files: Vec<MigrationFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MigrationFile {
    pub path: PathBuf,
    pub layout: Layout,
    pub direction: Direction,
    /// The version the framework orders by, as written (Flyway's `_` separators read as `.`).
    pub version: Option<String>,
    /// The framework's default for this file, after file-level markers / Flyway `.conf`.
    pub transactional: bool,
    /// True for files the user named or that are under a named folder; false for earlier
    /// files only replayed for schema knowledge.
    pub report: bool,
}

/// A problem with one entry that did not stop the walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct DiscoverError {
    pub path: PathBuf,
    pub message: String,
}

impl DiscoverError {
    fn new(path: &Path, message: impl Into<String>) -> DiscoverError {
        DiscoverError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// What `--include` is when neither the command line nor the config sets it.
pub const DEFAULT_INCLUDE: &str = "**/*.sql";
const SKIPPED_DIRS: [&str; 2] = ["target", "node_modules"];
const SQITCH_DIRS: [&str; 3] = ["deploy", "revert", "verify"];
const SQLX_NO_TRANSACTION: &str = "-- no-transaction";

pub fn discover(request: &DiscoverRequest) -> Discovery {
    let mut errors = Vec::new();
    let filters = Filters::new(request, &mut errors);
    let mut named = Named::default();
    for path in &request.paths {
        named.collect(&clean(path), &filters, &mut errors);
    }

    let mut groups: BTreeMap<(PathBuf, Shape), Vec<PathBuf>> = BTreeMap::new();
    for file in &named.files {
        groups.entry(locate(file)).or_default().push(file.clone());
    }
    let mut read = HashMap::new();
    let mut sets: Vec<MigrationSet> = groups
        .into_iter()
        .filter_map(|((root, shape), files)| {
            let context = SetContext {
                named: &named,
                filters: &filters,
                max_file_size: request.max_file_size,
            };
            build_set(&root, shape, &files, &context, &mut errors, &mut read)
        })
        .collect();
    sets.sort_by(|a, b| natural_cmp(&a.root.to_string_lossy(), &b.root.to_string_lossy()));
    Discovery { sets, errors, read }
}

/// Compare two strings with digit runs compared as numbers: `9_a` < `10_a`, `1.1` < `1.10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut left = Chunks(a);
    let mut right = Chunks(b);
    loop {
        match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match chunk_cmp(x, y) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
        }
    }
}

/// Alternating runs of ASCII digits and of other characters.
struct Chunks<'a>(&'a str);

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let first = self.0.chars().next()?;
        let digits = first.is_ascii_digit();
        let end = self
            .0
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(self.0.len());
        let (chunk, rest) = self.0.split_at(end);
        self.0 = rest;
        Some(chunk)
    }
}

fn chunk_cmp(x: &str, y: &str) -> Ordering {
    let is_number = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
    if is_number(x) && is_number(y) {
        // Length first on the digits without leading zeros: numbers of any size, no overflow.
        let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
        x.len().cmp(&y.len()).then_with(|| x.cmp(y))
    } else {
        x.cmp(y)
    }
}

struct Filters {
    include: GlobSet,
    exclude: GlobSet,
}

impl Filters {
    fn new(request: &DiscoverRequest, errors: &mut Vec<DiscoverError>) -> Filters {
        let include = if request.include.is_empty() {
            globset(&[DEFAULT_INCLUDE.to_string()], errors)
        } else {
            globset(&request.include, errors)
        };
        Filters {
            include,
            exclude: globset(&request.exclude, errors),
        }
    }
}

impl Filters {
    /// Whether an include glob takes `relative`; a Flyway `.sql.rollback` goes with the
    /// script it undoes, as a `U` file would.
    fn included(&self, relative: &Path) -> bool {
        let script = relative
            .to_str()
            .and_then(|p| p.strip_suffix(".rollback"))
            .filter(|p| p.ends_with(".sql"));
        self.include.is_match(relative) || script.is_some_and(|p| self.include.is_match(p))
    }
}

/// An `--include` / `--exclude` glob, compiled as discovery matches it: `*` stays within
/// one path component; `**` crosses folders.
pub fn compile_glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// A glob set from the patterns that compile; each bad one is reported and left out.
fn globset(patterns: &[String], errors: &mut Vec<DiscoverError>) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        match compile_glob(pattern) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(err) => errors.push(DiscoverError::new(
                Path::new(pattern),
                format!("invalid glob: {err}"),
            )),
        }
    }
    builder.build().unwrap_or_else(|err| {
        errors.push(DiscoverError::new(
            Path::new(""),
            format!("invalid globs: {err}"),
        ));
        GlobSet::empty()
    })
}

/// The files and folders the user named, after walking the folders.
#[derive(Default)]
struct Named {
    files: HashSet<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Named {
    fn collect(&mut self, path: &Path, filters: &Filters, errors: &mut Vec<DiscoverError>) {
        match fs::metadata(io_path(path)) {
            Err(err) => errors.push(DiscoverError::new(path, format!("cannot read: {err}"))),
            Ok(meta) if meta.is_dir() => self.walk(path, filters, errors),
            // A named file is taken whatever the include globs say.
            Ok(_) => {
                self.files.insert(path.to_path_buf());
            }
        }
    }

    fn walk(&mut self, root: &Path, filters: &Filters, errors: &mut Vec<DiscoverError>) {
        self.dirs.push(root.to_path_buf());
        let mut outside = Vec::new();
        let walker = WalkDir::new(io_path(root))
            .follow_links(true)
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !(skipped_dir(entry, root, filters)
                        || linked_dir_outside(entry, root, &mut outside))
            });
        for entry in walker {
            match entry {
                // A broken link matters only where a migration could be: one named
                // `notes.txt`, or excluded, is no input of ours. A folder linking back to an
                // ancestor is reported unless excluded: the walk does not follow it.
                Err(err) => {
                    let error = walk_error(root, &err);
                    let relative = error.path.strip_prefix(root).unwrap_or(&error.path);
                    let candidate =
                        err.loop_ancestor().is_some() || filters.include.is_match(relative);
                    if err.depth() == 0 || candidate && !filters.exclude.is_match(relative) {
                        errors.push(error);
                    }
                }
                Ok(entry) if entry.file_type().is_file() => {
                    let path = clean(entry.path());
                    let relative = path.strip_prefix(root).unwrap_or(&path);
                    if filters.included(relative) && !filters.exclude.is_match(relative) {
                        self.files.insert(path);
                    }
                }
                Ok(_) => {}
            }
        }
        errors.append(&mut outside);
    }

    /// The named folder closest to `path`, when one holds it.
    fn dir_holding(&self, path: &Path) -> Option<&Path> {
        self.dirs
            .iter()
            .filter(|dir| path.starts_with(dir))
            .max_by_key(|dir| dir.components().count())
            .map(PathBuf::as_path)
    }
}

fn skipped_dir(entry: &DirEntry, root: &Path, filters: &Filters) -> bool {
    if !entry.file_type().is_dir() {
        return false;
    }
    let name = entry.file_name().to_string_lossy();
    if name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref()) {
        return true;
    }
    let path = clean(entry.path());
    filters
        .exclude
        .is_match(path.strip_prefix(root).unwrap_or(&path))
}

/// A symlinked folder whose target leaves `root` is not walked (it could be `/`); it is
/// reported in `outside`.
fn linked_dir_outside(entry: &DirEntry, root: &Path, outside: &mut Vec<DiscoverError>) -> bool {
    if !(entry.path_is_symlink() && entry.file_type().is_dir()) {
        return false;
    }
    let path = clean(entry.path());
    match escape(&path, root) {
        Some(message) => {
            outside.push(DiscoverError::new(&path, message));
            true
        }
        None => false,
    }
}

/// Why `path` must not be read, when symlinks take it out of `base`, the folder being
/// linted, or into a hidden folder under it such as `.git`, which the walk never enters.
/// A committed link such as `V2__x.sql -> ../.git/config` would otherwise put the
/// target's text in the report. A path that does not resolve is left to the read.
fn escape(path: &Path, base: &Path) -> Option<String> {
    let real_base = fs::canonicalize(io_path(base)).ok()?;
    let real = fs::canonicalize(io_path(path)).ok()?;
    escape_resolved(&real, &real_base, base)
}

/// [`escape`] of `real`, a resolved path, from `real_base`, the resolved `base`.
fn escape_resolved(real: &Path, real_base: &Path, base: &Path) -> Option<String> {
    let shown_base = io_path(base).display();
    let Ok(inside) = real.strip_prefix(real_base) else {
        return Some(format!(
            "skipped: a symlink to outside {shown_base}, not followed"
        ));
    };
    let hidden = inside
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .map(|c| c.as_os_str().to_string_lossy())
        .find(|name| name.starts_with('.'));
    hidden.map(|name| format!("skipped: a symlink into the hidden folder {name}, not followed"))
}

/// Where the files of one set may really live: under the named folder holding each, else
/// under the set's root. Each path is resolved once, and a refused one reported once.
struct Confinement<'a> {
    root: &'a Path,
    named: &'a Named,
    /// Path -> why it must not be read (`None`: it may be).
    verdicts: HashMap<PathBuf, Option<String>>,
    reported: HashSet<PathBuf>,
    /// Folder -> its resolved path (`None`: it does not resolve). A folder of thousands of
    /// files is one folder: resolving it (and the base) again for each file walked the
    /// whole path twice per file.
    resolved_dirs: HashMap<PathBuf, Option<PathBuf>>,
}

impl Confinement<'_> {
    fn new<'a>(root: &'a Path, named: &'a Named) -> Confinement<'a> {
        Confinement {
            root,
            named,
            verdicts: HashMap::new(),
            reported: HashSet::new(),
            resolved_dirs: HashMap::new(),
        }
    }

    fn escape(&mut self, path: &Path) -> Option<&String> {
        if !self.verdicts.contains_key(path) {
            let base = self.named.dir_holding(path).unwrap_or(self.root);
            let verdict = self.judge(path, base);
            self.verdicts.insert(path.to_path_buf(), verdict);
        }
        self.verdicts[path].as_ref()
    }

    /// [`escape`], resolving each folder once: a file that is not a symlink itself
    /// resolves to its resolved folder joined with its name, as `canonicalize` would.
    fn judge(&mut self, path: &Path, base: &Path) -> Option<String> {
        let real_base = self.resolved_dir(io_path(base))?;
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return escape(path, base);
        };
        let is_link = fs::symlink_metadata(io_path(path))
            .ok()?
            .file_type()
            .is_symlink();
        let real = if is_link {
            fs::canonicalize(io_path(path)).ok()?
        } else {
            self.resolved_dir(io_path(parent))?.join(name)
        };
        escape_resolved(&real, &real_base, base)
    }

    fn resolved_dir(&mut self, dir: &Path) -> Option<PathBuf> {
        self.resolved_dirs
            .entry(dir.to_path_buf())
            .or_insert_with(|| fs::canonicalize(dir).ok())
            .clone()
    }

    /// Whether `path` may be read, said quietly (for a file an exclude glob drops).
    fn allows(&mut self, path: &Path) -> bool {
        self.escape(path).is_none()
    }

    /// Whether `path` may be read; when not, `errors` says why (once per path).
    fn admits(&mut self, path: &Path, errors: &mut Vec<DiscoverError>) -> bool {
        let Some(message) = self.escape(path).cloned() else {
            return true;
        };
        if self.reported.insert(path.to_path_buf()) {
            errors.push(DiscoverError::new(path, message));
        }
        false
    }
}

fn walk_error(root: &Path, err: &walkdir::Error) -> DiscoverError {
    let path = err.path().map_or_else(|| root.to_path_buf(), clean);
    let message = match err.loop_ancestor() {
        Some(ancestor) => format!(
            "symlink loop back to {}, not followed",
            clean(ancestor).display()
        ),
        None => match err.io_error() {
            Some(io) => format!("cannot read: {io}"),
            None => err.to_string(),
        },
    };
    DiscoverError { path, message }
}

/// How a migration set's files sit under its root.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Shape {
    /// The root directly holds the migration files.
    Flat,
    /// `<version>_<name>/up.sql` and `down.sql` folders.
    Diesel,
    /// `<timestamp>_<name>/migration.sql` folders.
    Prisma,
    /// `deploy/`, `revert/`, `verify/` and the plan.
    Sqitch,
}

/// The migration set a file belongs to: its root folder and shape.
fn locate(file: &Path) -> (PathBuf, Shape) {
    let dir = file.parent().unwrap_or(Path::new(""));
    if let Some(root) = sqitch_root_above(dir) {
        return (root, Shape::Sqitch);
    }
    let file_name = file.file_name().and_then(|name| name.to_str());
    let dir_name = dir.file_name().and_then(|name| name.to_str());
    if dir_name.is_some_and(is_migration_folder_name) {
        let root = dir.parent().unwrap_or(Path::new("")).to_path_buf();
        match file_name {
            Some("up.sql" | "down.sql") => return (root, Shape::Diesel),
            Some("migration.sql") => return (root, Shape::Prisma),
            // The rollback `lockstep plan` writes beside a Prisma migration.
            Some("rollback.sql") if dir.join("migration.sql").is_file() => {
                return (root, Shape::Prisma)
            }
            _ => {}
        }
    }
    (dir.to_path_buf(), Shape::Flat)
}

/// Diesel (`2024-01-01-120000_create_users`) and Prisma (`20240101120000_init`) folder names.
fn is_migration_folder_name(name: &str) -> bool {
    match name.split_once('_') {
        Some((version, _)) => {
            version.starts_with(|c: char| c.is_ascii_digit())
                && version.chars().all(|c| c.is_ascii_digit() || c == '-')
        }
        None => false,
    }
}

fn sqitch_root_above(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find_map(|ancestor| {
        let name = ancestor.file_name()?.to_str()?;
        let root = ancestor.parent()?;
        (SQITCH_DIRS.contains(&name) && is_sqitch_root(root)).then(|| root.to_path_buf())
    })
}

/// A folder with `deploy/` and either `revert/` or a plan (beside it or one level up, as
/// with a `top_dir` of `sql`).
fn is_sqitch_root(root: &Path) -> bool {
    let dir = io_path(root);
    dir.join("deploy").is_dir() && (dir.join("revert").is_dir() || sqitch_plan(root).is_some())
}

fn sqitch_plan(root: &Path) -> Option<PathBuf> {
    let dir = io_path(root);
    [dir.join("sqitch.plan"), dir.join("..").join("sqitch.plan")]
        .into_iter()
        .find(|plan| plan.is_file())
}

/// What every set of one discovery shares.
struct SetContext<'a> {
    named: &'a Named,
    filters: &'a Filters,
    max_file_size: u64,
}

fn build_set(
    root: &Path,
    shape: Shape,
    named_here: &[PathBuf],
    context: &SetContext,
    errors: &mut Vec<DiscoverError>,
    read: &mut HashMap<PathBuf, String>,
) -> Option<MigrationSet> {
    let SetContext { named, filters, .. } = *context;
    let mut confinement = Confinement::new(root, named);
    let (layout, mut files) = match shape {
        Shape::Flat => {
            // These files are read to recognise the framework: refused before reading.
            let paths = flat_paths(root, named_here, errors)
                .into_iter()
                .filter(|path| {
                    if !named.files.contains(path) && excluded(path, root, named, filters) {
                        confinement.allows(path)
                    } else {
                        confinement.admits(path, errors)
                    }
                })
                .collect();
            flat_set(root, paths, context.max_file_size, read)
        }
        Shape::Diesel => folder_set(root, Layout::Diesel, errors),
        Shape::Prisma => folder_set(root, Layout::Prisma, errors),
        Shape::Sqitch => (Layout::Sqitch, sqitch_set(root, errors)),
    };
    // A named file the listing did not produce (an unusual name in a folder-per-migration
    // layout) is still linted, last.
    // Sets, not scans: a folder may hold tens of thousands of files, all of them named.
    let listed: HashSet<PathBuf> = files.iter().map(|file| file.path.clone()).collect();
    for path in named_here {
        if !listed.contains(path) {
            files.push(MigrationFile {
                path: path.clone(),
                layout,
                direction: Direction::Up,
                version: None,
                transactional: false,
                report: true,
            });
        }
    }
    files.retain(|file| {
        (named.files.contains(&file.path) || !excluded(&file.path, root, named, filters))
            && confinement.admits(&file.path, errors)
    });
    for file in &mut files {
        file.report = named.files.contains(&file.path);
    }
    let last_reported = files.iter().rposition(|file| file.report)?;
    files.truncate(last_reported + 1);
    Some(MigrationSet {
        root: if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root.to_path_buf()
        },
        layout,
        files,
    })
}

/// Whether an exclude glob drops this file, matched relative to the named folder holding
/// it, or to its set's root for a file only listed as an earlier sibling of a named file.
fn excluded(path: &Path, root: &Path, named: &Named, filters: &Filters) -> bool {
    let base = named.dir_holding(path).unwrap_or(root);
    filters
        .exclude
        .is_match(path.strip_prefix(base).unwrap_or(path))
}

/// The framework followed by a folder that directly holds its migration files.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum FlatFramework {
    Flyway,
    GolangMigrate,
    Sqlx,
    Dbmate,
    Goose,
    Plain,
}

struct FlatEntry {
    path: PathBuf,
    name: String,
    text: String,
    /// The text is the file's bytes (valid UTF-8), so linting may use it as read.
    exact: bool,
}

/// Where a file sorts within its set: `group`, then `version` naturally, then `rank`
/// (up before its rollback), then the file name naturally.
struct SortKey {
    group: u8,
    version: String,
    rank: u8,
    name: String,
}

impl SortKey {
    fn cmp(&self, other: &SortKey) -> Ordering {
        self.group
            .cmp(&other.group)
            .then_with(|| natural_cmp(&self.version, &other.version))
            .then(self.rank.cmp(&other.rank))
            .then_with(|| natural_cmp(&self.name, &other.name))
    }
}

/// The `.sql` files directly in `root`, and the named ones.
fn flat_paths(
    root: &Path,
    named_here: &[PathBuf],
    errors: &mut Vec<DiscoverError>,
) -> Vec<PathBuf> {
    let mut paths = list_dir(root, errors, |path, is_dir| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        !is_dir && (name.ends_with(".sql") || name.ends_with(FLYWAY_ROLLBACK_SUFFIX))
    });
    let listed: HashSet<PathBuf> = paths.iter().cloned().collect();
    paths.extend(
        named_here
            .iter()
            .filter(|path| !listed.contains(*path))
            .cloned(),
    );
    paths
}

/// The files of a flat folder in replay order; the texts read on the way go to `read`.
fn flat_set(
    root: &Path,
    paths: Vec<PathBuf>,
    max_file_size: u64,
    read: &mut HashMap<PathBuf, String>,
) -> (Layout, Vec<MigrationFile>) {
    // Read on every core: a folder of thousands of files is the common shape.
    let entries: Vec<FlatEntry> = paths
        .into_par_iter()
        .map(|path| {
            let (text, exact) = read_text(&path, max_file_size);
            FlatEntry {
                name: file_name(&path),
                text,
                exact,
                path,
            }
        })
        .collect();
    let framework = detect_flat(root, &entries);
    let mut keyed: Vec<(SortKey, MigrationFile)> = entries
        .iter()
        .map(|entry| describe_flat(framework, entry))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
    read.extend(
        entries
            .into_iter()
            .filter(|entry| entry.exact)
            .map(|entry| (entry.path, entry.text)),
    );
    let layout = flat_layout(framework);
    (layout, keyed.into_iter().map(|(_, file)| file).collect())
}

fn flat_layout(framework: FlatFramework) -> Layout {
    match framework {
        FlatFramework::Flyway => Layout::Flyway,
        FlatFramework::GolangMigrate | FlatFramework::Sqlx => Layout::GolangMigrate,
        FlatFramework::Dbmate => Layout::Dbmate,
        FlatFramework::Goose => Layout::Goose,
        FlatFramework::Plain => Layout::Plain,
    }
}

/// The framework with the most files showing its convention; ties go to the more
/// specific convention (listed first).
fn detect_flat(root: &Path, entries: &[FlatEntry]) -> FlatFramework {
    let count = |test: &dyn Fn(&FlatEntry) -> bool| entries.iter().filter(|e| test(e)).count();
    let evidence = [
        (
            FlatFramework::Flyway,
            count(&|e| parse_flyway(&e.name).is_some()),
        ),
        (
            FlatFramework::Goose,
            count(&|e| layout::has_goose_up(&e.text)),
        ),
        (
            FlatFramework::Dbmate,
            count(&|e| layout::has_dbmate_up(&e.text)),
        ),
        (
            FlatFramework::GolangMigrate,
            count(&|e| parse_up_down(&e.name).is_some()),
        ),
    ];
    let best = evidence
        .iter()
        .filter(|(_, files)| *files > 0)
        .fold(
            None,
            |best: Option<(FlatFramework, usize)>, &(framework, files)| match best {
                Some((_, most)) if most >= files => best,
                _ => Some((framework, files)),
            },
        )
        .map(|(framework, _)| framework);
    let sqlx = looks_like_sqlx(root, entries);
    match best {
        Some(FlatFramework::GolangMigrate) | None if sqlx => FlatFramework::Sqlx,
        Some(framework) => framework,
        None => FlatFramework::Plain,
    }
}

fn looks_like_sqlx(root: &Path, entries: &[FlatEntry]) -> bool {
    let marked = entries
        .iter()
        .any(|entry| without_bom(&entry.text).starts_with(SQLX_NO_TRANSACTION));
    let crate_migrations = !entries.is_empty()
        && entries
            .iter()
            .all(|entry| underscore_version(&entry.name).is_some())
        && io_path(root).join("..").join("Cargo.toml").is_file();
    marked || crate_migrations
}

fn describe_flat(framework: FlatFramework, entry: &FlatEntry) -> (SortKey, MigrationFile) {
    let (key, direction, version) = match framework {
        FlatFramework::Flyway => flyway_position(&entry.name),
        FlatFramework::GolangMigrate | FlatFramework::Sqlx => up_down_position(&entry.name),
        FlatFramework::Dbmate | FlatFramework::Goose => {
            versioned_position(&entry.name, underscore_version(&entry.name))
        }
        FlatFramework::Plain => plain_position(&entry.name),
    };
    let transactional = match framework {
        // psql, run by hand, opens no transaction.
        _ if entry.name.ends_with(FLYWAY_ROLLBACK_SUFFIX) => false,
        FlatFramework::Flyway => flyway_transactional(&entry.path),
        FlatFramework::Sqlx => !without_bom(&entry.text).starts_with(SQLX_NO_TRANSACTION),
        FlatFramework::Dbmate => layout::dbmate_up_transactional(&entry.text),
        FlatFramework::Goose => !layout::goose_no_transaction(&entry.text),
        FlatFramework::GolangMigrate | FlatFramework::Plain => false,
    };
    // A `.sql.rollback` (Flyway's, run by hand) is a rollback in any folder.
    let by_hand = entry.name.ends_with(FLYWAY_ROLLBACK_SUFFIX);
    let file = MigrationFile {
        path: entry.path.clone(),
        layout: flat_layout(framework),
        direction: if by_hand { Direction::Down } else { direction },
        // A plain file's sort key holds its name, which is no version.
        version: version
            .map(str::to_string)
            .or_else(|| (framework != FlatFramework::Plain).then(|| key_version(&key))?),
        transactional,
        report: false,
    };
    (key, file)
}

/// Plain files sort by name; `<name>.rollback.sql` is the rollback of `<name>.sql`, and
/// `<name>.down.sql` of `<name>.up.sql` (Authelia's `V0001.Initial_Schema.up.sql`), each
/// coming right after its up file.
fn plain_position(name: &str) -> (SortKey, Direction, Option<&str>) {
    let (up_name, direction) = if let Some(stem) = name.strip_suffix(".rollback.sql") {
        (format!("{stem}.sql"), Direction::Down)
    } else if let Some(stem) = name.strip_suffix(".down.sql") {
        (format!("{stem}.up.sql"), Direction::Down)
    } else {
        (name.to_string(), Direction::Up)
    };
    // The up file's name orders the pair; the rank puts the rollback second.
    let key = SortKey {
        group: 0,
        version: up_name,
        rank: u8::from(direction == Direction::Down),
        name: name.to_string(),
    };
    (key, direction, leading_digits(name))
}

fn key_version(key: &SortKey) -> Option<String> {
    (!key.version.is_empty()).then(|| key.version.clone())
}

/// A sort position for a file whose name may not follow the convention: unversioned
/// files go after the versioned ones.
fn versioned_position<'a>(
    name: &str,
    version: Option<&'a str>,
) -> (SortKey, Direction, Option<&'a str>) {
    let key = SortKey {
        group: if version.is_some() { 0 } else { 2 },
        version: version.unwrap_or_default().to_string(),
        rank: 0,
        name: name.to_string(),
    };
    (key, Direction::Up, version)
}

fn flyway_position(name: &str) -> (SortKey, Direction, Option<&str>) {
    match parse_flyway(name) {
        Some(FlywayName::Versioned { version, undo }) => {
            let direction = if undo { Direction::Down } else { Direction::Up };
            let key = SortKey {
                group: 0,
                version,
                rank: u8::from(undo),
                name: name.to_string(),
            };
            (key, direction, None)
        }
        Some(FlywayName::Repeatable) => {
            let key = SortKey {
                group: 1,
                version: String::new(),
                rank: 0,
                name: name.to_string(),
            };
            (key, Direction::Up, None)
        }
        // Callbacks such as `afterMigrate.sql` and stray files: last.
        None => versioned_position(name, None),
    }
}

fn up_down_position(name: &str) -> (SortKey, Direction, Option<&str>) {
    match parse_up_down(name) {
        Some((version, direction)) => {
            let key = SortKey {
                group: 0,
                version: version.to_string(),
                rank: u8::from(direction == Direction::Down),
                name: name.to_string(),
            };
            (key, direction, Some(version))
        }
        None => versioned_position(name, underscore_version(name)),
    }
}

enum FlywayName {
    /// `V` (or `U` with `undo`) and the version with `_` read as `.`.
    Versioned {
        version: String,
        undo: bool,
    },
    Repeatable,
}

/// The rollback `lockstep plan` writes beside a Flyway script when Flyway's `U` undo files
/// (Teams only) are not wanted: `V<version>__<x>.sql.rollback`, run by hand. Not `.sql`, so
/// Flyway never reads it as a migration.
const FLYWAY_ROLLBACK_SUFFIX: &str = ".sql.rollback";

fn parse_flyway(name: &str) -> Option<FlywayName> {
    if let Some(script) = name.strip_suffix(".rollback") {
        // `V<version>__<x>.sql.rollback` undoes `V<version>__<x>.sql`, as a `U` file would.
        return match parse_flyway(script)? {
            FlywayName::Versioned {
                version,
                undo: false,
            } => Some(FlywayName::Versioned {
                version,
                undo: true,
            }),
            _ => None,
        };
    }
    let stem = name.strip_suffix(".sql")?;
    let (prefix, rest) = stem.split_at_checked(1)?;
    match prefix {
        "R" => rest.starts_with("__").then_some(FlywayName::Repeatable),
        "V" | "U" => {
            let (version, _description) = rest.split_once("__")?;
            let well_formed = version.starts_with(|c: char| c.is_ascii_digit())
                && version
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '_');
            well_formed.then(|| FlywayName::Versioned {
                version: version.replace('_', "."),
                undo: prefix == "U",
            })
        }
        _ => None,
    }
}

/// golang-migrate / sqlx reversible names: `<version>_<title>.up.sql` / `.down.sql`.
fn parse_up_down(name: &str) -> Option<(&str, Direction)> {
    let (stem, direction) = if let Some(stem) = name.strip_suffix(".up.sql") {
        (stem, Direction::Up)
    } else {
        (name.strip_suffix(".down.sql")?, Direction::Down)
    };
    Some((underscore_version(stem)?, direction))
}

/// The digits before the first `_` (`00002_add_email.sql` gives `00002`).
fn underscore_version(name: &str) -> Option<&str> {
    let (version, _) = name.split_once('_')?;
    (!version.is_empty() && version.chars().all(|c| c.is_ascii_digit())).then_some(version)
}

fn leading_digits(name: &str) -> Option<&str> {
    let end = name
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(name.len());
    name.get(..end).filter(|digits| !digits.is_empty())
}

/// Flyway's per-script `executeInTransaction`, from `<script>.conf` beside the script.
fn flyway_transactional(script: &Path) -> bool {
    let mut conf = script.as_os_str().to_owned();
    conf.push(".conf");
    let Some(text) = read_side_file(Path::new(&conf)) else {
        return true;
    };
    !text
        .lines()
        .filter_map(|line| line.split_once('='))
        .any(|(key, value)| {
            key.trim() == "executeInTransaction" && value.trim().eq_ignore_ascii_case("false")
        })
}

/// Diesel and Prisma: one folder per migration under the root.
fn folder_set(
    root: &Path,
    layout: Layout,
    errors: &mut Vec<DiscoverError>,
) -> (Layout, Vec<MigrationFile>) {
    let mut dirs = list_dir(root, errors, |path, is_dir| {
        is_dir
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_migration_folder_name)
    });
    dirs.sort_by(|a, b| natural_cmp(&file_name(a), &file_name(b)));
    let scripts: &[(&str, Direction)] = match layout {
        Layout::Diesel => &[("up.sql", Direction::Up), ("down.sql", Direction::Down)],
        // Prisma has no down migrations; `rollback.sql` is the one `lockstep plan` writes.
        _ => &[
            ("migration.sql", Direction::Up),
            ("rollback.sql", Direction::Down),
        ],
    };
    let mut files = Vec::new();
    for dir in dirs {
        let name = file_name(&dir);
        let version = name.split_once('_').map(|(version, _)| version.to_string());
        let transactional = layout == Layout::Diesel && diesel_transactional(&dir);
        for (script, direction) in scripts {
            let path = dir.join(script);
            if path.is_file() {
                files.push(MigrationFile {
                    path,
                    layout,
                    direction: *direction,
                    version: version.clone(),
                    transactional,
                    report: false,
                });
            }
        }
    }
    (layout, files)
}

/// Diesel's `run_in_transaction` from the migration's `metadata.toml` (default true).
fn diesel_transactional(migration_dir: &Path) -> bool {
    read_side_file(&migration_dir.join("metadata.toml"))
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .and_then(|table| table.get("run_in_transaction")?.as_bool())
        .unwrap_or(true)
}

fn sqitch_set(root: &Path, errors: &mut Vec<DiscoverError>) -> Vec<MigrationFile> {
    let deploy_dir = root.join("deploy");
    let mut unplanned = sqitch_scripts(&deploy_dir, errors);
    unplanned.sort_by(|a, b| natural_cmp(a, b));
    let planned = sqitch_plan(root)
        .and_then(|plan| read_side_file(&plan))
        .map(|plan| plan_script_names(&plan, &deploy_dir))
        .unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    for name in planned.into_iter().chain(unplanned) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut files = Vec::new();
    for name in &names {
        for (dir, direction) in [
            ("deploy", Direction::Up),
            ("revert", Direction::Down),
            ("verify", Direction::Verify),
        ] {
            let path = root.join(dir).join(format!("{name}.sql"));
            if path.is_file() {
                files.push(MigrationFile {
                    path,
                    layout: Layout::Sqitch,
                    direction,
                    version: None,
                    transactional: false,
                    report: false,
                });
            }
        }
    }
    files
}

/// Script names (path under `deploy/` without `.sql`) of the deploy scripts.
fn sqitch_scripts(deploy_dir: &Path, errors: &mut Vec<DiscoverError>) -> Vec<String> {
    let mut names = Vec::new();
    let walker = WalkDir::new(deploy_dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.')
        });
    for entry in walker {
        match entry {
            Err(err) => errors.push(walk_error(deploy_dir, &err)),
            Ok(entry) if entry.file_type().is_file() => {
                let relative = entry
                    .path()
                    .strip_prefix(deploy_dir)
                    .unwrap_or(entry.path());
                let text = relative.to_string_lossy().replace('\\', "/");
                if let Some(name) = text.strip_suffix(".sql") {
                    names.push(name.to_string());
                }
            }
            Ok(_) => {}
        }
    }
    names
}

/// The deploy script names of a plan in deployment order. A change that appears again
/// later was reworked: its earlier script is `<change>@<tag>.sql` for a tag between the
/// two appearances (the first such script that exists).
fn plan_script_names(plan: &str, deploy_dir: &Path) -> Vec<String> {
    let mut changes: Vec<&str> = Vec::new();
    // Each tag with the number of changes planned before it.
    let mut tags: Vec<(usize, &str)> = Vec::new();
    for line in plan.lines() {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if first.starts_with(['%', '#', '-']) {
            // Pragmas, comments, and changes planned for reverting.
            continue;
        }
        match first.strip_prefix('@') {
            Some(tag) => tags.push((changes.len(), tag)),
            None => changes.push(first.strip_prefix('+').unwrap_or(first)),
        }
    }
    changes
        .iter()
        .enumerate()
        .map(|(index, &change)| {
            let next_appearance = changes
                .iter()
                .skip(index + 1)
                .position(|&later| later == change)
                .map(|offset| index + 1 + offset);
            match next_appearance {
                None => change.to_string(),
                Some(next) => reworked_script(change, index, next, &tags, deploy_dir),
            }
        })
        .collect()
}

fn reworked_script(
    change: &str,
    index: usize,
    next: usize,
    tags: &[(usize, &str)],
    deploy_dir: &Path,
) -> String {
    let candidates: Vec<String> = tags
        .iter()
        .filter(|(position, _)| *position > index && *position <= next)
        .map(|(_, tag)| format!("{change}@{tag}"))
        .collect();
    candidates
        .iter()
        .find(|name| deploy_dir.join(format!("{name}.sql")).is_file())
        .or(candidates.first())
        .cloned()
        .unwrap_or_else(|| change.to_string())
}

/// The entries of `dir` accepted by `keep(path, is_dir)`, hidden ones left out, in no
/// particular order.
fn list_dir(
    dir: &Path,
    errors: &mut Vec<DiscoverError>,
    keep: impl Fn(&Path, bool) -> bool,
) -> Vec<PathBuf> {
    let entries = match fs::read_dir(io_path(dir)) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(DiscoverError::new(dir, format!("cannot read: {err}")));
            return Vec::new();
        }
    };
    entries
        .filter_map(|entry| match entry {
            Ok(entry) => Some(entry),
            Err(err) => {
                errors.push(DiscoverError::new(dir, format!("cannot read: {err}")));
                None
            }
        })
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|entry| {
            let path = dir.join(entry.file_name());
            // `fs::metadata` follows symlinks, as the walk does.
            let is_dir = fs::metadata(io_path(&path)).ok()?.is_dir();
            keep(&path, is_dir).then_some(path)
        })
        .collect()
}

/// The path without `.` components, so `./db/x.sql` and `db/x.sql` are one file; the
/// current directory is the empty path (see [`io_path`]).
fn clean(path: &Path) -> PathBuf {
    path.components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect()
}

/// The path to hand to the file system: the empty path means the current directory.
fn io_path(path: &Path) -> &Path {
    if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file's text, and whether it is exactly the file's bytes; an unreadable file (or a
/// FIFO, a device, one over the limit) reads as empty here: reading it for linting reports
/// the problem.
fn read_text(path: &Path, max_file_size: u64) -> (String, bool) {
    match input::read_file(path, max_file_size).map(String::from_utf8) {
        Ok(Ok(text)) => (text, true),
        Ok(Err(invalid)) => (
            String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
            false,
        ),
        Err(_) => (String::new(), false),
    }
}

/// A Flyway `.conf`, Diesel `metadata.toml` or sqitch plan, when it can be read: such a
/// file only tunes discovery, so a missing or odd one leaves the defaults.
fn read_side_file(path: &Path) -> Option<String> {
    let bytes = input::read_file(path, input::DEFAULT_MAX_FILE_SIZE).ok()?;
    String::from_utf8(bytes).ok()
}

fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests;
