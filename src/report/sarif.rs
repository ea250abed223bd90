//! SARIF 2.1.0 for GitHub code scanning, through `serde-sarif`. Every rule of the
//! registry is listed in `tool.driver.rules` with its documentation as help; results point
//! at repository-relative URIs under `%SRCROOT%` with 1-based regions, and carry partial
//! fingerprints that survive lines inserted above the statement.

use super::{fingerprint, plan_command, FileReport, Report};
use crate::diagnostic::{Finding, Severity};
use crate::rules::{self, Rule};
use crate::span::Span;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message,
    MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, ReportingDescriptorReference,
    Result as SarifResult, ResultLevel, Run, RunAutomationDetails, Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;
use std::io::{self, Write};

const SRCROOT: &str = "%SRCROOT%";

pub fn print(report: &Report, out: &mut dyn Write, automation_id: Option<&str>) -> io::Result<()> {
    let sarif = build(report, automation_id);
    // `From`, not `other`: an I/O error keeps its kind, so a closed pipe stays `BrokenPipe`.
    serde_json::to_writer_pretty(&mut *out, &sarif).map_err(io::Error::from)?;
    writeln!(out)
}

pub fn build(report: &Report, automation_id: Option<&str>) -> Sarif {
    let results: Vec<SarifResult> = report
        .findings()
        .zip(fingerprint::fingerprints(report))
        .map(|((file, finding), fingerprint)| result(file, finding, fingerprint))
        .collect();
    let mut notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| {
            Notification::builder()
                .message(text(&format!("{}: {}", e.path.display(), e.message)))
                .level(serde_json::json!("error"))
                .locations(vec![Location::builder()
                    .physical_location(
                        PhysicalLocation::builder()
                            .artifact_location(artifact(&e.path))
                            .build(),
                    )
                    .build()])
                .build()
        })
        .collect();
    notifications.extend(
        report
            .findings()
            .filter(|(_, f)| PARSE_FAILURES.contains(&f.rule.id))
            .map(|(file, f)| parse_failure(file, f)),
    );
    let invocation = Invocation::builder()
        .execution_successful(report.errors.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let driver = ToolComponent::builder()
        .name("lockstep")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri(crate::docs::REPOSITORY_URL)
        .rules(rules::ALL.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(serde_json::json!("unicodeCodePoints"));
    let run = match automation_id {
        Some(id) => run
            .automation_details(RunAutomationDetails::builder().id(id).build())
            .build(),
        None => run.build(),
    };
    Sarif::builder()
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// Rules whose findings mean lockstep could not read part of a file: besides the result,
/// each is a tool execution notification, since no rule checked that text.
const PARSE_FAILURES: [&str; 2] = ["unparsed-statement", "unterminated-literal"];

fn parse_failure(file: &FileReport, finding: &Finding) -> Notification {
    let index = rule_index(finding.rule);
    Notification::builder()
        .message(text(&finding.message))
        .level(serde_json::json!("warning"))
        .associated_rule(
            ReportingDescriptorReference::builder()
                .id(finding.rule.id)
                .index(index as i64)
                .build(),
        )
        .locations(vec![location(file, finding)])
        .build()
}

fn rule_index(rule: &Rule) -> usize {
    rules::ALL.iter().position(|r| r.id == rule.id).unwrap_or(0)
}

/// `create-index-non-concurrently` -> `CreateIndexNonConcurrently`: SARIF wants a
/// readable name that differs from the opaque id.
fn rule_name(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
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

fn artifact(path: &std::path::Path) -> ArtifactLocation {
    ArtifactLocation::builder()
        .uri(super::uri_reference(path))
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
        .name(rule_name(rule.id))
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
        .help_uri(crate::docs::rule_url(rule))
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

/// The longest source text one result carries as a snippet or context (both optional in
/// SARIF): a file of thousands of statements on one line must not make every result carry
/// that whole line, or the report grows with findings times line length.
const MAX_SNIPPET_BYTES: usize = 4096;

/// The result's location: the finding's region with the source it covers as a snippet.
fn location(file: &FileReport, finding: &Finding) -> Location {
    let snippet = finding.span.text(&file.source);
    let mut region = region(file, finding.span.start, finding.span.end);
    if !snippet.is_empty() && snippet.len() <= MAX_SNIPPET_BYTES {
        region.snippet = Some(ArtifactContent::builder().text(snippet).build());
    }
    let mut physical = PhysicalLocation::builder()
        .artifact_location(artifact(&file.path))
        .region(region)
        .build();
    let (start, end) = context_lines(&file.source, finding.statement);
    // SARIF wants the context strictly larger than the region (a one-line file has none).
    if (start, end) != (finding.span.start, finding.span.end)
        && (end - start) as usize <= MAX_SNIPPET_BYTES
    {
        let mut context = self::region(file, start, end);
        context.snippet = file
            .source
            .get(start as usize..end as usize)
            .map(|text| ArtifactContent::builder().text(text).build());
        physical.context_region = Some(context);
    }
    Location::builder().physical_location(physical).build()
}

/// The statement's lines plus one line above and below: the context code scanning shows
/// around the result.
fn context_lines(source: &str, statement: Span) -> (u32, u32) {
    let start = (statement.start as usize).min(source.len());
    let end = (statement.end as usize).clamp(start, source.len());
    let (Some(before), Some(after)) = (source.get(..start), source.get(end..)) else {
        return (statement.start, statement.end);
    };
    let first_line = before.rfind('\n').map_or(0, |i| i + 1);
    let line_above = match first_line.checked_sub(1) {
        Some(newline) => source[..newline].rfind('\n').map_or(0, |i| i + 1),
        None => 0,
    };
    let last_line_end = after.find('\n').map_or(source.len(), |i| end + i);
    let line_below_end = match source.get(last_line_end + 1..) {
        Some(rest) => rest
            .find(['\r', '\n'])
            .map_or(source.len(), |i| last_line_end + 1 + i),
        None => source.len(),
    };
    (line_above as u32, line_below_end as u32)
}

/// The message as markdown: what is wrong, the lock and what it blocks, the safe form
/// of this statement, and where the full safe pattern is documented.
fn message_markdown(file: &FileReport, finding: &Finding) -> String {
    let mut markdown = finding.message.clone();
    if let Some(lock) = finding.lock_summary() {
        markdown.push_str(&format!("\n\n**Lock:** {lock}"));
    }
    if let Some(duration) = &finding.lock_duration {
        markdown.push_str(&format!("\n\n**Held:** {}", duration.describe()));
    }
    if let Some(help) = &finding.help {
        markdown.push_str(&format!("\n\n**Instead:** {help}"));
    }
    match plan_command(file, finding) {
        Some(command) => markdown.push_str(&format!(
            "\n\n**Safe plan:** the phased files, ready to commit: `{command}`"
        )),
        None => markdown.push_str(&format!(
            "\n\n**Safe plan:** see this rule's help, or run `lockstep explain {}`",
            finding.rule.id
        )),
    }
    markdown
}

fn result(file: &FileReport, finding: &Finding, fingerprint: String) -> SarifResult {
    let rule_index = rule_index(finding.rule);
    let markdown = message_markdown(file, finding);
    let location = location(file, finding);
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(fingerprint::SARIF_KEY.to_string(), fingerprint);
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
                .text(match &finding.lock_duration {
                    Some(duration) => format!("{} ({})", finding.message, duration.describe()),
                    None => finding.message.clone(),
                })
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
            .artifact_location(artifact(&file.path))
            .replacements(replacements)
            .build()])
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::dialect::Dialect;
    use crate::engine::lint_source;
    use std::path::PathBuf;

    fn sarif_of(source: &str) -> serde_json::Value {
        let findings = lint_source(source, &Settings::new(Dialect::Postgres));
        let file = FileReport::new(
            PathBuf::from("db/V1__idx.sql"),
            source.to_string(),
            0,
            0,
            findings,
        );
        let report = Report {
            files: vec![file],
            ..Report::default()
        };
        serde_json::to_value(build(&report, Some("lockstep/postgres/db/"))).unwrap()
    }

    /// Fingerprint and start line of each `create-index-non-concurrently` result.
    fn fingerprints_and_lines(sarif: &serde_json::Value) -> Vec<(String, i64)> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"] == "create-index-non-concurrently")
            .map(|r| {
                (
                    r["partialFingerprints"]["lockstepStatement/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_i64()
                        .unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn fingerprints_survive_lines_inserted_above() {
        let original =
            "CREATE INDEX a_idx ON accounts (email);\nCREATE INDEX a_idx ON accounts (email);\n";
        let shifted = format!("-- a new comment\nSELECT 1;\n\n{original}");
        let before = fingerprints_and_lines(&sarif_of(original));
        let after = fingerprints_and_lines(&sarif_of(&shifted));
        assert_eq!(before.len(), 2);
        assert_eq!(after.len(), 2);
        // Same statement twice: told apart by the occurrence counter.
        assert_ne!(before[0].0, before[1].0);
        for ((fp_before, line_before), (fp_after, line_after)) in before.iter().zip(&after) {
            assert_eq!(fp_before, fp_after);
            assert_eq!(line_before + 3, *line_after);
        }
    }

    #[test]
    fn results_carry_rule_index_snippet_markdown_and_automation_id() {
        let sarif = sarif_of("CREATE INDEX a_idx ON accounts (email);\n");
        let run = &sarif["runs"][0];
        assert_eq!(run["automationDetails"]["id"], "lockstep/postgres/db/");
        let result = &run["results"][0];
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"],
            result["ruleId"]
        );
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["name"],
            "CreateIndexNonConcurrently"
        );
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            region["snippet"]["text"],
            "CREATE INDEX a_idx ON accounts (email)"
        );
        let markdown = result["message"]["markdown"].as_str().unwrap();
        assert!(
            markdown.contains("**Lock:** takes SHARE on accounts"),
            "{markdown}"
        );
        assert!(markdown.contains("lockstep explain create-index-non-concurrently"));
    }

    #[test]
    fn context_is_one_line_around_the_statement() {
        let source = "a;\nb;\nc;\nd;";
        let at = |text: &str| source.find(text).unwrap();
        let c = Span::new(at("c;"), at("c;") + 2);
        assert_eq!(
            context_lines(source, c),
            (at("b;") as u32, source.len() as u32)
        );
        let a = Span::new(0, 2);
        assert_eq!(context_lines(source, a), (0, (at("b;") + 2) as u32));
        assert_eq!(context_lines("", Span::new(0, 0)), (0, 0));
    }

    #[test]
    fn unparsed_statements_are_tool_notifications() {
        let sarif = sarif_of("ALTER TABLE users FROBNICATE everything;\n");
        let invocation = &sarif["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], true);
        let notification = &invocation["toolExecutionNotifications"][0];
        assert_eq!(notification["level"], "warning");
        assert_eq!(notification["associatedRule"]["id"], "unparsed-statement");
        assert_eq!(
            notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "db/V1__idx.sql"
        );
    }
}
