//! Rule documentation as users read it: `lockstep explain`, `lockstep rules` and the
//! README table, all from the one declaration of each rule.

use crate::rules::{Rule, ALL};

/// The project's home, which reports link to.
pub const REPOSITORY_URL: &str = "https://github.com/lockstep-sql/lockstep";

/// The rule's documentation page (`docs/rules/<id>.md`, the text of `lockstep explain`),
/// which SARIF `helpUri` and the markdown report link to.
pub fn rule_url(rule: &Rule) -> String {
    format!("{REPOSITORY_URL}/blob/main/docs/rules/{}.md", rule.id)
}

/// The lock line of a rule: `SHARE (blocks writes (...); scans the whole table)`.
pub fn lock_line(rule: &Rule) -> String {
    match rule.lock {
        Some(claim) => format!(
            "{}: blocks {}; {}",
            claim.mode,
            claim.mode.blocks().describe(),
            claim.effect.describe()
        ),
        None => "none".to_string(),
    }
}

fn dialects(rule: &Rule) -> String {
    rule.dialects
        .iter()
        .map(|d| d.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The full text `lockstep explain RULE` prints.
pub fn explain(rule: &Rule) -> String {
    format!(
        "# {id}\n\n{summary}.\n\n- group: {group}\n- default severity: {severity}{off}\n- dialects: {dialects}\n- versions: {versions}\n- lock: {lock}\n\n{docs}\n",
        id = rule.id,
        summary = rule.summary,
        group = rule.group.id(),
        severity = rule.default_severity,
        off = if rule.enabled_by_default { "" } else { " (off by default)" },
        dialects = dialects(rule),
        versions = rule.versions,
        lock = lock_line(rule),
        docs = rule.documentation().trim_end(),
    )
}

/// One line per rule for `lockstep rules`.
pub fn rules_text() -> String {
    let width = ALL.iter().map(|r| r.id.len()).max().unwrap_or(0);
    ALL.iter()
        .map(|r| {
            format!(
                "{:width$}  {:7}  {:13}  {}\n{:width$}  lock: {} ({})\n",
                r.id,
                r.default_severity.as_str(),
                r.group.id(),
                r.summary,
                "",
                lock_line(r),
                r.versions,
            )
        })
        .collect()
}

#[derive(serde::Serialize)]
struct RuleJson {
    id: &'static str,
    group: &'static str,
    severity: &'static str,
    enabled_by_default: bool,
    dialects: Vec<String>,
    versions: &'static str,
    summary: &'static str,
    lock: Option<String>,
    blocks: Option<&'static str>,
    effect: Option<&'static str>,
}

pub fn rules_json() -> String {
    let rules: Vec<RuleJson> = ALL
        .iter()
        .map(|r| RuleJson {
            id: r.id,
            group: r.group.id(),
            severity: r.default_severity.as_str(),
            enabled_by_default: r.enabled_by_default,
            dialects: r.dialects.iter().map(|d| d.to_string()).collect(),
            versions: r.versions,
            summary: r.summary,
            lock: r.lock.map(|l| l.mode.name().to_string()),
            blocks: r.lock.map(|l| l.mode.blocks().describe()),
            effect: r.lock.map(|l| l.effect.describe()),
        })
        .collect();
    serde_json::to_string_pretty(&rules).unwrap_or_default()
}

pub const README_TABLE_START: &str = "<!-- rules-table:start -->";
pub const README_TABLE_END: &str = "<!-- rules-table:end -->";

/// The README rule table (between the two markers).
pub fn readme_table() -> String {
    let mut out = String::from("| rule | group | severity | lock taken | blocks | rows | versions | what it flags |\n|---|---|---|---|---|---|---|---|\n");
    for r in ALL {
        let (lock, blocks, effect) = match r.lock {
            Some(l) => (
                l.mode.name(),
                l.mode.blocks().describe(),
                l.effect.describe(),
            ),
            None => ("—", "—", "—"),
        };
        let severity = if r.enabled_by_default {
            r.default_severity.as_str().to_string()
        } else {
            format!("{} (off)", r.default_severity)
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            r.id,
            r.group.id(),
            severity,
            lock,
            blocks,
            effect,
            r.versions,
            r.summary
        ));
    }
    out
}
