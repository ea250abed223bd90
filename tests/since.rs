//! `lockstep check --since REF` in a real git repository with three commits: two on
//! `main`, one on a pull-request branch that adds migrations, renames one without changing
//! it and edits a merged one.

mod support;

use support::git::git;

use assert_cmd::Command;
use std::path::Path;

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const CREATE_ACCOUNTS: &str = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n";
const INDEX_ACCOUNTS: &str = "CREATE INDEX accounts_email_idx ON accounts (email);\n";

/// main: V1 creates accounts; V2 indexes it (risky, but merged long ago).
/// pr: adds V3 (creates orders) and V4 (indexes orders: new in this change set, so quiet),
/// adds V5 (indexes accounts: risky), renames V2 unchanged, edits V1.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "db/V1__create_accounts.sql", CREATE_ACCOUNTS);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "accounts"]);
    write(root, "db/V2__index_accounts.sql", INDEX_ACCOUNTS);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "index accounts"]);
    git(root, &["checkout", "-q", "-b", "pr"]);
    write(
        root,
        "db/V3__create_orders.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint);\n",
    );
    write(
        root,
        "db/V4__index_orders.sql",
        "CREATE INDEX orders_account_idx ON orders (account_id);\n",
    );
    write(
        root,
        "db/V5__index_accounts_id.sql",
        "CREATE INDEX accounts_id_email_idx ON accounts (id, email);\n",
    );
    git(
        root,
        &[
            "mv",
            "db/V2__index_accounts.sql",
            "db/V2__index_accounts_email.sql",
        ],
    );
    write(
        root,
        "db/V1__create_accounts.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, name text);\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "orders"]);
    dir
}

fn check(dir: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::cargo_bin("lockstep")
        .unwrap()
        .current_dir(dir)
        .args(["check", "db", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// The findings by file and rule, without the lock-timeout reminder every file here gets.
fn findings(json: &serde_json::Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] != "missing-lock-timeout")
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(file: &str, rule: &str) -> (String, String) {
    (file.to_string(), rule.to_string())
}

#[test]
fn since_reports_only_added_and_edited_files_as_one_change_set() {
    let repo = repository();
    let (code, json, stderr) = check(repo.path(), &["--since", "main"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings(&json),
        [
            pair("db/V1__create_accounts.sql", "edited-applied-migration"),
            pair(
                "db/V5__index_accounts_id.sql",
                "create-index-non-concurrently"
            ),
        ]
    );
    // Replay still knew accounts (from V1) and the three added files were linted.
    assert_eq!(json["summary"]["files"], 4, "{json}");
    let edited = &json["findings"][0];
    assert_eq!(edited["severity"], "warning");
}

#[test]
fn without_since_every_file_deploys_alone() {
    let repo = repository();
    let (_, json, _) = check(repo.path(), &[]);
    let found = findings(&json);
    // Without the shared change set, V4's index on orders (created by V3) fires, and the
    // renamed V2 is linted again.
    assert!(found.contains(&pair(
        "db/V4__index_orders.sql",
        "create-index-non-concurrently"
    )));
    assert!(found.contains(&pair(
        "db/V2__index_accounts_email.sql",
        "create-index-non-concurrently"
    )));
}

#[test]
fn since_head_with_a_clean_tree_reports_nothing() {
    let repo = repository();
    let (code, json, stderr) = check(repo.path(), &["--since", "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(findings(&json), []);
    // An untracked file counts as added.
    write(repo.path(), "db/V6__more.sql", INDEX_ACCOUNTS);
    let (code, json, _) = check(repo.path(), &["--since", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json),
        [pair("db/V6__more.sql", "create-index-non-concurrently")]
    );
}

#[test]
fn unknown_revisions_and_shallow_clones_fail_with_what_to_fetch() {
    let repo = repository();
    let (code, _, stderr) = check(repo.path(), &["--since", "no-such-branch"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no such commit") && stderr.contains("git fetch origin no-such-branch"),
        "{stderr}"
    );

    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            "--branch",
            "pr",
            &url,
            "shallow",
        ],
    );
    let shallow = clones.path().join("shallow");
    let (code, _, stderr) = check(&shallow, &["--since", "origin/main"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("shallow clone") && stderr.contains("git fetch --deepen"),
        "{stderr}"
    );
    // After fetching the history, the same command works.
    git(&shallow, &["fetch", "-q", "--unshallow"]);
    let (code, json, stderr) = check(&shallow, &["--since", "origin/main"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings(&json).len(), 2);
}

#[test]
fn outside_a_repository_since_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "db/V1__a.sql", CREATE_ACCOUNTS);
    let (code, _, stderr) = check(dir.path(), &["--since", "main"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not inside"), "{stderr}");
}

/// `lockstep` run in `dir`, asserting it succeeded.
fn lockstep_ok(dir: &Path, args: &[&str]) {
    let out = Command::cargo_bin("lockstep")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lockstep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// golang-migrate: a plan's contract phase released in the change that adds its expand
/// phase is flagged on the contract; released in a change of its own, it is not.
#[test]
fn a_contract_phase_beside_its_expand_phase_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(
        root,
        "db/000001_create_orders.up.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, code text NOT NULL);\n",
    );
    write(
        root,
        "db/000002_rename.up.sql",
        "ALTER TABLE orders RENAME COLUMN code TO sku;\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "orders"]);
    lockstep_ok(root, &["plan", "db/000002_rename.up.sql", "--write"]);
    write(root, "db/000002_rename.up.sql", "SELECT 1;\n");
    let pending = "db/.lockstep-pending/orders_code_to_sku";
    let contract = "db/000006_contract_orders_code_to_sku.up.sql";
    let flagged = |json: &serde_json::Value| -> Vec<(String, String)> {
        findings(json)
            .into_iter()
            .filter(|(_, rule)| rule == "contract-with-expand")
            .collect()
    };

    let (_, json, stderr) = check(root, &["--since", "HEAD"]);
    assert_eq!(flagged(&json), [], "{stderr}");
    lockstep_ok(root, &["release", pending]);
    assert!(root.join(contract).is_file());
    let (code, json, stderr) = check(root, &["--since", "HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(flagged(&json), [pair(contract, "contract-with-expand")]);

    git(root, &["checkout", "-q", "--", "."]);
    git(root, &["clean", "-qfd"]);
    lockstep_ok(root, &["plan", "db/000002_rename.up.sql", "--write"]);
    write(root, "db/000002_rename.up.sql", "SELECT 1;\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "the phases for now"]);
    lockstep_ok(root, &["release", pending]);
    let (_, json, stderr) = check(root, &["--since", "HEAD"]);
    assert_eq!(flagged(&json), [], "{stderr}");
    let changed = git(root, &["status", "--porcelain", "--untracked-files=all"]);
    assert!(changed.contains(&format!("?? {contract}")), "{changed}");
}
