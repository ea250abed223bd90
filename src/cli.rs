//! The command line: `lockstep check`, `rules`, `explain`, `plan`, `init`, `completions`,
//! `manpage`, `config-schema`, `stats`.

use crate::color::ColorChoice;
use crate::config::{self, ConfigError, FailOn, Options, RuleLevels, Settings};
use crate::dialect::{Dialect, Target};
use crate::engine::StdinFile;
use crate::plan::command::PlanArgs;
use crate::report::{self, Format, PrintOptions};
use crate::write_file::{check_replaceable, write_atomically};
use crate::{docs, engine, git, rules};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "lockstep",
    version,
    long_version = crate::version::LONG.as_str(),
    about = "Lint SQL schema migrations for locks, rewrites and breaking changes"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint migration files or folders.
    Check(CheckArgs),
    /// List the rule catalogue.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Write the safe phased replacement (expand, backfill, contract) of risky statements.
    Plan(PlanArgs),
    /// Move the phases `plan --write` kept for a later release into their migrations
    /// folder, numbered after its newest migration.
    Release {
        /// The pending folder `plan --write` named (`.lockstep-pending/<plan>`).
        dir: PathBuf,
        /// Replace files that already exist.
        #[arg(long)]
        force: bool,
    },
    /// Show the full documentation of one rule.
    Explain {
        /// The rule id, e.g. `create-index-non-concurrently`.
        rule: String,
    },
    /// Write a commented `lockstep.toml` for the migrations found under a folder.
    Init(crate::init::InitArgs),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `lockstep manpage > lockstep.1`.
    Manpage,
    /// Print the JSON Schema of `lockstep.toml`, for editors.
    ConfigSchema,
    /// Write a stats file (table sizes, read from the database's own statistics) for
    /// `check --stats`, from PostgreSQL, MySQL or MariaDB. The only command that connects
    /// to a database.
    Stats(StatsArgs),
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// A `postgresql://` URL or `key=value` settings (`host=/run/postgresql` for a Unix
    /// socket), or a `mysql://` URL (`?socket=/path` for a Unix socket); default:
    /// `DATABASE_URL`. A role that can read the catalogue is enough.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Where to write the stats file (atomically; default: standard output).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Replace the --output file when it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    /// The README table.
    Markdown,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("written").args(["output", "report"]).multiple(true))]
pub struct CheckArgs {
    /// Files or folders (default: `paths` from the config, else `.`); `-` reads one
    /// migration from standard input.
    pub paths: Vec<PathBuf>,
    /// The path the migration read from standard input (`-`) has: its framework, its
    /// folder's earlier migrations and the config file are found from it.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub dialect: Option<Dialect>,
    /// The server version the migrations will run on (postgres default 15, mysql 8.4).
    #[arg(long)]
    pub target_version: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also write the report in FORMAT to PATH, from the same run (repeatable), e.g.
    /// `--report sarif=lockstep.sarif --report json=lockstep.json`.
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report_file)]
    pub report: Vec<ReportFile>,
    /// Replace the `--output` and `--report` files when they already exist.
    #[arg(long, requires = "written")]
    pub force: bool,
    /// The lowest severity that makes the run exit 1.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// The config file (default: the nearest `lockstep.toml` above the first path).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only lint files matching this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Only report migration files added or edited since the merge base of HEAD and this
    /// git revision; earlier files are still replayed for schema knowledge.
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
    /// SARIF `automationDetails.id` (default: derived from the dialect and the paths), so
    /// several runs can be uploaded side by side.
    #[arg(long, value_name = "ID")]
    pub automation_id: Option<String>,
    /// Where the linted files can be browsed at the reviewed commit, e.g.
    /// `https://github.com/OWNER/REPO/blob/SHA`: the markdown report links files and lines.
    #[arg(long, value_name = "URL", value_parser = parse_source_url)]
    pub source_url: Option<String>,
    /// Colour the text report: on a terminal (`auto`, which honours `CLICOLOR_FORCE` and
    /// `NO_COLOR`), `always` or `never`.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print how many findings each rule raised instead of the findings (text or json).
    #[arg(long)]
    pub statistics: bool,
    /// Exit 0, not 2, when the paths and globs match no migration file (for a job run
    /// over every folder of a monorepo, some of which have none yet).
    #[arg(long)]
    pub allow_no_files: bool,
    /// A stats file (`lockstep stats`): each finding says how long its lock is held on
    /// a table the file knows, and brief locks are lowered (see `[stats]`).
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
}

/// `--report FORMAT=PATH`: one more report file written by the same run.
#[derive(Clone, Debug)]
pub struct ReportFile {
    pub format: Format,
    pub path: PathBuf,
}

/// An http(s) URL of only the characters GitHub and GitLab URLs use, none of which can end
/// a markdown link; without a trailing `/`.
fn parse_source_url(value: &str) -> Result<String, String> {
    let url = value.trim_end_matches('/');
    let plain = url
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~:/%@+".contains(c));
    if !(url.starts_with("https://") || url.starts_with("http://")) || !plain {
        return Err(format!(
            "`{value}` is not an http(s) URL of letters, digits and `-._~:/%@+`"
        ));
    }
    Ok(url.to_string())
}

fn parse_report_file(value: &str) -> Result<ReportFile, String> {
    let (format, path) = value
        .split_once('=')
        .ok_or_else(|| format!("`{value}` is not FORMAT=PATH"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let known: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        format!("`{format}` is not a format ({})", known.join(", "))
    })?;
    if path.is_empty() {
        return Err(format!("`{value}` names no file"));
    }
    Ok(ReportFile {
        format,
        path: PathBuf::from(path),
    })
}

/// How a run ended; `main` turns it into the process exit code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the fail level.
    Clean,
    /// Findings at or above the fail level.
    Findings,
    /// Usage, config or I/O error.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

pub fn run(cli: Cli) -> ExitStatus {
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Plan(args) => plan(&args),
        Command::Release { dir, force } => release(&dir, force),
        Command::Rules { format } => {
            let text = match format {
                RulesFormat::Text => docs::rules_text(),
                RulesFormat::Json => docs::rules_json() + "\n",
                RulesFormat::Markdown => docs::readme_table(),
            };
            write_stdout(&text).map(|_| ExitStatus::Clean)
        }
        Command::Init(args) => crate::init::run(&args),
        Command::Stats(args) => stats(&args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "lockstep", &mut script);
            write_stdout(&String::from_utf8_lossy(&script)).map(|_| ExitStatus::Clean)
        }
        Command::ConfigSchema => {
            let schema = crate::config_schema::json_schema();
            let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
            write_stdout(&text).map(|_| ExitStatus::Clean)
        }
        Command::Manpage => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| format!("cannot render the man page: {e}"))
                .and_then(|_| write_stdout(&String::from_utf8_lossy(&page)))
                .map(|_| ExitStatus::Clean)
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(rule) => write_stdout(&docs::explain(rule)).map(|_| ExitStatus::Clean),
            None => Err(format!(
                "unknown rule `{rule}`{}; `lockstep rules` lists them",
                rules::did_you_mean(&rule)
            )),
        },
    };
    match result {
        Ok(status) => status,
        Err(message) => {
            eprintln!(
                "lockstep: error: {}",
                crate::diagnostic::printable(&message)
            );
            ExitStatus::Error
        }
    }
}

/// Writes to standard output; a closed pipe (`lockstep rules | head`) is not an error.
fn write_stdout(text: &str) -> Result<(), String> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write output: {e}"))
        }
        _ => Ok(()),
    }
}

fn check(mut args: CheckArgs) -> Result<ExitStatus, String> {
    if args.statistics && !matches!(args.format, Format::Text | Format::Json) {
        return Err("--statistics prints text or json, not another --format".to_string());
    }
    let stdin_path = stdin_path(&mut args)?;
    let mut settings = resolve(&args).map_err(|e| e.to_string())?;
    // Only the markdown report shows the plans' files: the other formats never pay for them.
    settings.plan_files = std::iter::once(args.format)
        .chain(args.report.iter().map(|r| r.format))
        .any(|format| format == Format::Markdown);
    if let Some(rev) = &args.since {
        let first = settings
            .paths
            .first()
            .map_or(Path::new("."), PathBuf::as_path);
        settings.since = Some(git::changes_since(first, rev).map_err(|e| e.to_string())?);
    }
    let report = match stdin_path {
        Some(path) => engine::check_stdin(&settings, &read_stdin(path, settings.max_file_size)?),
        None => engine::check(&settings),
    };
    if report.discovered == 0 && report.errors.is_empty() && !args.allow_no_files {
        return Err(no_files_message(&settings));
    }
    let color = args.format == Format::Text
        && match &args.output {
            Some(_) => args.color == ColorChoice::Always,
            None => args.color.enabled(std::io::stdout().is_terminal(), |name| {
                std::env::var_os(name)
            }),
        };
    let options = PrintOptions {
        color,
        source_url: args.source_url.clone(),
        automation_id: Some(automation_id(&args, &settings)),
    };
    let print = |out: &mut dyn Write| match (args.statistics, args.format) {
        (true, Format::Json) => report::statistics::print_json(&report, out),
        (true, _) => report::statistics::print_text(&report, out),
        (false, format) => report::print(format, &report, out, options.clone()),
    };
    write_report_files(&args, &report, &options)?;
    match &args.output {
        Some(path) => {
            let mut buffer = Vec::new();
            print(&mut buffer).map_err(|e| e.to_string())?;
            write_atomically(path, &buffer, args.force)?
        }
        // Streamed: a report of many thousand findings is never held in memory twice.
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let printed = print(&mut out).and_then(|_| out.flush());
            match printed {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(format!("cannot write output: {e}"))
                }
                _ => {}
            }
        }
    }
    for waiting in pending_beside(&settings.paths, &report) {
        eprintln!(
            "lockstep: note: {} holds phases of a plan for a later release; move them into the migrations folder with `lockstep release {}` once their release comes",
            crate::diagnostic::printable(&waiting.display().to_string()),
            crate::diagnostic::printable(&waiting.display().to_string()),
        );
    }
    for error in &report.errors {
        if args.format != Format::Text || args.output.is_some() || args.statistics {
            eprintln!(
                "lockstep: error: {}: {}",
                crate::diagnostic::printable(&error.path.display().to_string()),
                crate::diagnostic::printable(&error.message)
            );
        }
    }
    let status = if !report.errors.is_empty() {
        ExitStatus::Error
    } else if report
        .findings()
        .any(|(_, f)| settings.fail_on.fails(f.severity))
    {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    };
    // The process ends next: freeing every file's text and findings one by one (tens of
    // thousands of small allocations) would only delay the exit the OS does at once.
    std::mem::forget(report);
    Ok(status)
}

/// The pending folders (`plan --write`'s phases for a later release) of the folders this
/// run linted.
fn pending_beside(paths: &[PathBuf], report: &report::Report) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    folders.extend(
        report
            .files
            .iter()
            .filter_map(|f| f.path.parent().map(Path::to_path_buf)),
    );
    // Diesel and Prisma keep each migration in a folder of its own.
    let grandparents: Vec<PathBuf> = folders
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    folders.extend(grandparents);
    // `.` and the empty parent of `deploy` are one folder: say its pending folders once.
    let mut folders: Vec<PathBuf> = folders
        .iter()
        .map(|f| {
            let clean: PathBuf = f
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect();
            if clean.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                clean
            }
        })
        .collect();
    folders.sort();
    folders.dedup();
    let mut waiting: Vec<PathBuf> = folders
        .iter()
        .flat_map(|folder| crate::plan::pending::waiting_in(folder))
        .collect();
    waiting.sort();
    waiting.dedup();
    waiting
}

/// Writes the `--report` files, after checking that none would replace a file it must not
/// (so a refusal leaves no file half of the set written).
fn write_report_files(
    args: &CheckArgs,
    report: &report::Report,
    options: &PrintOptions,
) -> Result<(), String> {
    let mut paths: Vec<&Path> = args.output.iter().map(PathBuf::as_path).collect();
    if let Some(output) = &args.output {
        check_replaceable(output, args.force)?;
    }
    for file in &args.report {
        if paths.contains(&file.path.as_path()) {
            return Err(format!(
                "{} is named twice as a report file",
                file.path.display()
            ));
        }
        check_replaceable(&file.path, args.force)?;
        paths.push(&file.path);
    }
    for file in &args.report {
        let mut buffer = Vec::new();
        let uncoloured = PrintOptions {
            color: false,
            ..options.clone()
        };
        report::print(file.format, report, &mut buffer, uncoloured).map_err(|e| e.to_string())?;
        write_atomically(&file.path, &buffer, args.force)?;
    }
    Ok(())
}

/// For `check -`: the path the standard input stands for (`--stdin-filename`, else
/// `<stdin>`). The config file is then looked up from that path, so `args.paths` becomes it.
fn stdin_path(args: &mut CheckArgs) -> Result<Option<PathBuf>, String> {
    if !args.paths.iter().any(|path| path == Path::new("-")) {
        return match args.stdin_filename {
            Some(_) => Err("--stdin-filename names what `-` reads: pass `-` as the path".into()),
            None => Ok(None),
        };
    }
    if args.paths.len() > 1 {
        return Err("`-` (standard input) cannot be linted with other paths".into());
    }
    if args.since.is_some() {
        return Err("--since selects changed files in git; standard input is none".into());
    }
    args.paths = args.stdin_filename.iter().cloned().collect();
    match &args.stdin_filename {
        Some(path) if path.is_dir() => Err(format!(
            "--stdin-filename {} is a folder; name the migration file the text belongs to",
            path.display()
        )),
        Some(path) => Ok(Some(path.clone())),
        None => Ok(Some(PathBuf::from("<stdin>"))),
    }
}

/// Standard input, refused past `max_file_size` like a file on disk.
fn read_stdin(path: PathBuf, max_file_size: u64) -> Result<StdinFile, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if bytes.len() as u64 > max_file_size {
        return Err(format!(
            "standard input is larger than max-file-size ({max_file_size} bytes)"
        ));
    }
    Ok(StdinFile { path, bytes })
}

/// Why nothing was linted: the paths and globs, so a typo shows.
fn no_files_message(settings: &Settings) -> String {
    let list = |items: &[String]| format!("`{}`", items.join("`, `"));
    let paths: Vec<String> = settings
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let include = if settings.include.is_empty() {
        vec![crate::discover::DEFAULT_INCLUDE.to_string()]
    } else {
        settings.include.clone()
    };
    let mut message = format!(
        "no migration file matched: paths {}, include {}",
        list(&paths),
        list(&include)
    );
    if !settings.exclude.is_empty() {
        message += &format!(", exclude {}", list(&settings.exclude));
    }
    message + "; pass --allow-no-files when that is expected"
}

/// The SARIF run's `automationDetails.id`: the flag, then the config key, else
/// `lockstep/<dialect>/<paths>/`, so runs over different folders or dialects are told apart.
fn automation_id(args: &CheckArgs, settings: &Settings) -> String {
    if let Some(id) = &args.automation_id {
        return id.clone();
    }
    let configured = args
        .config
        .clone()
        .or_else(|| {
            Options::find(
                settings
                    .paths
                    .first()
                    .map_or(Path::new("."), PathBuf::as_path),
            )
        })
        .and_then(|path| Options::load(&path).ok())
        .and_then(|options| options.automation_id);
    if let Some(id) = configured {
        return id;
    }
    let paths: Vec<String> = settings
        .paths
        .iter()
        .map(|p| {
            let shown = engine::display_path(p).to_string_lossy().replace('\\', "/");
            let trimmed = shown.trim_matches('/');
            if trimmed.is_empty() {
                ".".to_string()
            } else {
                trimmed.to_string()
            }
        })
        .collect();
    format!("lockstep/{}/{}/", settings.target.dialect, paths.join("+"))
}

fn plan(args: &PlanArgs) -> Result<ExitStatus, String> {
    let settings = resolve(&CheckArgs {
        paths: vec![args.file.clone()],
        stdin_filename: None,
        dialect: args.dialect,
        target_version: args.target_version.clone(),
        format: Format::Text,
        output: None,
        report: Vec::new(),
        force: false,
        fail_on: None,
        config: args.config.clone(),
        include: Vec::new(),
        exclude: Vec::new(),
        since: None,
        automation_id: None,
        source_url: None,
        color: ColorChoice::Never,
        statistics: false,
        allow_no_files: false,
        stats: args.stats.clone(),
    })
    .map_err(|e| e.to_string())?;
    let output = crate::plan::command::run(args, &settings).map_err(|e| e.to_string())?;
    for file in &output.written {
        eprintln!("lockstep: wrote {}", file.display());
    }
    if !output.written.is_empty() {
        eprintln!(
            "lockstep: the phase files replace the planned statement: remove it from {}",
            args.file.display()
        );
    }
    if let Some(down) = &output.down_migration {
        eprintln!(
            "lockstep: {} still undoes the planned statement: remove that from it too (each phase has its own rollback)",
            down.display()
        );
    }
    if let Some(by_hand) = &output.rollbacks_by_hand {
        eprintln!("lockstep: {by_hand}");
    }
    if let Some(out_of_order) = &output.out_of_order {
        eprintln!("lockstep: warning: {out_of_order}");
    }
    if let Some(pending) = &output.pending {
        eprintln!(
            "lockstep: the phases for a later release are kept in {0}, out of the migrations folder; once every application instance runs the release the other phases are for, move them in with `lockstep release {0}`",
            pending.display()
        );
    }
    if let Some(script) = &output.script {
        write_stdout(script)?;
    }
    Ok(ExitStatus::Clean)
}

fn stats(args: &StatsArgs) -> Result<ExitStatus, String> {
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => std::env::var("DATABASE_URL").map_err(|_| {
            "no database to read: pass --database-url or set DATABASE_URL".to_string()
        })?,
    };
    if let Some(output) = &args.output {
        // Before connecting: a refusal costs no round trip to production.
        check_replaceable(output, args.force)?;
    }
    let file = crate::stats::collect(&url)?;
    let json = file.to_json();
    match &args.output {
        Some(output) => write_atomically(output, json.as_bytes(), args.force)?,
        None => write_stdout(&json)?,
    }
    let calibration = crate::stats::rates::calibration(file.server.product);
    eprintln!(
        "lockstep: note: check --stats estimates with rates measured on {} ({}; {}); set [stats.rates] to your own hardware's",
        calibration.machine, calibration.server, calibration.method
    );
    Ok(ExitStatus::Clean)
}

fn release(dir: &Path, force: bool) -> Result<ExitStatus, String> {
    let written = crate::plan::command::release(dir, force).map_err(|e| e.to_string())?;
    for file in &written {
        eprintln!("lockstep: wrote {}", file.display());
    }
    Ok(ExitStatus::Clean)
}

/// Merges the config file under the command line.
pub fn resolve(args: &CheckArgs) -> Result<Settings, ConfigError> {
    let first = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let config_path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Options::find(first),
    };
    let options = match &config_path {
        Some(p) => Options::load(p)?,
        None => Options::default(),
    };
    let shown = config_path
        .clone()
        .unwrap_or_else(|| PathBuf::from(config::FILE_NAME));
    let dialect = args
        .dialect
        .or(options.dialect)
        .unwrap_or(Dialect::Postgres);
    let mut target = Target::new(dialect);
    // An error names where the value came from: the flag, or the config file that set it.
    let version_source = match (&args.target_version, &options.target_version) {
        (Some(v), _) => Some((v, PathBuf::from("--target-version"))),
        (None, Some(v)) => Some((v, shown.clone())),
        (None, None) => None,
    };
    if let Some((v, source)) = version_source {
        let parsed = config::parse_version(dialect, v).map_err(|message| ConfigError::Value {
            path: source,
            message,
        })?;
        if let Some(note) = parsed.note {
            eprintln!("lockstep: note: {note}");
        }
        target.version = parsed.version;
    }
    target.flavor = options.mysql_flavor.unwrap_or_default();
    // Config paths are relative to the config file's folder.
    let base = config_path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let paths = if !args.paths.is_empty() {
        args.paths.clone()
    } else if let Some(paths) = &options.paths {
        paths.iter().map(|p| base.join(p)).collect()
    } else {
        vec![PathBuf::from(".")]
    };
    let stats_options = options.stats.clone().map(|s| s.0).unwrap_or_default();
    let stats_file = match (&args.stats, &stats_options.file) {
        (Some(flag), _) => Some(flag.clone()),
        (None, Some(file)) => Some(base.join(file)),
        (None, None) => None,
    };
    let stats = match stats_file {
        Some(file) => Some(std::sync::Arc::new(stats_options.estimator(&file, &shown)?)),
        None => None,
    };
    let include = globs(&args.include, &options.include, "include", &shown)?;
    let exclude = globs(&args.exclude, &options.exclude, "exclude", &shown)?;
    Ok(Settings {
        target,
        paths,
        include,
        exclude,
        fail_on: args.fail_on.or(options.fail_on).unwrap_or_default(),
        rules: RuleLevels::resolve(&options.rules, options.deploy.unwrap_or_default(), &shown)?,
        change_set: options.change_set.unwrap_or_default(),
        rollbacks: options.rollbacks.unwrap_or_default(),
        runner_sets_lock_timeout: options.session.sets_lock_timeout(),
        transactions: config::TransactionRule::resolve(&options.transactions, &shown)?,
        since: None,
        dialects: config::DialectGlob::resolve(&options.dialects, target, &shown)?,
        max_file_size: options
            .max_file_size
            .unwrap_or(crate::input::DEFAULT_MAX_FILE_SIZE),
        stats,
        flyway_undo: options.flyway_undo.unwrap_or(false),
        plan_files: false,
        replay_every_statement: false,
    })
}

/// The flag's globs, else the config file's, each checked to compile: a mistyped glob is a
/// usage error before anything is linted, not a quiet run over the wrong files.
fn globs(
    flag: &[String],
    configured: &Option<Vec<String>>,
    key: &str,
    config_path: &Path,
) -> Result<Vec<String>, ConfigError> {
    let (patterns, source) = if flag.is_empty() {
        (
            configured.clone().unwrap_or_default(),
            config_path.to_path_buf(),
        )
    } else {
        (flag.to_vec(), PathBuf::from(format!("--{key}")))
    };
    for pattern in &patterns {
        crate::discover::compile_glob(pattern).map_err(|e| ConfigError::Value {
            path: source.clone(),
            message: format!("`{pattern}` is not a valid {key} glob: {}", e.kind()),
        })?;
    }
    Ok(patterns)
}
