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
    normalised_hash(finding.rule.id, finding.statement.text(&file.source))
}

fn normalised_hash(rule_id: &str, statement: &str) -> u64 {
    if !statement.is_ascii() {
        return normalised_hash_by_copying(rule_id, statement);
    }
    // The same bytes as the general case, hashed as they are read, without the three
    // copies of the statement it makes.
    let mut hash = fnv1a([rule_id.as_bytes(), &[0]]);
    for (i, word) in statement.split_whitespace().enumerate() {
        if i > 0 {
            hash = fnv1a_continue(hash, b" ");
        }
        hash = word
            .bytes()
            .fold(hash, |h, byte| fnv1a_step(h, byte.to_ascii_lowercase()));
    }
    hash
}

/// The general case: `to_lowercase` lowers any letter (a final sigma by its context).
fn normalised_hash_by_copying(rule_id: &str, statement: &str) -> u64 {
    let normalised = statement
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    fnv1a([rule_id.as_bytes(), &[0], normalised.as_bytes()])
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: stable across lockstep builds and Rust versions, unlike `DefaultHasher`.
fn fnv1a<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    parts.into_iter().fold(FNV_OFFSET, fnv1a_continue)
}

/// FNV-1a of what `hash` was computed over, followed by `bytes`.
fn fnv1a_continue(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, byte| fnv1a_step(h, *byte))
}

fn fnv1a_step(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_path_hashes_what_the_copying_path_hashes() {
        for statement in [
            "ALTER TABLE Users ADD COLUMN note text;",
            "  CREATE\tINDEX\r\n  idx ON t (c)  ",
            "SELECT 1\x0b FROM t",
            "",
            "   ",
            "UPDATE \"Odd Name\" SET x = 'A  B'",
            "ALTER TABLE café ADD COLUMN ΣΑΣ text",
        ] {
            assert_eq!(
                normalised_hash("rule-id", statement),
                normalised_hash_by_copying("rule-id", statement),
                "{statement:?}"
            );
        }
        // The hash is pinned: stored SARIF and JSON reports compare fingerprints.
        assert_eq!(
            normalised_hash("missing-lock-timeout", "ALTER TABLE t  ADD c int;"),
            fnv1a([
                b"missing-lock-timeout".as_slice(),
                &[0],
                b"alter table t add c int;"
            ])
        );
    }
}
