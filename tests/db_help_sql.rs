//! Every SQL statement lockstep prints as advice runs as printed on a real PostgreSQL.
//!
//! A help names its statements in backticks (`` `ALTER TABLE ... NOT VALID;` ``) and a fix
//! is a text edit of the flagged statement. Both are meant to be copied into a migration,
//! so a quoted name printed without its quotes, a dropped `ON DELETE CASCADE` or a
//! placeholder left in would turn good advice into a failing (or different) migration.
//!
//! Cases: every PostgreSQL rule's `## Example` after the proof schema
//! (`tests/support/proof_schema.sql`), and `fixtures/help-sql/quoted-names/` (a schema
//! whose names need their quotes, then risky statements on it). For each finding, a fresh
//! copy of the schema gets the statements of the change before the flagged one (their own
//! `BEGIN`/`COMMIT` left out, so what the help runs outside a transaction can), then the
//! help's statements in their order (after the flagged statement when the help says to run
//! them right after it), as a migration tool runs a file: in one transaction, except what
//! cannot run in one. The fixed statement runs on a copy of its own. Every one must be
//! accepted, but for a refusal the help itself promises (see [`PROMISED_REFUSALS`]), so a
//! `<placeholder>` left in a statement fails too. `-- lockstep:ignore` comments are not
//! SQL and are not run.

mod support;

use lockstep::config::Settings;
use lockstep::diagnostic::Finding;
use lockstep::dialect::Dialect;
use lockstep::rules::{self, Rule};
use lockstep::split::{split, RawKind};
use std::collections::HashMap;
use std::path::Path;
use support::postgres::{postgres, PgServer, PgTemplate};

const PROOF_SCHEMA: &str = include_str!("support/proof_schema.sql");
const QUOTED_NAMES: &str = "fixtures/help-sql/quoted-names";

/// A schema, then a change linted after it.
struct Case {
    name: String,
    schema: String,
    change: String,
}

#[test]
fn every_help_and_fix_statement_runs_as_printed() {
    let Some(server) = postgres() else { return };
    let mut cases: Vec<Case> = rules::ALL
        .iter()
        .filter(|rule| rule.applies_to(Dialect::Postgres))
        .filter_map(|rule: &&Rule| {
            Some(Case {
                name: format!("{} Example", rule.id),
                schema: PROOF_SCHEMA.to_string(),
                change: rule.section_sql("Example")?,
            })
        })
        .collect();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(QUOTED_NAMES);
    let read = |name: &str| {
        std::fs::read_to_string(fixture.join(name))
            .unwrap_or_else(|err| panic!("{QUOTED_NAMES}/{name}: {err}"))
    };
    cases.push(Case {
        name: QUOTED_NAMES.to_string(),
        schema: read("1_schema.sql"),
        change: read("2_change.sql"),
    });

    let mut failures = Vec::new();
    let mut ran = 0;
    let mut quoted_names_ran = 0;
    // One copy of each schema to clone from: the proof schema loads once for every rule.
    let mut templates: HashMap<&str, PgTemplate> = HashMap::new();
    for case in &cases {
        let template = templates.entry(case.schema.as_str()).or_insert_with(|| {
            server
                .template(&case.schema)
                .unwrap_or_else(|err| panic!("{}: the schema does not load: {err}", case.name))
        });
        for finding in
            support::change_findings(&case.schema, &case.change, Settings::new(Dialect::Postgres))
        {
            let advice = Advice::of(&finding, &case.change);
            for statements in advice.alternatives() {
                ran += statements.len();
                if case.name == QUOTED_NAMES {
                    quoted_names_ran += statements.len();
                }
                if let Err(err) = run_advice(server, template, case, &finding, &statements) {
                    failures.push(format!(
                        "{} [{}] at byte {}: {err}",
                        case.name, finding.rule.id, finding.statement.start
                    ));
                }
            }
        }
    }
    println!("{ran} advice statements ran ({} cases)", cases.len());
    assert!(
        failures.is_empty(),
        "{} advice statements do not run as printed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The fixture exists to exercise quoting: an empty result would prove nothing.
    assert!(
        quoted_names_ran >= 8,
        "only {quoted_names_ran} advice statements came from {QUOTED_NAMES}"
    );
}

/// The runnable statements a finding prints: each list is one alternative, run on its own
/// copy of the schema.
struct Advice {
    /// The help's statements, after the flagged statement when the help says to run them
    /// right after it (`CREATE VIEW users ...` after a rename).
    help: Vec<String>,
    /// The flagged statement with the fix applied.
    fix: Option<String>,
}

impl Advice {
    fn of(finding: &Finding, change: &str) -> Advice {
        let statement = finding.statement;
        let mut advice = Advice {
            help: Vec::new(),
            fix: None,
        };
        let help = finding.help.as_deref().unwrap_or("");
        for span in help.split('`').skip(1).step_by(2) {
            let span = span.trim();
            if !span.ends_with(';') || span.starts_with("--") {
                continue;
            }
            advice.help.push(span.to_string());
        }
        if !advice.help.is_empty() && help.contains("right after") {
            advice.help.insert(0, statement.text(change).to_string());
        }
        if let Some(fix) = &finding.fix {
            let mut fixed = statement.text(change).to_string();
            let mut edits = fix.edits.clone();
            edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
            for edit in edits {
                let start = (edit.span.start - statement.start) as usize;
                let end = (edit.span.end - statement.start) as usize;
                fixed.replace_range(start..end, &edit.replacement);
            }
            advice.fix = Some(fixed);
        }
        advice
    }

    fn alternatives(&self) -> Vec<Vec<String>> {
        let mut alternatives = Vec::new();
        if !self.help.is_empty() {
            alternatives.push(self.help.clone());
        }
        alternatives.extend(self.fix.clone().map(|fixed| vec![fixed]));
        alternatives
    }
}

/// Rules whose advice replaces the statement before the flagged one as well (two ALTER
/// TABLEs merged into one): that statement does not run first.
const REPLACES_THE_PREVIOUS_STATEMENT: &[&str] = &["combinable-alter-table"];

/// Help statements that are meant to be refused in the state the Example leaves, with
/// the refusal the help promises: the schema still holds the tables the help says to
/// drop first.
const PROMISED_REFUSALS: &[(&str, &str, &str)] = &[(
    "drop-schema",
    "DROP SCHEMA billing;",
    "other objects depend on it",
)];

/// The state just before the flagged statement, then one alternative of the advice, the
/// way a migration tool runs a file: statements in one transaction, except those that
/// cannot run in one (`CONCURRENTLY`), which run on their own.
fn run_advice(
    server: &'static PgServer,
    template: &PgTemplate,
    case: &Case,
    finding: &Finding,
    statements: &[String],
) -> Result<(), String> {
    let db = server.fresh_db_from(template);
    let mut before: Vec<&str> = split(&case.change, Dialect::Postgres)
        .statements
        .iter()
        .filter(|s| s.kind == RawKind::Sql && s.span.end <= finding.statement.start)
        .map(|s| s.span.text(&case.change).trim())
        .filter(|text| !is_transaction_control(text))
        .collect();
    if REPLACES_THE_PREVIOUS_STATEMENT.contains(&finding.rule.id) {
        before.pop();
    }
    for before in before {
        db.exec(&terminated(before))
            .map_err(|err| format!("the change before it does not run: `{before}`: {err}"))?;
    }
    let mut transaction: Vec<&str> = Vec::new();
    let run = |statements: &[&str]| -> Result<(), String> {
        if statements.is_empty() {
            return Ok(());
        }
        let body: Vec<String> = statements.iter().map(|s| terminated(s)).collect();
        let script = match statements {
            [one] if !runs_in_a_transaction(one) => body.concat(),
            _ => format!("BEGIN;\n{}\nCOMMIT;", body.join("\n")),
        };
        match db.exec(&script) {
            Ok(()) => Ok(()),
            Err(err) if promised_refusal(finding, statements, &err) => Ok(()),
            Err(err) => Err(format!("`{}` fails: {err}", statements.join(" "))),
        }
    };
    for statement in statements {
        if runs_in_a_transaction(statement) {
            transaction.push(statement);
        } else {
            run(&transaction)?;
            transaction.clear();
            run(&[statement])?;
        }
    }
    run(&transaction)
}

fn promised_refusal(finding: &Finding, statements: &[&str], err: &str) -> bool {
    PROMISED_REFUSALS.iter().any(|(rule, statement, message)| {
        finding.rule.id == *rule
            && statements.last().is_some_and(|s| s.trim() == *statement)
            && err.contains(message)
    })
}

/// What PostgreSQL refuses inside a transaction block.
fn runs_in_a_transaction(statement: &str) -> bool {
    let upper = statement.to_ascii_uppercase();
    !(upper.contains("CONCURRENTLY") || upper.trim_start().starts_with("VACUUM"))
}

/// psql runs a statement once it reads its `;`.
fn terminated(statement: &str) -> String {
    format!("{};", statement.trim_end().trim_end_matches(';'))
}

fn is_transaction_control(statement: &str) -> bool {
    let first = statement
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(';')
        .to_ascii_uppercase();
    matches!(first.as_str(), "BEGIN" | "START" | "COMMIT" | "END" | "") || statement.is_empty()
}
