//! Every rule's `fixtures/rules/<rule-id>/bad*.sql` fires that rule (snapshotted, with
//! only that rule enabled) and every `good*.sql` stays quiet.

use lockstep::config::{RuleLevels, Settings};
use lockstep::dialect::Dialect;
use lockstep::engine::lint_source;
use lockstep::rules::{self, Rule};
use lockstep::span::LineIndex;
use std::path::Path;

fn rule_of(path: &Path) -> &'static Rule {
    let id = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    rules::find(id)
        .unwrap_or_else(|| panic!("{} is not in a folder named after a rule", path.display()))
}

/// MySQL for fixtures named `*mysql*` (or in a `*mysql*` rule folder), else the rule's first
/// dialect. Only the part below `fixtures/rules` counts: the checkout may live anywhere.
fn dialect_of(path: &Path) -> Dialect {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let inside = path.strip_prefix(&root).unwrap_or(path);
    if inside.to_string_lossy().contains("mysql") {
        Dialect::Mysql
    } else {
        rule_of(path).dialects[0]
    }
}

fn lint_with_only(path: &Path) -> (String, Vec<lockstep::diagnostic::Finding>) {
    let rule = rule_of(path);
    let text = std::fs::read_to_string(path).unwrap();
    let mut settings = Settings::new(dialect_of(path));
    settings.rules = RuleLevels::only(rule);
    let findings = lint_source(&text, &settings);
    (text, findings)
}

#[test]
fn bad_fixtures_fire_their_rule() {
    insta::glob!("../fixtures/rules", "*/bad*.sql", |path| {
        let (text, findings) = lint_with_only(path);
        assert!(!findings.is_empty(), "{} fired nothing", path.display());
        let index = LineIndex::new(&text);
        let described: Vec<String> = findings
            .iter()
            .map(|f| {
                let at = index.line_col(&text, f.span.start);
                let mut line = format!(
                    "{}:{} {} [{}] {}",
                    at.line, at.column, f.severity, f.rule.id, f.message
                );
                if let Some(lock) = f.lock_summary() {
                    line.push_str(&format!("\n    lock: {lock}"));
                }
                if let Some(help) = &f.help {
                    line.push_str(&format!("\n    help: {help}"));
                }
                line
            })
            .collect();
        insta::assert_snapshot!(described.join("\n"));
    });
}

#[test]
fn good_fixtures_stay_quiet() {
    insta::glob!("../fixtures/rules", "*/good*.sql", |path| {
        let (_, findings) = lint_with_only(path);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert!(messages.is_empty(), "{}: {messages:?}", path.display());
    });
}

#[test]
fn every_rule_has_a_bad_and_a_good_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    for rule in rules::ALL.iter().filter(|r| r.check.is_some()) {
        for kind in ["bad", "good"] {
            let dir = root.join(rule.id);
            let found = std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .any(|e| e.file_name().to_string_lossy().starts_with(kind))
                })
                .unwrap_or(false);
            assert!(
                found,
                "rule {} has no {kind}*.sql under {}",
                rule.id,
                dir.display()
            );
        }
    }
}
