//! The identity of a finding across runs, shared by SARIF (`partialFingerprints`) and JSON
//! (`fingerprint`): a hash of the rule and the normalised statement text, with a counter for
//! the same statement repeated in one file, so it survives lines inserted above it.

use super::{FileReport, Report};
use crate::diagnostic::Finding;
use std::collections::HashMap;

/// The `partialFingerprints` key SARIF files the value under.
pub const SARIF_KEY: &str = "lockstepStatement/v1";

/// One fingerprint per finding, in `report.findings()` order: `<hash>:<occurrence>`.
pub fn fingerprints(report: &Report) -> Vec<String> {
    let mut occurrences: HashMap<(String, &'static str, u64), u32> = HashMap::new();
    report
        .findings()
        .map(|(file, finding)| {
            let base = statement_hash(file, finding);
            let n = occurrences
                .entry((file.uri(), finding.rule.id, base))
                .or_insert(0);
            *n += 1;
            format!("{base:016x}:{n}")
        })
        .collect()
}

/// FNV-1a over rule id and the statement with whitespace folded and case lowered: stable
/// across lockstep builds and Rust versions, unlike `DefaultHasher`.
fn statement_hash(file: &FileReport, finding: &Finding) -> u64 {
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
