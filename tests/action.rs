//! The GitHub Action as GitHub runs it: its shell steps (`scripts/action/*.sh`, which
//! `action.yml` calls) run here with the variables a runner sets, in a temporary git
//! repository with a base commit and a pull-request commit. Also: actionlint is clean on
//! every workflow and on the README's workflow snippet, and no `run:` line of `action.yml`
//! splices an expression into shell code.

mod support;

use support::git::git;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A checkout as actions/checkout leaves it on a pull request: base commit on `main`, the
/// pull request's commit on top; and a runner's temporary folder beside it.
struct Runner {
    workspace: tempfile::TempDir,
    temp: tempfile::TempDir,
    base_sha: String,
    head_sha: String,
}

impl Runner {
    fn new() -> Runner {
        let workspace = tempfile::tempdir().unwrap();
        let repo = workspace.path();
        git(repo, &["init", "-q"]);
        write(
            &repo.join("db/migrations/V1__create_orders.sql"),
            "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz);\n",
        );
        // Risky, but merged long ago: the action must not report it on this pull request.
        write(
            &repo.join("db/migrations/V2__index_orders.sql"),
            "CREATE INDEX orders_id_idx ON orders (id);\n",
        );
        git(repo, &["add", "."]);
        git(repo, &["commit", "-q", "-m", "base"]);
        let base_sha = git(repo, &["rev-parse", "HEAD"]);
        git(repo, &["checkout", "-q", "-b", "feature"]);
        write(
            &repo.join("db/migrations/V3__index_placed_at.sql"),
            "SET lock_timeout = '2s';\nCREATE INDEX orders_placed_at_idx ON orders (placed_at);\n",
        );
        git(repo, &["add", "."]);
        git(repo, &["commit", "-q", "-m", "index placed_at"]);
        let head_sha = git(repo, &["rev-parse", "HEAD"]);
        Runner {
            workspace,
            temp: tempfile::tempdir().unwrap(),
            base_sha,
            head_sha,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }

    /// Runs one of the action's scripts with the environment GitHub gives a composite
    /// step, plus the `INPUT_*` variables `action.yml` passes through `env:`.
    fn run(&self, script: &str, inputs: &[(&str, &str)]) -> Output {
        let event = serde_json::json!({
            "pull_request": {
                "number": 7,
                "base": {"sha": self.base_sha},
                "head": {"sha": self.head_sha},
            }
        });
        self.run_on(event, script, inputs)
    }

    /// Runs a script with `payload` as the event (`GITHUB_EVENT_NAME` among the inputs).
    fn run_on(&self, payload: serde_json::Value, script: &str, inputs: &[(&str, &str)]) -> Output {
        let event = self.file("event.json");
        write(&event, &payload.to_string());
        let mut command = Command::new("bash");
        command
            .arg(root().join("scripts/action").join(script))
            .current_dir(self.temp.path())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", &event)
            .env("GITHUB_WORKSPACE", self.workspace.path())
            .env("GITHUB_STEP_SUMMARY", self.file("summary.md"))
            .env("GITHUB_OUTPUT", self.file("output.txt"))
            .env("GITHUB_REPOSITORY", "octo/shop")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_ACTION_PATH", root())
            .env("RUNNER_TEMP", self.temp.path())
            .env("LOCKSTEP_BIN", env!("CARGO_BIN_EXE_lockstep"))
            // The defaults action.yml declares.
            .env("INPUT_PATHS", ".")
            .env("INPUT_FAIL_ON", "")
            .env("INPUT_SARIF_FILE", "lockstep.sarif")
            .env("INPUT_ANNOTATIONS", "true")
            .env("INPUT_SUMMARY", "true");
        for (name, value) in inputs {
            command.env(name, value);
        }
        command.output().unwrap()
    }

    fn outputs(&self) -> Vec<(String, String)> {
        self.read("output.txt")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn output(&self, name: &str) -> String {
        self.outputs()
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }
}

#[test]
fn pull_request_run_lints_only_the_new_migration() {
    let runner = Runner::new();
    let out = runner.run("run.sh", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");

    // SARIF: valid JSON of the right shape, covering every file (code scanning compares it
    // with the base branch's upload), while the rest reports only the new file.
    let sarif_path = runner.workspace.path().join("lockstep.sarif");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "lockstep");
    let uris: std::collections::BTreeSet<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris.into_iter().collect::<Vec<_>>(),
        [
            "db/migrations/V2__index_orders.sql",
            "db/migrations/V3__index_placed_at.sql"
        ]
    );
    assert_eq!(run["automationDetails"]["id"], "lockstep/postgres/./");

    // Annotations on standard output, for the new file only.
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 1, "{stdout}");
    assert!(annotations[0]
        .starts_with("::error file=db/migrations/V3__index_placed_at.sql,line=2,col=1,"));

    // The job summary.
    let summary = runner.read("summary.md");
    assert!(summary.starts_with("## lockstep: 1 error"), "{summary}");
    // Files and lines link to the pull request's head commit.
    let file_url = format!(
        "https://github.com/octo/shop/blob/{}/db/migrations/V3__index_placed_at.sql",
        runner.head_sha
    );
    assert!(
        summary.contains(&format!(
            "### [`db/migrations/V3__index_placed_at.sql`]({file_url})"
        )),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("[2]({file_url}#L2)")),
        "{summary}"
    );
    assert!(!summary.contains("V2__index_orders"));

    // The step outputs.
    assert_eq!(runner.output("findings"), "1");
    assert_eq!(runner.output("errors"), "1");
    assert_eq!(runner.output("warnings"), "0");
    assert_eq!(runner.output("sarif-file"), "lockstep.sarif");
    assert_eq!(runner.output("category"), "lockstep/postgres/./");
}

#[test]
fn exit_status_follows_fail_on() {
    let runner = Runner::new();
    let out = runner.run("run.sh", &[("INPUT_FAIL_ON", "never")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(runner.output("errors"), "1");
    // Without the input, the config file decides; with it, the input wins.
    write(
        &runner.workspace.path().join("lockstep.toml"),
        "fail_on = \"never\"\n",
    );
    assert_eq!(runner.run("run.sh", &[]).status.code(), Some(0));
    let out = runner.run("run.sh", &[("INPUT_FAIL_ON", "error")]);
    assert_eq!(out.status.code(), Some(1));
    std::fs::remove_file(runner.workspace.path().join("lockstep.toml")).unwrap();
    // Annotations and summary can be switched off.
    let out = runner.run(
        "run.sh",
        &[("INPUT_ANNOTATIONS", "false"), ("INPUT_SUMMARY", "false")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("::error"));
}

#[test]
fn push_runs_lint_what_the_push_brought_and_a_bad_since_exits_2() {
    let runner = Runner::new();
    let push = [("GITHUB_EVENT_NAME", "push")];
    let out = runner.run("run.sh", &push);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        runner.output("errors"),
        "2",
        "no `before` in the payload: every file, and V2 and V3 both index orders"
    );
    let before = |sha: &str| serde_json::json!({ "before": sha });
    let out = runner.run_on(before(&runner.base_sha), "run.sh", &push);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(runner.output("errors"), "1", "only V3 came with the push");
    // A new branch (all zeros) or a force push (a commit not in the history): every file.
    for sha in [
        "0".repeat(40),
        "1234567890abcdef1234567890abcdef12345678".to_string(),
    ] {
        let out = runner.run_on(before(&sha), "run.sh", &push);
        assert_eq!(out.status.code(), Some(1), "{sha}");
        assert_eq!(runner.output("errors"), "2", "{sha}");
    }
    let out = runner.run("run.sh", &[("INPUT_SINCE", "no-such-ref")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such commit"));
}

/// `comment.sh` against a stand-in `gh` that records its calls: the first run posts a
/// comment with the marker, a later run finds it and updates it in place.
#[test]
fn comment_is_posted_once_then_updated() {
    let runner = Runner::new();
    assert_eq!(runner.run("run.sh", &[]).status.code(), Some(1));
    let markdown = runner.output("markdown-file");
    let bin = runner.temp.path().join("bin");
    let calls = runner.file("gh-calls.txt");
    let existing = runner.file("gh-existing.txt");
    write(
        &bin.join("gh"),
        "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> \"$GH_CALLS\"\n\
         if [[ \"$*\" == *--paginate* ]]; then cat \"$GH_EXISTING\" 2>/dev/null || true; fi\n\
         if [[ \"$1 $2\" == 'api user' ]]; then exit 1; fi\n",
    );
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("gh"))
        .status()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let comment = |calls_expected: &str| {
        let mut command = Command::new("bash");
        let out = command
            .arg(root().join("scripts/action/comment.sh"))
            .env("PATH", &path)
            .env("GH_CALLS", &calls)
            .env("GH_EXISTING", &existing)
            .env("GITHUB_REPOSITORY", "octo/shop")
            .env("GITHUB_EVENT_PATH", runner.file("event.json"))
            .env("LOCKSTEP_MARKDOWN", &markdown)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = std::fs::read_to_string(&calls).unwrap();
        assert!(log.contains(calls_expected), "{log}");
        // Only the token's own comments are candidates: a GITHUB_TOKEN's are the bot's.
        assert!(
            log.contains(r#"select(.user.login == "github-actions[bot]" and"#),
            "{log}"
        );
        assert!(log.contains("body=<!-- lockstep-report -->\n## lockstep: 1 error"));
    };
    comment("api --method POST repos/octo/shop/issues/7/comments");
    write(&existing, "4242\n");
    comment("api --method PATCH repos/octo/shop/issues/comments/4242");
}

fn actionlint() -> Option<PathBuf> {
    let local = root().join("target/tools/venv/bin/actionlint");
    if local.is_file() {
        return Some(local);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "actionlint is missing in CI: scripts/install-test-deps.sh installs it"
    );
    eprintln!("skipped: actionlint not installed (run scripts/install-test-deps.sh)");
    None
}

/// The body of the fenced block after `<!-- snippet:NAME -->` in the README.
pub fn readme_snippet(name: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let marker = format!("<!-- snippet:{name} -->");
    let after = &readme[readme.find(&marker).expect("README snippet marker") + marker.len()..];
    let start = after.find("```").unwrap();
    let body = &after[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn actionlint_is_clean_on_workflows_and_the_readme_snippet() {
    let Some(actionlint) = actionlint() else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let snippet_dir = tempfile::tempdir().unwrap();
    let snippet = snippet_dir.path().join(".github/workflows/readme.yml");
    write(&snippet, &readme_snippet("github-actions"));
    files.push(snippet);
    // Run from the repository root so `uses: ./` resolves to action.yml, whose metadata
    // actionlint then checks the `with:` inputs against.
    let out = Command::new(actionlint)
        .current_dir(root())
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn action_yml_passes_inputs_through_env_only() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for line in action
        .lines()
        .filter(|l| l.trim_start().starts_with("run:"))
    {
        assert!(!line.contains("${{"), "expression in shell code: {line}");
        let script = line
            .split('"')
            .nth(1)
            .unwrap_or_default()
            .replace("$GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"));
        assert!(Path::new(&script).is_file(), "{line}");
    }
    assert!(
        !action.contains("run: |"),
        "shell steps live in scripts/action/"
    );
}

/// A stand-in for the lockstep binary that logs each call, then runs the real one.
fn counting_lockstep(dir: &Path, log: &Path) -> PathBuf {
    let shim = dir.join("lockstep-shim");
    write(
        &shim,
        &format!(
            "#!/usr/bin/env bash\necho call >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            env!("CARGO_BIN_EXE_lockstep")
        ),
    );
    make_executable(&shim);
    shim
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn one_lockstep_run_writes_every_report_and_annotations_are_capped() {
    let runner = Runner::new();
    // Twelve risky migrations in the pull request: more error annotations than GitHub shows.
    for n in 4..16 {
        write(
            &runner
                .workspace
                .path()
                .join(format!("db/migrations/V{n}__index.sql")),
            &format!("SET lock_timeout = '2s';\nCREATE INDEX i{n} ON orders (placed_at);\n"),
        );
    }
    let calls = runner.file("calls.txt");
    let shim = counting_lockstep(runner.temp.path(), &calls);
    let shim = ("LOCKSTEP_BIN", shim.to_str().unwrap());
    // On push with nothing to compare with, one run writes everything.
    let out = runner.run("run.sh", &[shim, ("GITHUB_EVENT_NAME", "push")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "call\n");
    // On a pull request, one run for the change's reports, one for the full SARIF.
    std::fs::remove_file(&calls).unwrap();
    std::fs::remove_file(runner.file("summary.md")).unwrap();
    let out = runner.run("run.sh", &[shim]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "call\ncall\n");
    assert_eq!(runner.output("errors"), "13");
    let errors = stdout.lines().filter(|l| l.starts_with("::error ")).count();
    assert_eq!(errors, 10, "{stdout}");
    assert!(
        stdout.contains("lockstep-action: 3 more findings not annotated"),
        "{stdout}"
    );
    // The summary still has all of them, and the SARIF every file's: V2's two too (its
    // index, and its lock taken without a lock_timeout).
    assert_eq!(runner.read("summary.md").matches("\n### [`").count(), 13);
    let sarif = std::fs::read_to_string(runner.workspace.path().join("lockstep.sarif")).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 15);
}

/// `shorten.py`, which keeps the summary under 1 MiB and the comment under 65536 characters.
fn shorten(limit: usize, markdown: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.md");
    write(&file, markdown);
    let out = Command::new("python3")
        .arg(root().join("scripts/action/shorten.py"))
        .arg(limit.to_string())
        .arg(&file)
        .arg("the test limit")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn long_reports_are_cut_at_a_file_boundary_with_a_note() {
    let section = |n: usize| format!("### `V{n}.sql`\n\n| error | é{} |\n\n", "x".repeat(200));
    let markdown: String = std::iter::once("## lockstep: 40 errors\n\n".to_string())
        .chain((0..40).map(section))
        .collect();
    assert_eq!(
        shorten(100_000, &markdown),
        markdown,
        "short enough: unchanged"
    );
    let cut = shorten(2_000, &markdown);
    assert!(cut.len() <= 2_000, "{}", cut.len());
    assert!(
        cut.starts_with("## lockstep: 40 errors\n\n### `V0.sql`"),
        "{cut}"
    );
    let kept = cut.matches("### `V").count();
    assert!(kept > 0 && kept < 40, "{kept}");
    // Whole sections only, then the note.
    assert!(cut.contains(&section(kept - 1).trim_end().to_string()));
    assert!(
        cut.ends_with(&format!(
            "_{} of 40 file sections left out to fit the test limit: the JSON report and the code scanning alerts have every finding._\n",
            40 - kept
        )),
        "{cut}"
    );
}

/// lockstep's markdown report of `files` migrations, each building an index (which has a
/// phased plan) on a table whose name holds lines like the report's own: a heading, and the
/// line that closes a plan's files.
fn report_with_plans(files: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let table = "\"t\n### V9.sql\n    </details>\n\"";
    write(
        &dir.path().join("V1__create.sql"),
        &format!("CREATE TABLE {table} (id bigint PRIMARY KEY, a int);\n"),
    );
    for n in 2..files + 2 {
        write(
            &dir.path().join(format!("V{n}__index.sql")),
            &format!("CREATE INDEX i{n} ON {table} (a);\n"),
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(dir.path())
        .args(["check", ".", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn plans_files_are_left_out_before_file_sections() {
    let markdown = report_with_plans(6);
    let plans = markdown.matches("<details><summary>The plan: ").count();
    assert_eq!(plans, 6, "{markdown}");
    let sections = markdown.matches("\n### `V").count();
    // Room for every table but not every plan: the last plans lose their files first.
    let cut = shorten(markdown.len() - 1_000, &markdown);
    assert!(cut.len() <= markdown.len() - 1_000, "{}", cut.len());
    assert_eq!(cut.matches("\n### `V").count(), sections, "{cut}");
    let kept = cut.matches("<details><summary>The plan: ").count();
    assert!(kept > 0 && kept < plans, "{kept}\n{cut}");
    assert_eq!(
        cut.matches("the command above prints them._").count(),
        plans - kept,
        "{cut}"
    );
    // A plan's files go whole, its rollback with its build, and those kept stay whole: the
    // SQL lines that look like a plan's end ended none.
    for statement in ["CREATE INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY"] {
        let lines = |text: &str| text.matches(&format!("\n      {statement}")).count();
        assert_eq!(lines(&markdown), plans, "{markdown}");
        assert_eq!(lines(&cut), kept, "{cut}");
    }
    assert!(
        cut.ends_with(&format!(
            "_The files of {} of {plans} phased plans left out to fit the test limit (`lockstep plan`, the command beside each, prints them)._\n",
            plans - kept
        )),
        "{cut}"
    );
    // No room even for the tables: every plan goes, then whole file sections.
    let cut = shorten(3_000, &markdown);
    assert!(cut.len() <= 3_000, "{}", cut.len());
    assert!(!cut.contains("<details><summary>The plan: "), "{cut}");
    let left = sections - cut.matches("\n### `V").count();
    assert!(left > 0 && left < sections, "{left}\n{cut}");
    assert!(
        cut.ends_with(&format!(
            "_The files of {plans} of {plans} phased plans left out to fit the test limit (`lockstep plan`, the command beside each, prints them); {left} of {sections} file sections left out to fit the test limit: the JSON report and the code scanning alerts have every finding._\n"
        )),
        "{cut}"
    );
}

/// Runs `comment.sh` with a stand-in `gh` whose every call fails with `gh_status`.
fn comment_with(runner: &Runner, event: serde_json::Value, gh_status: i32) -> (Output, String) {
    let bin = runner.temp.path().join("failing-bin");
    let calls = runner.file("failing-gh-calls.txt");
    write(
        &bin.join("gh"),
        &format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> '{}'\nexit {gh_status}\n",
            calls.display()
        ),
    );
    make_executable(&bin.join("gh"));
    let event_file = runner.file("fork-event.json");
    write(&event_file, &event.to_string());
    let markdown = runner.file("report.md");
    write(&markdown, "## lockstep: 1 error\n");
    let out = Command::new("bash")
        .arg(root().join("scripts/action/comment.sh"))
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("GITHUB_REPOSITORY", "octo/shop")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event_file)
        .env("LOCKSTEP_MARKDOWN", &markdown)
        .output()
        .unwrap();
    (out, std::fs::read_to_string(&calls).unwrap_or_default())
}

#[test]
fn a_fork_pull_request_gets_a_notice_not_a_comment() {
    let runner = Runner::new();
    let event = serde_json::json!({"pull_request": {
        "number": 7,
        "head": {"repo": {"full_name": "stranger/shop"}},
        "base": {"repo": {"full_name": "octo/shop"}},
    }});
    let (out, calls) = comment_with(&runner, event, 0);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "::notice title=lockstep comment::pull request from a fork (stranger/shop)"
        ),
        "{stdout}"
    );
    assert!(calls.is_empty(), "no API call on a fork: {calls}");
}

#[test]
fn a_failing_comment_api_is_a_warning_not_a_failure() {
    let runner = Runner::new();
    let event = serde_json::json!({"pull_request": {
        "number": 7,
        "head": {"repo": {"full_name": "octo/shop"}},
        "base": {"repo": {"full_name": "octo/shop"}},
    }});
    let (out, calls) = comment_with(&runner, event, 1);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::warning title=lockstep comment::could not list"),
        "{stdout}"
    );
    assert!(calls.contains("--paginate"), "{calls}");
}

/// A committed file whose name holds a line break and workflow commands (`::error ...::`,
/// `::stop-commands::`) and cannot be read: lockstep reports it, and neither what the lint
/// step prints (annotations, its own log) nor lockstep's stderr, which the runner also
/// parses, carries a line that starts a command from the name.
#[test]
fn a_hostile_file_name_forges_no_workflow_command() {
    let runner = Runner::new();
    let name = "V4__x\n::error file=forged.sql,line=1::forged\n::stop-commands::token\n.sql";
    std::os::unix::fs::symlink(
        "/nonexistent",
        runner.workspace.path().join("db/migrations").join(name),
    )
    .unwrap();
    // On push with nothing to compare with, every file is linted.
    let out = runner.run_on(
        serde_json::json!({}),
        "run.sh",
        &[("GITHUB_EVENT_NAME", "push")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("V4__x"), "the file is reported: {stdout}");
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            !line.starts_with("::error file=forged") && !line.starts_with("::stop-commands"),
            "forged command: {line:?}\n---- stdout:\n{stdout}\n---- stderr:\n{stderr}"
        );
    }
}

/// `since` comes from the workflow (or a pull request's payload): `git fetch` must take it
/// as a revision, never as an option such as `--upload-pack=COMMAND`, which git would run.
#[test]
fn since_reaches_git_fetch_as_a_revision_never_an_option() {
    let runner = Runner::new();
    // A shallow clone with an origin, as actions/checkout leaves one: the script fetches.
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", runner.workspace.path().display());
    let status = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url])
        .arg(clone.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        git(clone.path(), &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let pwned = runner.file("pwned");
    let since = format!("--upload-pack=touch {}", pwned.display());
    let out = runner.run(
        "run.sh",
        &[
            ("GITHUB_WORKSPACE", clone.path().to_str().unwrap()),
            ("INPUT_SINCE", &since),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fetching --upload-pack="),
        "the script tried to fetch: {stderr}"
    );
    assert!(
        !pwned.exists(),
        "git ran the since input as a command: {stderr}"
    );
    assert_eq!(out.status.code(), Some(2), "not a revision: {stderr}");
}

/// Anyone can post a comment starting with the marker: `comment.sh` updates only a marked
/// comment the token's own user (a GITHUB_TOKEN's: github-actions[bot]) wrote, and posts a
/// new one when only strangers' carry the marker. The stand-in `gh` applies the script's
/// `--jq` filter to a list of comments with jq, as gh does.
#[test]
fn a_marker_pasted_by_someone_else_is_never_the_comment_updated() {
    if Command::new("jq").arg("--version").output().is_err() {
        eprintln!("jq not installed: skipped");
        return;
    }
    let runner = Runner::new();
    assert_eq!(runner.run("run.sh", &[]).status.code(), Some(1));
    let markdown = runner.output("markdown-file");
    let bin = runner.temp.path().join("jq-bin");
    let calls = runner.file("jq-gh-calls.txt");
    let comments = runner.file("comments.json");
    write(
        &bin.join("gh"),
        "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> \"$GH_CALLS\"\n\
         if [[ \"$1 $2\" == 'api user' ]]; then exit 1; fi\n\
         if [[ \"$*\" == *--paginate* ]]; then\n\
           while [[ $# -gt 0 && \"$1\" != --jq ]]; do shift; done\n\
           jq -r \"$2\" \"$GH_COMMENTS\"\n\
         fi\n",
    );
    make_executable(&bin.join("gh"));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let comment = |list: serde_json::Value| {
        write(&comments, &list.to_string());
        let _ = std::fs::remove_file(&calls);
        let out = Command::new("bash")
            .arg(root().join("scripts/action/comment.sh"))
            .env("PATH", &path)
            .env("GH_CALLS", &calls)
            .env("GH_COMMENTS", &comments)
            .env("GITHUB_REPOSITORY", "octo/shop")
            .env("GITHUB_EVENT_PATH", runner.file("event.json"))
            .env("LOCKSTEP_MARKDOWN", &markdown)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&calls).unwrap()
    };
    let marked = |id: u64, login: &str| {
        serde_json::json!({
            "id": id,
            "user": {"login": login},
            "body": "<!-- lockstep-report -->\nold report",
        })
    };
    let calls_made = comment(serde_json::json!([
        marked(11, "mallory"),
        marked(12, "github-actions[bot]"),
    ]));
    assert!(
        calls_made.contains("api --method PATCH repos/octo/shop/issues/comments/12"),
        "{calls_made}"
    );
    assert!(!calls_made.contains("comments/11"), "{calls_made}");
    let calls_made = comment(serde_json::json!([marked(11, "mallory")]));
    assert!(
        calls_made.contains("api --method POST repos/octo/shop/issues/7/comments"),
        "{calls_made}"
    );
    assert!(!calls_made.contains("comments/11"), "{calls_made}");
}
