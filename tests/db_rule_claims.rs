//! Every PostgreSQL rule's lock claim, proven on a real PostgreSQL 15 server.
//!
//! For each rule in `lockstep::rules::ALL` that applies to PostgreSQL, the SQL of its
//! `## Example` and `## Use instead` sections runs on a fresh copy of the proof schema
//! (`tests/support/proof_schema.sql`, 10,000 rows per table) as a migration tool runs a file
//! it does not wrap: each top-level statement in its own transaction that commits, a
//! `BEGIN … COMMIT` block as one (see [`Snippet`]). The test asserts:
//! - the strongest lock any statement of the Example takes is the mode the rule claims, and the
//!   statements holding that mode rewrite or scan the tables they hold it on exactly when the
//!   claim says so;
//! - an Example the server refuses is a failure, unless the rule's documentation quotes the
//!   server's message in backticks (the refusal is then the point of the rule, and the lock
//!   it asked for before failing is checked against the claim); an Example of a rule that
//!   claims no lock only has to be accepted;
//! - every statement of the Use instead SQL is accepted, and none rewrites or scans a table
//!   under a lock that blocks application statements. A table the statement created blocks
//!   nobody (no other session sees it before the commit), and a lock that blocks only writes
//!   on a materialized view blocks no application statement (only REFRESH writes one).
//!
//! The measurements are also rendered into `docs/lock-measurements.md`; the test fails when
//! that file differs from what the server showed.

mod support;

use lockstep::diagnostic::{Blocks, LockClaim, LockMode, TableEffect};
use lockstep::dialect::Dialect;
use lockstep::rules::{self, Group, Rule};
use lockstep::split::{split, RawKind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use support::postgres::{
    postgres, postgres_major, Measurement, PgDb, PgServer, PgTemplate, DEFAULT_MAJOR, MAJORS,
    UNPACKAGED_MAJORS,
};

const PROOF_SCHEMA: &str = include_str!("support/proof_schema.sql");

/// Where the measured table lives, relative to the crate root.
const DOCS_FILE: &str = "docs/lock-measurements.md";

/// Set to `1` to rewrite [`DOCS_FILE`] from this run's measurements.
const UPDATE_DOCS_VAR: &str = "LOCKSTEP_UPDATE_DOCS";

/// Rules measured at once: each measurement is a few client sessions waiting on the server.
const PARALLEL_RULES: usize = 3;

/// PostgreSQL's table lock modes, for reading `pg_locks.mode` back into lockstep's model.
const PG_MODES: [LockMode; 8] = [
    LockMode::AccessShare,
    LockMode::RowShare,
    LockMode::RowExclusive,
    LockMode::ShareUpdateExclusive,
    LockMode::Share,
    LockMode::ShareRowExclusive,
    LockMode::Exclusive,
    LockMode::AccessExclusive,
];

#[test]
fn every_postgres_rule_claim_holds_on_every_major() {
    let mut runs: Vec<MajorProofs> = Vec::new();
    for major in MAJORS {
        // Outside CI a missing major is skipped (with the reason printed); in CI it fails.
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let started = Instant::now();
        let proofs = prove_in_parallel(server, proof_template(server));
        println!(
            "PostgreSQL {major}: {} rules proven in {:.1} s",
            proofs.len(),
            started.elapsed().as_secs_f64()
        );
        runs.push(MajorProofs { major, proofs });
    }

    // A major no package provides yet (19) is proven only when a binary of it is given.
    let mut unpackaged: Vec<MajorProofs> = Vec::new();
    for major in UNPACKAGED_MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let proofs = prove_in_parallel(server, proof_template(server));
        unpackaged.push(MajorProofs { major, proofs });
    }

    let mut failures: Vec<String> = runs
        .iter()
        .chain(&unpackaged)
        .flat_map(|run| {
            run.proofs.iter().flat_map(move |proof| {
                proof
                    .failures
                    .iter()
                    .map(move |f| format!("PostgreSQL {}: {}: {f}", run.major, proof.rule.id))
            })
        })
        .collect();
    if runs.len() == MAJORS.len() {
        if let Err(stale) = check_docs(&render_docs(&runs)) {
            failures.push(stale);
        }
    } else {
        println!("not comparing {DOCS_FILE}: it covers every major and some could not start");
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// One major's proofs, in registry order.
struct MajorProofs {
    major: u32,
    proofs: Vec<RuleProof>,
}

/// The proof schema loaded once per cluster; every rule case gets a copy of it.
fn proof_template(server: &'static PgServer) -> &'static PgTemplate {
    static TEMPLATES: Mutex<BTreeMap<u32, &'static PgTemplate>> = Mutex::new(BTreeMap::new());
    let mut templates = TEMPLATES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    templates.entry(server.major()).or_insert_with(|| {
        let template = server.template(PROOF_SCHEMA).unwrap_or_else(|err| {
            panic!(
                "tests/support/proof_schema.sql does not load on PostgreSQL {}: {err}",
                server.major()
            )
        });
        Box::leak(Box::new(template))
    })
}

/// Proves every PostgreSQL rule that has an Example, a few at a time, in registry order.
fn prove_in_parallel(server: &'static PgServer, template: &'static PgTemplate) -> Vec<RuleProof> {
    let candidates: Vec<&'static Rule> = rules::ALL
        .iter()
        .copied()
        .filter(|rule| match skip_reason(rule, server.major()) {
            Some(reason) => {
                println!("skipping {}: {reason}", rule.id);
                false
            }
            None => true,
        })
        .collect();
    let next = AtomicUsize::new(0);
    let proven = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_RULES {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(rule) = candidates.get(index) else {
                    break;
                };
                let proof = prove_rule(server, template, rule);
                proven
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push((index, proof));
            });
        }
    });
    let mut proven = proven
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    proven.sort_by_key(|(index, _)| *index);
    proven.into_iter().map(|(_, proof)| proof).collect()
}

/// Why a rule has nothing to prove on PostgreSQL, if it has not.
fn skip_reason(rule: &Rule, major: u32) -> Option<String> {
    if !rule.applies_to(Dialect::Postgres) {
        Some("not a PostgreSQL rule".into())
    } else if rule.group == Group::Meta {
        Some("a finding about the input itself; its example is not meant to run".into())
    } else if rule.section_sql("Example").is_none() {
        Some("no ```sql block under `## Example`".into())
    } else if !rule.holds_on_postgres(major) {
        Some(format!(
            "its claims are for {}; this server is {major}",
            rule.versions
        ))
    } else {
        None
    }
}

/// One rule's measured cases and the ways they contradict its documentation.
struct RuleProof {
    rule: &'static Rule,
    cases: Vec<Case>,
    failures: Vec<String>,
}

/// One documented SQL snippet and what the server did with each of its units.
struct Case {
    heading: &'static str,
    /// The units that ran, in order; running stops at the first one that did not run.
    steps: Vec<Step>,
}

/// One unit of a snippet and the server's answer to it.
struct Step {
    unit: Unit,
    outcome: Outcome,
}

enum Outcome {
    Ran(Measurement),
    /// The server refused the unit; `requested` holds the locks it held or waited for before
    /// failing, when they were observed.
    Refused {
        error: String,
        requested: Option<Measurement>,
    },
    /// The harness itself failed (the server went away, a timeout); the case proves nothing.
    Broken(String),
}

impl Outcome {
    /// What the server showed of the unit's locks and rows, if they were measured.
    fn measurement(&self) -> Option<&Measurement> {
        match self {
            Outcome::Ran(measurement) => Some(measurement),
            Outcome::Refused { requested, .. } => requested.as_ref(),
            Outcome::Broken(_) => None,
        }
    }
}

fn prove_rule(server: &'static PgServer, template: &PgTemplate, rule: &'static Rule) -> RuleProof {
    let mut proof = RuleProof {
        rule,
        cases: Vec::new(),
        failures: Vec::new(),
    };
    // Every unit commits, so each case gets its own copy of the proof schema.
    if let Some(sql) = rule.section_sql("Example") {
        let db = server.fresh_db_from(template);
        let mut case = run_case(&db, "Example", &sql);
        if let Err(err) = observe_documented_refusal(&db, rule, &mut case) {
            proof.failures.push(err);
        }
        check_example(&mut proof, &case);
        proof.cases.push(case);
    }
    match rule.section_sql("Use instead") {
        Some(sql) => {
            let case = run_case(&server.fresh_db_from(template), "Use instead", &sql);
            check_use_instead(&mut proof.failures, &case);
            proof.cases.push(case);
        }
        None => proof
            .failures
            .push("no ```sql block under `## Use instead`".to_string()),
    }
    proof
}

/// Runs the snippet unit by unit, as a migration tool runs a plain file, until one does not
/// run.
fn run_case(db: &PgDb, heading: &'static str, sql: &str) -> Case {
    let mut steps = Vec::new();
    for unit in Snippet::parse(sql).units {
        let outcome = run_unit(db, &unit);
        let ran = matches!(outcome, Outcome::Ran(_));
        steps.push(Step { unit, outcome });
        if !ran {
            break;
        }
    }
    Case { heading, steps }
}

fn run_unit(db: &PgDb, unit: &Unit) -> Outcome {
    let refused = |error: &str| Outcome::Refused {
        error: server_message(error),
        requested: None,
    };
    match unit.run {
        Run::InTransaction => match db.measure_and_commit(&unit.sql) {
            Ok(measurement) => Outcome::Ran(measurement),
            Err(error) => refused(&error),
        },
        Run::OutsideTransaction => match db.observe_outside_tx("", &unit.sql) {
            Ok(observation) => match observation.refusal {
                None => Outcome::Ran(observation.measurement),
                Some(error) => Outcome::Refused {
                    error: server_message(&error),
                    requested: Some(observation.measurement),
                },
            },
            Err(error) => Outcome::Broken(error),
        },
    }
}

/// The Example must take the claimed lock and do what the claim says to the rows, or be the
/// refusal the documentation quotes.
///
/// An Example of several units is judged by its strongest: the claimed mode must be the
/// strongest any unit took, and the claimed effect is what the units holding that mode did to
/// the tables they held it on (a later UPDATE scanning another table under ROW EXCLUSIVE is
/// not what an "ACCESS EXCLUSIVE, metadata only" claim is about).
fn check_example(proof: &mut RuleProof, case: &Case) {
    let rule = proof.rule;
    let failures = &mut proof.failures;
    let Some(last) = case.steps.last() else {
        return failures.push("the Example holds no statement".to_string());
    };
    let refused = match &last.outcome {
        Outcome::Broken(error) => {
            return failures.push(format!("the Example could not be measured: {error}"))
        }
        Outcome::Refused { error, .. } if !documents_refusal(rule, error) => {
            return failures.push(format!(
                "the Example fails on the proof schema (tests/support/proof_schema.sql): \
                 {error}\n  Fix the example so it runs on that schema; if the server refusing \
                 it is the point of the rule, quote the server's message in backticks in the \
                 rule's documentation."
            ));
        }
        Outcome::Refused { error, .. } => Some(error),
        Outcome::Ran(_) => None,
    };
    let Some(claim) = rule.lock else {
        return match refused {
            Some(error) => println!("{}: Example refused as documented: {error}", rule.id),
            None => println!("{}: Example runs; no lock claim to check", rule.id),
        };
    };
    if refused.is_some() && last.outcome.measurement().is_none() {
        return failures.push("the lock the refused Example asks for was not observed".to_string());
    }
    let measurements: Vec<&Measurement> = case
        .steps
        .iter()
        .filter_map(|step| step.outcome.measurement())
        .collect();
    let strongest = measurements
        .iter()
        .filter_map(|m| visible_locks(m).into_values().max())
        .max();
    if strongest != Some(claim.mode) {
        let measured = strongest.map_or("no table lock", LockMode::name);
        failures.push(format!(
            "the rule claims {} but the strongest lock the Example took is {measured} \
             ({measurements:?})",
            claim.mode.name()
        ));
        return;
    }
    // A refused statement never got to touch the rows; only its lock is evidence.
    if refused.is_some() {
        return;
    }
    let holding: Vec<(&Measurement, String)> = measurements
        .iter()
        .flat_map(|m| {
            visible_locks(m)
                .into_iter()
                .filter(|(_, mode)| *mode == claim.mode)
                .map(move |(table, _)| (*m, table))
        })
        .collect();
    let effect = holding
        .iter()
        .map(|(m, table)| effect_on(m, table))
        .max()
        .unwrap_or(TableEffect::None);
    let scans_unknown = holding.iter().any(|(m, _)| m.scans_unknown);
    if scans_unknown && effect != TableEffect::Rewrite && claim.effect != TableEffect::Rewrite {
        println!(
            "{}: scans not measured on this major; the lock claim holds",
            rule.id
        );
        return;
    }
    if effect != claim.effect {
        failures.push(format!(
            "the rule claims the Example {} but on the server it {} on the tables it holds {} \
             on ({measurements:?})",
            claim.effect.describe(),
            effect_in_words(effect),
            claim.mode.name(),
        ));
    }
}

/// A documented refusal inside a transaction hides the locks the statement took; for a rule
/// that claims one, the refused unit runs again on the same database (its transaction rolled
/// back, the units before it committed) in its own session, observed from another one while a
/// blocker makes it queue for its lock, and the locks seen fill `requested`.
fn observe_documented_refusal(db: &PgDb, rule: &Rule, case: &mut Case) -> Result<(), String> {
    let Some(step) = case.steps.last_mut() else {
        return Ok(());
    };
    let Outcome::Refused { error, requested } = &mut step.outcome else {
        return Ok(());
    };
    if requested.is_some() || rule.lock.is_none() || !documents_refusal(rule, error) {
        return Ok(());
    }
    let observation = db
        .observe_outside_tx("", &step.unit.sql)
        .map_err(|err| format!("observing the refused Example failed: {err}"))?;
    match observation.refusal.map(|err| server_message(&err)) {
        Some(again) if again == *error => {
            *requested = Some(observation.measurement);
            Ok(())
        }
        Some(again) => Err(format!(
            "outside a transaction the Example fails differently: {again}"
        )),
        None => Err("outside a transaction the server accepts the Example".to_string()),
    }
}

/// Every unit of the Use instead SQL must run, and none may hold a lock that blocks
/// application statements while it rewrites or scans the table under it.
fn check_use_instead(failures: &mut Vec<String>, case: &Case) {
    for step in &case.steps {
        let measurement = match &step.outcome {
            Outcome::Ran(measurement) => measurement,
            Outcome::Refused { error, .. } => {
                return failures.push(format!(
                    "the Use instead SQL is refused by the server at `{}`: {error}",
                    step.unit.shown
                ))
            }
            Outcome::Broken(error) => {
                return failures.push(format!(
                    "the Use instead SQL could not be measured at `{}`: {error}",
                    step.unit.shown
                ))
            }
        };
        for (table, mode) in visible_locks(measurement) {
            let blocks = blocks_on(measurement, &table, mode);
            let work = match effect_on(measurement, &table) {
                _ if blocks == Blocks::Nothing => continue,
                TableEffect::Rewrite => "rewrites",
                TableEffect::Scan => "scans",
                TableEffect::None => continue,
            };
            failures.push(format!(
                "the Use instead SQL {work} `{table}` under {} at `{}`, which blocks {} \
                 ({measurement:?})",
                mode.name(),
                step.unit.shown,
                blocks.describe()
            ));
        }
    }
}

/// Whether `error` is a refusal the rule's documentation quotes: some backticked phrase of at
/// least three words in the docs appears in the server's message.
fn documents_refusal(rule: &Rule, error: &str) -> bool {
    rule.documentation()
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|phrase| phrase.split_whitespace().count() >= 3)
        .any(|phrase| error.contains(phrase))
}

/// The ERROR line of a psql failure, without psql's `psql:<stdin>:N:` location prefix.
fn server_message(error: &str) -> String {
    let line = error
        .lines()
        .find(|line| line.contains("ERROR:"))
        .unwrap_or(error);
    let message = line.split_once("ERROR:").map_or(line, |(_, rest)| rest);
    message.trim().to_string()
}

/// Each table's strongest lock: held, or waited for (a refused or blocked statement may never
/// get the lock it asked for).
fn table_locks(measurement: &Measurement) -> BTreeMap<String, LockMode> {
    let mut locks = BTreeMap::new();
    for (table, name) in measurement.locks.iter().chain(&measurement.waited) {
        let Some(mode) = pg_mode(name) else { continue };
        let strongest = locks.entry(table.clone()).or_insert(mode);
        *strongest = (*strongest).max(mode);
    }
    locks
}

/// The locks other sessions could wait for: those on tables that existed before the unit. A
/// table the unit created is invisible to every other session until the unit commits.
fn visible_locks(measurement: &Measurement) -> BTreeMap<String, LockMode> {
    let mut locks = table_locks(measurement);
    locks.retain(|table, _| !measurement.created.contains(table));
    locks
}

/// What application statements wait for while `mode` is held on `table`. A materialized view
/// is written only by REFRESH, never by the application, so a lock that blocks only writes
/// on one blocks no application statement.
fn blocks_on(measurement: &Measurement, table: &str, mode: LockMode) -> Blocks {
    let blocks = mode.blocks();
    if measurement.created.contains(table)
        || (blocks == Blocks::Writes && measurement.materialized_views.contains(table))
    {
        Blocks::Nothing
    } else {
        blocks
    }
}

/// The docs' `blocks` cell: what [`blocks_on`] found, and why when it is not the mode's own.
fn blocks_in_words(measurement: &Measurement, table: &str, mode: LockMode) -> &'static str {
    match blocks_on(measurement, table, mode) {
        Blocks::Nothing if measurement.created.contains(table) => {
            "nothing (no other session sees the new table before the commit)"
        }
        Blocks::Nothing if mode.blocks() != Blocks::Nothing => {
            "no application statement (only REFRESH writes a materialized view); reads continue"
        }
        blocks => blocks.describe(),
    }
}

fn pg_mode(name: &str) -> Option<LockMode> {
    PG_MODES
        .into_iter()
        .find(|mode| mode.pg_locks_name() == Some(name))
}

/// What the unit did to the rows of `table`.
fn effect_on(measurement: &Measurement, table: &str) -> TableEffect {
    if measurement.rewrote(table) {
        TableEffect::Rewrite
    } else if measurement.scanned(table) {
        TableEffect::Scan
    } else {
        TableEffect::None
    }
}

fn effect_in_words(effect: TableEffect) -> &'static str {
    match effect {
        TableEffect::None => "touches no rows (catalogue only)",
        TableEffect::Scan => "scans without rewriting",
        TableEffect::Rewrite => "rewrites a table",
    }
}

/// How a unit of a documented snippet has to run on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Inside one transaction that commits, measured before the commit.
    InTransaction,
    /// In its own session, observed from another one: PostgreSQL refuses some statements
    /// inside a transaction block.
    OutsideTransaction,
}

/// A documented SQL snippet, read as a migration file a tool runs without wrapping it in a
/// transaction: every top-level statement commits on its own, and a `BEGIN … COMMIT` block
/// commits as one.
struct Snippet {
    units: Vec<Unit>,
}

/// What commits at once: one top-level statement, or the statements of a `BEGIN … COMMIT`
/// block.
///
/// Each unit runs in its own session, so a session setting (`SET lock_timeout`) does not
/// carry over to the next unit; the measurements run without contention, where such settings
/// change nothing.
#[derive(Debug)]
struct Unit {
    /// The statements, `;`-separated, without the block's own `BEGIN`/`COMMIT`: the harness
    /// opens and commits the transaction itself.
    sql: String,
    run: Run,
    /// The unit as written, comments left out and whitespace collapsed, for the docs table.
    shown: String,
}

impl Snippet {
    fn parse(sql: &str) -> Snippet {
        let split = split(sql, Dialect::Postgres);
        let statements = split
            .statements
            .iter()
            .filter(|statement| statement.kind == RawKind::Sql)
            .map(|statement| statement.span.text(sql))
            .filter(|text| !words(text).is_empty());
        let mut units = Vec::new();
        let mut block: Option<Vec<&str>> = None;
        for statement in statements {
            let first = first_word(statement);
            match block.as_mut() {
                None if matches!(first.as_str(), "BEGIN" | "START") => block = Some(Vec::new()),
                None => units.push(Unit::statement(statement)),
                Some(_) if matches!(first.as_str(), "COMMIT" | "END") => {
                    units.extend(block.take().map(|inner| Unit::block(&inner)))
                }
                Some(inner) => inner.push(statement),
            }
        }
        // A block left open runs as one transaction all the same.
        units.extend(block.map(|inner| Unit::block(&inner)));
        Snippet { units }
    }
}

impl Unit {
    fn statement(statement: &str) -> Unit {
        let run = if refuses_transaction_block(statement) {
            Run::OutsideTransaction
        } else {
            Run::InTransaction
        };
        Unit {
            sql: statement.to_string(),
            run,
            shown: format!("{};", shown(statement)),
        }
    }

    /// A `BEGIN … COMMIT` block: one transaction, even for a statement PostgreSQL refuses in
    /// one (that refusal is what such an Example shows).
    fn block(statements: &[&str]) -> Unit {
        let inner: Vec<String> = statements.iter().map(|s| shown(s)).collect();
        let shown = if inner.is_empty() {
            "BEGIN; COMMIT;".to_string()
        } else {
            format!("BEGIN; {}; COMMIT;", inner.join("; "))
        };
        Unit {
            sql: statements.join(";\n"),
            run: Run::InTransaction,
            shown,
        }
    }
}

/// A statement's words outside comments, one space apart, without its `;`.
fn shown(statement: &str) -> String {
    words(statement).join(" ").trim_end_matches(';').to_string()
}

/// Statements PostgreSQL refuses inside a transaction block: the CONCURRENTLY forms of index
/// and partition commands, VACUUM, database and tablespace commands, ALTER SYSTEM.
/// `REFRESH MATERIALIZED VIEW CONCURRENTLY` is the one CONCURRENTLY that a transaction allows.
fn refuses_transaction_block(statement: &str) -> bool {
    let words = words(statement);
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let second = upper.get(1).map(String::as_str);
    match upper.first().map(String::as_str) {
        Some("VACUUM") => true,
        Some("CREATE" | "DROP") if matches!(second, Some("DATABASE" | "TABLESPACE")) => true,
        Some("ALTER") if second == Some("SYSTEM") => true,
        Some("REINDEX") if matches!(second, Some("SYSTEM" | "DATABASE")) => true,
        Some("REFRESH") => false,
        _ => upper.iter().any(|w| w == "CONCURRENTLY"),
    }
}

/// The words of a statement outside `--` comments. Examples carry no `--` inside literals.
fn words(statement: &str) -> Vec<&str> {
    statement
        .lines()
        .map(|line| line.split_once("--").map_or(line, |(code, _)| code))
        .flat_map(str::split_whitespace)
        .collect()
}

fn first_word(statement: &str) -> String {
    words(statement)
        .first()
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .unwrap_or_default()
}

// ---- the measured docs ----

fn render_docs(runs: &[MajorProofs]) -> String {
    let mut out = String::from(
        "# Measured locks\n\n\
         Generated by `tests/db_rule_claims.rs`; do not edit. Each PostgreSQL rule's `## Example` \
         and `## Use instead` SQL ran on PostgreSQL 14 to 18 against the proof schema \
         (`tests/support/proof_schema.sql`, 10,000 rows per table). The test fails when this \
         file differs from what the server shows; \
         `LOCKSTEP_UPDATE_DOCS=1 cargo test --test db_rule_claims` rewrites it. The table \
         below is PostgreSQL 15's; the rows where another major differs follow it.\n\n\
         - **statement**: snippets run as a migration tool runs a file it does not wrap in a \
         transaction: each top-level statement commits on its own, a `BEGIN … COMMIT` block \
         commits as one; each gets its own rows. Running stops at the first refusal.\n\
         - **lock**: the strongest mode the statement held (or queued for) on the table, read \
         from `pg_locks` inside the statement's transaction before it commits. A statement that \
         cannot run in a transaction is made to queue by blocker sessions at every request from \
         SHARE UPDATE EXCLUSIVE up and read while it waits (`tests/support/postgres/observe.rs`); \
         `A, then B` means it asked for B later, after holding A (the long phase and the brief \
         last step of a CONCURRENTLY command).\n\
         - **blocks**: what that mode makes application statements wait for. A table the \
         statement created blocks nobody (no other session sees it before the commit). A \
         materialized view is written only by `REFRESH`, never by the application, so a lock \
         that blocks writes but not reads on one (EXCLUSIVE, from `REFRESH MATERIALIZED VIEW \
         CONCURRENTLY`) blocks no application statement.\n\
         - **rows**: `rewritten` when the table's `relfilenode` changed, `scanned` when its \
         scan counters (`pg_stat_get_xact_numscans`, `pg_stat_get_numscans` of the table and \
         its indexes) grew, `catalogue only` otherwise; `created` marks a table the statement \
         created.\n\n\
         | rule | case | statement | table | lock | blocks | rows |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let default = runs.iter().find(|run| run.major == DEFAULT_MAJOR);
    for proof in default.map(|run| run.proofs.as_slice()).unwrap_or_default() {
        for row in proof_rows(proof) {
            out.push_str(&row);
        }
    }
    out.push_str(
        "\n## Where other majors differ\n\n\
         Every rule ran on each major; listed are the rows that PostgreSQL 15's table above \
         does not have. Before PostgreSQL 15 another session's scan counts reach the \
         statistics collector asynchronously, so scans of statements that cannot run in a \
         transaction are not measured there (`scans not measured`); rewrites still are.\n\n",
    );
    let mut differing = String::new();
    for run in runs.iter().filter(|run| run.major != DEFAULT_MAJOR) {
        for (at, proof) in run.proofs.iter().enumerate() {
            let base = default
                .and_then(|base| base.proofs.get(at))
                .filter(|base| base.rule.id == proof.rule.id)
                .map(proof_rows)
                .unwrap_or_default();
            for row in proof_rows(proof) {
                if !base.contains(&row) {
                    differing.push_str(&format!("| {} {row}", run.major));
                }
            }
        }
    }
    if differing.is_empty() {
        out.push_str("No row differs.\n");
    } else {
        out.push_str(
            "| major | rule | case | statement | table | lock | blocks | rows |\n\
             |---|---|---|---|---|---|---|---|\n",
        );
        out.push_str(&differing);
    }
    out
}

/// The docs table rows of one rule's cases, each a whole line.
fn proof_rows(proof: &RuleProof) -> Vec<String> {
    let mut rows = Vec::new();
    for case in &proof.cases {
        if case.steps.is_empty() {
            rows.push(format!(
                "| `{}` | {} | — | — | — | — | nothing to run (comments only) |\n",
                proof.rule.id, case.heading
            ));
        }
        for step in &case.steps {
            let lead = format!(
                "| `{}` | {} | `{}` | ",
                proof.rule.id,
                case.heading,
                step.unit.shown.replace('|', "\\|")
            );
            for row in step_rows(&step.outcome) {
                rows.push(format!("{lead}{row} |\n"));
            }
        }
    }
    rows
}

/// The `table | lock | blocks | rows` cells of one unit, one row per table.
fn step_rows(outcome: &Outcome) -> Vec<String> {
    let refusal = match outcome {
        Outcome::Ran(_) => None,
        Outcome::Refused { error, .. } => Some(error),
        Outcome::Broken(error) => return vec![format!("— | — | — | not measured: {error}")],
    };
    let measurement = outcome.measurement();
    let rows_cell = |table: &str| match (refusal, measurement) {
        (Some(error), _) => format!("refused: `{}`", error.replace('|', "\\|")),
        (None, Some(m)) => {
            let effect = match effect_on(m, table) {
                TableEffect::Rewrite => "rewritten",
                _ if m.scans_unknown && !table.is_empty() => "not rewritten; scans not measured",
                TableEffect::Scan => "scanned",
                TableEffect::None => "catalogue only",
            };
            if m.created.contains(table) {
                format!("created, {effect}")
            } else {
                effect.to_string()
            }
        }
        (None, None) => "catalogue only".to_string(),
    };
    let Some(measurement) = measurement.filter(|m| !table_locks(m).is_empty()) else {
        return vec![format!("— | — | — | {}", rows_cell(""))];
    };
    table_locks(measurement)
        .into_iter()
        .map(|(table, strongest)| {
            let chain = strengthening(measurement, &table, strongest);
            let locks: Vec<&str> = chain.iter().map(|mode| mode.name()).collect();
            let blocks: Vec<&str> = chain
                .iter()
                .map(|mode| blocks_in_words(measurement, &table, *mode))
                .collect();
            format!(
                "{table} | {} | {} | {}",
                locks.join(", then "),
                blocks.join("; then "),
                rows_cell(&table)
            )
        })
        .collect()
}

/// The modes a statement took on `table` in the order it asked for them, each stronger than
/// the one before, ending with the strongest: a CONCURRENTLY command's long phase and the
/// brief stronger lock it may end with are both shown.
fn strengthening(measurement: &Measurement, table: &str, strongest: LockMode) -> Vec<LockMode> {
    let mut chain: Vec<LockMode> = Vec::new();
    let seen = measurement.sequence.get(table).into_iter().flatten();
    for mode in seen.filter_map(|name| pg_mode(name)) {
        if chain.last().is_none_or(|last| mode > *last) {
            chain.push(mode);
        }
    }
    if chain.last() != Some(&strongest) {
        chain.push(strongest);
    }
    chain
}

/// Compares the committed docs with `rendered`, or rewrites them when asked.
fn check_docs(rendered: &str) -> Result<(), String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DOCS_FILE);
    if std::env::var(UPDATE_DOCS_VAR).is_ok_and(|value| value == "1") {
        return std::fs::write(&path, rendered)
            .map_err(|err| format!("cannot write {}: {err}", path.display()));
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == rendered {
        return Ok(());
    }
    Err(format!(
        "{DOCS_FILE} is stale: it differs from what the server measured. Refresh it with\n  \
         {UPDATE_DOCS_VAR}=1 cargo test --test db_rule_claims\nand commit the result. \
         Measured:\n{rendered}"
    ))
}

// ---- the checks themselves catch wrong documentation ----

/// A rule with the given claim and docs, checked like the real ones.
fn prove_fake(docs: &'static str, lock: Option<LockClaim>) -> Option<RuleProof> {
    let server = postgres()?;
    let rule: &'static Rule = Box::leak(Box::new(Rule {
        id: "fake-rule",
        group: Group::Locking,
        default_severity: lockstep::diagnostic::Severity::Error,
        enabled_by_default: true,
        dialects: rules::POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "a rule made up by the test",
        lock,
        docs,
        check: None,
    }));
    Some(prove_rule(server, proof_template(server), rule))
}

fn assert_fails_with(proof: Option<RuleProof>, expected: &str) {
    let Some(proof) = proof else { return };
    assert!(
        proof.failures.iter().any(|f| f.contains(expected)),
        "expected a failure containing {expected:?}, got {:?}",
        proof.failures
    );
}

const ADD_NULLABLE_COLUMN: &str =
    "## Example\n```sql\nALTER TABLE users ADD COLUMN nickname text;\n```\n\
     ## Use instead\n```sql\nALTER TABLE users ADD COLUMN nickname text;\n```\n";

#[test]
fn a_correct_claim_passes() {
    let claim = LockClaim {
        mode: LockMode::AccessExclusive,
        effect: TableEffect::None,
    };
    if let Some(proof) = prove_fake(ADD_NULLABLE_COLUMN, Some(claim)) {
        assert!(proof.failures.is_empty(), "{:?}", proof.failures);
    }
}

#[test]
fn a_wrong_lock_mode_fails() {
    let claim = LockClaim {
        mode: LockMode::Share,
        effect: TableEffect::None,
    };
    assert_fails_with(
        prove_fake(ADD_NULLABLE_COLUMN, Some(claim)),
        "the rule claims SHARE but the strongest lock the Example took is ACCESS EXCLUSIVE",
    );
}

#[test]
fn a_wrong_effect_fails_both_ways() {
    let claims_a_scan = LockClaim {
        mode: LockMode::AccessExclusive,
        effect: TableEffect::Scan,
    };
    assert_fails_with(
        prove_fake(ADD_NULLABLE_COLUMN, Some(claims_a_scan)),
        "on the server it touches no rows",
    );
    let rewrites = "## Example\n```sql\nALTER TABLE users ALTER COLUMN score TYPE bigint;\n```\n\
         ## Use instead\n```sql\nALTER TABLE users ADD COLUMN score_big bigint;\n```\n";
    let claims_metadata_only = LockClaim {
        mode: LockMode::AccessExclusive,
        effect: TableEffect::None,
    };
    assert_fails_with(
        prove_fake(rewrites, Some(claims_metadata_only)),
        "on the server it rewrites a table",
    );
}

#[test]
fn an_example_the_schema_cannot_run_fails() {
    let docs = "## Example\n```sql\nALTER TABLE no_such_table ADD COLUMN c int;\n```\n\
         ## Use instead\n```sql\nALTER TABLE users ADD COLUMN c int;\n```\n";
    assert_fails_with(
        prove_fake(docs, None),
        "the Example fails on the proof schema (tests/support/proof_schema.sql): \
         relation \"no_such_table\" does not exist",
    );
}

#[test]
fn a_use_instead_that_scans_under_a_write_lock_fails() {
    let docs = "## Example\n```sql\nCREATE INDEX users_name_idx ON users (name);\n```\n\
         ## Use instead\n```sql\nALTER TABLE users ADD CONSTRAINT score_positive CHECK (score >= 0);\n```\n";
    let claim = LockClaim {
        mode: LockMode::Share,
        effect: TableEffect::Scan,
    };
    assert_fails_with(
        prove_fake(docs, Some(claim)),
        "the Use instead SQL scans `users` under ACCESS EXCLUSIVE",
    );
}

#[test]
fn snippets_run_where_the_server_allows_them() {
    let runs = |sql: &str| -> Vec<(Run, String)> {
        Snippet::parse(sql)
            .units
            .into_iter()
            .map(|unit| (unit.run, unit.shown))
            .collect()
    };
    let unit = |run: Run, shown: &str| (run, shown.to_string());
    assert_eq!(
        runs("CREATE INDEX CONCURRENTLY i ON t (c);"),
        [unit(
            Run::OutsideTransaction,
            "CREATE INDEX CONCURRENTLY i ON t (c);"
        )]
    );
    let own = Snippet::parse("BEGIN;\n-- why\nCREATE INDEX CONCURRENTLY i ON t (c);\nCOMMIT;\n");
    assert_eq!(own.units.len(), 1, "{:?}", own.units);
    assert_eq!(own.units[0].run, Run::InTransaction);
    assert_eq!(
        own.units[0].sql.trim_start(),
        "CREATE INDEX CONCURRENTLY i ON t (c)"
    );
    assert_eq!(
        own.units[0].shown,
        "BEGIN; CREATE INDEX CONCURRENTLY i ON t (c); COMMIT;"
    );
    assert_eq!(
        runs("REFRESH MATERIALIZED VIEW CONCURRENTLY v;"),
        [unit(
            Run::InTransaction,
            "REFRESH MATERIALIZED VIEW CONCURRENTLY v;"
        )]
    );
    assert_eq!(
        runs("VACUUM FULL t;"),
        [unit(Run::OutsideTransaction, "VACUUM FULL t;")]
    );
    assert_eq!(
        runs("-- no CONCURRENTLY here\nCREATE INDEX i ON t (c);"),
        [unit(Run::InTransaction, "CREATE INDEX i ON t (c);")]
    );
}

#[test]
fn every_top_level_statement_and_every_block_is_a_unit() {
    let units: Vec<String> = Snippet::parse(
        "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID;\n\
         BEGIN;\nALTER TABLE t VALIDATE CONSTRAINT c;\nUPDATE t SET x = 1 WHERE id = 1;\nCOMMIT;\n\
         CREATE INDEX CONCURRENTLY i ON t (x);\n",
    )
    .units
    .into_iter()
    .map(|unit| unit.shown)
    .collect();
    assert_eq!(
        units,
        [
            "SET lock_timeout = '2s';",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID;",
            "BEGIN; ALTER TABLE t VALIDATE CONSTRAINT c; UPDATE t SET x = 1 WHERE id = 1; COMMIT;",
            "CREATE INDEX CONCURRENTLY i ON t (x);",
        ]
    );
}

#[test]
fn a_use_instead_is_judged_statement_by_statement() {
    // Each statement commits on its own: VALIDATE scans under SHARE UPDATE EXCLUSIVE only.
    let docs = "## Example\n```sql\nALTER TABLE users ADD CONSTRAINT score_positive CHECK (score >= 0);\n```\n\
         ## Use instead\n```sql\n\
         ALTER TABLE users ADD CONSTRAINT score_positive CHECK (score >= 0) NOT VALID;\n\
         ALTER TABLE users VALIDATE CONSTRAINT score_positive;\n```\n";
    let claim = LockClaim {
        mode: LockMode::AccessExclusive,
        effect: TableEffect::Scan,
    };
    if let Some(proof) = prove_fake(docs, Some(claim)) {
        assert!(proof.failures.is_empty(), "{:?}", proof.failures);
    }
    // The same statements in one transaction scan under the ACCESS EXCLUSIVE of the first.
    let one_transaction = "## Example\n```sql\nALTER TABLE users ADD CONSTRAINT score_positive CHECK (score >= 0);\n```\n\
         ## Use instead\n```sql\nBEGIN;\n\
         ALTER TABLE users ADD CONSTRAINT score_positive CHECK (score >= 0) NOT VALID;\n\
         ALTER TABLE users VALIDATE CONSTRAINT score_positive;\nCOMMIT;\n```\n";
    assert_fails_with(
        prove_fake(one_transaction, Some(claim)),
        "the Use instead SQL scans `users` under ACCESS EXCLUSIVE",
    );
}

#[test]
fn an_example_is_judged_by_its_strongest_statement() {
    // The index build scans under SHARE; the claim is about the ACCESS EXCLUSIVE statement.
    let docs = "## Example\n```sql\nCREATE INDEX users_name_idx ON users (name);\n\
         ALTER TABLE users ADD COLUMN nickname text;\n```\n\
         ## Use instead\n```sql\nALTER TABLE users ADD COLUMN nickname text;\n```\n";
    let claim = LockClaim {
        mode: LockMode::AccessExclusive,
        effect: TableEffect::None,
    };
    if let Some(proof) = prove_fake(docs, Some(claim)) {
        assert!(proof.failures.is_empty(), "{:?}", proof.failures);
    }
    let claims_the_weaker = LockClaim {
        mode: LockMode::Share,
        effect: TableEffect::Scan,
    };
    assert_fails_with(
        prove_fake(docs, Some(claims_the_weaker)),
        "the rule claims SHARE but the strongest lock the Example took is ACCESS EXCLUSIVE",
    );
}

#[test]
fn a_table_is_exempt_only_in_the_statement_that_creates_it() {
    // The CHECK of a new table is validated under ACCESS EXCLUSIVE, on a table nobody sees.
    let create =
        "CREATE TABLE tags (id bigint PRIMARY KEY, name text CHECK (char_length(name) <= 50))";
    let docs: &'static str = Box::leak(
        format!("## Example\n```sql\n{create};\n```\n## Use instead\n```sql\n{create};\n```\n")
            .into_boxed_str(),
    );
    if let Some(proof) = prove_fake(docs, None) {
        assert!(proof.failures.is_empty(), "{:?}", proof.failures);
    }
    // Once committed the table is everybody's: a later scan under ACCESS EXCLUSIVE counts.
    let later: &'static str = Box::leak(
        format!(
            "## Example\n```sql\n{create};\n```\n## Use instead\n```sql\n{create};\n\
             ALTER TABLE tags ADD CONSTRAINT tags_id_positive CHECK (id > 0);\n```\n"
        )
        .into_boxed_str(),
    );
    assert_fails_with(
        prove_fake(later, None),
        "the Use instead SQL scans `tags` under ACCESS EXCLUSIVE",
    );
}

#[test]
fn a_write_lock_on_a_materialized_view_blocks_no_application_statement() {
    let docs = "## Example\n```sql\nREFRESH MATERIALIZED VIEW order_totals;\n```\n\
         ## Use instead\n```sql\nREFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;\n```\n";
    let claim = LockClaim {
        mode: LockMode::AccessExclusive,
        effect: TableEffect::Rewrite,
    };
    if let Some(proof) = prove_fake(docs, Some(claim)) {
        assert!(proof.failures.is_empty(), "{:?}", proof.failures);
    }
    // ACCESS EXCLUSIVE blocks the application's reads of the view.
    let blocking = "## Example\n```sql\nREFRESH MATERIALIZED VIEW order_totals;\n```\n\
         ## Use instead\n```sql\nREFRESH MATERIALIZED VIEW order_totals;\n```\n";
    assert_fails_with(
        prove_fake(blocking, Some(claim)),
        "the Use instead SQL rewrites `order_totals` under ACCESS EXCLUSIVE",
    );
}

#[test]
fn a_dropped_table_keeps_its_lock() {
    let docs = "## Example\n```sql\nDROP TABLE labels;\n```\n\
         ## Use instead\n```sql\nDROP TABLE labels;\n```\n";
    let claim = LockClaim {
        mode: LockMode::AccessExclusive,
        effect: TableEffect::None,
    };
    if let Some(proof) = prove_fake(docs, Some(claim)) {
        assert!(proof.failures.is_empty(), "{:?}", proof.failures);
    }
}

#[test]
fn server_messages_lose_the_psql_location() {
    let psql = "psql:<stdin>:3: ERROR:  relation \"x\" does not exist\nLINE 1: SELECT * FROM x";
    assert_eq!(server_message(psql), "relation \"x\" does not exist");
}
