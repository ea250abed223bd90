//! SARIF 2.1.0 for GitHub code scanning, through `serde-sarif`. Every rule of the
//! registry is listed in `tool.driver.rules` with its documentation as help; results point
//! at repository-relative URIs under `%SRCROOT%` with 1-based regions, and carry partial
//! fingerprints that survive lines inserted above the statement.

use super::{FileReport, Report};
use crate::diagnostic::{Finding, Severity};
use crate::rules::{self, Rule};
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message,
    MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

const INFORMATION_URI: &str = "https://github.com/lockstep-sql/lockstep";
const SRCROOT: &str = "%SRCROOT%";

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let sarif = build(report);
    serde_json::to_writer_pretty(&mut *out, &sarif).map_err(io::Error::other)?;
    writeln!(out)
}

pub fn build(report: &Report) -> Sarif {
    let mut occurrences: HashMap<(String, &'static str, u64), u32> = HashMap::new();
    let results: Vec<SarifResult> = report
        .findings()
        .map(|(file, finding)| {
            let base = fingerprint_base(file, finding);
            let n = occurrences
                .entry((file.uri(), finding.rule.id, base))
                .or_insert(0);
            *n += 1;
            result(file, finding, format!("{base:016x}:{n}"))
        })
        .collect();
    let notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| {
            Notification::builder()
                .message(text(&format!("{}: {}", e.path.display(), e.message)))
                .level(serde_json::json!("error"))
                .locations(vec![Location::builder()
                    .physical_location(
                        PhysicalLocation::builder()
                            .artifact_location(artifact(&e.path.to_string_lossy()))
                            .build(),
                    )
                    .build()])
                .build()
        })
        .collect();
    let invocation = Invocation::builder()
        .execution_successful(report.errors.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let driver = ToolComponent::builder()
        .name("lockstep")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules::ALL.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .build();
    Sarif::builder()
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn text(s: &str) -> Message {
    Message::builder().text(s).build()
}

fn level(severity: Severity) -> serde_json::Value {
    serde_json::json!(match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    })
}

fn artifact(uri: &str) -> ArtifactLocation {
    ArtifactLocation::builder()
        .uri(uri.replace('\\', "/"))
        .uri_base_id(SRCROOT)
        .build()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let what = rule.section("What it does").unwrap_or_default();
    let mut tags = vec![rule.group.id().to_string()];
    tags.extend(rule.dialects.iter().map(|d| d.to_string()));
    let mut properties = BTreeMap::new();
    properties.insert("tags".to_string(), serde_json::json!(tags));
    ReportingDescriptor::builder()
        .id(rule.id)
        .name(rule.id)
        .short_description(
            MultiformatMessageString::builder()
                .text(rule.summary)
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(plain(&what))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(plain(&rule.documentation()))
                .markdown(rule.documentation())
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(level(rule.default_severity))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build()
}

/// Markdown headings and fences dropped, for the `text` fields.
fn plain(markdown: &str) -> String {
    markdown
        .lines()
        .filter(|l| !l.starts_with("```"))
        .map(|l| l.trim_start_matches("## "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn region(file: &FileReport, start: u32, end: u32) -> Region {
    let s = file.line_col(start);
    let e = file.line_col(end);
    Region::builder()
        .start_line(s.line as i64)
        .start_column(s.column as i64)
        .end_line(e.line as i64)
        .end_column(e.column as i64)
        .build()
}

fn result(file: &FileReport, finding: &Finding, fingerprint: String) -> SarifResult {
    let rule_index = rules::ALL
        .iter()
        .position(|r| r.id == finding.rule.id)
        .unwrap_or(0);
    let mut markdown = finding.message.clone();
    if let Some(lock) = finding.lock_summary() {
        markdown.push_str(&format!("\n\n**Lock:** {lock}"));
    }
    if let Some(help) = &finding.help {
        markdown.push_str(&format!("\n\n**Instead:** {help}"));
    }
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&file.uri()))
                .region(region(file, finding.span.start, finding.span.end))
                .build(),
        )
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("lockstepStatement/v1".to_string(), fingerprint);
    let builder = SarifResult::builder()
        .rule_id(finding.rule.id)
        .rule_index(rule_index as i64)
        .level(match finding.severity {
            Severity::Error => ResultLevel::Error,
            Severity::Warning => ResultLevel::Warning,
            Severity::Note => ResultLevel::Note,
        })
        .message(
            Message::builder()
                .text(finding.message.as_str())
                .markdown(markdown)
                .build(),
        )
        .locations(vec![location])
        .partial_fingerprints(fingerprints);
    match &finding.fix {
        Some(fix) => builder.fixes(vec![sarif_fix(file, fix)]).build(),
        None => builder.build(),
    }
}

fn sarif_fix(file: &FileReport, fix: &crate::diagnostic::Fix) -> Fix {
    let replacements: Vec<Replacement> = fix
        .edits
        .iter()
        .map(|edit| {
            Replacement::builder()
                .deleted_region(region(file, edit.span.start, edit.span.end))
                .inserted_content(
                    ArtifactContent::builder()
                        .text(edit.replacement.as_str())
                        .build(),
                )
                .build()
        })
        .collect();
    Fix::builder()
        .description(text(&fix.title))
        .artifact_changes(vec![ArtifactChange::builder()
            .artifact_location(artifact(&file.uri()))
            .replacements(replacements)
            .build()])
        .build()
}

/// FNV-1a over rule id and the statement with whitespace folded and case lowered: stable
/// across lockstep builds and Rust versions, unlike `DefaultHasher`.
fn fingerprint_base(file: &FileReport, finding: &Finding) -> u64 {
    let statement = finding.statement.text(&file.source);
    let normalised = statement
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in finding.rule.id.bytes().chain([0]).chain(normalised.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
