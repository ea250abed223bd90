//! The binary as users run it: exit codes, formats, config errors, unreadable input.

use assert_cmd::Command;
use std::path::Path;

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

#[test]
fn text_report_exits_1_on_errors() {
    let (code, stdout, _) = output(&["check", REPORT]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn every_phased_plan_pointer_runs() {
    let (_, stdout, _) = output(&["check", REPORT]);
    // Several findings on one statement point at the same plan.
    let commands: std::collections::BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| l.split_once("phased plan: `lockstep "))
        .filter_map(|(_, rest)| rest.strip_suffix('`'))
        .collect();
    assert_eq!(commands.len(), 2, "{stdout}");
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().collect();
        let (code, script, stderr) = output(&args);
        assert_eq!(code, 0, "lockstep {command}: {stderr}");
        assert!(script.contains("-- lockstep plan: "), "{script}");
    }
}

#[test]
fn json_report_is_versioned_with_positions() {
    let (code, stdout, _) = output(&["check", REPORT, "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["version"], 1);
    insta::assert_json_snapshot!(json);
}

#[test]
fn sarif_report_lists_every_rule() {
    let (_, stdout, _) = output(&["check", REPORT, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), lockstep::rules::ALL.len());
    // Each rule links to its documentation page, which exists in the repository.
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!("https://github.com/lockstep-sql/lockstep/blob/main/docs/rules/{id}.md")
        );
        let page = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/rules/{id}.md"));
        assert!(page.is_file(), "{}", page.display());
    }
    let mut results = sarif["runs"][0]["results"].clone();
    insta::assert_json_snapshot!(results.take());
}

#[test]
fn github_annotations_one_line_per_finding() {
    let (_, stdout, _) = output(&["check", REPORT, "--format", "github"]);
    insta::assert_snapshot!(stdout);
}

#[test]
fn markdown_report_has_a_table_per_file_and_collapsed_plans() {
    let (code, stdout, _) = output(&["check", REPORT, "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("<details><summary>Safe plan</summary>"));
    insta::assert_snapshot!(stdout);
}

#[test]
fn markdown_shows_the_files_lockstep_plan_writes() {
    let (_, markdown, _) = output(&["check", REPORT, "--format", "markdown"]);
    let commands: std::collections::BTreeSet<&str> = markdown
        .lines()
        .filter_map(|l| l.split_once("phased plan, ready to commit: `lockstep "))
        .filter_map(|(_, rest)| rest.split_once('`'))
        .map(|(command, _)| command)
        .collect();
    assert_eq!(commands.len(), 2, "{markdown}");
    for command in commands {
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.extend(["--out", dir.path().to_str().unwrap()]);
        let (code, _, stderr) = output(&args);
        assert_eq!(code, 0, "lockstep {command}: {stderr}");
        let mut written = 0;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            // The name, then the text with each line indented into the list item.
            let indented: Vec<String> = text
                .lines()
                .map(|line| match line {
                    "" => String::new(),
                    _ => format!("      {line}"),
                })
                .collect();
            let shown = format!("\n{}\n      ```\n", indented.join("\n"));
            assert!(
                markdown.contains(&format!("\n    `{name}`\n\n")) && markdown.contains(&shown),
                "{command}: {name} is not shown as written:\n{shown}\n---\n{markdown}"
            );
            written += 1;
        }
        assert!(written > 0, "{command}");
    }
}

#[test]
fn fail_on_controls_the_exit_code() {
    assert_eq!(output(&["check", REPORT, "--fail-on", "never"]).0, 0);
    assert_eq!(
        output(&["check", "fixtures/rules/unparsed-statement/good.sql"]).0,
        0
    );
    assert_eq!(
        output(&["check", "fixtures/rules/unparsed-statement/bad.sql"]).0,
        0
    );
    assert_eq!(
        output(&[
            "check",
            "fixtures/rules/unparsed-statement/bad.sql",
            "--fail-on",
            "note"
        ])
        .0,
        1
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(output(&["check", "--format", "yaml"]).0, 2);
    assert_eq!(output(&["frobnicate"]).0, 2);
    let (code, _, stderr) = output(&["check", REPORT, "--target-version", "banana"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("banana"), "{stderr}");
    let (code, _, stderr) = output(&["explain", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no-such-rule"), "{stderr}");
}

#[test]
fn target_versions_up_to_19_and_newer_ones_are_accepted() {
    let (code, _, stderr) = output(&["check", REPORT, "--target-version", "19"]);
    assert_ne!(code, 2, "{stderr}");
    let (code, _, stderr) = output(&["check", REPORT, "--target-version", "23"]);
    assert_ne!(code, 2, "{stderr}");
    assert!(
        stderr.contains("PostgreSQL 23 is newer than the newest version lockstep models"),
        "{stderr}"
    );
    // The error names the flag that set the value, not a config file.
    let (code, _, stderr) = output(&["check", REPORT, "--target-version", "8.4"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--target-version: PostgreSQL 8.4 is not a version lockstep knows"),
        "{stderr}"
    );
    assert!(!stderr.contains("lockstep.toml"), "{stderr}");
}

#[test]
fn a_missing_path_is_reported_and_exits_2() {
    let (code, stdout, _) = output(&["check", "fixtures/does-not-exist", REPORT]);
    assert_eq!(code, 2);
    assert!(stdout.contains("does-not-exist"), "{stdout}");
    // The other path was still linted.
    assert!(stdout.contains("rename-column"), "{stdout}");
}

#[test]
fn config_unknown_key_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lockstep.toml"),
        "dialect = \"postgres\"\nfail-on = \"error\"\ncolour = true\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("V1__a.sql"), "SELECT 1;\n").unwrap();
    let out = Command::cargo_bin("lockstep")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("lockstep.toml:3:1") && stderr.contains("colour"),
        "{stderr}"
    );
}

#[test]
fn config_turns_rules_off_and_changes_levels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lockstep.toml"),
        "[rules]\nrename-column = \"off\"\ncreate-index-non-concurrently = \"warning\"\n\
         missing-lock-timeout = \"off\"\nstatement-after-access-exclusive = \"off\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("V1__a.sql"),
        "ALTER TABLE t RENAME COLUMN a TO b;\nCREATE INDEX i ON t (a);\n",
    )
    .unwrap();
    let out = Command::cargo_bin("lockstep")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning does not fail at the default level"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["create-index-non-concurrently"]);
    assert_eq!(json["findings"][0]["severity"], "warning");
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.sarif");
    let out = lockstep()
        .args(["check", REPORT, "--format", "sarif", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["version"], "2.1.0");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "report.sarif")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn rules_and_explain_print_the_catalogue() {
    let (code, stdout, _) = output(&["rules"]);
    assert_eq!(code, 0);
    for rule in lockstep::rules::ALL {
        assert!(stdout.contains(rule.id));
    }
    let (code, stdout, _) = output(&["explain", "create-index-non-concurrently"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("CREATE INDEX CONCURRENTLY"));
    let (_, json, _) = output(&["rules", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), lockstep::rules::ALL.len());
}

#[test]
fn binary_and_non_utf8_files_are_notes_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("V1__bin.sql"), b"\x00\x01\x02binary").unwrap();
    std::fs::write(
        dir.path().join("V2__latin1.sql"),
        b"CREATE TABLE caf\xe9 (id int);\n",
    )
    .unwrap();
    let out = Command::cargo_bin("lockstep")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["input-encoding", "input-encoding"]);
    assert!(Path::new(dir.path()).exists());
}

#[test]
fn dialect_globs_lint_each_folder_as_its_own_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lockstep.toml"),
        "dialect = \"postgres\"\n[dialects]\n\"**/mysql/**\" = \"mysql\"\n",
    )
    .unwrap();
    for folder in ["pg", "mysql"] {
        let sub = dir.path().join(folder);
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("V1__index.sql"), "CREATE INDEX i ON t (a);\n").unwrap();
    }
    let out = Command::cargo_bin("lockstep")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let flagged: Vec<(&str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["rule"].as_str().unwrap()))
        .collect();
    // CONCURRENTLY is PostgreSQL's; MySQL builds a secondary index in place without blocking,
    // and only MySQL rules see the MySQL folder.
    let in_folder = |folder: &str| -> Vec<&str> {
        flagged
            .iter()
            .filter(|(file, _)| file.contains(&format!("/{folder}/")))
            .map(|(_, rule)| *rule)
            .collect()
    };
    assert_eq!(
        in_folder("pg"),
        ["create-index-non-concurrently", "missing-lock-timeout"]
    );
    assert_eq!(in_folder("mysql"), ["mysql-missing-lock-wait-timeout"]);
}

#[test]
fn a_bad_dialect_glob_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lockstep.toml"),
        "[dialects]\n\"db/[mysql\" = \"mysql\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("lockstep")
        .unwrap()
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[dialects]: `db/[mysql`"), "{stderr}");
}

/// A `[transactions]` key that is neither a framework nor a valid glob stops the run
/// (exit 2, naming the key) instead of being ignored: a misspelt framework would otherwise
/// leave the files it meant linted under the wrong transaction mode.
#[test]
fn a_bad_transactions_key_is_a_config_error() {
    for (key, says) in [
        ("gooose", "`gooose` is neither a framework"),
        ("\"db/[a.sql\"", "`db/[a.sql` is not a glob"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("lockstep.toml"),
            format!("[transactions]\n{key} = \"none\"\n"),
        )
        .unwrap();
        std::fs::write(dir.path().join("V1__a.sql"), "CREATE TABLE a (id int);\n").unwrap();
        let out = Command::cargo_bin("lockstep")
            .unwrap()
            .arg("check")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains("[transactions]"), "{key}: {stderr}");
        assert!(stderr.contains(says), "{key}: {stderr}");
    }
}

/// Style rules are off by default; `[rules] style = "on"` turns the whole group on.
#[test]
fn config_turns_the_style_group_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("V1__tags.sql"),
        "CREATE TABLE tags (id serial PRIMARY KEY, payload json, seen_at timestamp);\n",
    )
    .unwrap();
    let rules_found = |dir: &Path| -> (Option<i32>, Vec<String>) {
        let out = Command::cargo_bin("lockstep")
            .unwrap()
            .arg("check")
            .arg(dir)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut rules: Vec<String> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        rules.sort();
        (out.status.code(), rules)
    };
    assert_eq!(rules_found(dir.path()), (Some(0), Vec::new()));
    std::fs::write(
        dir.path().join("lockstep.toml"),
        "[rules]\nstyle = \"on\"\n",
    )
    .unwrap();
    assert_eq!(
        rules_found(dir.path()),
        (
            Some(0),
            [
                "prefer-bigint",
                "prefer-identity",
                "prefer-jsonb",
                "prefer-timestamptz"
            ]
            .map(String::from)
            .to_vec()
        ),
        "notes do not fail the run at the default level"
    );
}

#[test]
fn version_names_the_commit_and_the_server_versions() {
    let (code, stdout, _) = output(&["--version"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("lockstep 0."), "{stdout}");
    assert!(stdout.contains("(commit "), "{stdout}");
    for server in ["PostgreSQL 9.6 to 19", "MySQL 5.7", "MariaDB 10.x"] {
        assert!(stdout.contains(server), "{server}: {stdout}");
    }
    let (_, short, _) = output(&["-V"]);
    assert_eq!(short.lines().count(), 1, "{short}");
}

/// The report's colour, standard output being a pipe here.
fn colored(args: &[&str], env: &[(&str, &str)]) -> bool {
    let mut cmd = lockstep();
    cmd.args(["check", REPORT]).args(args);
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    out.stdout.contains(&0x1b)
}

#[test]
fn color_follows_the_flag_then_clicolor_force_and_no_color() {
    assert!(!colored(&[], &[]), "a pipe gets no colour by default");
    assert!(colored(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(!colored(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(colored(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!colored(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(!colored(&["--format", "json", "--color", "always"], &[]));
}

fn with_stdin(args: &[&str], input: &str) -> (i32, String, String) {
    let out = lockstep().args(args).write_stdin(input).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn standard_input_is_linted_as_the_stdin_filename() {
    let sql = "ALTER TABLE accounts ADD COLUMN note text NOT NULL;\n";
    let (code, stdout, _) = with_stdin(&["check", "-", "--format", "json"], sql);
    assert_eq!(code, 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["findings"][0]["file"], "<stdin>");
    assert_eq!(
        json["findings"][0]["rule"],
        "add-not-null-column-without-default"
    );
    // Named after an existing migration, the text replaces it and the earlier files are
    // replayed: `accounts` comes from 1_create_accounts.up.sql, so it is not new, and a
    // lock rule fires on it.
    let name = "fixtures/layouts/golang-migrate/2_add_accounts_balance.up.sql";
    let sql = "CREATE INDEX accounts_note ON accounts (id);\n";
    let (code, stdout, _) = with_stdin(&["check", "-", "--stdin-filename", name], sql);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("--> {name}:1:1")), "{stdout}");
    assert!(stdout.contains("create-index-non-concurrently"), "{stdout}");
    assert!(stdout.contains("in 1 file"), "{stdout}");
    // `lockstep plan` would read the file on disk, not this text: no plan is offered.
    assert!(!stdout.contains("lockstep plan"), "{stdout}");
    // The same text alone: the table is unknown, yet no lock finding needs it to exist.
    let (_, alone, _) = with_stdin(&["check", "-"], sql);
    assert!(alone.contains("--> <stdin>:1:1"), "{alone}");
}

#[test]
fn standard_input_misuse_is_a_usage_error() {
    for args in [
        &["check", "--stdin-filename", "a.sql", REPORT][..],
        &["check", "-", REPORT],
        &["check", "-", "--since", "HEAD"],
        &["check", "-", "--stdin-filename", "fixtures"],
    ] {
        let (code, stdout, stderr) = with_stdin(args, "SELECT 1;\n");
        assert_eq!(code, 2, "{args:?}: {stdout}");
        assert!(stderr.contains("lockstep: error:"), "{args:?}: {stderr}");
    }
}

#[test]
fn statistics_count_the_findings_of_each_rule() {
    let (code, json, _) = output(&["check", REPORT, "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let (code, stats, _) = output(&["check", REPORT, "--statistics", "--format", "json"]);
    assert_eq!(code, 1, "the exit code is the report's");
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    let rows = stats.as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let counted = findings
            .iter()
            .filter(|f| f["rule"] == row["rule"] && f["severity"] == row["severity"])
            .count();
        assert_eq!(row["count"], counted, "{row}");
    }
    let total: u64 = rows.iter().map(|row| row["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, findings.len());
    let rules: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|row| row["rule"].as_str().unwrap())
        .collect();
    let (_, text, _) = output(&["check", REPORT, "--statistics"]);
    assert!(
        text.ends_with(&format!(
            "{} findings from {} rules in 3 files\n",
            findings.len(),
            rules.len()
        )),
        "{text}"
    );
    assert!(!text.contains("-->"), "counts replace the findings: {text}");
    assert_eq!(
        output(&["check", REPORT, "--statistics", "--format", "sarif"]).0,
        2
    );
}

#[test]
fn completions_are_written_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, stdout, _) = output(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for word in ["check", "explain", "stdin-filename"] {
            assert!(stdout.contains(word), "{shell} lacks {word}");
        }
    }
    assert_eq!(output(&["completions", "tcsh"]).0, 2);
}

#[test]
fn a_mistyped_rule_id_gets_a_suggestion() {
    let (code, _, stderr) = output(&["explain", "drop-colum"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown rule `drop-colum` (did you mean `drop-column`?)"),
        "{stderr}"
    );
    let (_, _, stderr) = output(&["explain", "banana"]);
    assert!(!stderr.contains("did you mean"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lockstep.toml"),
        "[rules]\nrename-colum = \"off\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("V1__a.sql"),
        "-- lockstep:ignore create-index-non-concurently\nCREATE INDEX i ON t (a);\n",
    )
    .unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let (code, _, stderr) = output(&["check", dir_arg]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "`rename-colum` is neither a rule nor a group (did you mean `rename-column`?)"
        ),
        "{stderr}"
    );
    std::fs::remove_file(dir.path().join("lockstep.toml")).unwrap();
    let (_, stdout, _) = output(&["check", dir_arg]);
    assert!(
        stdout.contains(
            "unknown rule `create-index-non-concurently` (did you mean `create-index-non-concurrently`?)"
        ),
        "{stdout}"
    );
}

#[test]
fn no_matching_migration_exits_2_unless_allowed() {
    let (code, stdout, stderr) = output(&["check", REPORT, "--include", "**/*.psql"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("no migration file matched: paths `fixtures/report`, include `**/*.psql`"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-no-files"), "{stderr}");
    let (code, stdout, _) = output(&[
        "check",
        REPORT,
        "--include",
        "**/*.psql",
        "--allow-no-files",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("0 files"), "{stdout}");
}

#[test]
fn an_invalid_glob_is_a_usage_error_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    for (flag, glob) in [("--include", "db/[a.sql"), ("--exclude", "**/{seed")] {
        let out = lockstep()
            .args(["check", REPORT, flag, glob, "--output"])
            .arg(&report)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{flag}: `{glob}` is not a valid")),
            "{stderr}"
        );
        assert!(!report.exists(), "nothing was linted or written");
    }
    std::fs::write(dir.path().join("lockstep.toml"), "exclude = [\"a[\"]\n").unwrap();
    std::fs::write(dir.path().join("V1__a.sql"), "SELECT 1;\n").unwrap();
    let (code, _, stderr) = output(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("lockstep.toml: `a[` is not a valid exclude glob"),
        "{stderr}"
    );
}

#[test]
fn json_findings_carry_the_sarif_fingerprint_and_fix_edits() {
    let (_, json, _) = output(&["check", REPORT, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["tool"]["name"], "lockstep");
    assert_eq!(json["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let (_, sarif, _) = output(&["check", REPORT, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(findings.len(), results.len());
    let mut fixes = 0;
    for (finding, result) in findings.iter().zip(results) {
        assert_eq!(finding["rule"], result["ruleId"]);
        assert_eq!(
            finding["fingerprint"],
            result["partialFingerprints"]["lockstepStatement/v1"]
        );
        let Some(edits) = finding["fix"]["edits"].as_array() else {
            assert!(result["fixes"].is_null(), "{result}");
            continue;
        };
        fixes += 1;
        let replacements = result["fixes"][0]["artifactChanges"][0]["replacements"]
            .as_array()
            .unwrap();
        assert_eq!(edits.len(), replacements.len());
        for (edit, replacement) in edits.iter().zip(replacements) {
            let region = &replacement["deletedRegion"];
            assert_eq!(edit["line"], region["startLine"]);
            assert_eq!(edit["column"], region["startColumn"]);
            assert_eq!(edit["end_line"], region["endLine"]);
            assert_eq!(edit["end_column"], region["endColumn"]);
            assert_eq!(edit["replacement"], replacement["insertedContent"]["text"]);
        }
    }
    assert!(fixes > 0, "the fixture has a finding with a fix");
}

#[test]
fn one_run_writes_every_report_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let report_arg = |format: &str, name: &str| format!("{format}={}", file(name).display());
    let args = [
        "check".to_string(),
        REPORT.to_string(),
        "--format".to_string(),
        "github".to_string(),
        "--report".to_string(),
        report_arg("sarif", "r.sarif"),
        "--report".to_string(),
        report_arg("json", "r.json"),
        "--report".to_string(),
        report_arg("markdown", "r.md"),
    ];
    let out = lockstep().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (_, github, _) = output(&["check", REPORT, "--format", "github"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), github);
    for (format, name) in [
        ("sarif", "r.sarif"),
        ("json", "r.json"),
        ("markdown", "r.md"),
    ] {
        let (_, alone, _) = output(&["check", REPORT, "--format", format]);
        assert_eq!(
            std::fs::read_to_string(file(name)).unwrap(),
            alone,
            "{format}"
        );
    }
    // Existing files are replaced only with --force, and a refusal writes none of them.
    std::fs::write(file("r.json"), "mine").unwrap();
    std::fs::remove_file(file("r.sarif")).unwrap();
    let out = lockstep().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(file("r.json")).unwrap(), "mine");
    assert!(!file("r.sarif").exists());
    let out = lockstep().args(&args).arg("--force").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(file("r.sarif").exists());
    for bad in [
        &["--report", "yaml=r.yaml"][..],
        &["--report", "json"],
        &["--report", "json=r.json", "--report", "sarif=r.json"],
    ] {
        let (code, _, stderr) = output(&[&["check", REPORT][..], bad].concat());
        assert_eq!(code, 2, "{bad:?}: {stderr}");
    }
}

#[test]
fn the_man_page_lists_the_commands() {
    let (code, page, _) = output(&["manpage"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH lockstep 1"), "{page}");
    assert!(page.contains(".SH NAME\nlockstep \\- Lint SQL"), "{page}");
    for command in ["check", "explain", "plan", "init", "completions"] {
        assert!(page.contains(command), "{command}");
    }
}

#[test]
fn the_committed_config_schema_is_current() {
    let (code, schema, _) = output(&["config-schema"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lockstep.schema.json"),
    )
    .unwrap();
    assert!(
        committed == schema,
        "docs/lockstep.schema.json is stale: run `cargo run -- config-schema > docs/lockstep.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn markdown_links_files_and_lines_under_a_source_url() {
    let base = "https://github.com/octo/shop/blob/0123abcd";
    let (code, markdown, _) = output(&[
        "check",
        REPORT,
        "--format",
        "markdown",
        "--source-url",
        &format!("{base}/"),
    ]);
    assert_eq!(code, 1);
    let file = format!("{base}/fixtures/report/db/migrations/V2__orders_status.sql");
    assert!(
        markdown.contains(&format!(
            "### [`fixtures/report/db/migrations/V2__orders_status.sql`]({file})\n"
        )),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!(" | [3]({file}#L3) | ")),
        "{markdown}"
    );
    // Only URLs that cannot break out of a markdown link are taken.
    for bad in [
        "javascript:alert(1)",
        "https://x/a)b",
        "https://x/a b",
        "ftp://x",
    ] {
        let (code, _, stderr) = output(&["check", REPORT, "--source-url", bad]);
        assert_eq!(code, 2, "{bad}: {stderr}");
    }
}
