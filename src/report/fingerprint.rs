//! The identity of a finding across runs, shared by SARIF (`partialFingerprints`) and JSON
//! (`fingerprint`): a hash of the rule and the normalised statement text, with a counter for
//! the same statement repeated in one file, so it survives lines inserted above it.

use super::{FileReport, Report};
use crate::diagnostic::Finding;
use rayon::prelude::*;
use std::collections::HashMap;

/// The `partialFingerprints` key SARIF files the value under.
pub const SARIF_KEY: &str = "lockstepStatement/v1";

/// One fingerprint per finding, in `report.findings()` order: `<hash>:<occurrence>`.
pub fn fingerprints(report: &Report) -> Vec<String> {
    // Occurrences are counted within a file, so the files are fingerprinted side by side.
    let per_file: Vec<Vec<String>> = report.files.par_iter().map(of_file).collect();
    per_file.into_iter().flatten().collect()
}

/// One fingerprint per finding of `file`, in its order.
pub fn of_file(file: &FileReport) -> Vec<String> {
    let mut occurrences: HashMap<(&'static str, u64), u32> = HashMap::new();
    file.findings
        .iter()
        .map(|finding| {
            let base = statement_hash(file, finding);
            let n = occurrences.entry((finding.rule.id, base)).or_insert(0);
            *n += 1;
            format!("{base:016x}:{n}")
        })
        .collect()
}

/// A fingerprint unique in the whole report, for formats with one flat list of issues
/// (GitLab drops all but one of the issues sharing a fingerprint): the finding's
/// fingerprint hashed with its file's path, so it too survives lines inserted above.
pub fn across_files(uri: &str, fingerprint: &str) -> String {
    format!(
        "{:016x}",
        fnv1a([uri.as_bytes(), &[0], fingerprint.as_bytes()])
    )
}

/// The rule id and the statement with whitespace folded and case lowered.
fn statement_hash(file: &FileReport, finding: &Finding) -> u64 {
    let statement = finding.statement.text(&file.source);
    let normalised = statement
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    fnv1a([finding.rule.id.as_bytes(), &[0], normalised.as_bytes()])
}

/// FNV-1a: stable across lockstep builds and Rust versions, unlike `DefaultHasher`.
fn fnv1a<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.into_iter().flatten() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
