//! Pull requests come from strangers: their file names, file types, identifiers and SQL
//! are the attacker's. These tests plant what a hostile commit can hold and check that
//! lockstep neither leaks, hangs, nor writes where it should not.

#![cfg(unix)]

use assert_cmd::Command;
use lockstep::dialect::Dialect;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

fn lockstep() -> Command {
    let mut cmd = Command::cargo_bin("lockstep").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

const REPORT: &str = "fixtures/report";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path for the duration of the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn output_never_overwrites_an_existing_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(&report, "keep me").unwrap();
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = lockstep()
        .args(["check", REPORT, "--format", "json", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("pass --force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "keep me");

    let out = lockstep()
        .args(["check", REPORT, "--format", "json", "--force", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("\"findings\""));
    let mode = std::fs::metadata(&report).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640, "a replaced report keeps its mode");
}

#[test]
fn output_never_replaces_a_symlink_or_a_fifo_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.path().join("report.json");
    symlink(&victim, &link).unwrap();
    let fifo = dir.path().join("report.fifo");
    mkfifo(&fifo);
    for target in [&link, &fifo] {
        let out = lockstep()
            .args(["check", REPORT, "--format", "json", "--force", "--output"])
            .arg(target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    for format in ["text", "json", "sarif", "github", "markdown"] {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors `pipe` writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors were just opened and nothing else owns them.
        let (reader, writer) = unsafe {
            use std::os::fd::FromRawFd;
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        };
        // Closed before lockstep writes a byte, as `| head -1` is after its first line.
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("lockstep"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", REPORT, "--format", format])
            .stdout(std::process::Stdio::from(writer))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{format}");
    }
}

/// Plans `change` (after a migration creating `t`) for `dialect` with `--out` in `layout`
/// and returns every file written, with its name.
fn plan_files(dialect: Dialect, change: &str, layout: &str) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("V1__create.sql"),
        "CREATE TABLE t (id bigserial PRIMARY KEY, a text NOT NULL);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("V2__change.sql"), change).unwrap();
    let out = lockstep()
        .current_dir(dir.path())
        .args([
            "plan",
            "V2__change.sql",
            "--out",
            "plan",
            "--layout",
            layout,
        ])
        .args(["--dialect", &dialect.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{layout}: {}", stderr(&out));
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir.path().join("plan"))
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            (entry.file_name().to_string_lossy().into_owned(), text)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{layout}: no files written");
    files
}

/// The statements lockstep's own splitter finds in `text`.
fn statements(text: &str, dialect: Dialect) -> Vec<&str> {
    lockstep::split::split(text, dialect)
        .statements
        .iter()
        .map(|s| s.span.text(text))
        .collect()
}

/// `sql` without its comments, quoted identifiers and string literals: the words a server
/// would run as code (dollar-quoted bodies are kept, as a function body runs too).
fn live_code(sql: &str) -> String {
    let mut code = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                // A doubled quote inside is an escaped one: skipping it reopens at once.
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' || d == '\r' {
                        break;
                    }
                }
            }
            _ => code.push(c),
        }
    }
    code
}

#[test]
fn a_newline_in_an_identifier_never_becomes_a_live_statement_in_a_plan() {
    let postgres = "ALTER TABLE t RENAME COLUMN a TO \"x\nDROP TABLE accounts; --\";\n";
    let mysql = "ALTER TABLE t RENAME COLUMN a TO `x\nDROP TABLE accounts; --`;\n";
    let cases = [
        (Dialect::Postgres, postgres, "flyway"),
        (Dialect::Postgres, postgres, "golang-migrate"),
        (Dialect::Postgres, postgres, "sqlx"),
        (Dialect::Postgres, postgres, "dbmate"),
        (Dialect::Postgres, postgres, "goose"),
        (Dialect::Postgres, postgres, "plain"),
        (Dialect::Mysql, mysql, "flyway"),
        (Dialect::Mysql, mysql, "goose"),
        (Dialect::Mysql, mysql, "plain"),
    ];
    for (dialect, change, layout) in cases {
        for (name, text) in plan_files(dialect, change, layout) {
            for statement in statements(&text, dialect) {
                assert!(
                    !live_code(statement).contains("DROP TABLE accounts"),
                    "{layout} {name}: live statement:\n{statement}\n---- file:\n{text}"
                );
            }
            for line in text.lines().filter(|l| l.starts_with("--")) {
                assert!(
                    !line.contains(char::is_control),
                    "{layout} {name}: {line:?}"
                );
            }
        }
    }
}

/// The dollar-quote tag opening the body of `statement` (`$$`, `$tag$`), if it has one.
fn dollar_tag(statement: &str) -> Option<&str> {
    let start = statement.find(" AS $").or_else(|| statement.find("DO $"))?;
    let open = start + statement[start..].find('$')?;
    let close = open + 1 + statement[open + 1..].find('$')?;
    Some(&statement[open..=close])
}

#[test]
fn a_dollar_quote_in_an_identifier_never_closes_a_generated_body() {
    let change = "ALTER TABLE t RENAME COLUMN a TO \"y$$ $lockstep$\";\n";
    let mut bodies = 0;
    for (name, text) in plan_files(Dialect::Postgres, change, "plain") {
        for statement in statements(&text, Dialect::Postgres) {
            let Some(tag) = dollar_tag(statement) else {
                continue;
            };
            let open = statement.find(tag).unwrap() + tag.len();
            let close = statement.rfind(tag).unwrap();
            assert!(open <= close, "{name}: unclosed {tag} in:\n{statement}");
            assert!(
                !statement[open..close].contains(tag),
                "{name}: {tag} occurs inside its body:\n{statement}"
            );
            bodies += 1;
        }
    }
    assert!(bodies > 0, "the rename plan has a trigger function");
}

/// A risky statement lockstep reports (rule `create-index-non-concurrently`).
const RISKY: &str = "CREATE INDEX t_a ON t (a);\n";
const CREATE: &str = "CREATE TABLE t (id bigint PRIMARY KEY, a text);\n";

/// `lockstep check ARGS --format json` in `dir`, stopped after 60 s so that a hang fails
/// the test instead of the whole run: (exit code, report, stderr).
fn check_json(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = lockstep()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), report, stderr(&out))
}

/// The files with findings, and the `(file, message)` of each error, of a JSON report.
fn files_and_errors(report: &serde_json::Value) -> (Vec<String>, Vec<(String, String)>) {
    let mut files: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    files.dedup();
    let errors = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |name: &str| e[name].as_str().unwrap().to_string();
            (field("file"), field("message"))
        })
        .collect();
    (files, errors)
}

#[test]
fn symlinks_out_of_the_linted_folder_are_skipped_and_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("db")).unwrap();
    std::fs::create_dir_all(root.join("secret")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join("secret/config"), "SECRET_TOKEN=hunter2;\n").unwrap();
    std::fs::write(root.join("secret/leak.sql"), "SECRET_TOKEN;\n").unwrap();
    std::fs::write(root.join(".git/config"), "GIT_TOKEN=hunter2;\n").unwrap();
    std::fs::write(root.join("db/V1__create.sql"), CREATE).unwrap();
    std::fs::write(root.join("db/V3__index.sql"), RISKY).unwrap();
    symlink("../secret/config", root.join("db/V2__file.sql")).unwrap();
    symlink("../secret", root.join("db/linked")).unwrap();

    // Linting `db`: the link to a file and the link to a folder both leave it.
    let (code, report, _) = check_json(root, &["db"]);
    assert!(!report.to_string().contains("SECRET_TOKEN"), "{report:#}");
    let (files, errors) = files_and_errors(&report);
    assert_eq!(
        files,
        ["db/V3__index.sql"],
        "the other files are still linted"
    );
    let skipped: Vec<&str> = errors.iter().map(|(file, _)| file.as_str()).collect();
    assert_eq!(skipped, ["db/linked", "db/V2__file.sql"], "{errors:?}");
    assert!(
        errors.iter().all(|(_, m)| m.contains("symlink")),
        "{errors:?}"
    );
    assert_eq!(
        code,
        Some(2),
        "a skipped file is an error, as an unreadable one is"
    );

    // Naming the link itself (as a pre-commit hook does): skipped, and reported once.
    let (code, report, _) = check_json(root, &["db/V2__file.sql"]);
    assert!(!report.to_string().contains("SECRET_TOKEN"), "{report:#}");
    let (_, errors) = files_and_errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "db/V2__file.sql");
    assert_eq!(code, Some(2));

    // Naming a later file: the link, only replayed for schema knowledge, is still reported.
    let (code, report, _) = check_json(root, &["db/V3__index.sql"]);
    assert!(!report.to_string().contains("SECRET_TOKEN"), "{report:#}");
    let (files, errors) = files_and_errors(&report);
    assert_eq!(files, ["db/V3__index.sql"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "db/V2__file.sql");
    assert_eq!(code, Some(2));

    // An excluded link is neither read nor reported.
    let (code, report, _) = check_json(root, &["db", "--exclude", "V2__*", "--exclude", "linked"]);
    let (files, errors) = files_and_errors(&report);
    assert_eq!(files, ["db/V3__index.sql"]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(code, Some(1));

    // Linting the whole checkout: `.git` is inside it, but hidden and never linted.
    std::fs::remove_file(root.join("db/V2__file.sql")).unwrap();
    std::fs::remove_file(root.join("db/linked")).unwrap();
    symlink("../.git/config", root.join("db/V2__file.sql")).unwrap();
    let (code, report, _) = check_json(root, &["."]);
    assert!(!report.to_string().contains("GIT_TOKEN"), "{report:#}");
    let (_, errors) = files_and_errors(&report);
    assert_eq!(
        errors,
        [(
            "db/V2__file.sql".to_string(),
            "skipped: a symlink into the hidden folder .git, not followed".to_string()
        )]
    );
    assert_eq!(code, Some(2));
}

#[test]
fn symlinks_inside_the_linted_folder_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir_all(db.join("shared")).unwrap();
    std::fs::write(db.join("V1__create.sql"), CREATE).unwrap();
    std::fs::write(db.join("shared/index.sql"), RISKY).unwrap();
    symlink("shared/index.sql", db.join("V2__index.sql")).unwrap();
    let (code, report, stderr) = check_json(dir.path(), &["db/V2__index.sql"]);
    let (files, errors) = files_and_errors(&report);
    assert_eq!(files, ["db/V2__index.sql"], "{stderr}");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(code, Some(1));
}

#[test]
fn a_fifo_named_sql_is_skipped_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(db.join("V1__create.sql"), CREATE).unwrap();
    std::fs::write(
        db.join("V2__rename.sql"),
        "ALTER TABLE t RENAME COLUMN a TO b;\n",
    )
    .unwrap();
    mkfifo(&db.join("V3__fifo.sql"));
    std::fs::write(db.join("V4__index.sql"), RISKY).unwrap();

    let (code, report, _) = check_json(dir.path(), &["db"]);
    let (files, errors) = files_and_errors(&report);
    assert_eq!(files, ["db/V2__rename.sql", "db/V4__index.sql"]);
    assert_eq!(
        errors,
        [(
            "db/V3__fifo.sql".to_string(),
            "skipped: not a regular file but a FIFO".to_string()
        )]
    );
    assert_eq!(code, Some(2));

    // `plan` reads the whole folder to recognise its framework: the FIFO must not stop it.
    let out = lockstep()
        .current_dir(dir.path())
        .args(["plan", "db/V2__rename.sql"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_file_over_max_file_size_is_reported_and_the_others_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lockstep.toml"), "max-file-size = 100\n").unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(db.join("V1__create.sql"), CREATE).unwrap();
    let big = format!("{}{RISKY}", "-- padding\n".repeat(20));
    std::fs::write(db.join("V2__big.sql"), &big).unwrap();
    std::fs::write(db.join("V3__index.sql"), RISKY).unwrap();
    let (code, report, _) = check_json(dir.path(), &["db"]);
    let (files, errors) = files_and_errors(&report);
    assert_eq!(files, ["db/V3__index.sql"]);
    assert_eq!(
        errors,
        [(
            "db/V2__big.sql".to_string(),
            format!(
                "skipped: {} bytes, over the max-file-size limit of 100 bytes",
                big.len()
            )
        )]
    );
    assert_eq!(code, Some(2));
}

/// A line break or terminal escape in a quoted name never reaches the terminal raw, in the
/// text report or on stderr, and cannot forge a line that looks like lockstep's own.
#[test]
fn control_characters_from_input_are_escaped_in_text_output() {
    let dir = tempfile::tempdir().unwrap();
    let sql = "ALTER TABLE \"a\nerror[forged]: b\" RENAME COLUMN x TO \"y\x1b[31mred\";\n";
    std::fs::write(dir.path().join("V1__x.sql"), sql).unwrap();
    let out = lockstep().arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\x1b'), "{stdout}");
    assert!(
        !stdout.lines().any(|line| line.starts_with("error[forged]")),
        "{stdout}"
    );
    assert!(stdout.contains("a\\nerror[forged]: b"), "{stdout}");
}

/// Tens of thousands of chained operators make a syntax tree that deep: the run must not
/// overflow its stack, and the statements after it are still checked.
#[test]
fn a_statement_of_35000_chained_operators_does_not_take_the_run_down() {
    let dir = tempfile::tempdir().unwrap();
    let chained = format!("SELECT 1{};\n", " + 1".repeat(35_000));
    let predicate: Vec<String> = (0..20_000).map(|i| format!("id = {i}")).collect();
    let sql = format!(
        "{chained}DELETE FROM t WHERE {};\nALTER TABLE users ADD COLUMN nickname text;\n",
        predicate.join(" OR ")
    );
    std::fs::write(dir.path().join("V1__deep.sql"), sql).unwrap();
    let out = lockstep()
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("missing-lock-timeout"), "{stdout}");
}

/// Thousands of statements on one line: each SARIF result must not carry the whole line
/// (the report would grow with findings times line length).
#[test]
fn sarif_stays_proportional_to_the_input_on_one_long_line() {
    let dir = tempfile::tempdir().unwrap();
    let line: String = (0..3_000).map(|i| format!("DROP TABLE t{i}; ")).collect();
    std::fs::write(dir.path().join("V1__one_line.sql"), format!("{line}\n")).unwrap();
    let out = lockstep()
        .args(["check", "--format", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let per_result = out.stdout.len() / 3_000;
    // About 50 KB of input; the whole line repeated per result would be about 100 KB each.
    assert!(per_result < 8_000, "{per_result} bytes of SARIF per result");
}

/// Text output on a long line shows a window around each finding (the renderer's work per
/// finding stays bounded) but still states the line's own column, and the other findings
/// on a short line are shown whole, as before.
#[test]
fn text_states_the_true_column_of_a_finding_deep_in_a_long_line() {
    let dir = tempfile::tempdir().unwrap();
    let padding = "SELECT 1; ".repeat(100);
    std::fs::write(
        dir.path().join("V1__long_line.sql"),
        format!("DROP TABLE a;\n{padding}DROP TABLE é;\n"),
    )
    .unwrap();
    let out = lockstep()
        .current_dir(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("V1__long_line.sql:1:1\n"), "{stdout}");
    assert!(stdout.contains("V1__long_line.sql:2:1001\n"), "{stdout}");
    assert!(stdout.contains("1 | DROP TABLE a;\n"), "{stdout}");
    assert!(stdout.contains("2 | ...ELECT 1;"), "{stdout}");
    assert!(
        stdout.contains("SELECT 1; SELECT 1; DROP TABLE é;\n"),
        "{stdout}"
    );
}

/// A file name that is not UTF-8 is shown lossily, but the `lockstep plan` command printed
/// for its finding names the file itself: bash, given the printed word, finds it.
#[cfg(unix)]
#[test]
fn the_plan_command_for_a_file_named_in_no_encoding_names_that_file() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"V2__caf\xe9 it's.sql");
    std::fs::write(
        dir.path().join("V1__orders.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY, placed timestamptz);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(name),
        "ALTER TABLE orders RENAME COLUMN placed TO placed_at;\n",
    )
    .unwrap();
    let out = lockstep()
        .current_dir(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let command = stdout
        .lines()
        .find_map(|line| line.split("phased plan: `").nth(1))
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no plan command in:\n{stdout}"));
    let word = command
        .strip_prefix("lockstep plan ")
        .and_then(|rest| rest.rsplit_once(" --line "))
        .map(|(word, _)| word)
        .unwrap_or_else(|| panic!("unexpected command {command}"));
    let found = std::process::Command::new("bash")
        .current_dir(dir.path())
        .args(["-c", &format!("test -f {word}")])
        .status()
        .unwrap();
    assert!(found.success(), "bash finds no file named {word}");
}

/// A dangling link or a link loop that is no migration (by name, or excluded) is not an input
/// error; one named like a migration still is.
#[cfg(unix)]
#[test]
fn broken_links_that_are_no_migrations_do_not_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(db.join("V1__a.sql"), "CREATE TABLE a (id int);\n").unwrap();
    std::os::unix::fs::symlink("/nonexistent", db.join("notes.txt")).unwrap();
    std::os::unix::fs::symlink("loop_b", db.join("loop_a")).unwrap();
    std::os::unix::fs::symlink("loop_a", db.join("loop_b")).unwrap();
    let run = |extra: &[&str]| {
        lockstep()
            .current_dir(dir.path())
            .arg("check")
            .arg(".")
            .args(extra)
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    std::os::unix::fs::symlink("/nonexistent", db.join("V2__gone.sql")).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("V2__gone.sql"));
    assert_eq!(
        run(&["--exclude", "db/V2__gone.sql"]).status.code(),
        Some(0)
    );
}

/// Discovery reads a flat folder's files to recognise their framework; linting then uses
/// that text instead of reading each file a second time. Counted with strace (skipped where
/// it is missing or not permitted): every migration is opened exactly once.
#[test]
fn every_migration_file_is_opened_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(db.join("V1__create.sql"), CREATE).unwrap();
    std::fs::write(db.join("V2__index.sql"), RISKY).unwrap();
    std::fs::write(db.join("V3__rename.sql"), "ALTER TABLE t RENAME a TO b;\n").unwrap();
    let trace = dir.path().join("trace.txt");
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=open,openat", "-o"])
        .arg(&trace)
        .arg(assert_cmd::cargo::cargo_bin("lockstep"))
        .current_dir(dir.path())
        .args(["check", "db"])
        .output();
    let Ok(out) = out else {
        eprintln!("strace not installed: skipped");
        return;
    };
    if !trace.exists() || out.status.code() != Some(1) {
        eprintln!("strace cannot trace here: skipped ({})", stderr(&out));
        return;
    }
    let trace = std::fs::read_to_string(&trace).unwrap();
    for name in ["V1__create.sql", "V2__index.sql", "V3__rename.sql"] {
        let opens = trace
            .lines()
            .filter(|line| line.contains(&format!("db/{name}\"")))
            .count();
        assert_eq!(opens, 1, "{name} opened {opens} times:\n{trace}");
    }
}

/// The markdown report shows a plan's files, whose SQL holds the pull request's names: read
/// by a CommonMark parser (GitHub renders with one), none of them leaves its code block, so
/// no HTML but lockstep's own `<details>` renders and no heading or list item is forged.
#[test]
fn a_plan_in_the_markdown_report_cannot_leave_its_code_block() {
    let dir = tempfile::tempdir().unwrap();
    let table = "\"t</details><script>alert(1)</script>\"";
    std::fs::write(
        dir.path().join("V1__create.sql"),
        format!("CREATE TABLE {table} (id bigint PRIMARY KEY, \"a````b\" text);\n"),
    )
    .unwrap();
    // A lone CR and a CRLF end a markdown line as LF does.
    // A line of backticks only would close a fence no longer than it.
    let renamed = "\"x\r</details>\n### forged heading\r\n- forged item\n<img src=x onerror=alert(2)>\n````\nend\"";
    std::fs::write(
        dir.path().join("V2__rename.sql"),
        format!("ALTER TABLE {table} RENAME COLUMN \"a````b\" TO {renamed};\n"),
    )
    .unwrap();
    let out = lockstep()
        .current_dir(dir.path())
        .args(["check", ".", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let markdown = String::from_utf8(out.stdout).unwrap();

    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut in_code_block = false;
    let mut heading: Option<String> = None;
    let mut code_blocks = String::new();
    let mut html = Vec::new();
    let mut headings = Vec::new();
    for event in Parser::new(&markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Text(text) | Event::Code(text) => {
                if in_code_block {
                    code_blocks.push_str(&text);
                }
                if let Some(heading) = &mut heading {
                    heading.push_str(&text);
                }
            }
            Event::Html(text) | Event::InlineHtml(text) => html.push(text.trim().to_string()),
            _ => {}
        }
    }
    // The plan is there, hostile names and all: the test is not passing on an empty report.
    for shown in [
        "ADD COLUMN",
        "<script>alert(1)</script>",
        "### forged heading",
        "a````b",
    ] {
        assert!(
            code_blocks.contains(shown),
            "{shown} not in a code block:\n{markdown}"
        );
    }
    for tag in &html {
        let own = tag == "</details>"
            || tag == "<details><summary>Safe plan</summary>"
            || (tag.starts_with("<details><summary>The plan: ")
                && tag.ends_with(" files</summary>"));
        assert!(own, "HTML from input renders: {tag}\n{markdown}");
    }
    let opened = html.iter().filter(|t| t.starts_with("<details>")).count();
    let closed = html.iter().filter(|t| *t == "</details>").count();
    assert!(opened >= 2 && opened == closed, "{html:?}\n{markdown}");
    assert!(
        headings.iter().all(|h| !h.contains("forged")),
        "{headings:?}\n{markdown}"
    );
    assert!(!markdown.contains("\n- forged item"), "{markdown}");
}
