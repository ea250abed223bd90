//! `lockstep plan`: the safe, phased replacement of a risky statement.
//!
//! A recipe (one file per pattern) turns a statement and the schema it runs on into a
//! [`Plan`]: structured phases (expand, backfill, constrain, validate, contract, ...), each
//! with when to deploy it, whether it runs in a transaction, the lock it takes and for how
//! long, how to verify it finished, its statements and its rollback. [`render`] writes the
//! phases as files in a migration framework's own naming and markers; nothing here formats
//! output.
//!
//! Rules every recipe follows:
//! - a phase that must run outside a transaction (a batched backfill that commits per
//!   batch, `CONCURRENTLY`) holds exactly one statement: golang-migrate, dbmate, sqlx and
//!   Diesel send a whole file as one query string, which PostgreSQL runs as one implicit
//!   transaction when it holds several statements;
//! - a statement that takes a lock blocking reads or writes runs after `SET LOCAL
//!   lock_timeout` in a transactional phase, so a long-running query ahead of it makes the
//!   migration fail and retry instead of queueing all traffic behind it;
//! - backfills walk the primary key in batches, commit each batch, pause between batches,
//!   and only touch rows that still need it, so a re-run resumes where a failed run stopped.

mod add_column;
mod batch;
mod change_type;
pub mod command;
mod constraint;
mod dependants;
mod drop;
mod expected;
mod index;
mod key;
mod mysql;
mod partitioned_index;
pub mod pending;
mod phases;
mod rename_column;
mod rename_table;
pub mod render;
mod sqitch;
mod sqitch_project;
mod sql;

use crate::catalog::Catalog;
use crate::diagnostic::LockMode;
use crate::dialect::{Dialect, Target};
use crate::statement::{AlterAction, ObjectName, Statement, StatementKind};
use std::time::Duration;

/// Backfill tuning and the server the plan is for.
#[derive(Copy, Clone, Debug)]
pub struct PlanOptions<'a> {
    pub target: Target,
    /// Rows per backfill batch (each batch commits on its own) when `--batch-size` gives
    /// it; else chosen per table by [`PlanOptions::batch`].
    pub batch_size: Option<u32>,
    /// Pause between backfill batches, in milliseconds.
    pub pause_ms: u32,
    /// The stats file (`plan --stats`) that batch sizes are chosen from.
    pub stats: Option<&'a crate::stats::Estimator>,
}

/// How long a strong-lock statement may wait for its lock before it gives up.
pub const LOCK_TIMEOUT: &str = "5s";

/// The phased replacement of one statement.
#[derive(Clone, Debug)]
pub struct Plan {
    /// What the original statement does, e.g. "rename shipments.co2_kg to emissions_kg".
    pub title: String,
    /// A file-name fragment naming the change, e.g. "shipments_co2_kg_to_emissions_kg".
    pub slug: String,
    pub phases: Vec<Phase>,
    /// Advice, each printed in the files of the phases it is about.
    pub notes: Vec<Note>,
}

impl Plan {
    /// The file-name stem of the phase at `position` (`expand_orders_code`): its kind and
    /// the plan's slug, numbered when the plan has more than one phase of that kind (an
    /// index built on each partition), so that no two phases share a name, which sqitch's
    /// change names, unlike versioned files, need.
    pub fn phase_stem(&self, position: usize) -> String {
        let kind = self.phases[position].kind;
        let stem = format!("{}_{}", kind.name(), self.slug);
        let same_kind = |phase: &&Phase| phase.kind == kind;
        if self.phases.iter().filter(same_kind).count() < 2 {
            return stem;
        }
        let occurrence = self.phases[..=position].iter().filter(same_kind).count();
        format!("{stem}_{occurrence}")
    }
}

/// A warning or piece of advice, and the phases it is about: printed in those phases'
/// files and their rollbacks, so that whoever deploys a phase reads it then.
#[derive(Clone, Debug)]
pub struct Note {
    pub text: String,
    /// Empty when it is about every phase.
    pub about: Vec<PhaseKind>,
}

impl Note {
    pub fn every_phase(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            about: Vec::new(),
        }
    }

    pub fn on(about: &[PhaseKind], text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            about: about.to_vec(),
        }
    }

    pub fn is_about(&self, kind: PhaseKind) -> bool {
        self.about.is_empty() || self.about.contains(&kind)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PhaseKind {
    /// Adds the new structures beside the old; both application versions keep working.
    Expand,
    /// Copies or computes values for existing rows, in committed batches.
    Backfill,
    /// Adds a constraint `NOT VALID`: checked for new rows only, no scan.
    Constrain,
    /// Checks a `NOT VALID` constraint against existing rows without blocking writes.
    Validate,
    /// `SET NOT NULL` proven by a validated check (PostgreSQL 12+), then drops the check.
    SetNotNull,
    /// Removes the old structures once no running code uses them.
    Contract,
    /// Puts a rebuilt column in place of the old one under a brief table lock (MySQL).
    Swap,
    /// Builds an index `CONCURRENTLY`: reads and writes go on.
    BuildIndex,
    /// Drops an index `CONCURRENTLY`.
    DropIndex,
    /// Turns an index built beforehand into a `UNIQUE` or `PRIMARY KEY` constraint.
    AttachIndex,
}

impl PhaseKind {
    pub fn name(self) -> &'static str {
        match self {
            PhaseKind::Expand => "expand",
            PhaseKind::Backfill => "backfill",
            PhaseKind::Constrain => "constrain",
            PhaseKind::Validate => "validate",
            PhaseKind::SetNotNull => "set_not_null",
            PhaseKind::Contract => "contract",
            PhaseKind::Swap => "swap",
            PhaseKind::BuildIndex => "build_index",
            PhaseKind::DropIndex => "drop_index",
            PhaseKind::AttachIndex => "attach_index",
        }
    }
}

/// When a phase may be deployed relative to the application release.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Deploy {
    /// Before the release that uses the new schema; the running release keeps working.
    BeforeRelease,
    /// Any time after the previous phase; neither release depends on it.
    AfterPrevious,
    /// Only once every application instance runs the new release.
    AfterAllInstances,
}

impl Deploy {
    pub fn describe(self) -> &'static str {
        match self {
            Deploy::BeforeRelease => {
                "before the application release that uses the new schema; the running release keeps working"
            }
            Deploy::AfterPrevious => {
                "any time after the previous phase; neither application release depends on it"
            }
            Deploy::AfterAllInstances => {
                "only after every application instance runs the new release"
            }
        }
    }
}

/// The strongest table lock a phase takes, and for how long it holds it once granted.
#[derive(Clone, Debug)]
pub struct PhaseLock {
    pub table: ObjectName,
    pub mode: LockMode,
    /// The longest the lock is held at a time; `None` when the mode blocks neither reads
    /// nor writes and is held for the whole statement (a scan).
    pub max_hold: Option<Duration>,
    /// Why the lock is held that long, e.g. "catalogue changes only".
    pub reason: String,
}

impl PhaseLock {
    /// The file header's lock line: mode, table, how long, why, and what it blocks.
    pub fn describe(&self) -> String {
        let held = match self.max_hold {
            Some(bound) => format!("held at most {} s at a time", bound.as_secs()),
            None => "held for the whole statement".to_string(),
        };
        format!(
            "{} on {}, {held} ({}); blocks {}",
            self.mode.name(),
            self.table,
            self.reason,
            self.mode.blocks().describe()
        )
    }
}

/// A query that tells whether the phase finished, with the answer it gives when it did.
#[derive(Clone, Debug)]
pub struct Verify {
    pub query: String,
    pub expected: String,
}

/// One SQL statement of a phase or of its rollback.
#[derive(Clone, Debug)]
pub struct Step {
    /// The statement without its terminating `;`.
    pub sql: String,
    /// Takes a lock that blocks reads or writes: `SET LOCAL lock_timeout` goes first.
    pub strong_lock: bool,
    /// A `lockstep:ignore` comment line to put right above it, with the reason.
    pub ignore: Option<String>,
    /// What a failure leaves behind and how to retry, when a plain re-run is not enough.
    pub on_failure: Option<String>,
}

impl Step {
    pub fn new(sql: impl Into<String>) -> Step {
        Step {
            sql: sql.into(),
            strong_lock: false,
            ignore: None,
            on_failure: None,
        }
    }

    pub fn strong(sql: impl Into<String>) -> Step {
        Step {
            strong_lock: true,
            ..Step::new(sql)
        }
    }

    /// Whether the statement has semicolons of its own (a function or `DO` body, or a
    /// quoted name holding one), which goose needs to be told about.
    pub fn is_compound(&self) -> bool {
        self.sql.contains(';')
    }
}

/// How to undo a phase.
#[derive(Clone, Debug)]
pub enum Rollback {
    /// Run these statements (in a transaction).
    Steps(Vec<Step>),
    /// Nothing to undo, and why.
    Nothing(String),
    /// The phase destroys something a rollback cannot bring back.
    Irreversible(String),
}

#[derive(Clone, Debug)]
pub struct Phase {
    pub kind: PhaseKind,
    /// What the phase does, in a few words.
    pub summary: String,
    pub deploy: Deploy,
    /// Whether the phase runs in one transaction (the framework's or an explicit one).
    pub transactional: bool,
    pub lock: PhaseLock,
    pub verify: Verify,
    pub steps: Vec<Step>,
    pub rollback: Rollback,
    /// What to check before running an irreversible phase; empty when it is reversible.
    pub checklist: Vec<String>,
}

impl Phase {
    pub fn irreversible(&self) -> bool {
        matches!(self.rollback, Rollback::Irreversible(_))
    }
}

/// Why a statement that needs a plan cannot get one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// A recipe whose checks passed: calling it renders the plan. `lockstep check` asks of every
/// flagged statement whether it has a plan, on the replay thread that every file waits for,
/// so the recipes whose SQL is long to build (triggers, batched backfills) answer that
/// without building it.
type Recipe<'a> = Box<dyn FnOnce() -> Plan + 'a>;

/// A plan built as soon as its checks pass, as a [`Recipe`].
fn built<'a>(plan: Result<Plan, PlanError>) -> Result<Recipe<'a>, PlanError> {
    plan.map(|plan| Box::new(move || plan) as Recipe<'a>)
}

/// The plan for `statement` (`source` is the text of its file), or `None` when no recipe
/// covers it (it needs no plan, or lockstep does not know a safe one yet).
pub fn plan_statement(
    statement: &Statement,
    source: &str,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Result<Plan, PlanError>> {
    if options.target.dialect == Dialect::Mysql {
        return mysql::plan_statement(statement, catalog, options);
    }
    let recipe = recipe(statement, source, catalog, options)?;
    Some(recipe.and_then(|render| supported(render(), options)))
}

/// The PostgreSQL recipe for `statement`, checked but not rendered.
fn recipe<'a>(
    statement: &'a Statement,
    source: &'a str,
    catalog: &'a Catalog,
    options: &PlanOptions<'a>,
) -> Option<Result<Recipe<'a>, PlanError>> {
    let text = statement.span.text(source);
    Some(match &statement.kind {
        StatementKind::AlterTable { name, actions, .. } => {
            let [action] = actions.as_slice() else {
                return None;
            };
            alter_table(name, action, text, catalog, options)?
        }
        StatementKind::CreateIndex(index)
            if !index.concurrently && !parent_only(index, catalog) =>
        {
            index::build(index, text, catalog)
        }
        StatementKind::DropIndex {
            names,
            concurrently: false,
            if_exists,
            ..
        } => built(index::drop(names, *if_exists, catalog)),
        StatementKind::DropTable { names, cascade, .. } => {
            built(drop::table(names, *cascade, catalog))
        }
        _ => return None,
    })
}

fn alter_table<'a>(
    name: &'a ObjectName,
    action: &'a AlterAction,
    text: &'a str,
    catalog: &'a Catalog,
    options: &PlanOptions<'a>,
) -> Option<Result<Recipe<'a>, PlanError>> {
    Some(match action {
        AlterAction::RenameColumn { from, to } => {
            rename_column::plan(name, from, to, catalog, options)
        }
        AlterAction::AddColumn { column, .. } => {
            built(add_column::plan(name, column, catalog, options)?)
        }
        AlterAction::AlterColumnType {
            column,
            data_type,
            using,
        } => change_type::plan(name, column, data_type, using.as_deref(), catalog, options)?,
        AlterAction::RenameTable { to } => built(rename_table::plan(name, to, catalog)),
        AlterAction::DropColumn {
            column, cascade, ..
        } => built(drop::column(name, column, *cascade, catalog)),
        AlterAction::SetNotNull { column } => {
            built(constraint::set_not_null(name, column, catalog, options)?)
        }
        AlterAction::AddConstraint(added) => built(
            constraint::add_validated(name, added, text, catalog, options)
                .or_else(|| key::plan(name, added, text, catalog, options))?,
        ),
        _ => return None,
    })
}

/// `CREATE INDEX ... ON ONLY` a partitioned table: it builds nothing, the parent holding
/// no rows.
fn parent_only(index: &crate::statement::IndexDef, catalog: &Catalog) -> bool {
    index.only && catalog.table(&index.table).is_some_and(|t| t.partitioned)
}

/// The plan `lockstep check` points to for `statement`, the one `lockstep plan` writes
/// (PostgreSQL's only, so far). Rules do not know about plans; the report asks here.
pub fn check_plan(
    statement: &Statement,
    source: &str,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<Plan> {
    if options.target.dialect != Dialect::Postgres {
        return None;
    }
    plan_statement(statement, source, catalog, options)?.ok()
}

/// Whether [`check_plan`] has a plan for `statement`, whatever its batch sizes: answered
/// from the recipe's checks, without rendering the plan.
pub fn plannable(statement: &Statement, source: &str, catalog: &Catalog, target: Target) -> bool {
    let options = PlanOptions {
        target,
        batch_size: None,
        pause_ms: DEFAULT_PAUSE_MS,
        stats: None,
    };
    if target.dialect != Dialect::Postgres || !target.at_least(BATCHES_COMMIT_FROM, 0, 0) {
        // Below that version whether a plan is refused depends on its phases: render it.
        return check_plan(statement, source, catalog, &options).is_some();
    }
    matches!(recipe(statement, source, catalog, &options), Some(Ok(_)))
}

/// What the recipes cover, for the message when a statement has no plan.
pub const PLANNED: &str =
    "table and column renames, column type changes that rewrite, NOT NULL, volatile-default and serial columns, index builds and drops, SET NOT NULL, CHECK, FOREIGN KEY, UNIQUE and PRIMARY KEY constraints, and column and table drops";

/// Rows per backfill batch unless `--batch-size` or a stats file says otherwise.
pub const DEFAULT_BATCH_SIZE: u32 = 10_000;
/// Pause between backfill batches unless `--pause-ms` says otherwise.
pub const DEFAULT_PAUSE_MS: u32 = 100;

/// The batched backfill commits inside a `DO` block, which PostgreSQL allows from 11 on.
const BATCHES_COMMIT_FROM: u32 = 11;

fn supported(plan: Plan, options: &PlanOptions) -> Result<Plan, PlanError> {
    let backfills = plan.phases.iter().any(|p| p.kind == PhaseKind::Backfill);
    if !backfills || options.target.at_least(BATCHES_COMMIT_FROM, 0, 0) {
        Ok(plan)
    } else {
        Err(PlanError(format!(
            "lockstep plan needs PostgreSQL 11 or later (the target is {}): the batched backfill commits per batch inside a DO block",
            options.target.version
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ChangeSet;
    use crate::parse::parse_text;

    /// Whether the last statement of `sql` has a plan after the others are replayed.
    fn last_is_plannable(sql: &str, dialect: Dialect) -> bool {
        let parsed = parse_text(sql, dialect);
        let mut catalog = Catalog::new(dialect);
        let Some((last, earlier)) = parsed.statements.split_last() else {
            return false;
        };
        for statement in earlier {
            catalog.apply(statement, ChangeSet(0));
        }
        plannable(last, sql, &catalog, Target::new(dialect))
    }

    const USERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text, age int);\n";

    /// Why the last statement of `sql` gets no plan, after the others are replayed.
    fn refusal(sql: &str) -> String {
        let parsed = parse_text(sql, Dialect::Postgres);
        let mut catalog = Catalog::new(Dialect::Postgres);
        let (last, earlier) = parsed.statements.split_last().expect("statements");
        for statement in earlier {
            catalog.apply(statement, ChangeSet(0));
        }
        let options = PlanOptions {
            target: Target::new(Dialect::Postgres),
            batch_size: None,
            pause_ms: DEFAULT_PAUSE_MS,
            stats: None,
        };
        match plan_statement(last, sql, &catalog, &options) {
            Some(Err(e)) => e.0,
            other => panic!("expected a refusal for {sql}, got {other:?}"),
        }
    }

    #[test]
    fn what_the_contract_would_drop_with_the_old_column_is_named_in_the_refusal() {
        let cases = [
            (format!("{USERS}ALTER TABLE users RENAME COLUMN id TO user_id;"), "the primary key"),
            (format!("{USERS}ALTER TABLE users ALTER COLUMN id TYPE numeric;"), "the primary key"),
            (
                format!("{USERS}ALTER TABLE users ADD CONSTRAINT adult CHECK (age >= 18);\nALTER TABLE users RENAME COLUMN age TO years;"),
                "the check adult",
            ),
            (
                format!("{USERS}ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\nCREATE TABLE orders (id bigint PRIMARY KEY, buyer text, CONSTRAINT orders_buyer_fkey FOREIGN KEY (buyer) REFERENCES users (email));\nALTER TABLE users ALTER COLUMN email TYPE varchar(100);"),
                "the foreign key orders_buyer_fkey of orders",
            ),
            (
                format!("{USERS}CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nALTER TABLE users RENAME COLUMN id TO user_id;"),
                "a foreign key of orders",
            ),
            (
                format!("{USERS}CREATE INDEX users_lower_email ON users (lower(email));\nALTER TABLE users RENAME COLUMN email TO mail;"),
                "the expression index users_lower_email",
            ),
            (
                format!("{USERS}CREATE VIEW mail AS SELECT lower(u.email) FROM users u;\nALTER TABLE users RENAME COLUMN email TO mail;"),
                "the view mail",
            ),
            (
                format!("{USERS}CREATE MATERIALIZED VIEW everyone AS SELECT * FROM users;\nALTER TABLE users ALTER COLUMN age TYPE numeric;"),
                "the materialized view everyone",
            ),
            (
                format!("{USERS}CREATE VIEW adults AS SELECT id FROM users WHERE age >= 18;\nCREATE VIEW adult_count AS SELECT count(*) FROM adults;\nALTER TABLE users DROP COLUMN age;"),
                "the view adults, the view adult_count (it reads adults)",
            ),
            (
                "CREATE TABLE logs (at date, body text) PARTITION BY RANGE (at);\nALTER TABLE logs DROP COLUMN at;".to_string(),
                "in the partition key of `logs`",
            ),
            (
                "CREATE TABLE logs (id bigint, at date, body text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\nALTER TABLE logs RENAME COLUMN at TO happened;".to_string(),
                "in the partition key of `logs`",
            ),
        ];
        for (sql, named) in cases {
            let message = refusal(&sql);
            assert!(message.contains(named), "{sql}\n{message}");
        }
    }

    /// A view on another column, or dropped with `CASCADE` as the plain statement drops it,
    /// does not stop the plan.
    #[test]
    fn a_view_stops_only_the_plans_of_the_columns_it_uses() {
        let views = format!("{USERS}CREATE VIEW adults AS SELECT id FROM users WHERE age >= 18;\n");
        for change in [
            "ALTER TABLE users RENAME COLUMN email TO mail;",
            "ALTER TABLE users DROP COLUMN email;",
            "ALTER TABLE users DROP COLUMN age CASCADE;",
        ] {
            assert!(
                last_is_plannable(&format!("{views}{change}"), Dialect::Postgres),
                "{change}"
            );
        }
        let dropped = format!("{views}DROP VIEW adults;\nALTER TABLE users DROP COLUMN age;");
        assert!(last_is_plannable(&dropped, Dialect::Postgres));
    }

    #[test]
    fn plannable_statements_are_the_ones_a_recipe_plans() {
        for change in [
            "ALTER TABLE users RENAME COLUMN email TO mail;",
            "CREATE INDEX users_email ON users (email);",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            "ALTER TABLE users ADD CONSTRAINT adult CHECK (age >= 18);",
            "ALTER TABLE users ADD UNIQUE (email);",
            "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
            "ALTER TABLE users RENAME TO accounts;",
            "ALTER TABLE users DROP COLUMN age;",
            "DROP TABLE users;",
        ] {
            let sql = format!("{USERS}{change}");
            assert!(last_is_plannable(&sql, Dialect::Postgres), "{change}");
        }
    }

    /// `plannable` answers from the recipes' checks without rendering: it must say yes
    /// exactly where a plan is written, on every statement of the fixtures, each replayed
    /// after the statements before it in its file (and on the refusals above).
    #[test]
    fn plannable_agrees_with_the_written_plan_on_every_fixture_statement() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files: Vec<std::path::PathBuf> = ["plan/flyway", "rules"]
            .iter()
            .flat_map(|folder| walkdir::WalkDir::new(root.join(folder)))
            .map(|entry| entry.unwrap().into_path())
            .filter(|path| path.extension().is_some_and(|e| e == "sql"))
            .filter(|path| !path.to_string_lossy().contains("/rules/mysql-"))
            .collect();
        files.sort();
        let target = Target::new(Dialect::Postgres);
        let options = PlanOptions {
            target,
            batch_size: None,
            pause_ms: DEFAULT_PAUSE_MS,
            stats: None,
        };
        let (mut planned, mut refused) = (0, 0);
        for file in &files {
            let sql = std::fs::read_to_string(file).unwrap();
            let parsed = parse_text(&sql, Dialect::Postgres);
            let mut catalog = Catalog::new(Dialect::Postgres);
            for statement in &parsed.statements {
                let written = plan_statement(statement, &sql, &catalog, &options);
                match written {
                    Some(Ok(_)) => planned += 1,
                    Some(Err(_)) => refused += 1,
                    None => {}
                }
                assert_eq!(
                    plannable(statement, &sql, &catalog, target),
                    matches!(written, Some(Ok(_))),
                    "{}: {}",
                    file.display(),
                    statement.span.text(&sql)
                );
                catalog.apply(statement, ChangeSet(0));
            }
        }
        // The fixtures hold both kinds, so the comparison is not vacuous.
        assert!(
            planned > 10 && refused > 0,
            "{planned} planned, {refused} refused"
        );
    }

    #[test]
    fn no_plan_without_a_recipe_a_known_table_or_postgres() {
        for sql in [
            format!("{USERS}CREATE INDEX CONCURRENTLY users_email ON users (email);"),
            format!("{USERS}ALTER TABLE users ALTER COLUMN email TYPE varchar;"),
            format!("{USERS}CREATE INDEX ON users (email);"),
            "ALTER TABLE ghosts RENAME COLUMN a TO b;".to_string(),
        ] {
            assert!(!last_is_plannable(&sql, Dialect::Postgres), "{sql}");
        }
        let sql = format!("{USERS}ALTER TABLE users RENAME COLUMN email TO mail;");
        assert!(!last_is_plannable(&sql, Dialect::Mysql));
    }
}
