//! Checks on the catalogue itself: ids, documentation sections, examples that act as
//! doctests, message style, and the README table generated from the same source.

use lockstep::config::{RuleLevels, Settings};
use lockstep::docs;
use lockstep::engine::lint_source;
use lockstep::rules::{self, Rule};
use std::collections::HashSet;

const SECTIONS: [&str; 4] = ["What it does", "Why is this bad?", "Example", "Use instead"];

/// Rules the engine reports from facts beyond the SQL text of their example (file bytes,
/// git history, the 64 earlier ALTERs that use a table's row versions): their examples
/// cannot be linted alone, so their own tests and fixtures cover them.
const NOT_FROM_SQL: [&str; 5] = [
    "contract-with-expand",
    "edited-applied-migration",
    "input-encoding",
    "mysql-alter-exceeds-row-versions",
    "other-dialect-file",
];

#[test]
fn ids_are_unique_sorted_kebab_case() {
    let ids: Vec<&str> = rules::ALL.iter().map(|r| r.id).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate rule id");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rules::ALL must stay sorted by id");
    for id in ids {
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !id.starts_with('-')
                && !id.ends_with('-'),
            "{id} is not kebab-case"
        );
    }
}

#[test]
fn every_rule_documents_every_section() {
    for rule in rules::ALL {
        for section in SECTIONS {
            let body = rule.section(section).unwrap_or_default();
            assert!(!body.is_empty(), "{} lacks `## {section}`", rule.id);
        }
        assert!(
            !rule.summary.ends_with('.'),
            "{}: summaries carry no final period",
            rule.id
        );
        let first_word = rule.summary.split_whitespace().next().unwrap_or_default();
        let sql_keyword = first_word.chars().all(|c| c.is_ascii_uppercase());
        assert!(
            sql_keyword || first_word.chars().all(|c| !c.is_uppercase()),
            "{}: summaries start lower-case or with an SQL keyword",
            rule.id
        );
    }
}

fn fires(rule: &Rule, sql: &str) -> bool {
    let mut settings = Settings::new(rule.dialects[0]);
    settings.rules = RuleLevels::only(rule);
    !lint_source(sql, &settings).is_empty()
}

/// The examples in the docs are tested like doctests: `## Example` fires its rule and
/// `## Use instead` does not. Rules the engine reports from bytes or files (not SQL
/// text) are checked by their own tests.
#[test]
fn documented_examples_behave_as_documented() {
    for rule in rules::ALL.iter().filter(|r| !NOT_FROM_SQL.contains(&r.id)) {
        let bad = rule
            .section_sql("Example")
            .unwrap_or_else(|| panic!("{}: no ```sql in Example", rule.id));
        let good = rule
            .section_sql("Use instead")
            .unwrap_or_else(|| panic!("{}: no ```sql in Use instead", rule.id));
        assert!(
            fires(rule, &bad),
            "{}: its Example does not fire:\n{bad}",
            rule.id
        );
        assert!(
            !fires(rule, &good),
            "{}: its Use instead fires:\n{good}",
            rule.id
        );
    }
}

/// The safe forms the docs recommend must pass the whole default catalogue, not only
/// their own rule (a recommended fix that another rule flags is no fix).
#[test]
fn recommended_forms_pass_the_whole_catalogue() {
    for rule in rules::ALL.iter().filter(|r| !NOT_FROM_SQL.contains(&r.id)) {
        let good = rule.section_sql("Use instead").unwrap_or_default();
        let findings = lint_source(&good, &Settings::new(rule.dialects[0]));
        let errors: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == lockstep::diagnostic::Severity::Error)
            .map(|f| format!("[{}] {}", f.rule.id, f.message))
            .collect();
        assert!(
            errors.is_empty(),
            "{}: Use instead raises errors: {errors:?}",
            rule.id
        );
    }
}

#[test]
fn readme_rule_table_is_current() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(docs::README_TABLE_START)
        .expect("README has the start marker")
        + docs::README_TABLE_START.len();
    let end = readme
        .find(docs::README_TABLE_END)
        .expect("README has the end marker");
    let expected = docs::readme_table();
    assert_eq!(
        readme[start..end].trim(),
        expected.trim(),
        "README rule table is stale: run `cargo run -- rules --format markdown` and paste it between the markers"
    );
}

#[test]
fn explain_shows_the_documentation() {
    for rule in rules::ALL {
        let text = docs::explain(rule);
        assert!(text.starts_with(&format!("# {}\n", rule.id)));
        assert!(text.contains("## Why is this bad?"));
        assert!(text.contains(rule.versions));
    }
}

#[test]
fn each_rule_has_a_current_documentation_page() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let stale = "run `bash scripts/rule-docs.sh`";
    for rule in rules::ALL {
        let page = std::fs::read_to_string(dir.join(format!("{}.md", rule.id)))
            .unwrap_or_else(|_| panic!("docs/rules/{}.md is missing: {stale}", rule.id));
        assert!(
            page == docs::explain(rule),
            "docs/rules/{}.md is stale: {stale}",
            rule.id
        );
        // Reports link here: the link names the page's path in the repository.
        assert!(docs::rule_url(rule).ends_with(&format!("/docs/rules/{}.md", rule.id)));
    }
    let pages = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(pages, rules::ALL.len(), "a page without a rule: {stale}");
}
