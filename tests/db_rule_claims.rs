//! Every PostgreSQL rule's lock claim, proven on a real PostgreSQL 15 server.
//!
//! For each rule in `lockstep::rules::ALL` that applies to PostgreSQL, the SQL of its
//! `## Example` and `## Use instead` sections runs on a fresh copy of the proof schema
//! (`tests/support/proof_schema.sql`, 10,000 rows per table), and the test asserts:
//! - the Example takes, as its strongest lock on any table, the mode the rule claims; it rewrites
//!   a table exactly when the claim says so, and scans one exactly when the claim says so;
//! - an Example the server refuses is a failure, unless the rule's documentation quotes the
//!   server's message in backticks (the refusal is then the point of the rule, and the lock
//!   it asked for before failing is checked against the claim);
//! - the Use instead SQL is accepted, and every lock it takes that blocks writes is
//!   catalogue-only: the table is neither rewritten nor scanned under it.
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
use std::sync::{Mutex, OnceLock};
use support::postgres::{postgres, Measurement, PgDb, PgServer, PgTemplate};

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
fn every_postgres_rule_claim_holds_on_a_real_server() {
    let Some(server) = postgres() else { return };
    let template = proof_template(server);
    let proofs = prove_in_parallel(server, template);

    let mut failures: Vec<String> = proofs
        .iter()
        .flat_map(|proof| {
            proof
                .failures
                .iter()
                .map(|f| format!("{}: {f}", proof.rule.id))
        })
        .collect();
    if let Err(stale) = check_docs(&render_docs(&proofs)) {
        failures.push(stale);
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The proof schema loaded once per test process; every rule case gets a copy of it.
fn proof_template(server: &'static PgServer) -> &'static PgTemplate {
    static TEMPLATE: OnceLock<PgTemplate> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        server
            .template(PROOF_SCHEMA)
            .unwrap_or_else(|err| panic!("tests/support/proof_schema.sql does not load: {err}"))
    })
}

/// Proves every PostgreSQL rule that has an Example, a few at a time, in registry order.
fn prove_in_parallel(server: &'static PgServer, template: &'static PgTemplate) -> Vec<RuleProof> {
    let candidates: Vec<&'static Rule> = rules::ALL
        .iter()
        .copied()
        .filter(|rule| match skip_reason(rule) {
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
fn skip_reason(rule: &Rule) -> Option<&'static str> {
    if !rule.applies_to(Dialect::Postgres) {
        Some("not a PostgreSQL rule")
    } else if rule.group == Group::Meta {
        Some("a finding about the input itself; its example is not meant to run")
    } else if rule.section_sql("Example").is_none() {
        Some("no ```sql block under `## Example`")
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

/// One documented SQL snippet and what the server did with it.
struct Case {
    heading: &'static str,
    snippet: Snippet,
    outcome: Outcome,
}

enum Outcome {
    Ran(Measurement),
    /// The server refused the snippet; `requested` holds the locks it held or waited for
    /// before failing, when they were observed.
    Refused {
        error: String,
        requested: Option<Measurement>,
    },
    /// The harness itself failed (the server went away, a timeout); the case proves nothing.
    Broken(String),
}

fn prove_rule(server: &'static PgServer, template: &PgTemplate, rule: &'static Rule) -> RuleProof {
    let mut proof = RuleProof {
        rule,
        cases: Vec::new(),
        failures: Vec::new(),
    };
    // A case measured inside a transaction rolls back, so the Use instead may reuse its
    // database; one run outside a transaction committed its changes and needs a fresh copy.
    let mut clean_db = None;
    if let Some(sql) = rule.section_sql("Example") {
        let db = server.fresh_db_from(template);
        let mut case = run_case(&db, "Example", &sql);
        if let Err(err) = observe_documented_refusal(server, template, rule, &mut case) {
            proof.failures.push(err);
        }
        check_example(&mut proof, &case);
        if case.snippet.run == Run::InTransaction {
            clean_db = Some(db);
        }
        proof.cases.push(case);
    }
    match rule.section_sql("Use instead") {
        Some(sql) => {
            let db = clean_db.unwrap_or_else(|| server.fresh_db_from(template));
            let case = run_case(&db, "Use instead", &sql);
            check_use_instead(&mut proof.failures, &case);
            proof.cases.push(case);
        }
        None => proof
            .failures
            .push("no ```sql block under `## Use instead`".to_string()),
    }
    proof
}

fn run_case(db: &PgDb, heading: &'static str, sql: &str) -> Case {
    let snippet = Snippet::parse(sql);
    let outcome = match snippet.run {
        Run::InTransaction => match db.measure("", &snippet.body) {
            Ok(measurement) => Outcome::Ran(measurement),
            Err(error) => Outcome::Refused {
                error: server_message(&error),
                requested: None,
            },
        },
        Run::OutsideTransaction => match db.observe_outside_tx("", &snippet.body) {
            Ok(observation) => match observation.refusal {
                None => Outcome::Ran(observation.measurement),
                Some(error) => Outcome::Refused {
                    error: server_message(&error),
                    requested: Some(observation.measurement),
                },
            },
            Err(error) => Outcome::Broken(error),
        },
    };
    Case {
        heading,
        snippet,
        outcome,
    }
}

/// The Example must take the claimed lock and do what the claim says to the rows, or be the
/// refusal the documentation quotes.
fn check_example(proof: &mut RuleProof, case: &Case) {
    let rule = proof.rule;
    let failures = &mut proof.failures;
    match &case.outcome {
        Outcome::Broken(error) => {
            failures.push(format!("the Example could not be measured: {error}"))
        }
        Outcome::Ran(measurement) => match rule.lock {
            Some(claim) => check_claim(failures, claim, measurement),
            None => println!("{}: Example runs; no lock claim to check", rule.id),
        },
        Outcome::Refused { error, requested } => {
            if !documents_refusal(rule, error) {
                failures.push(format!(
                    "the Example fails on the proof schema (tests/support/proof_schema.sql): \
                     {error}\n  Fix the example so it runs on that schema; if the server refusing \
                     it is the point of the rule, quote the server's message in backticks in the \
                     rule's documentation."
                ));
                return;
            }
            match (rule.lock, requested) {
                (None, _) => println!("{}: Example refused as documented: {error}", rule.id),
                (Some(claim), Some(requested)) => check_mode(failures, claim, requested),
                (Some(_), None) => failures
                    .push("the lock the refused Example asks for was not observed".to_string()),
            }
        }
    }
}

/// A documented refusal inside a transaction hides the locks the statement took; for a rule
/// that claims one, the Example runs again in its own session, observed from another one while
/// a blocker makes it queue for its lock, and the locks seen fill `requested`.
fn observe_documented_refusal(
    server: &'static PgServer,
    template: &PgTemplate,
    rule: &Rule,
    case: &mut Case,
) -> Result<(), String> {
    let Outcome::Refused { error, requested } = &mut case.outcome else {
        return Ok(());
    };
    if requested.is_some() || rule.lock.is_none() || !documents_refusal(rule, error) {
        return Ok(());
    }
    let observation = server
        .fresh_db_from(template)
        .observe_outside_tx("", &case.snippet.body)
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

fn check_claim(failures: &mut Vec<String>, claim: LockClaim, measurement: &Measurement) {
    check_mode(failures, claim, measurement);
    let effect = effect_of(measurement);
    if effect != claim.effect {
        failures.push(format!(
            "the rule claims the Example {} but on the server it {} ({measurement:?})",
            claim.effect.describe(),
            effect_in_words(effect),
        ));
    }
}

fn check_mode(failures: &mut Vec<String>, claim: LockClaim, measurement: &Measurement) {
    let strongest = strongest_lock(measurement);
    if strongest != Some(claim.mode) {
        let measured = strongest.map_or("no table lock", LockMode::name);
        failures.push(format!(
            "the rule claims {} but the strongest lock the Example took is {measured} \
             ({measurement:?})",
            claim.mode.name()
        ));
    }
}

/// The Use instead SQL must run, and hold no lock that blocks writes while it rewrites or
/// scans the table under it.
fn check_use_instead(failures: &mut Vec<String>, case: &Case) {
    let measurement = match &case.outcome {
        Outcome::Ran(measurement) => measurement,
        Outcome::Refused { error, .. } => {
            return failures.push(format!(
                "the Use instead SQL is refused by the server: {error}"
            ))
        }
        Outcome::Broken(error) => {
            return failures.push(format!(
                "the Use instead SQL could not be measured: {error}"
            ))
        }
    };
    for (table, mode) in table_locks(measurement) {
        if mode.blocks() == Blocks::Nothing {
            continue;
        }
        let work = if measurement.rewrote(&table) {
            "rewrites"
        } else if measurement.scanned(&table) {
            "scans"
        } else {
            continue;
        };
        failures.push(format!(
            "the Use instead SQL {work} `{table}` under {}, which blocks {} ({measurement:?})",
            mode.name(),
            mode.blocks().describe()
        ));
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

fn strongest_lock(measurement: &Measurement) -> Option<LockMode> {
    table_locks(measurement).into_values().max()
}

fn pg_mode(name: &str) -> Option<LockMode> {
    PG_MODES
        .into_iter()
        .find(|mode| mode.pg_locks_name() == Some(name))
}

/// What the statement did to the rows of the tables, at its worst.
fn effect_of(measurement: &Measurement) -> TableEffect {
    if !measurement.rewritten.is_empty() {
        TableEffect::Rewrite
    } else if !measurement.scanned.is_empty() {
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

/// How a documented snippet has to run on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Inside one transaction, measured before it rolls back.
    InTransaction,
    /// Statement by statement in its own session, observed from another one: PostgreSQL
    /// refuses some statements inside a transaction block.
    OutsideTransaction,
}

/// A documented SQL snippet, ready to run.
struct Snippet {
    /// The statements, `;`-separated; an Example's own `BEGIN`/`COMMIT` are left out and the
    /// harness's transaction (which rolls back) takes their place.
    body: String,
    run: Run,
    /// The statements without comments, whitespace collapsed, for the docs table.
    shown: String,
}

impl Snippet {
    fn parse(sql: &str) -> Snippet {
        let statements: Vec<&str> = split(sql, Dialect::Postgres)
            .statements
            .iter()
            .filter(|statement| statement.kind == RawKind::Sql)
            .map(|statement| statement.span.text(sql))
            .filter(|text| !words(text).is_empty())
            .collect();
        let own_transaction = matches!(
            (statements.first(), statements.last()),
            (Some(first), Some(last)) if statements.len() > 1
                && matches!(first_word(first).as_str(), "BEGIN" | "START")
                && matches!(first_word(last).as_str(), "COMMIT" | "END")
        );
        let run = if !own_transaction && statements.iter().any(|s| refuses_transaction_block(s)) {
            Run::OutsideTransaction
        } else {
            Run::InTransaction
        };
        let body_statements = if own_transaction {
            &statements[1..statements.len() - 1]
        } else {
            &statements[..]
        };
        let shown = statements
            .iter()
            .map(|statement| words(statement).join(" "))
            .collect::<Vec<_>>()
            .join("; ");
        Snippet {
            body: body_statements.join(";\n"),
            run,
            shown: format!("{shown};"),
        }
    }
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

fn render_docs(proofs: &[RuleProof]) -> String {
    let mut out = String::from(
        "# Measured locks\n\n\
         Generated by `tests/db_rule_claims.rs`; do not edit. Each PostgreSQL rule's `## Example` \
         and `## Use instead` SQL ran on PostgreSQL 15 against the proof schema \
         (`tests/support/proof_schema.sql`, 10,000 rows per table). The test fails when this \
         file differs from what the server shows; \
         `LOCKSTEP_UPDATE_DOCS=1 cargo test --test db_rule_claims` rewrites it.\n\n\
         - **lock**: the strongest mode the statement held (or queued for) on the table, read \
         from `pg_locks` inside the statement's transaction, or sampled from a second session \
         for statements that cannot run in one.\n\
         - **blocks**: what that mode makes other sessions wait for.\n\
         - **rows**: `rewritten` when the table's `relfilenode` changed, `scanned` when its \
         scan counters (`pg_stat_get_xact_numscans`, `pg_stat_get_numscans` of the table and \
         its indexes) grew, `catalogue only` otherwise.\n\n\
         | rule | case | statement | table | lock | blocks | rows |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for proof in proofs {
        for case in &proof.cases {
            let lead = format!(
                "| `{}` | {} | `{}` | ",
                proof.rule.id,
                case.heading,
                case.snippet.shown.replace('|', "\\|")
            );
            for row in case_rows(&case.outcome) {
                out.push_str(&lead);
                out.push_str(&row);
                out.push_str(" |\n");
            }
        }
    }
    out
}

/// The `table | lock | blocks | rows` cells of one case, one row per table.
fn case_rows(outcome: &Outcome) -> Vec<String> {
    let (measurement, refusal) = match outcome {
        Outcome::Ran(measurement) => (Some(measurement), None),
        Outcome::Refused { error, requested } => (requested.as_ref(), Some(error)),
        Outcome::Broken(error) => return vec![format!("— | — | — | not measured: {error}")],
    };
    let locks = measurement.map(table_locks).unwrap_or_default();
    let rows_cell = |table: &str| match (refusal, measurement) {
        (Some(error), _) => format!("refused: `{}`", error.replace('|', "\\|")),
        (None, Some(m)) if m.rewrote(table) => "rewritten".to_string(),
        (None, Some(m)) if m.scanned(table) => "scanned".to_string(),
        _ => "catalogue only".to_string(),
    };
    if locks.is_empty() {
        return vec![format!("— | — | — | {}", rows_cell(""))];
    }
    locks
        .iter()
        .map(|(table, mode)| {
            format!(
                "{table} | {} | {} | {}",
                mode.name(),
                mode.blocks().describe(),
                rows_cell(table)
            )
        })
        .collect()
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
    let concurrent = Snippet::parse("CREATE INDEX CONCURRENTLY i ON t (c);");
    assert_eq!(concurrent.run, Run::OutsideTransaction);
    let own = Snippet::parse("BEGIN;\n-- why\nCREATE INDEX CONCURRENTLY i ON t (c);\nCOMMIT;\n");
    assert_eq!(own.run, Run::InTransaction);
    assert_eq!(
        own.body.trim_start(),
        "CREATE INDEX CONCURRENTLY i ON t (c)"
    );
    assert_eq!(
        own.shown,
        "BEGIN; CREATE INDEX CONCURRENTLY i ON t (c); COMMIT;"
    );
    let refresh = Snippet::parse("REFRESH MATERIALIZED VIEW CONCURRENTLY v;");
    assert_eq!(refresh.run, Run::InTransaction);
    assert_eq!(
        Snippet::parse("VACUUM FULL t;").run,
        Run::OutsideTransaction
    );
    let commented = Snippet::parse("-- no CONCURRENTLY here\nCREATE INDEX i ON t (c);");
    assert_eq!(commented.run, Run::InTransaction);
}

#[test]
fn server_messages_lose_the_psql_location() {
    let psql = "psql:<stdin>:3: ERROR:  relation \"x\" does not exist\nLINE 1: SELECT * FROM x";
    assert_eq!(server_message(psql), "relation \"x\" does not exist");
}
