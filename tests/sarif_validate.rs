//! The SARIF lockstep writes for `fixtures/` passes Microsoft's SARIF multitool, with both
//! the SARIF rules and GitHub's ingestion rules (`--rule-kind Gh;Sarif`): no error, no
//! warning, and no note except the ones listed below, which no field we could fill would fix.
//!
//! The multitool is installed by `scripts/install-test-deps.sh` into `target/tools`. In CI
//! (`CI` set) a missing validator fails the test; elsewhere the test says why it skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Notes we accept, with why:
/// - SARIF2002: messages as `id` + `arguments`. Our messages name the user's real tables
///   and columns; a message table would only move the same text around.
/// - SARIF2003: `versionControlProvenance`. lockstep lints files, not a checkout; code
///   scanning takes the commit from the upload.
/// - SARIF2009: ids like `CS2001`. Our ids are the names users write in config and
///   ignore comments (`create-index-non-concurrently`), by design.
/// - SARIF2012: rule metadata beyond what lockstep has (each rule's full documentation is
///   in its `help`).
/// - SARIF2006: "URIs should be reachable": the validator fetches every `helpUri`, which
///   needs a network this test does not have. The pages they name are the repository's
///   `docs/rules/<id>.md`, which tests/rule_catalogue.rs keeps present and current.
const ACCEPTED_NOTES: [&str; 5] = [
    "SARIF2002",
    "SARIF2003",
    "SARIF2006",
    "SARIF2009",
    "SARIF2012",
];

fn validator() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The platform binary itself: the npm `bin.js` wrapper runs it through a shell, which
    // would split the `;` of `Gh;Sarif`.
    let local =
        root.join("target/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    local.is_file().then_some(local)
}

/// "No snippet" and "no context region": right for a result about a file lockstep skipped
/// without reading it (`other-dialect-file`), which has no code to show.
const WHOLE_FILE_NOTES: [&str; 2] = ["SARIF2010", "SARIF2011"];

/// Whether the validator's result `r` points at one of our results about a file lockstep
/// did not read (its message names `runs[0].results[N]`).
fn about_an_unread_file(ours: &serde_json::Value, r: &serde_json::Value) -> bool {
    let text = r["message"]["arguments"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|a| a.as_str())
        .or_else(|| r["message"]["text"].as_str())
        .unwrap_or_default();
    let index = text
        .split("results[")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    index.is_some_and(|i| ours["runs"][0]["results"][i]["ruleId"] == "other-dialect-file")
}

#[test]
fn fixtures_sarif_passes_the_multitool_with_github_rules() {
    let Some(validator) = validator() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the SARIF multitool is missing in CI: scripts/install-test-deps.sh installs it"
        );
        eprintln!("skipped: SARIF multitool not installed (run scripts/install-test-deps.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("fixtures.sarif");
    let status = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "fixtures", "--format", "sarif", "--output"])
        .arg(&sarif)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "fixtures hold risky migrations");
    let log = dir.path().join("validation.sarif");
    let out = Command::new(&validator)
        .args([
            "validate",
            "--rule-kind",
            "Gh;Sarif",
            "--level",
            "Error;Warning;Note",
        ])
        .arg("--output")
        .arg(&log)
        .arg(&sarif)
        .output()
        .unwrap();
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "validator failed: {console}");
    let validation: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let problems: Vec<String> = validation["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let level = r["level"].as_str().unwrap_or("warning");
            let rule = r["ruleId"].as_str().unwrap_or_default();
            let accepted = ACCEPTED_NOTES.contains(&rule)
                || (WHOLE_FILE_NOTES.contains(&rule) && about_an_unread_file(&ours, r));
            level != "note" || !accepted
        })
        .map(|r| format!("{} {}: {}", r["level"], r["ruleId"], r["message"]))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // The validator really looked at our file (it reports a note on every result).
    let checked = validation["runs"][0]["results"].as_array().unwrap().len();
    assert!(checked > 0, "{console}");
}
