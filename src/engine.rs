//! The run: discover the migration sets, parse their files in parallel, replay each set
//! in order through the catalogue while the enabled rules check every statement, then
//! apply levels and ignore comments.

use crate::catalog::{Catalog, ChangeSet, Scratch};
use crate::config::{ChangeSetMode, RollbackMode, Settings, TransactionMode};
use crate::diagnostic::{Finding, Severity};
use crate::dialect::Target;
use crate::discover::{discover, DiscoverRequest, MigrationFile, MigrationSet};
use crate::git::ChangeScope;
use crate::ignore::{self, Ignore};
use crate::layout::{self, Direction, Section};
use crate::locks::statement_locks;
use crate::parse::{parse_text, parse_text_for, ParsedText, Reader};
use crate::plan;
use crate::report::{FileReport, InputError, Report, StatementPlan};
use crate::rules::meta::contract_with_expand::ShippedPhases;
use crate::rules::{self, meta, Ctx, FileFacts, FileSource};
use crate::session::Session;
use crate::span::{LineIndex, Span};
use crate::statement::StatementKind;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod sliced;

pub fn check(settings: &Settings) -> Report {
    let discovery = discover(&DiscoverRequest {
        paths: settings.paths.clone(),
        include: settings.include.clone(),
        exclude: settings.exclude.clone(),
        max_file_size: settings.max_file_size,
    });
    check_discovered(discovery, settings, None)
}

/// Migration text read from standard input (`lockstep check -`), linted as the file `path`.
#[derive(Debug)]
pub struct StdinFile {
    /// `--stdin-filename`: where the text belongs, for its framework and earlier files.
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Lints `stdin.bytes` in place of the file `stdin.path`. When that file exists, its
/// migration folder is discovered as usual, so the earlier files are replayed and its
/// framework is known; otherwise the text is one plain migration file with no history.
pub fn check_stdin(settings: &Settings, stdin: &StdinFile) -> Report {
    let discovery = if stdin.path.is_file() {
        discover(&DiscoverRequest {
            paths: vec![stdin.path.clone()],
            max_file_size: settings.max_file_size,
            ..DiscoverRequest::default()
        })
    } else {
        let file = MigrationFile {
            path: stdin.path.clone(),
            layout: layout::Layout::Plain,
            direction: Direction::Up,
            version: None,
            transactional: false,
            report: true,
        };
        crate::discover::Discovery {
            sets: vec![MigrationSet {
                root: stdin
                    .path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                layout: layout::Layout::Plain,
                files: vec![file],
            }],
            errors: Vec::new(),
            read: HashMap::new(),
        }
    };
    let mut report = check_discovered(discovery, settings, Some(stdin));
    // `lockstep plan` reads the file on disk, not this text: no finding points at a plan.
    let stdin_path = display_path(&stdin.path);
    for file in report.files.iter_mut().filter(|f| f.path == stdin_path) {
        for finding in &mut file.findings {
            finding.planned = false;
        }
        file.plans.clear();
    }
    report
}

fn check_discovered(
    discovery: crate::discover::Discovery,
    settings: &Settings,
    stdin: Option<&StdinFile>,
) -> Report {
    let discovered = discovery
        .sets
        .iter()
        .map(|set| set.files.iter().filter(|file| file.report).count())
        .sum();
    let mut sets = discovery.sets;
    if let Some(scope) = &settings.since {
        sets = restrict_to_changes(sets, scope);
    }
    let mut report = Report {
        errors: discovery
            .errors
            .into_iter()
            .map(|e| InputError {
                path: display_path(&e.path),
                message: e.message,
            })
            .collect(),
        discovered,
        ..Report::default()
    };
    let mut runs = Vec::new();
    for set in sets {
        let (by_dialect, skipped) = split_by_dialect(set, settings);
        runs.extend(by_dialect);
        report.files.extend(skipped);
    }
    // Each file's text as discovery read it, taken so that it is not held twice.
    let mut read = discovery.read;
    let runs: Vec<(MigrationSet, Target, Vec<Option<String>>)> = runs
        .into_iter()
        .map(|(set, target)| {
            let texts = set.files.iter().map(|f| read.remove(&f.path)).collect();
            (set, target, texts)
        })
        .collect();
    drop(read);
    let results: Vec<(Vec<FileReport>, Vec<InputError>)> = runs
        .into_par_iter()
        .map(|(set, target, texts)| check_set(&set, target, settings, stdin, texts))
        .collect();
    for (files, errors) in results {
        report.files.extend(files);
        report.errors.extend(errors);
    }
    report.files.sort_by(|a, b| {
        crate::discover::natural_cmp(&a.path.to_string_lossy(), &b.path.to_string_lossy())
    });
    crate::project_findings::fold_timeout_findings(&mut report.files);
    report
}

/// Reports only the files a change added or edited; every earlier file is still replayed
/// for schema knowledge, and sets the change did not touch are dropped.
fn restrict_to_changes(sets: Vec<MigrationSet>, scope: &ChangeScope) -> Vec<MigrationSet> {
    sets.into_iter()
        .filter_map(|mut set| {
            for file in &mut set.files {
                file.report = file.report && scope.contains(&file.path);
            }
            let last_reported = set.files.iter().rposition(|file| file.report)?;
            set.files.truncate(last_reported + 1);
            Some(set)
        })
        .collect()
}

/// The change set a file's up migration deploys in. With `--since`, the files the change
/// adds deploy together: a table one of them creates is new, so empty, for the others.
fn deploy_change_set(file: &MigrationFile, position: usize, settings: &Settings) -> ChangeSet {
    if settings
        .since
        .as_ref()
        .is_some_and(|scope| scope.is_added(&file.path))
    {
        return ADDED_SINCE;
    }
    match settings.change_set {
        ChangeSetMode::File => ChangeSet(position as u32),
        ChangeSetMode::Folder => ChangeSet(0),
    }
}

/// The one change set of the files added since `--since`: no file position reaches it.
const ADDED_SINCE: ChangeSet = ChangeSet(u32::MAX);

/// A file of a set before the replay: the text discovery read, if it did, or the file
/// already read and parsed.
enum Input {
    Unread(Option<String>),
    Loaded(Loaded),
}

/// A file read and parsed, before replay.
struct LoadedFile {
    text: String,
    parsed: ParsedText,
    /// Set when the bytes were not valid UTF-8 and were decoded lossily.
    lossy: bool,
}

enum Loaded {
    File(LoadedFile),
    Binary,
    Failed(String),
}

/// Reads and parses the file at `path`, unless discovery has already read its `text`.
fn load(
    path: &Path,
    text: Option<String>,
    dialect: crate::dialect::Dialect,
    reader: Reader,
    max_file_size: u64,
) -> Loaded {
    match read_text(path, text, max_file_size) {
        Ok((text, lossy)) => parse_loaded(text, lossy, dialect, reader),
        Err(unreadable) => unreadable.into(),
    }
}

/// A file with no text to parse.
enum Unreadable {
    Binary,
    Failed(String),
}

impl From<Unreadable> for Loaded {
    fn from(unreadable: Unreadable) -> Loaded {
        match unreadable {
            Unreadable::Binary => Loaded::Binary,
            Unreadable::Failed(message) => Loaded::Failed(message),
        }
    }
}

/// The file's text, decoded, and whether it was decoded lossily.
fn read_text(
    path: &Path,
    text: Option<String>,
    max_file_size: u64,
) -> Result<(String, bool), Unreadable> {
    if let Some(text) = text {
        return decode_text(text.into_bytes());
    }
    match crate::input::read_file(path, max_file_size) {
        Ok(bytes) => decode_text(bytes),
        Err(e) => Err(Unreadable::Failed(e.to_string())),
    }
}

/// Who reads a file's statements: only the replay when nothing of the file is reported.
fn reader_of(file: &MigrationFile) -> Reader {
    if file.report {
        Reader::Rules
    } else {
        Reader::Replay
    }
}

fn decode(bytes: Vec<u8>, dialect: crate::dialect::Dialect, reader: Reader) -> Loaded {
    match decode_text(bytes) {
        Ok((text, lossy)) => parse_loaded(text, lossy, dialect, reader),
        Err(binary) => binary.into(),
    }
}

fn decode_text(bytes: Vec<u8>) -> Result<(String, bool), Unreadable> {
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(Unreadable::Binary);
    }
    Ok(match String::from_utf8(bytes) {
        Ok(t) => (t, false),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
    })
}

fn parse_loaded(
    text: String,
    lossy: bool,
    dialect: crate::dialect::Dialect,
    reader: Reader,
) -> Loaded {
    let parsed = parse_text_for(&text, dialect, reader);
    Loaded::File(LoadedFile {
        text,
        parsed,
        lossy,
    })
}

/// What a file's name says it is written for, in the pop/fizz convention
/// `NAME.<dialect>.up.sql` / `NAME.<dialect>.down.sql`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum NamedDialect {
    Linted(crate::dialect::Dialect),
    Other(&'static str),
}

fn named_dialect(path: &Path) -> Option<NamedDialect> {
    use crate::dialect::Dialect;
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let mut parts = name.rsplit('.');
    let (Some("sql"), Some("up" | "down"), Some(dialect)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    parts.next()?;
    Some(match dialect {
        "postgres" | "postgresql" => NamedDialect::Linted(Dialect::Postgres),
        "mysql" | "mariadb" => NamedDialect::Linted(Dialect::Mysql),
        "cockroach" | "cockroachdb" => NamedDialect::Other("CockroachDB"),
        "sqlite" | "sqlite3" => NamedDialect::Other("SQLite"),
        _ => return None,
    })
}

/// One migration set per server its files run on. A `[dialects]` glob decides a file's
/// server first, then a dialect in its name (pop/fizz keep every dialect's files side by
/// side), then the main target; files for databases lockstep does not lint are reported as
/// skipped.
fn split_by_dialect(
    set: MigrationSet,
    settings: &Settings,
) -> (Vec<(MigrationSet, Target)>, Vec<FileReport>) {
    let mut runs: Vec<(MigrationSet, Target)> = Vec::new();
    let mut skipped = Vec::new();
    for file in &set.files {
        let named = named_dialect(&file.path);
        let target = match (settings.configured_target_for(&file.path), named) {
            (Some(target), _) => target,
            (None, Some(NamedDialect::Other(database))) => {
                if file.report {
                    let finding = Finding::new(
                        &meta::other_dialect_file::RULE,
                        Span::default(),
                        format!("skipped: written for {database}, which lockstep does not lint"),
                    );
                    let path = display_path(&file.path);
                    skipped.push(FileReport::new(path, String::new(), 0, 0, vec![finding]));
                }
                continue;
            }
            (None, Some(NamedDialect::Linted(dialect))) if dialect != settings.target.dialect => {
                Target::new(dialect)
            }
            (None, _) => settings.target,
        };
        match runs.iter_mut().find(|(_, t)| *t == target) {
            Some((run, _)) => run.files.push(file.clone()),
            None => runs.push((
                MigrationSet {
                    root: set.root.clone(),
                    layout: set.layout,
                    files: vec![file.clone()],
                },
                target,
            )),
        }
    }
    (runs, skipped)
}

/// Files parsed ahead of the replay at a time: the next batch is parsed while the replay,
/// which must go file by file, works through this one, so a long folder keeps every core
/// busy; small enough that the first batch, parsed with nothing to overlap, is a short wait.
const PARSE_AHEAD: usize = 32;

/// Lints one migration set; `texts` holds, for each of its files, the text discovery read.
fn check_set(
    set: &MigrationSet,
    target: Target,
    settings: &Settings,
    stdin: Option<&StdinFile>,
    texts: Vec<Option<String>>,
) -> (Vec<FileReport>, Vec<InputError>) {
    let dialect = target.dialect;
    let inputs: Vec<Input> = if stdin.is_none() && sliced::applies(set, target, settings) {
        sliced::load(set, texts, settings.max_file_size)
    } else {
        texts.into_iter().map(Input::Unread).collect()
    };
    let parse = |files: &[MigrationFile], inputs: Vec<Input>| -> Vec<Loaded> {
        files
            .par_iter()
            .zip(inputs)
            .map(|(f, input)| match (input, stdin) {
                (Input::Loaded(loaded), _) => loaded,
                (Input::Unread(_), Some(stdin))
                    if display_path(&stdin.path) == display_path(&f.path) =>
                {
                    decode(stdin.bytes.clone(), dialect, reader_of(f))
                }
                (Input::Unread(text), _) => {
                    load(&f.path, text, dialect, reader_of(f), settings.max_file_size)
                }
            })
            .collect()
    };
    let mut replay = SetReplay {
        catalog: Catalog::for_target(target),
        reports: Vec::new(),
        errors: Vec::new(),
        up_change_set: ChangeSet(0),
        phases: ShippedPhases::default(),
        linting: Linting::new(target, settings),
    };
    let mut inputs = inputs.into_iter();
    let mut batches = set.files.chunks(PARSE_AHEAD);
    let mut position = 0;
    let mut current = batches.next().map(|files| {
        (
            files,
            parse(files, inputs.by_ref().take(files.len()).collect()),
        )
    });
    while let Some((files, loaded)) = current {
        let next = batches.next();
        let next_inputs: Vec<Input> = next
            .map(|files| inputs.by_ref().take(files.len()).collect())
            .unwrap_or_default();
        let replay = &mut replay;
        let first = position;
        let ((), parsed) = rayon::join(
            move || {
                for (offset, (file, loaded)) in files.iter().zip(loaded).enumerate() {
                    replay.add(first + offset, file, loaded);
                }
            },
            || next.map(|files| (files, parse(files, next_inputs))),
        );
        position += files.len();
        current = parsed;
    }
    let SetReplay {
        catalog,
        reports,
        errors,
        ..
    } = replay;
    // Freeing the replayed schema (every table, column and index of the set) is work the
    // report does not wait for: it runs on whichever thread is idle.
    rayon::spawn(move || drop(catalog));
    (reports, errors)
}

/// The replay of one migration set in file order, and what it has reported so far.
struct SetReplay<'a> {
    catalog: Catalog,
    reports: Vec<FileReport>,
    errors: Vec<InputError>,
    /// The change set of the latest up migration, which rollback code belongs with.
    up_change_set: ChangeSet,
    /// The `lockstep plan` phases among the up migrations so far.
    phases: ShippedPhases,
    linting: Linting<'a>,
}

/// How the files of a set are linted: the server they run on, the settings, and the rules
/// those enable there (worked out once per set: looking up every rule's level for every
/// file took about 1% of a one-folder run).
struct Linting<'a> {
    target: Target,
    settings: &'a Settings,
    enabled: Vec<&'static rules::Rule>,
}

impl<'a> Linting<'a> {
    fn new(target: Target, settings: &'a Settings) -> Linting<'a> {
        let enabled = rules::ALL
            .iter()
            .copied()
            .filter(|r| r.applies_to(target.dialect) && settings.rules.level(r).is_some())
            .collect();
        Linting {
            target,
            settings,
            enabled,
        }
    }
}

impl SetReplay<'_> {
    /// Replays the file at `position` of the set, parsed into `loaded`.
    fn add(&mut self, position: usize, file: &MigrationFile, loaded: Loaded) {
        let change_set = match file.direction {
            // Rollback code belongs with the migration it undoes.
            Direction::Down | Direction::Verify => self.up_change_set,
            Direction::Up => deploy_change_set(file, position, self.linting.settings),
        };
        if file.direction == Direction::Up {
            self.up_change_set = change_set;
        }
        let path = display_path(&file.path);
        match loaded {
            Loaded::Failed(message) => self.errors.push(InputError { path, message }),
            Loaded::Binary => {
                if file.report {
                    let finding = Finding::new(
                        &meta::input_encoding::RULE,
                        Span::default(),
                        "binary file skipped: it contains NUL bytes",
                    );
                    let report = FileReport::new(path, String::new(), 0, 0, vec![finding]);
                    self.reports.push(report);
                }
            }
            Loaded::File(loaded) => {
                let shipped_early = match file.direction {
                    Direction::Up => self.phases.add(&loaded.text, change_set, &path),
                    Direction::Down | Direction::Verify => None,
                };
                let Replayed { findings, plans } = replay_file(
                    &loaded,
                    file,
                    change_set,
                    &mut self.catalog,
                    &self.linting,
                    shipped_early,
                );
                if file.report {
                    let unparsed = loaded
                        .parsed
                        .statements
                        .iter()
                        .filter(|s| matches!(s.kind, StatementKind::Unparsed { .. }))
                        .count();
                    self.reports.push(
                        FileReport::new(
                            path,
                            loaded.text,
                            loaded.parsed.statements.len(),
                            unparsed,
                            findings,
                        )
                        .with_plans(plans),
                    );
                }
            }
        }
    }
}

/// What the rules found in one file, and the plans its findings point at when
/// [`Settings::plan_files`] asks for them.
#[derive(Default)]
struct Replayed {
    findings: Vec<Finding>,
    plans: Vec<StatementPlan>,
}

/// Replays one file into the catalogue and, when the file is reported, returns what the
/// enabled rules found in it; `shipped_early` is what the set's earlier files say of it
/// (a plan's contract phase beside its expand phase).
fn replay_file(
    loaded: &LoadedFile,
    file: &MigrationFile,
    change_set: ChangeSet,
    catalog: &mut Catalog,
    linting: &Linting,
    shipped_early: Option<Finding>,
) -> Replayed {
    let Linting {
        target,
        settings,
        ref enabled,
    } = *linting;
    let text = &loaded.text;
    if !file.report {
        // Replayed only for the schema it leaves (a file before the changed ones of
        // `--since`): no rule, lock or session result of it is shown, and its rollback code
        // leaves no trace, so applying its forward statements is all there is to do.
        for statement in forward_statements(loaded, file) {
            catalog.apply(statement, change_set);
        }
        return Replayed::default();
    }
    let mut findings = Vec::new();
    let mut plans = Vec::new();
    let mut reported_once = Vec::new();
    let plans_written = file.report && plan::command::writes_plans_for(file);
    let mut rollback = RollbackCode::default();
    for section in layout::sections(text, file) {
        // Rollback code runs on the schema its migration left, and what it does there is
        // known to its own later statements (a copy-and-swap back), but never to the files
        // that follow: they run after the migration, not after its rollback.
        let mut rollback_catalog: Scratch;
        let catalog: &mut Catalog = if section.direction == Direction::Down {
            rollback.sections.push(section.span);
            rollback_catalog = catalog.scratch();
            &mut rollback_catalog
        } else {
            &mut *catalog
        };
        let (wrapped, one_query) = match transaction_override(settings, file) {
            Some(wrapped) => (wrapped, false),
            None if section.transactional
                && !flyway_runs_outside_transaction(file, loaded, &section, &target) =>
            {
                (true, false)
            }
            None => {
                let one_query = sent_as_one_query(file, &loaded.parsed, &section, &target);
                (one_query, one_query)
            }
        };
        let mut session = Session::new(wrapped);
        session.one_query = one_query;
        session.lock_timeout_set = settings.runner_sets_lock_timeout;
        let facts = FileFacts {
            direction: section.direction,
            change_set,
        };
        let one_query_blocks = goose_one_query_blocks(&loaded.parsed, &section, &target);
        let mut open_block: Option<Span> = None;
        let section_statements = statements_in(&loaded.parsed, &section);
        let mut statements = section_statements.iter().peekable();
        while let Some(statement) = statements.next() {
            if open_block.is_none() {
                open_block = one_query_blocks
                    .iter()
                    .find(|block| block.contains(statement.span))
                    .filter(|_| session.begin_one_query())
                    .copied();
            }
            let locks = statement_locks(statement, catalog, &target);
            let found_before = findings.len();
            if file.report {
                let mut ctx = Ctx::new(
                    target,
                    catalog,
                    &session,
                    &facts,
                    // What comes before or after a statement, for the rules, is what runs with
                    // it: an up migration's later statements, not its rollback's.
                    FileSource {
                        text,
                        statements: section_statements,
                    },
                    &mut findings,
                    &mut reported_once,
                );
                for rule in enabled {
                    if let Some(check) = rule.check.filter(|_| !ctx.reported_in_file(rule)) {
                        check(&mut ctx, statement);
                    }
                }
            }
            let flagged = &mut findings[found_before..];
            if let Some(estimator) = &settings.stats {
                for finding in flagged.iter_mut() {
                    finding.lock_duration = estimator
                        .lock_duration(statement, &locks, finding)
                        .map(Box::new);
                }
            }
            if !flagged.is_empty() {
                let mut placeholders =
                    crate::parse::placeholders::masked_names(statement.span.text(text));
                // PostgreSQL folds an unquoted mask to lower case like any other name.
                let folded: Vec<(String, String)> = placeholders
                    .iter()
                    .map(|(masked, written)| (masked.to_lowercase(), written.clone()))
                    .filter(|(lower, _)| !placeholders.iter().any(|(m, _)| m == lower))
                    .collect();
                placeholders.extend(folded);
                for finding in flagged.iter_mut() {
                    finding.unmask(&placeholders);
                    finding.escape_controls();
                }
            }
            if plans_written && section.direction == Direction::Up && !flagged.is_empty() {
                let planned = if settings.plan_files {
                    match plan::command::statement_files(
                        statement, text, catalog, file, target, settings,
                    ) {
                        Some(files) => {
                            // Files that cannot be numbered leave the pointer alone: the
                            // command says why when it is run.
                            if let Ok(files) = files {
                                plans.push(StatementPlan {
                                    statement: statement.span,
                                    files,
                                });
                            }
                            true
                        }
                        None => false,
                    }
                } else {
                    plan::plannable(statement, text, catalog, target)
                };
                if planned {
                    for finding in flagged.iter_mut().filter(|f| f.statement == statement.span) {
                        finding.planned = true;
                    }
                }
            }
            // Locks on tables this change set created keep nobody waiting.
            let contended: Vec<_> = locks
                .into_iter()
                .filter(|l| {
                    !l.object
                        .as_ref()
                        .is_some_and(|o| catalog.created_in(o, change_set))
                })
                .collect();
            session.advance(statement, &contended);
            match section.direction {
                Direction::Up => catalog.apply(statement, change_set),
                Direction::Down => {
                    if catalog.undoes(statement, change_set) {
                        rollback.undoing.push(statement.span);
                    }
                    catalog.apply(statement, change_set);
                }
                Direction::Verify => {}
            }
            // Statements come in file order: the block ends where the next one is outside it.
            let block_ends = open_block.is_some_and(|block| {
                !statements
                    .peek()
                    .is_some_and(|next| block.contains(next.span))
            });
            if block_ends {
                open_block = None;
                session.end_one_query();
            }
        }
        if let Some(begin) = session.open_begin.filter(|_| file.report) {
            if enabled
                .iter()
                .any(|r| r.id == rules::transaction::unbalanced_transaction::RULE.id)
            {
                findings.push(rules::transaction::unbalanced_transaction::never_committed(
                    begin,
                ));
            }
        }
    }
    if !file.report {
        return Replayed::default();
    }
    findings.extend(input_findings(loaded));
    if settings
        .since
        .as_ref()
        .is_some_and(|scope| scope.is_edited(&file.path))
    {
        findings.push(edited_migration_finding(&scope_base(settings)));
    }
    findings.extend(shipped_early);
    let index = LineIndex::new(text);
    let mut findings = finish(findings, text, &index, settings, &rollback);
    if let Some(estimator) = &settings.stats {
        findings.iter_mut().for_each(|f| estimator.judge(f));
    }
    Replayed { findings, plans }
}

/// Where a file's rollback code is, and which of its statements only remove what the file's
/// own migration added.
#[derive(Default)]
struct RollbackCode {
    sections: Vec<Span>,
    undoing: Vec<Span>,
}

impl RollbackCode {
    fn contains(&self, finding: &Finding) -> bool {
        self.sections
            .iter()
            .any(|section| section.contains(finding.statement))
    }

    /// Applies the `rollbacks` setting to findings that survived the ignore comments.
    fn judge(&self, findings: &mut Vec<Finding>, mode: RollbackMode) {
        match mode {
            RollbackMode::Lint => {}
            RollbackMode::Skip => findings.retain(|f| !self.contains(f)),
            RollbackMode::Relaxed => {
                // Removing what the migration added is the point of its rollback; a rollback
                // that cannot run (the transaction rules) is still worth knowing.
                findings.retain(|f| {
                    !self.undoing.contains(&f.statement)
                        || matches!(f.rule.group, rules::Group::Transaction | rules::Group::Meta)
                });
                for finding in findings.iter_mut() {
                    if self.contains(finding) && finding.rule.group == rules::Group::Locking {
                        finding.severity = Severity::Note;
                    }
                }
            }
        }
    }
}

/// The statements of the file's migration, not of its rollback or verify code, in order:
/// what a later file runs after.
fn forward_statements<'a>(
    loaded: &'a LoadedFile,
    file: &MigrationFile,
) -> impl Iterator<Item = &'a crate::statement::Statement> {
    layout::sections(&loaded.text, file)
        .into_iter()
        .filter(|section| section.direction == Direction::Up)
        .flat_map(|section| statements_in(&loaded.parsed, &section))
}

/// The statements [`Section::holds`], in file order: one stretch of the file's statements,
/// which are sorted by where they start.
fn statements_in<'a>(
    parsed: &'a ParsedText,
    section: &Section,
) -> &'a [crate::statement::Statement] {
    let statements = &parsed.statements;
    let from = statements.partition_point(|s| s.span.start < section.span.start);
    let to = from + statements[from..].partition_point(|s| section.holds(s.span));
    &statements[from..to]
}

/// golang-migrate sends a whole PostgreSQL migration file as one query, and PostgreSQL runs
/// the statements of one query in one implicit transaction: a file of several statements
/// behaves as if wrapped (CONCURRENTLY fails there, a rename and its view commit together).
fn sent_as_one_query(
    file: &MigrationFile,
    parsed: &ParsedText,
    section: &Section,
    target: &Target,
) -> bool {
    file.layout == layout::Layout::GolangMigrate
        && target.dialect == crate::dialect::Dialect::Postgres
        && statements_in(parsed, section).len() > 1
}

/// Flyway's PostgreSQL support runs a script outside a transaction by itself when it holds
/// statements a transaction refuses (its parser recognises `CREATE`/`DROP [UNIQUE] INDEX
/// CONCURRENTLY`, `VACUUM`, `REINDEX SCHEMA|DATABASE|SYSTEM`, `CREATE`/`DROP DATABASE|
/// TABLESPACE|SUBSCRIPTION`, `ALTER SYSTEM`, `DISCARD ALL`, and before PostgreSQL 12
/// `ALTER TYPE ... ADD VALUE`). A script of only those (and session settings) is no error
/// there; a script mixing them with other statements is refused by Flyway unless `mixed` is
/// set, so it stays judged as wrapped.
fn flyway_runs_outside_transaction(
    file: &MigrationFile,
    loaded: &LoadedFile,
    section: &Section,
    target: &Target,
) -> bool {
    if file.layout != layout::Layout::Flyway || target.dialect != crate::dialect::Dialect::Postgres
    {
        return false;
    }
    let mut detected = false;
    for statement in statements_in(&loaded.parsed, section) {
        let words: Vec<String> = statement
            .span
            .text(&loaded.text)
            .split_whitespace()
            .take(6)
            .map(str::to_ascii_uppercase)
            .collect();
        if flyway_detects_non_transactional(&words, target) {
            detected = true;
        } else if !matches!(statement.kind, StatementKind::Set { .. }) {
            return false;
        }
    }
    detected
}

/// Flyway's PostgreSQL parser's list, matched on a statement's first words.
fn flyway_detects_non_transactional(words: &[String], target: &Target) -> bool {
    let word = |at: usize| words.get(at).map_or("", String::as_str);
    let index_at = if word(1) == "UNIQUE" { 2 } else { 1 };
    match word(0) {
        "CREATE" | "DROP" => {
            matches!(word(1), "DATABASE" | "TABLESPACE" | "SUBSCRIPTION")
                || (word(index_at) == "INDEX" && word(index_at + 1) == "CONCURRENTLY")
        }
        "ALTER" => {
            word(1) == "SYSTEM"
                || (word(1) == "TYPE"
                    && !target.at_least(12, 0, 0)
                    && words
                        .windows(2)
                        .any(|pair| pair[0] == "ADD" && pair[1] == "VALUE"))
        }
        "REINDEX" => {
            let scope = if word(1) == "VERBOSE" {
                word(2)
            } else {
                word(1)
            };
            matches!(scope, "SCHEMA" | "DATABASE" | "SYSTEM")
        }
        "VACUUM" => true,
        "DISCARD" => word(1) == "ALL",
        _ => false,
    }
}

/// goose sends a `StatementBegin` ... `StatementEnd` body as one query string, which
/// PostgreSQL runs as one implicit transaction when it holds several statements: in a file
/// marked `NO TRANSACTION`, `CONCURRENTLY` still fails there.
fn goose_one_query_blocks(parsed: &ParsedText, section: &Section, target: &Target) -> Vec<Span> {
    if target.dialect != crate::dialect::Dialect::Postgres {
        return Vec::new();
    }
    parsed
        .goose_blocks
        .iter()
        .filter(|block| {
            statements_in(parsed, section)
                .iter()
                .filter(|s| block.contains(s.span))
                .take(2)
                .count()
                > 1
        })
        .copied()
        .collect()
}

/// `[transactions]` in the config: a framework name or a path glob.
fn transaction_override(settings: &Settings, file: &MigrationFile) -> Option<bool> {
    settings
        .transactions
        .iter()
        .find(|rule| rule.covers(file.layout, &file.path))
        .map(|rule| rule.mode == TransactionMode::Wrapped)
}

/// Findings about the file itself rather than one statement.
fn input_findings(loaded: &LoadedFile) -> Vec<Finding> {
    let mut findings: Vec<Finding> = loaded
        .parsed
        .problems
        .iter()
        .map(|p| {
            let at = Span::new(p.offset as usize, p.offset as usize + 1);
            Finding::new(
                &meta::unterminated_literal::RULE,
                at,
                format!(
                    "{}: the rest of the file is read as one statement",
                    p.kind.describe()
                ),
            )
        })
        .collect();
    findings.extend(loaded.parsed.meta_commands.iter().map(|span| {
        Finding::new(
            &meta::psql_meta_command::RULE,
            *span,
            "psql meta-command skipped: it is not SQL and lockstep does not run it",
        )
    }));
    if loaded.lossy {
        findings.push(Finding::new(
            &meta::input_encoding::RULE,
            Span::default(),
            "file is not valid UTF-8: invalid bytes were replaced before linting",
        ));
    }
    findings
}

fn scope_base(settings: &Settings) -> String {
    settings
        .since
        .as_ref()
        .map(|scope| scope.base.chars().take(12).collect())
        .unwrap_or_default()
}

fn edited_migration_finding(base: &str) -> Finding {
    Finding::new(
        &meta::edited_applied_migration::RULE,
        Span::default(),
        format!(
            "this migration existed before the change (at {base}) and was edited: \
             it has probably already run, and a migration tool will not run it again"
        ),
    )
    .help("leave the applied migration as it was and put the change in a new migration file")
}

/// Applies configured levels and ignore comments; reports ignores that suppressed nothing.
fn finish(
    findings: Vec<Finding>,
    text: &str,
    index: &LineIndex,
    settings: &Settings,
    rollback: &RollbackCode,
) -> Vec<Finding> {
    let ignores = ignore::collect(text, index);
    let mut used = vec![false; ignores.len()];
    let mut kept = Vec::new();
    for mut finding in findings {
        let Some(level) = settings.rules.level(finding.rule) else {
            continue;
        };
        // A configured level replaces the rule's own severity (which may vary per finding).
        if level != finding.rule.default_severity {
            finding.severity = level;
        }
        let first = index.line_col(text, finding.statement.start).line;
        let last = index.line_col(text, finding.statement.end).line;
        let suppressor = ignores
            .iter()
            .position(|i| i.names(finding.rule.id) && i.covers(first, last));
        match suppressor {
            Some(i) => used[i] = true,
            None => kept.push(finding),
        }
    }
    rollback.judge(&mut kept, settings.rollbacks);
    kept.extend(unused_ignores(&ignores, &used, settings));
    kept
}

fn unused_ignores<'a>(
    ignores: &'a [Ignore],
    used: &'a [bool],
    settings: &'a Settings,
) -> impl Iterator<Item = Finding> + 'a {
    let rule = &meta::unused_ignore::RULE;
    let level = settings.rules.level(rule);
    ignores
        .iter()
        .zip(used)
        .filter(move |_| level.is_some())
        .filter_map(move |(ignore, used)| {
            // An ignore for a rule that is switched off may matter again when it is back on.
            let names_disabled_rule = ignore
                .rules
                .iter()
                .filter_map(|r| rules::find(r))
                .any(|r| settings.rules.level(r).is_none());
            if names_disabled_rule {
                return None;
            }
            let unknown: Vec<&str> = ignore
                .rules
                .iter()
                .filter(|r| rules::find(r).is_none())
                .map(String::as_str)
                .collect();
            let message = if ignore.rules.is_empty() {
                "ignore comment names no rule".to_string()
            } else if !unknown.is_empty() {
                let hints: String = unknown.iter().map(|id| rules::did_you_mean(id)).collect();
                format!(
                    "ignore comment names unknown rule `{}`{hints}",
                    unknown.join("`, `")
                )
            } else if !used {
                format!(
                    "ignore comment for `{}` suppresses nothing here",
                    ignore.rules.join("`, `")
                )
            } else {
                return None;
            };
            Some(Finding::new(rule, ignore.span, message).severity(level.unwrap_or(Severity::Note)))
        })
}

/// Lints `text` as one plain migration file of its own change set, with no earlier
/// schema: the entry point for rule tests, documentation examples and benchmarks.
pub fn lint_source(text: &str, settings: &Settings) -> Vec<Finding> {
    lint_source_after("", text, settings)
}

/// Lints `text` as a plain migration file that runs after `history`, an earlier file whose
/// tables therefore exist (and may be large) with the definitions it gives them.
pub fn lint_source_after(history: &str, text: &str, settings: &Settings) -> Vec<Finding> {
    let file = |report: bool| MigrationFile {
        path: PathBuf::from("migration.sql"),
        layout: layout::Layout::Plain,
        direction: Direction::Up,
        version: None,
        transactional: false,
        report,
    };
    let loaded = |text: &str| LoadedFile {
        parsed: parse_text(text, settings.target.dialect),
        text: text.to_string(),
        lossy: false,
    };
    let linting = Linting::new(settings.target, settings);
    let mut catalog = Catalog::for_target(settings.target);
    replay_file(
        &loaded(history),
        &file(false),
        ChangeSet(0),
        &mut catalog,
        &linting,
        None,
    );
    replay_file(
        &loaded(text),
        &file(true),
        ChangeSet(1),
        &mut catalog,
        &linting,
        None,
    )
    .findings
}

/// `path` relative to the working directory when it lies inside it.
pub fn display_path(path: &Path) -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else {
        return path.to_path_buf();
    };
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    match absolute.strip_prefix(&cwd) {
        Ok(relative) => normalise(relative),
        Err(_) => path.to_path_buf(),
    }
}

/// Removes `.` components (`./db/V1.sql` -> `db/V1.sql`).
fn normalise(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// One migration file read for `lockstep plan`: its set, its text, and each of its forward
/// statements with the schema it runs on.
pub struct FileReplay {
    pub set: MigrationSet,
    /// The position of the file in `set.files`.
    pub position: usize,
    pub text: String,
    pub statements: Vec<(crate::statement::Statement, Catalog)>,
}

/// Replays every earlier file of `path`'s migration set into the catalogue, then records
/// each forward statement of `path` with a copy of the catalogue it runs on.
pub fn replay_file_for_plan(settings: &Settings, path: &Path) -> Result<FileReplay, String> {
    let mut discovery = discover(&DiscoverRequest {
        paths: vec![path.to_path_buf()],
        include: Vec::new(),
        exclude: Vec::new(),
        max_file_size: settings.max_file_size,
    });
    if let Some(error) = discovery.errors.first() {
        return Err(error.to_string());
    }
    let found = std::mem::take(&mut discovery.sets)
        .into_iter()
        .find_map(|set| {
            let position = set.files.iter().rposition(|f| f.report)?;
            Some((set, position))
        });
    let Some((set, position)) = found else {
        return Err(format!("{}: not a migration file", path.display()));
    };
    let dialect = settings.target.dialect;
    let mut catalog = Catalog::for_target(settings.target);
    let mut statements = Vec::new();
    let mut text = String::new();
    for (index, file) in set.files.iter().enumerate().take(position + 1) {
        let read = discovery.read.remove(&file.path);
        // Earlier files only build the schema the planned file runs on.
        let reader = if index == position {
            Reader::Rules
        } else {
            Reader::Replay
        };
        let loaded = match load(&file.path, read, dialect, reader, settings.max_file_size) {
            Loaded::File(loaded) => loaded,
            Loaded::Binary => continue,
            Loaded::Failed(message) => return Err(format!("{}: {message}", file.path.display())),
        };
        let change_set = ChangeSet(index as u32);
        for statement in forward_statements(&loaded, file) {
            if index == position {
                statements.push((statement.clone(), catalog.clone()));
            }
            catalog.apply(statement, change_set);
        }
        if index == position {
            text = loaded.text;
        }
    }
    Ok(FileReplay {
        set,
        position,
        text,
        statements,
    })
}
