//! Helpers for rule tests: lint SQL as one plain migration file, then assert that a rule
//! stays quiet or fires. `lint_err` fails when the rule does not fire, so a snapshot of
//! its output can never pass vacuously.

use crate::config::{Level, RuleLevels, Settings};
use crate::diagnostic::Finding;
use crate::dialect::Dialect;
use crate::engine::lint_source;
use crate::rules::Rule;
use crate::span::LineIndex;
use std::collections::BTreeMap;
use std::path::Path;

pub fn lint(dialect: Dialect, sql: &str) -> Vec<Finding> {
    lint_source(sql, &Settings::new(dialect))
}

/// Lints `sql` for a `dialect` server of `version` (`"10"`, `"12.4"`, `"8.0.35"`).
fn lint_at(dialect: Dialect, version: &str, sql: &str) -> Vec<Finding> {
    let mut settings = Settings::new(dialect);
    settings.target.version = version
        .parse()
        .unwrap_or_else(|e| panic!("test version: {e}"));
    lint_source(sql, &settings)
}

/// Lints with the default rules plus `rule`, so rules that are off by default are tested
/// too.
fn findings_of(dialect: Dialect, sql: &str, rule: &Rule) -> Vec<Finding> {
    let mut settings = Settings::new(dialect);
    let turn_on = BTreeMap::from([(rule.id.to_string(), Level::On)]);
    if let Ok(levels) = RuleLevels::resolve(
        &turn_on,
        crate::config::DeployMode::Online,
        Path::new("lockstep.toml"),
    ) {
        settings.rules = levels;
    }
    only(lint_source(sql, &settings), rule)
}

fn only(findings: Vec<Finding>, rule: &Rule) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| f.rule.id == rule.id)
        .collect()
}

/// Asserts `rule` reports nothing on `sql` for PostgreSQL `version`.
pub fn lint_ok_at(version: &str, sql: &str, rule: &Rule) {
    lint_ok_in_at(Dialect::Postgres, version, sql, rule)
}

/// Asserts `rule` reports on `sql` for PostgreSQL `version`; returns the findings as text.
pub fn lint_err_at(version: &str, sql: &str, rule: &Rule) -> String {
    lint_err_in_at(Dialect::Postgres, version, sql, rule)
}

/// Asserts `rule` reports nothing on `sql` for a `dialect` server of `version`.
pub fn lint_ok_in_at(dialect: Dialect, version: &str, sql: &str, rule: &Rule) {
    let found = only(lint_at(dialect, version, sql), rule);
    assert!(
        found.is_empty(),
        "`{}` fired on {} {version}:\n{sql}\n{}",
        rule.id,
        dialect.name(),
        describe(sql, &found)
    );
}

/// Asserts `rule` reports on `sql` for a `dialect` server of `version`; returns the
/// findings as text.
pub fn lint_err_in_at(dialect: Dialect, version: &str, sql: &str, rule: &Rule) -> String {
    let found = only(lint_at(dialect, version, sql), rule);
    assert!(
        !found.is_empty(),
        "`{}` did not fire on {} {version}:\n{sql}",
        rule.id,
        dialect.name()
    );
    describe(sql, &found)
}

/// Asserts `rule` reports nothing on `sql` (PostgreSQL).
pub fn lint_ok(sql: &str, rule: &Rule) {
    lint_ok_in(Dialect::Postgres, sql, rule)
}

pub fn lint_ok_in(dialect: Dialect, sql: &str, rule: &Rule) {
    let found = findings_of(dialect, sql, rule);
    assert!(
        found.is_empty(),
        "`{}` fired on:\n{sql}\n{}",
        rule.id,
        describe(sql, &found)
    );
}

/// Asserts `rule` reports at least once on `sql` (PostgreSQL) and returns the findings as
/// text for a snapshot.
pub fn lint_err(sql: &str, rule: &Rule) -> String {
    lint_err_in(Dialect::Postgres, sql, rule)
}

pub fn lint_err_in(dialect: Dialect, sql: &str, rule: &Rule) -> String {
    let found = findings_of(dialect, sql, rule);
    assert!(!found.is_empty(), "`{}` did not fire on:\n{sql}", rule.id);
    describe(sql, &found)
}

/// Asserts `rule` reports on `sql` run after the earlier migration `history` (whose tables
/// exist, with known definitions) and returns the findings as text for a snapshot.
pub fn lint_err_after(dialect: Dialect, history: &str, sql: &str, rule: &Rule) -> String {
    let found: Vec<Finding> =
        crate::engine::lint_source_after(history, sql, &Settings::new(dialect))
            .into_iter()
            .filter(|f| f.rule.id == rule.id)
            .collect();
    assert!(!found.is_empty(), "`{}` did not fire on:\n{sql}", rule.id);
    describe(sql, &found)
}

fn describe(sql: &str, findings: &[Finding]) -> String {
    let index = LineIndex::new(sql);
    findings
        .iter()
        .map(|f| {
            let at = index.line_col(sql, f.span.start);
            let mut out = format!(
                "{}:{} {} [{}] {}",
                at.line, at.column, f.severity, f.rule.id, f.message
            );
            if let Some(lock) = f.lock_summary() {
                out.push_str(&format!("\n  lock: {lock}"));
            }
            if let Some(help) = &f.help {
                out.push_str(&format!("\n  help: {help}"));
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lints `files` (name, SQL) as one migration folder, discovered as the CLI would, and
/// returns `(file name, finding)` for `rule`: for framework transactions, rollback files
/// and change sets that span files.
pub fn lint_folder(files: &[(&str, &str)], rule: &Rule) -> Vec<(String, Finding)> {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (name, sql) in files {
        std::fs::write(dir.path().join(name), sql).expect("write migration");
    }
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![dir.path().to_path_buf()];
    crate::engine::check(&settings)
        .files
        .into_iter()
        .flat_map(|file| {
            let name = file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            file.findings
                .into_iter()
                .filter(|f| f.rule.id == rule.id)
                .map(move |f| (name.clone(), f))
                .collect::<Vec<_>>()
        })
        .collect()
}
