//! `lockstep.toml`: read with unknown keys rejected (with their line), then merged with
//! the command line into one resolved [`Settings`].

use crate::diagnostic::Severity;
use crate::dialect::{Dialect, MysqlFlavor, Target, Version};
use crate::rules::{self, Group, Rule};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "lockstep.toml";

/// The file as written. Every field is optional; the command line wins over it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    pub dialect: Option<Dialect>,
    #[serde(alias = "target-version")]
    pub target_version: Option<String>,
    #[serde(alias = "mysql-flavor")]
    pub mysql_flavor: Option<MysqlFlavor>,
    pub paths: Option<Vec<PathBuf>>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    #[serde(alias = "fail-on")]
    pub fail_on: Option<FailOn>,
    #[serde(alias = "change-set")]
    pub change_set: Option<ChangeSetMode>,
    /// How rollback code (down files and sections) is judged.
    pub rollbacks: Option<RollbackMode>,
    /// Whether migrations run beside the live application or with it stopped.
    pub deploy: Option<DeployMode>,
    /// SARIF `automationDetails.id`, so several runs can be uploaded side by side.
    #[serde(alias = "automation-id")]
    pub automation_id: Option<String>,
    /// Bytes: a larger migration file is skipped and reported, not read.
    #[serde(alias = "max-file-size")]
    pub max_file_size: Option<u64>,
    /// Rule id or group id -> `"error" | "warning" | "note" | "off" | "on"`.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    /// Path glob or framework name (`flyway`, `goose`, ...) -> `"wrapped" | "none"`.
    #[serde(default)]
    pub transactions: BTreeMap<String, TransactionMode>,
    /// Path glob -> dialect, for a repository holding migrations of both kinds.
    #[serde(default)]
    pub dialects: BTreeMap<String, Dialect>,
    /// Settings the migration runner gives every session before a file runs.
    #[serde(default)]
    pub session: SessionOptions,
    /// `stats = "FILE"`, or a `[stats]` table: the stats file `check` judges lock hold
    /// times by, its thresholds and rates.
    pub stats: Option<StatsSetting>,
    /// `lockstep plan` writes Flyway rollbacks as `U` undo files (Flyway Teams) instead
    /// of `.sql.rollback` files run by hand.
    #[serde(alias = "flyway-undo")]
    pub flyway_undo: Option<bool>,
}

/// The `stats` key, a path or a table.
#[derive(Debug, Clone)]
pub struct StatsSetting(pub StatsOptions);

/// `[stats]` (or `stats = "FILE"`, short for `[stats] file = "FILE"`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsOptions {
    /// The stats file `lockstep stats` wrote, relative to this config file.
    pub file: Option<PathBuf>,
    /// A locking finding whose lock is held at most this long becomes a note.
    pub note_below_seconds: Option<f64>,
    /// A locking finding whose lock is held at most this long is at most a warning.
    pub warning_below_seconds: Option<f64>,
    /// Rates a team measured on its own hardware.
    #[serde(default)]
    pub rates: crate::stats::rates::RateOverrides,
}

impl<'de> Deserialize<'de> for StatsSetting {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StatsSetting;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a stats file path or a [stats] table")
            }
            fn visit_str<E: serde::de::Error>(self, path: &str) -> Result<Self::Value, E> {
                Ok(StatsSetting(StatsOptions {
                    file: Some(PathBuf::from(path)),
                    ..StatsOptions::default()
                }))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                map: M,
            ) -> Result<Self::Value, M::Error> {
                StatsOptions::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(StatsSetting)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// `[session]`: what the runner sets for every migration session (in its connection string,
/// or with `ALTER ROLE ... SET`), so files need not.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionOptions {
    /// PostgreSQL `lock_timeout`, e.g. `"2s"`.
    pub lock_timeout: Option<String>,
    /// MySQL `lock_wait_timeout` in seconds, e.g. `"5"`.
    pub lock_wait_timeout: Option<String>,
}

impl SessionOptions {
    /// Whether the runner sets a lock timeout that is not zero (zero means none).
    pub fn sets_lock_timeout(&self) -> bool {
        [&self.lock_timeout, &self.lock_wait_timeout]
            .into_iter()
            .flatten()
            .any(|value| !crate::session::is_zero(value))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
    Off,
    On,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransactionMode {
    Wrapped,
    None,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeSetMode {
    /// Each file deploys on its own (a table created in V1 may be large by V50).
    #[default]
    File,
    /// All files of a migration folder deploy together.
    Folder,
}

/// How rollback code is judged. It runs rarely and on purpose, mostly to undo the migration it
/// belongs to, so by default it is held to a lighter standard than a deploy.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RollbackMode {
    /// Like a deploy.
    Lint,
    /// Findings about what its own migration created are dropped (undoing it is the point;
    /// a statement that cannot run there is still reported), and lock findings become notes.
    #[default]
    Relaxed,
    /// Not reported.
    Skip,
}

/// How the project deploys its migrations.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployMode {
    /// Beside the running application: a lock blocks its traffic, and the previous release
    /// keeps running against the new schema.
    #[default]
    Online,
    /// With the application stopped (a maintenance window, a desktop or on-premise
    /// upgrade): no release runs against a schema it does not know, so compatibility rules
    /// are off, and no traffic waits on a lock, so locking rules are notes (the upgrade
    /// still takes as long as the rewrites and scans they name). Data-loss and transaction
    /// rules keep their levels. `[rules]` settings still win.
    Stopped,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Note => true,
            FailOn::Never => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Value { path: PathBuf, message: String },
    #[error(transparent)]
    Stats(#[from] crate::stats::StatsFileError),
}

impl StatsOptions {
    /// The estimator for the stats file at `file` (the flag's, else this table's, already
    /// made relative to where it was given), with this table's thresholds and rates.
    /// `config_path` names the config file in errors about its values.
    pub fn estimator(
        &self,
        file: &Path,
        config_path: &Path,
    ) -> Result<crate::stats::Estimator, ConfigError> {
        let error = |message: String| ConfigError::Value {
            path: config_path.to_path_buf(),
            message,
        };
        let defaults = crate::stats::Thresholds::default();
        let thresholds = crate::stats::Thresholds {
            note_below_seconds: self
                .note_below_seconds
                .unwrap_or(defaults.note_below_seconds),
            warning_below_seconds: self
                .warning_below_seconds
                .unwrap_or(defaults.warning_below_seconds),
        };
        let valid = |v: f64| v.is_finite() && v >= 0.0;
        if !valid(thresholds.note_below_seconds)
            || !valid(thresholds.warning_below_seconds)
            || thresholds.note_below_seconds > thresholds.warning_below_seconds
        {
            return Err(error(format!(
                "[stats]: note_below_seconds ({}) and warning_below_seconds ({}) are seconds, the first no larger than the second",
                thresholds.note_below_seconds, thresholds.warning_below_seconds
            )));
        }
        let file = crate::stats::StatsFile::load(file)?;
        let rates =
            crate::stats::rates::Rates::with(&self.rates, file.server.product).map_err(error)?;
        Ok(crate::stats::Estimator {
            sizes: crate::stats::TableSizes::new(file),
            rates,
            thresholds,
        })
    }
}

impl Options {
    pub fn load(path: &Path) -> Result<Options, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Options::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Options, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| {
                    let index = crate::span::LineIndex::new(text);
                    let lc = index.line_col(text, s.start as u32);
                    (lc.line as usize, lc.column as usize)
                })
                .unwrap_or((1, 1));
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })
    }

    /// The nearest `lockstep.toml` in `start` or its parents. A path that does not exist yet
    /// (`--stdin-filename` of a new migration) is looked up from its nearest existing folder.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let start = start.ancestors().find_map(|path| {
            let path = if path.as_os_str().is_empty() {
                Path::new(".")
            } else {
                path
            };
            std::fs::canonicalize(path).ok()
        })?;
        let dir = if start.is_dir() {
            start.as_path()
        } else {
            start.parent()?
        };
        dir.ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    }
}

/// A rule's level before any setting: its default, changed by how the project deploys.
fn default_level(rule: &Rule, deploy: DeployMode) -> Option<Severity> {
    let level = rule.enabled_by_default.then_some(rule.default_severity)?;
    match (deploy, rule.group) {
        (DeployMode::Stopped, Group::Compatibility) => None,
        (DeployMode::Stopped, Group::Locking) => Some(Severity::Note),
        _ => Some(level),
    }
}

/// Which rules run, at which level.
#[derive(Clone, Debug)]
pub struct RuleLevels {
    levels: BTreeMap<&'static str, Option<Severity>>,
}

impl RuleLevels {
    /// Defaults (for the deploy mode), then group settings, then rule settings, so a rule
    /// setting wins.
    pub fn resolve(
        settings: &BTreeMap<String, Level>,
        deploy: DeployMode,
        path: &Path,
    ) -> Result<RuleLevels, ConfigError> {
        let mut levels: BTreeMap<&'static str, Option<Severity>> = rules::ALL
            .iter()
            .map(|r| (r.id, default_level(r, deploy)))
            .collect();
        let mut apply = |rule: &Rule, level: Level| {
            levels.insert(
                rule.id,
                match level {
                    Level::Error => Some(Severity::Error),
                    Level::Warning => Some(Severity::Warning),
                    Level::Note => Some(Severity::Note),
                    Level::Off => None,
                    Level::On => Some(rule.default_severity),
                },
            );
        };
        for (key, level) in settings {
            if let Some(group) = Group::ALL.iter().find(|g| g.id() == key) {
                for rule in rules::ALL.iter().filter(|r| r.group == *group) {
                    apply(rule, *level);
                }
            } else if rules::find(key).is_none() {
                return Err(ConfigError::Value {
                    path: path.to_path_buf(),
                    message: format!(
                        "[rules]: `{key}` is neither a rule nor a group{}; `lockstep rules` lists them",
                        crate::suggest::hint(
                            key,
                            rules::ALL
                                .iter()
                                .map(|r| r.id)
                                .chain(Group::ALL.iter().map(|g| g.id()))
                        )
                    ),
                });
            }
        }
        for (key, level) in settings {
            if let Some(rule) = rules::find(key) {
                apply(rule, *level);
            }
        }
        Ok(RuleLevels { levels })
    }

    /// Only `rule`, at its default severity: how fixtures and documentation examples are
    /// checked, one rule at a time.
    pub fn only(rule: &Rule) -> RuleLevels {
        RuleLevels {
            levels: rules::ALL
                .iter()
                .map(|r| (r.id, (r.id == rule.id).then_some(r.default_severity)))
                .collect(),
        }
    }

    /// The level `rule` reports at, or `None` when it is off.
    pub fn level(&self, rule: &Rule) -> Option<Severity> {
        self.levels.get(rule.id).copied().flatten()
    }
}

impl Default for RuleLevels {
    fn default() -> RuleLevels {
        RuleLevels::resolve(&BTreeMap::new(), DeployMode::Online, Path::new(FILE_NAME)).unwrap_or(
            RuleLevels {
                levels: BTreeMap::new(),
            },
        )
    }
}

/// Everything a run needs, resolved from the command line and the config file.
#[derive(Clone, Debug)]
pub struct Settings {
    pub target: Target,
    pub paths: Vec<PathBuf>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub fail_on: FailOn,
    pub rules: RuleLevels,
    pub change_set: ChangeSetMode,
    pub rollbacks: RollbackMode,
    /// `[session]` sets a lock timeout for every migration session.
    pub runner_sets_lock_timeout: bool,
    /// `[transactions]`, in the order written; the first that matches a file wins.
    pub transactions: Vec<TransactionRule>,
    /// `--since REF`: only the files this change added or edited are reported.
    pub since: Option<crate::git::ChangeScope>,
    /// Folders whose migrations run on another server than `target`, first match wins.
    pub dialects: Vec<DialectGlob>,
    /// The largest migration file read, in bytes.
    pub max_file_size: u64,
    /// `--stats` / `stats`: table sizes to estimate lock hold times by.
    pub stats: Option<std::sync::Arc<crate::stats::Estimator>>,
    /// `flyway_undo`: plans write Flyway rollbacks as `U` undo files.
    pub flyway_undo: bool,
    /// The report carries the files `lockstep plan` writes for each planned statement
    /// (the markdown report shows them); off, a planned finding only points at the command.
    pub plan_files: bool,
    /// With `--since`, parse every statement of the files only replayed, not only those the
    /// reported files can see: the reference the slice (`replay_slice`) is tested against.
    pub replay_every_statement: bool,
}

/// A `[dialects]` entry: files matching `glob` run on `target`.
#[derive(Clone, Debug)]
pub struct DialectGlob {
    pub glob: globset::GlobMatcher,
    pub target: Target,
}

/// One `[transactions]` entry: a framework's files, or the files a path glob matches, run
/// wrapped in a transaction or not.
#[derive(Clone, Debug)]
pub struct TransactionRule {
    pub files: TransactionFiles,
    pub mode: TransactionMode,
}

#[derive(Clone, Debug)]
pub enum TransactionFiles {
    Framework(crate::layout::Layout),
    Glob(globset::GlobMatcher),
}

impl TransactionRule {
    /// Entries of `[transactions]`: a key is a framework name or a path glob; anything else
    /// (a misspelt framework, a glob that does not compile) is an error naming it.
    pub fn resolve(
        entries: &BTreeMap<String, TransactionMode>,
        path: &Path,
    ) -> Result<Vec<TransactionRule>, ConfigError> {
        let error = |message: String| ConfigError::Value {
            path: path.to_path_buf(),
            message,
        };
        entries
            .iter()
            .map(|(key, mode)| {
                let framework = crate::layout::Layout::ALL
                    .into_iter()
                    .find(|layout| layout.name() == key);
                let files = match framework {
                    Some(layout) => TransactionFiles::Framework(layout),
                    None if key.contains(['*', '?', '[', '{', '/', '.']) => {
                        let glob = globset::Glob::new(key).map_err(|e| {
                            error(format!("[transactions]: `{key}` is not a glob: {e}"))
                        })?;
                        TransactionFiles::Glob(glob.compile_matcher())
                    }
                    None => {
                        let known: Vec<&str> = crate::layout::Layout::ALL
                            .iter()
                            .map(|layout| layout.name())
                            .collect();
                        return Err(error(format!(
                            "[transactions]: `{key}` is neither a framework ({}) nor a path glob",
                            known.join(", ")
                        )));
                    }
                };
                Ok(TransactionRule { files, mode: *mode })
            })
            .collect()
    }

    /// Whether this entry is about `file` (its path as linted).
    pub fn covers(&self, layout: crate::layout::Layout, path: &Path) -> bool {
        match &self.files {
            TransactionFiles::Framework(framework) => *framework == layout,
            TransactionFiles::Glob(glob) => glob.is_match(path),
        }
    }
}

impl DialectGlob {
    /// Entries of `[dialects]`, sorted by glob as written. A dialect other than the main
    /// one runs on its default version; `mysql-flavor` still applies to MySQL.
    pub fn resolve(
        entries: &BTreeMap<String, Dialect>,
        main: Target,
        path: &Path,
    ) -> Result<Vec<DialectGlob>, ConfigError> {
        entries
            .iter()
            .map(|(glob, dialect)| {
                let matcher = globset::Glob::new(glob)
                    .map_err(|e| ConfigError::Value {
                        path: path.to_path_buf(),
                        message: format!("[dialects]: `{glob}` is not a glob: {e}"),
                    })?
                    .compile_matcher();
                let target = if *dialect == main.dialect {
                    main
                } else {
                    Target {
                        flavor: main.flavor,
                        ..Target::new(*dialect)
                    }
                };
                Ok(DialectGlob {
                    glob: matcher,
                    target,
                })
            })
            .collect()
    }
}

impl Settings {
    pub fn new(dialect: Dialect) -> Settings {
        Settings {
            target: Target::new(dialect),
            paths: vec![PathBuf::from(".")],
            include: Vec::new(),
            exclude: Vec::new(),
            fail_on: FailOn::default(),
            rules: RuleLevels::default(),
            change_set: ChangeSetMode::default(),
            rollbacks: RollbackMode::default(),
            runner_sets_lock_timeout: false,
            transactions: Vec::new(),
            since: None,
            dialects: Vec::new(),
            max_file_size: crate::input::DEFAULT_MAX_FILE_SIZE,
            stats: None,
            flyway_undo: false,
            plan_files: false,
            replay_every_statement: false,
        }
    }

    /// The server the migrations at `path` run on: the first `[dialects]` glob matching
    /// the path as given or relative to the working directory, else the main target.
    pub fn target_for(&self, path: &Path) -> Target {
        self.configured_target_for(path).unwrap_or(self.target)
    }

    /// The target of the first `[dialects]` glob matching `path`, if one does.
    pub fn configured_target_for(&self, path: &Path) -> Option<Target> {
        let relative = crate::engine::display_path(path);
        self.dialects
            .iter()
            .find(|d| d.glob.is_match(path) || d.glob.is_match(&relative))
            .map(|d| d.target)
    }
}

/// The newest PostgreSQL major lockstep models; a newer one is checked as this one.
pub const NEWEST_POSTGRES_MAJOR: u32 = 19;

/// A `--target-version` or `target_version` value, read for one dialect.
#[derive(Debug, PartialEq)]
pub struct ParsedVersion {
    pub version: Version,
    /// Said once to the user: the version is newer than any lockstep models.
    pub note: Option<String>,
}

/// The server versions `parse_version` accepts, as one line.
pub fn supported_versions() -> String {
    format!(
        "PostgreSQL 9.6 to {NEWEST_POSTGRES_MAJOR} (newer majors checked as \
         {NEWEST_POSTGRES_MAJOR}); MySQL 5.7, 8.x and 9.x; MariaDB 10.x and 11.x \
         (mysql-flavor = \"mariadb\")"
    )
}

/// Parses a `--target-version` or `target_version` value for `dialect`.
pub fn parse_version(dialect: Dialect, text: &str) -> Result<ParsedVersion, String> {
    let version: Version = text.parse()?;
    let known = |version| ParsedVersion {
        version,
        note: None,
    };
    match dialect {
        Dialect::Postgres if (9..=NEWEST_POSTGRES_MAJOR).contains(&version.major) => {
            Ok(known(version))
        }
        Dialect::Postgres if version.major > NEWEST_POSTGRES_MAJOR => Ok(ParsedVersion {
            version: Version::new(NEWEST_POSTGRES_MAJOR, 0, 0),
            note: Some(format!(
                "PostgreSQL {version} is newer than the newest version lockstep models; \
                 checking as PostgreSQL {NEWEST_POSTGRES_MAJOR}"
            )),
        }),
        Dialect::Postgres => Err(format!(
            "PostgreSQL {version} is not a version lockstep knows: it knows 9.6 to \
             {NEWEST_POSTGRES_MAJOR} (and checks newer ones as {NEWEST_POSTGRES_MAJOR})"
        )),
        Dialect::Mysql
            if matches!(
                (version.major, version.minor),
                (5, 7) | (8, _) | (9, _) | (10, _) | (11, _)
            ) =>
        {
            Ok(known(version))
        }
        Dialect::Mysql => Err(format!(
            "MySQL {version} is not a version lockstep knows: it knows 5.7, 8.x and 9.x \
             (MariaDB 10.x and 11.x with mysql-flavor = \"mariadb\")"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_reported_with_their_line() {
        let err = Options::parse(
            "dialect = \"postgres\"\n\nfail_onn = \"error\"\n",
            Path::new("x.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("x.toml:3:1: unknown field `fail_onn`"),
            "{err}"
        );
    }

    #[test]
    fn rule_settings_win_over_group_settings() {
        let mut settings = BTreeMap::new();
        settings.insert("compatibility".to_string(), Level::Off);
        settings.insert("rename-column".to_string(), Level::Warning);
        let levels = RuleLevels::resolve(&settings, DeployMode::Online, Path::new("x")).unwrap();
        let rule = rules::find("rename-column").unwrap();
        assert_eq!(levels.level(rule), Some(Severity::Warning));
        let other = rules::ALL
            .iter()
            .find(|r| r.group == Group::Compatibility && r.id != rule.id)
            .unwrap();
        assert_eq!(levels.level(other), None);
    }

    #[test]
    fn a_stopped_deploy_turns_compatibility_off_and_locking_into_notes() {
        let mut settings = BTreeMap::new();
        settings.insert("vacuum-full".to_string(), Level::Error);
        let levels = RuleLevels::resolve(&settings, DeployMode::Stopped, Path::new("x")).unwrap();
        let level = |id: &str| levels.level(rules::find(id).unwrap());
        assert_eq!(level("rename-column"), None);
        assert_eq!(level("create-index-non-concurrently"), Some(Severity::Note));
        assert_eq!(level("drop-column"), Some(Severity::Error));
        assert_eq!(level("concurrently-in-transaction"), Some(Severity::Error));
        // A rule's own setting still wins.
        assert_eq!(level("vacuum-full"), Some(Severity::Error));
        let options: Options = toml::from_str("deploy = \"stopped\"").unwrap();
        assert_eq!(options.deploy, Some(DeployMode::Stopped));
        assert!(toml::from_str::<Options>("deploy = \"paused\"").is_err());
    }

    #[test]
    fn transaction_keys_are_frameworks_or_globs_and_anything_else_is_an_error() {
        let resolve = |key: &str| {
            let entries = BTreeMap::from([(key.to_string(), TransactionMode::None)]);
            TransactionRule::resolve(&entries, Path::new("lockstep.toml"))
        };
        let goose = resolve("goose").unwrap();
        assert!(goose[0].covers(crate::layout::Layout::Goose, Path::new("x.sql")));
        assert!(!goose[0].covers(crate::layout::Layout::Flyway, Path::new("x.sql")));
        let glob = resolve("db/*_concurrent*.sql").unwrap();
        assert!(glob[0].covers(
            crate::layout::Layout::Plain,
            Path::new("db/7_concurrent_idx.sql")
        ));
        let typo = resolve("gooose").unwrap_err().to_string();
        assert!(
            typo.contains("`gooose` is neither a framework (flyway,"),
            "{typo}"
        );
        let broken = resolve("db/[a.sql").unwrap_err().to_string();
        assert!(broken.contains("`db/[a.sql` is not a glob"), "{broken}");
    }

    #[test]
    fn the_readme_configuration_example_is_valid() {
        let readme = include_str!("../README.md");
        let section = &readme[readme.find("## Configuration").expect("the section")..];
        let body = &section[section.find("```toml\n").expect("a toml block") + 8..];
        let example = &body[..body.find("```").expect("the block ends")];
        let options = Options::parse(example, Path::new("README.md")).expect("it parses");
        assert_eq!(options.rollbacks, Some(RollbackMode::Relaxed));
        assert!(options.session.sets_lock_timeout());
    }

    #[test]
    fn postgres_versions_up_to_19_are_known_and_newer_ones_checked_as_19() {
        let parsed = parse_version(Dialect::Postgres, "19").unwrap();
        assert_eq!(parsed.version, Version::new(19, 0, 0));
        assert_eq!(parsed.note, None);
        let newer = parse_version(Dialect::Postgres, "21.2").unwrap();
        assert_eq!(newer.version, Version::new(19, 0, 0));
        assert!(newer.note.unwrap().contains("checking as PostgreSQL 19"));
        let err = parse_version(Dialect::Postgres, "8.4").unwrap_err();
        assert!(err.contains("it knows 9.6 to 19"), "{err}");
    }

    #[test]
    fn mysql_versions_from_5_7_are_known() {
        for known in ["5.7", "8.0.12", "8.0.35", "8.4"] {
            assert!(parse_version(Dialect::Mysql, known).is_ok(), "{known}");
        }
        assert!(parse_version(Dialect::Mysql, "5.6").is_err());
    }

    #[test]
    fn dialect_globs_pick_the_target_per_path() {
        let mut entries = BTreeMap::new();
        entries.insert("db/mysql/**".to_string(), Dialect::Mysql);
        let mut settings = Settings::new(Dialect::Postgres);
        settings.target.flavor = MysqlFlavor::Mariadb;
        settings.dialects =
            DialectGlob::resolve(&entries, settings.target, Path::new("x")).unwrap();
        let mysql = settings.target_for(Path::new("db/mysql/V1__a.sql"));
        assert_eq!(mysql.dialect, Dialect::Mysql);
        assert_eq!(mysql.version, Version::new(8, 4, 0));
        assert_eq!(mysql.flavor, MysqlFlavor::Mariadb);
        let postgres = settings.target_for(Path::new("db/pg/V1__a.sql"));
        assert_eq!(postgres, settings.target);
    }

    #[test]
    fn unknown_rule_names_are_an_error() {
        let mut settings = BTreeMap::new();
        settings.insert("no-such-rule".to_string(), Level::Off);
        assert!(RuleLevels::resolve(&settings, DeployMode::Online, Path::new("x")).is_err());
    }
}
