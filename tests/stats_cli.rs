//! `check --stats` and `lockstep stats` without a database: the stats file is input from a
//! repository (parsed strictly, exit 2 naming it), and every format carries the estimate.

use assert_cmd::Command;
use std::path::Path;

/// A stats file that knows `orders` (41 GB, 300 million rows) and `lookup` (8 kB, 100 rows).
fn stats_json() -> String {
    let table = |name: &str, rows: u64, heap: u64| {
        serde_json::json!({
            "schema": "public", "name": name, "rows": rows,
            "heap_bytes": heap, "index_bytes": 0, "toast_bytes": 0,
            "partitions": [], "indexes": []
        })
    };
    serde_json::to_string_pretty(&serde_json::json!({
        "lockstep_stats": 1,
        "server": { "product": "postgresql", "version": "15.8" },
        "tables": [table("orders", 300_000_000, 41 << 30), table("lookup", 100, 8192)],
    }))
    .unwrap()
}

const MIGRATION: &str = "ALTER TABLE orders ALTER COLUMN n TYPE bigint;\n\
    ALTER TABLE lookup ALTER COLUMN n TYPE bigint;\n\
    ALTER TABLE unknown_table ALTER COLUMN n TYPE bigint;\n";

fn project(stats: &str, config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stats.json"), stats).unwrap();
    std::fs::write(dir.path().join("V2__widen.sql"), MIGRATION).unwrap();
    if let Some(config) = config {
        std::fs::write(dir.path().join("lockstep.toml"), config).unwrap();
    }
    dir
}

fn check(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("lockstep")
        .unwrap()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .arg("V2__widen.sql")
        .output()
        .unwrap()
}

fn severities(output: &std::process::Output) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "change-column-type")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["lock_duration"]["text"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn each_finding_states_the_hold_time_and_brief_locks_become_notes() {
    let dir = project(&stats_json(), None);
    let output = check(dir.path(), &["--format", "json", "--stats", "stats.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        severities(&output),
        [
            (
                "error".to_string(),
                "ACCESS EXCLUSIVE on orders for about 3 to 28 minutes: rewrites 41 GB".to_string()
            ),
            (
                "note".to_string(),
                "ACCESS EXCLUSIVE on lookup for about 1 to 50 ms: rewrites 8.0 kB".to_string()
            ),
            (
                "error".to_string(),
                "unknown_table is not in the stats file: severity as without stats".to_string()
            ),
        ]
    );
}

#[test]
fn every_format_carries_the_estimate() {
    let dir = project(&stats_json(), None);
    let sentence = "ACCESS EXCLUSIVE on orders for about 3 to 28 minutes: rewrites 41 GB";
    for format in ["text", "sarif", "markdown", "github"] {
        let output = check(
            dir.path(),
            &[
                "--format",
                format,
                "--stats",
                "stats.json",
                "--color",
                "never",
            ],
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.contains(sentence), "{format}:\n{stdout}");
        assert!(
            stdout.contains("unknown_table is not in the stats file"),
            "{format}:\n{stdout}"
        );
    }
}

#[test]
fn the_config_names_the_file_and_sets_thresholds_and_rates() {
    let shorthand = project(&stats_json(), Some("stats = \"stats.json\"\n"));
    let output = check(shorthand.path(), &["--format", "json"]);
    assert_eq!(severities(&output)[1].0, "note");
    // 41 GB at 100 GB/s holds the lock under a second, with the range's 4x at most 2 s:
    // a warning below warning_below_seconds, not a note.
    let table = project(
        &stats_json(),
        Some("[stats]\nfile = \"stats.json\"\nnote_below_seconds = 0.5\nwarning_below_seconds = 5\n[stats.rates]\nrewrite_mb_per_s = 102400\n"),
    );
    let output = check(table.path(), &["--format", "json"]);
    let found = severities(&output);
    assert_eq!(found[0].0, "warning", "{found:?}");
    assert!(
        found[0].1.contains("about 206 ms to 2 seconds"),
        "{found:?}"
    );
    let backwards = project(
        &stats_json(),
        Some("[stats]\nfile = \"stats.json\"\nnote_below_seconds = 20\n"),
    );
    let output = check(backwards.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("warning_below_seconds"));
}

#[test]
fn a_malformed_stats_file_stops_the_run_naming_it() {
    for (stats, expected) in [
        (stats_json().replace("heap_bytes", "heap"), "stats.json:"),
        (stats_json().replace("\"lockstep_stats\": 1", "\"lockstep_stats\": 7"), "lockstep_stats is 7"),
        (stats_json().replace("8192", "-8192"), "stats.json:"),
        ("{\"lockstep_stats\": 1, \"server\": {\"product\": \"postgresql\", \"version\": \"15\"}, \"tables\": [".to_string(), "stats.json:1:"),
    ] {
        let dir = project(&stats, None);
        let output = check(dir.path(), &["--stats", "stats.json"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let dir = project(&stats_json(), None);
    #[cfg(unix)]
    {
        // A repository could commit the configured name as a link to a device.
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.json")).unwrap();
        let output = check(dir.path(), &["--stats", "zero.json"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr)
            .contains("zero.json: the stats file is not a regular file"));
    }
    let output = check(dir.path(), &["--stats", "missing.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("missing.json: cannot read the stats file"));
}

#[test]
fn stats_needs_a_database_and_never_replaces_a_file_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("lockstep")
        .unwrap()
        .current_dir(dir.path())
        .arg("stats")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
    std::fs::write(dir.path().join("stats.json"), "kept").unwrap();
    // Refused before connecting: the URL names a server that does not exist.
    let output = Command::cargo_bin("lockstep")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "stats",
            "--output",
            "stats.json",
            "--database-url",
            "host=/nonexistent dbname=x",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stats.json")).unwrap(),
        "kept"
    );
}

#[test]
fn the_readme_gives_the_query_lockstep_stats_runs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains(lockstep::stats::collect_postgres::QUERY));
}

#[test]
fn a_brief_lock_still_needs_a_lock_timeout() {
    let dir = project(&stats_json(), None);
    let timeout_severities = |args: &[&str]| {
        let output = check(dir.path(), args);
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "missing-lock-timeout")
            .map(|f| f["severity"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Waiting for a lock queues every session behind it, however briefly it is then held.
    let with_stats = timeout_severities(&["--format", "json", "--stats", "stats.json"]);
    assert!(!with_stats.is_empty());
    assert_eq!(with_stats, timeout_severities(&["--format", "json"]));
}

#[test]
fn a_table_name_with_control_characters_is_printed_escaped() {
    let stats = serde_json::json!({
        "lockstep_stats": 1,
        "server": { "product": "postgresql", "version": "15.8" },
        "tables": [{
            "schema": "public", "name": "evil\u{1b}[31m", "rows": 1,
            "heap_bytes": 8192, "index_bytes": 0, "toast_bytes": 0,
            "partitions": [], "indexes": []
        }],
    });
    let dir = project(&stats.to_string(), None);
    std::fs::write(
        dir.path().join("V2__widen.sql"),
        "ALTER TABLE \"evil\u{1b}[31m\" ALTER COLUMN n TYPE bigint;\n",
    )
    .unwrap();
    let output = check(dir.path(), &["--stats", "stats.json", "--color", "never"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    assert!(
        stdout.contains("ACCESS EXCLUSIVE on \"evil\\u{1b}[31m\" for about 1 to 50 ms"),
        "{stdout}"
    );
}

#[test]
fn a_foreign_key_is_estimated_on_the_larger_table_and_unknown_when_either_is() {
    let dir = project(&stats_json(), None);
    std::fs::write(
        dir.path().join("V2__widen.sql"),
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (n) REFERENCES lookup (id);\n\
         ALTER TABLE orders ADD CONSTRAINT fk2 FOREIGN KEY (m) REFERENCES unknown_table (id);\n",
    )
    .unwrap();
    let output = check(dir.path(), &["--format", "json", "--stats", "stats.json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let durations: Vec<(u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "add-foreign-key-without-not-valid")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["lock_duration"]["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        durations,
        [
            (
                1,
                "SHARE ROW EXCLUSIVE on orders for about 25 seconds to 3 minutes: scans 41 GB"
                    .to_string()
            ),
            (
                2,
                "unknown_table is not in the stats file: severity as without stats".to_string()
            ),
        ]
    );
}

/// `lockstep plan` in `dir` on `V2__widen.sql` with `args`: the script it prints.
fn plan(dir: &Path, args: &[&str]) -> String {
    let output = Command::cargo_bin("lockstep")
        .unwrap()
        .current_dir(dir)
        .args(["plan", "V2__widen.sql"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The `-- Expected:` header lines of a plan script.
fn expected_lines(script: &str) -> Vec<&str> {
    script
        .lines()
        .filter(|l| l.starts_with("-- Expected: "))
        .collect()
}

/// The `LIMIT` of each batched backfill in a PostgreSQL plan script: its batch size.
fn batch_limits(script: &str) -> Vec<u32> {
    script
        .lines()
        .filter_map(|l| l.trim().strip_prefix("LIMIT "))
        .filter_map(|l| l.trim_end_matches(") AS batch").parse().ok())
        .collect()
}

/// A project where `orders` (300 million rows) and `elsewhere` (not in the stats file)
/// each get a column type change, which plans a batched backfill.
fn plan_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stats.json"), stats_json()).unwrap();
    std::fs::write(
        dir.path().join("V1__create.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY, n int NOT NULL);\n\
         CREATE TABLE lookup (id bigint PRIMARY KEY, n int NOT NULL);\n\
         CREATE TABLE elsewhere (id bigint PRIMARY KEY, n int NOT NULL);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("V2__widen.sql"),
        "ALTER TABLE orders ALTER COLUMN n TYPE bigint;\n\
         ALTER TABLE elsewhere ALTER COLUMN n TYPE bigint;\n",
    )
    .unwrap();
    dir
}

/// `plan --stats`: the phases whose work grows with the table say how long they take on it
/// (a backfill as batches, pauses included, sized from the calibrated rate); a table the
/// file does not know is said so and keeps the default batch size.
#[test]
fn plan_phases_state_their_duration_from_the_stats_file() {
    let dir = plan_project();
    let script = plan(dir.path(), &["--stats", "stats.json", "--pause-ms", "100"]);
    let expected = expected_lines(&script);
    // 300 million rows at 250,000 rows/s: 0.2 s would be 50,000 rows, the upper bound.
    assert!(
        expected.iter().any(|l| l.contains(
            "6,000 batches of up to 50,000 rows (each about 0.2 s at 250,000 rows/s, so its row locks are brief)"
        ) && l.contains("minutes")
            && l.contains("changes 300,000,000 rows")),
        "{expected:#?}"
    );
    assert!(
        expected.iter().any(|l| l.contains("scans 41")),
        "the validation of the NOT NULL check scans the heap: {expected:#?}"
    );
    assert!(
        expected.iter().any(|l| l.contains(
            "elsewhere is not in the stats file, so its duration is not estimated, and its batches keep the default 10,000 rows"
        )),
        "{expected:#?}"
    );
    // The backfills run what the headers say: orders first, then elsewhere.
    assert_eq!(batch_limits(&script), [50_000, 10_000]);
    // Without a stats file nothing is estimated and every batch has the default size.
    let plain = plan(dir.path(), &[]);
    assert!(!plain.contains("-- Expected:"));
    assert_eq!(batch_limits(&plain), [10_000, 10_000]);
}

/// Bigger batches than the default only where the rate allows it: a team whose server
/// backfills 20,000 rows/s gets batches of 4,000 rows (0.2 s each), fewer rows than the
/// default; `--batch-size` overrides the choice and the header still counts its batches.
#[test]
fn batch_sizes_follow_the_rate_and_yield_to_the_flag() {
    let dir = plan_project();
    let stats = ["--stats", "stats.json"];
    let fast = plan(dir.path(), &stats);
    assert_eq!(batch_limits(&fast)[0], 50_000);
    std::fs::write(
        dir.path().join("lockstep.toml"),
        "[stats.rates]\nbackfill_rows_per_s = 20000\n",
    )
    .unwrap();
    let slow = plan(dir.path(), &stats);
    assert_eq!(batch_limits(&slow), [4_000, 10_000]);
    assert!(
        expected_lines(&slow)
            .iter()
            .any(|l| l
                .contains("75,000 batches of up to 4,000 rows (each about 0.2 s at 20,000 rows/s")),
        "{slow}"
    );
    let given = plan(
        dir.path(),
        &["--stats", "stats.json", "--batch-size", "2500"],
    );
    assert_eq!(batch_limits(&given), [2_500, 2_500]);
    assert!(
        expected_lines(&given)
            .iter()
            .any(|l| l.contains("120,000 batches of up to 2,500 rows, ")),
        "{given}"
    );
}

/// A small table takes fewer batches with the stats than without: its 30,000 rows fit in
/// one batch of the size chosen from the rate, where the default size takes three.
#[test]
fn a_small_table_takes_fewer_batches() {
    let dir = plan_project();
    let mut file: serde_json::Value = serde_json::from_str(&stats_json()).unwrap();
    assert_eq!(file["tables"][0]["name"], "orders");
    file["tables"][0]["rows"] = 30_000.into();
    std::fs::write(dir.path().join("stats.json"), file.to_string()).unwrap();
    let script = plan(dir.path(), &["--stats", "stats.json", "--line", "1"]);
    assert!(
        expected_lines(&script)
            .iter()
            .any(|l| l.contains("1 batch of up to 50,000 rows (")),
        "{script}"
    );
    assert_eq!(batch_limits(&script), [50_000]);
    // Without the stats: batches of 10,000 rows, three for 30,000 rows.
    assert_eq!(batch_limits(&plan(dir.path(), &["--line", "1"])), [10_000]);
}

/// InnoDB's rates are measured on MariaDB only: stats from MariaDB turn the rebuild of a
/// 100-row table into a note, stats from MySQL state the same estimate and keep the rule's
/// severity.
#[test]
fn mariadb_stats_judge_and_mysql_stats_only_inform() {
    let severity_with = |product: &str| {
        let mut file: serde_json::Value = serde_json::from_str(&stats_json()).unwrap();
        file["server"] = serde_json::json!({ "product": product, "version": "10.11.9" });
        file["tables"][1]["schema"] = "app".into();
        let dir = project(&file.to_string(), Some("dialect = \"mysql\"\n"));
        std::fs::write(
            dir.path().join("V1__create.sql"),
            "CREATE TABLE lookup (id INT PRIMARY KEY, n INT NOT NULL);\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("V2__widen.sql"),
            "ALTER TABLE lookup MODIFY n BIGINT NOT NULL;\n",
        )
        .unwrap();
        let output = check(dir.path(), &["--stats", "stats.json", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let finding = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "mysql-alter-blocks-writes")
            .unwrap_or_else(|| panic!("{report:#}"))
            .clone();
        assert_eq!(
            finding["lock_duration"]["status"], "estimated",
            "{finding:#}"
        );
        finding["severity"].as_str().unwrap().to_string()
    };
    assert_eq!(severity_with("mariadb"), "note");
    assert_eq!(severity_with("mysql"), "error");
}
