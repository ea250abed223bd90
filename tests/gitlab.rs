//! GitLab: the Code Quality report (`--format gitlab`) checked against GitLab's documented
//! format, and the README's GitLab CI job run as a GitLab runner runs it, on a merge request
//! and on the default branch.

mod support;

use assert_cmd::Command;
use std::path::Path;
use support::git::git;

fn lockstep() -> Command {
    let mut cmd = Command::cargo_bin("lockstep").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn output(args: &[&str]) -> (i32, String, String) {
    let out = lockstep().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const REPORT: &str = "fixtures/report";

/// GitLab's documented Code Quality format: an array of issues, each with a `description`, a
/// `check_name`, a `fingerprint` unique in the report, a `severity` of `info`, `minor`,
/// `major`, `critical` or `blocker`, and a `location` with a relative `path` and a
/// 1-based `lines.begin`.
fn assert_gitlab_code_quality(report: &serde_json::Value) -> Vec<(String, String)> {
    let issues = report.as_array().expect("an array of issues");
    let mut fingerprints = std::collections::BTreeSet::new();
    let mut found = Vec::new();
    for issue in issues {
        let fields: std::collections::BTreeSet<&str> = issue
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "check_name",
                "description",
                "fingerprint",
                "location",
                "severity"
            ]
            .into(),
            "{issue}"
        );
        assert!(!issue["description"].as_str().unwrap().is_empty());
        let rule = issue["check_name"].as_str().unwrap();
        assert!(lockstep::rules::find(rule).is_some(), "{rule}");
        let fingerprint = issue["fingerprint"].as_str().unwrap();
        assert!(fingerprints.insert(fingerprint), "duplicate {fingerprint}");
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap()),
            "{issue}"
        );
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(!path.starts_with('/') && !path.contains('\\'), "{path}");
        let begin = issue["location"]["lines"]["begin"].as_u64().unwrap();
        assert!(begin >= 1 && issue["location"]["lines"]["end"].as_u64().unwrap() >= begin);
        found.push((format!("{path}:{begin}:{rule}"), fingerprint.to_string()));
    }
    found
}

#[test]
fn gitlab_code_quality_report_has_what_gitlab_requires() {
    let (code, gitlab, _) = output(&["check", REPORT, "--format", "gitlab"]);
    assert_eq!(code, 1);
    let issues = assert_gitlab_code_quality(&serde_json::from_str(&gitlab).unwrap());
    let (_, json, _) = output(&["check", REPORT, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["rule"].as_str().unwrap()
            )
        })
        .collect();
    let located: Vec<String> = issues.iter().map(|(at, _)| at.clone()).collect();
    assert_eq!(
        located, findings,
        "one issue per finding, where the finding is"
    );

    // The same statement in two files, and twice in one file, still gets distinct
    // fingerprints, and none changes when lines are inserted above.
    let dir = tempfile::tempdir().unwrap();
    let statement = "CREATE INDEX i ON orders (placed_at);\n";
    std::fs::write(dir.path().join("V1__a.sql"), statement.repeat(2)).unwrap();
    std::fs::write(dir.path().join("V2__b.sql"), statement).unwrap();
    // Run from the folder, as CI runs from the repository root: paths are relative to it.
    let gitlab_of = |dir: &Path| {
        let out = lockstep()
            .current_dir(dir)
            .args(["check", "--format", "gitlab"])
            .output()
            .unwrap();
        let mut fingerprints: Vec<String> =
            assert_gitlab_code_quality(&serde_json::from_slice(&out.stdout).unwrap())
                .into_iter()
                .map(|(_, fingerprint)| fingerprint)
                .collect();
        fingerprints.sort();
        fingerprints
    };
    let before = gitlab_of(dir.path());
    assert_eq!(
        before.len(),
        4,
        "three index builds, and the project's missing lock_timeout (said once)"
    );
    std::fs::write(
        dir.path().join("V1__a.sql"),
        format!("-- a comment\n\n{}", statement.repeat(2)),
    )
    .unwrap();
    assert_eq!(gitlab_of(dir.path()), before);
}

/// The `script:` lines of the README's GitLab job (`<!-- snippet:gitlab -->`).
fn readme_gitlab_script() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let snippet = &readme[readme.find("<!-- snippet:gitlab -->").unwrap()..];
    let snippet = &snippet[..snippet.find("\n```\n").unwrap()];
    let script = &snippet[snippet.find("  script:\n").unwrap()..];
    script
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .filter_map(|line| line.trim_start().strip_prefix("- "))
        .map(str::to_string)
        .collect()
}

/// Runs the job's script in `repo` as a runner does (`sh`, stopping at the first failing
/// line), with lockstep already in the cache; returns the failing line's exit code.
fn run_job(repo: &Path, diff_base: Option<&str>) -> i32 {
    let bin = repo.join(".lockstep/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cached = bin.join("lockstep");
    if !cached.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_lockstep"), &cached).unwrap();
    }
    for line in readme_gitlab_script() {
        let mut command = std::process::Command::new("sh");
        command.args(["-c", &line]).current_dir(repo);
        command.env_remove("CI_MERGE_REQUEST_DIFF_BASE_SHA");
        if let Some(sha) = diff_base {
            command.env("CI_MERGE_REQUEST_DIFF_BASE_SHA", sha);
        }
        let status = command.status().unwrap();
        if !status.success() {
            return status.code().unwrap_or(-1);
        }
    }
    0
}

#[test]
fn the_readme_gitlab_job_reports_every_file_and_fails_on_the_merge_request() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    let migrations = repo.join("db/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(
        migrations.join("V1__create_orders.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz);\n\
         CREATE INDEX orders_id_idx ON orders (id);\n",
    )
    .unwrap();
    git(repo, &["add", "db"]);
    git(repo, &["commit", "-q", "-m", "base"]);
    let base = git(repo, &["rev-parse", "HEAD"]);
    // On the default branch: the report, and no failure (nothing to compare with).
    assert_eq!(run_job(repo, None), 0);
    let report = |repo: &Path| {
        let text = std::fs::read_to_string(repo.join("gl-code-quality.json")).unwrap();
        assert_gitlab_code_quality(&serde_json::from_str(&text).unwrap())
    };
    assert_eq!(
        report(repo),
        Vec::new(),
        "a new table's index is no finding"
    );
    // A merge request adding a risky migration fails, and the report covers both files.
    std::fs::write(
        migrations.join("V2__index_placed_at.sql"),
        "CREATE INDEX orders_placed_at_idx ON orders (placed_at);\n",
    )
    .unwrap();
    git(repo, &["add", "db"]);
    git(repo, &["commit", "-q", "-m", "index placed_at"]);
    assert_eq!(run_job(repo, Some(&base)), 1);
    let issues: Vec<String> = report(repo).into_iter().map(|(at, _)| at).collect();
    assert!(
        issues.contains(
            &"db/migrations/V2__index_placed_at.sql:1:create-index-non-concurrently".to_string()
        ),
        "{issues:?}"
    );
}
