//! `lockstep stats` against a real PostgreSQL 15, and the lock hold times `check --stats`
//! states, compared with the time the statements really take on the same server.
//!
//! No assertion is a wall-clock bound on its own: each measured duration is compared with
//! the range `check --stats` prints for the statement, from the sizes `lockstep stats` read
//! from the same server, and may miss it by at most the factor the issue allows (3). The
//! range spans 8x plus a fixed 50 ms; with the factor, a machine slowed 12x by other builds
//! still passes (at load average 7 on 2 cores, every measurement fell inside the range).

mod support;

use assert_cmd::Command;
use lockstep::stats::StatsFile;
use std::path::Path;
use support::postgres::{postgres, PgDb};

/// How far outside the printed range a measured duration may fall.
const SLACK: f64 = 3.0;

/// A table of `rows` rows (about 110 bytes each on disk) with a primary key, analysed and
/// vacuumed as a table in production is (hint bits set, row estimate known).
fn big_table(rows: u32) -> String {
    format!(
        "CREATE TABLE big (id bigint PRIMARY KEY, n int NOT NULL, payload text NOT NULL); \
         INSERT INTO big SELECT g, g % 1000, repeat(md5(g::text), 2) FROM generate_series(1, {rows}) g; \
         CREATE TABLE codes (id int PRIMARY KEY); \
         INSERT INTO codes SELECT generate_series(0, 999); \
         VACUUM ANALYZE big, codes;"
    )
}

/// Three sizes, about 3, 11 and 42 MB of heap: a fixed cost per statement would show as a
/// small table running slower than its size says.
const SIZES: [u32; 3] = [25_000, 100_000, 400_000];

/// Runs `lockstep stats` on `db` and reads the file it wrote.
fn stats_of(db: &PgDb, dir: &Path) -> (std::path::PathBuf, StatsFile) {
    let path = dir.join("stats.json");
    Command::cargo_bin("lockstep")
        .unwrap()
        .args(["stats", "--output"])
        .arg(&path)
        .args(["--database-url", &db.connection_string()])
        .env_remove("DATABASE_URL")
        .assert()
        .success();
    let file = StatsFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (path, file)
}

/// Seconds `statement` takes on the server, read from the server's clock either side of
/// it (no client start-up or connection time included).
fn seconds(db: &PgDb, statement: &str) -> f64 {
    let script = format!(
        "SELECT extract(epoch FROM clock_timestamp());\n{statement};\nSELECT extract(epoch FROM clock_timestamp());\n"
    );
    let output = db
        .unaligned_output(&script)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    let times: Vec<f64> = output
        .lines()
        .map(|line| {
            line.trim()
                .parse()
                .unwrap_or_else(|e| panic!("{line:?}: {e}"))
        })
        .collect();
    assert_eq!(times.len(), 2, "{output}");
    times[1] - times[0]
}

/// The longest hold time `check --stats` states for `statement` (the range in seconds and
/// the work it names), read from its JSON report.
fn printed_estimate(stats: &Path, dir: &Path, statement: &str) -> (f64, f64, String, String) {
    let migration = dir.join("V2__statement.sql");
    std::fs::write(&migration, format!("{statement};\n")).unwrap();
    let output = Command::cargo_bin("lockstep")
        .unwrap()
        .args(["check", "--format", "json", "--stats"])
        .arg(stats)
        .arg(&migration)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["lock_duration"])
        .filter(|d| d["status"] == "estimated")
        .map(|d| {
            (
                d["low_seconds"].as_f64().unwrap(),
                d["high_seconds"].as_f64().unwrap(),
                d["work"].as_str().unwrap().to_string(),
                d["table"].as_str().unwrap().to_string(),
            )
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_else(|| panic!("{statement}: no estimate in {report:#}"))
}

#[test]
fn measured_rates_bracket_the_real_durations() {
    let Some(server) = postgres() else { return };
    let cases = [
        ("rewrite", "ALTER TABLE big ALTER COLUMN n TYPE bigint"),
        ("index-build", "CREATE INDEX big_n ON big (n)"),
        // A text key: 64 characters, compared by the database's collation.
        ("index-build", "CREATE INDEX big_payload ON big (payload)"),
        (
            "validation-scan",
            "ALTER TABLE big ADD CONSTRAINT n_positive CHECK (n >= 0)",
        ),
        (
            "validation-scan",
            "ALTER TABLE big ADD CONSTRAINT n_code FOREIGN KEY (n) REFERENCES codes (id)",
        ),
        ("validation-scan", "ALTER TABLE big ALTER COLUMN n DROP NOT NULL; ALTER TABLE big ALTER COLUMN n SET NOT NULL"),
        ("backfill", "UPDATE big SET n = n + 1"),
    ];
    let mut report = Vec::new();
    let mut missed = Vec::new();
    for rows in SIZES {
        let template = server
            .template(&big_table(rows))
            .expect("the template loads");
        let dir = tempfile::tempdir().unwrap();
        let (stats, file) = stats_of(&server.fresh_db_from(&template), dir.path());
        assert_eq!(file.server.version.split('.').next(), Some("15"));
        let big = file
            .tables
            .iter()
            .find(|t| t.name == "big")
            .expect("big is listed");
        assert_eq!(
            (big.schema.as_str(), big.rows),
            ("public", Some(u64::from(rows)))
        );
        assert!(big.heap_bytes > u64::from(rows) * 100, "{big:?}");
        assert_eq!(big.indexes.len(), 1);
        assert_eq!(big.indexes[0].columns, ["id"]);
        for (work, statement) in cases {
            // Each statement on its own copy of the table, as a migration meets it.
            let measured = seconds(&server.fresh_db_from(&template), statement);
            let (low, high, printed_work, table) = printed_estimate(&stats, dir.path(), statement);
            assert_eq!(
                (printed_work.as_str(), table.as_str()),
                (work, "big"),
                "{statement}"
            );
            let line = format!(
                "{rows} rows, {work} ({statement}): {measured:.3} s; printed range {low:.3} to {high:.3} s{}",
                if (low..=high).contains(&measured) { "" } else { " (outside)" }
            );
            eprintln!("{line}");
            if measured < low / SLACK || measured > high * SLACK {
                missed.push(line.clone());
            }
            report.push(line);
        }
    }
    assert!(
        missed.is_empty(),
        "beyond a factor {SLACK} of the range:\n{}\n\nall:\n{}",
        missed.join("\n"),
        report.join("\n")
    );
}

/// `check --stats` on a migration that rewrites a 100-row table the stats know and a
/// table they do not: the JSON findings of both.
fn check_with_stats(stats: &Path, dir: &Path) -> serde_json::Value {
    let migration = dir.join("V2__widen.sql");
    std::fs::write(
        &migration,
        "ALTER TABLE small ALTER COLUMN n TYPE bigint;\nALTER TABLE elsewhere ALTER COLUMN n TYPE bigint;\n",
    )
    .unwrap();
    let output = Command::cargo_bin("lockstep")
        .unwrap()
        .args(["check", "--format", "json", "--stats"])
        .arg(stats)
        .arg(&migration)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "the unknown table keeps its error"
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The findings of `rule` in a JSON report: (line, severity, lock_duration).
fn findings_of<'a>(
    report: &'a serde_json::Value,
    rule: &str,
) -> Vec<(u64, &'a str, &'a serde_json::Value)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap(),
                &f["lock_duration"],
            )
        })
        .collect()
}

#[test]
fn stats_of_a_small_table_turn_its_rewrite_error_into_a_note_and_an_unknown_table_keeps_it() {
    let Some(server) = postgres() else { return };
    let db = server.fresh_db();
    db.exec(
        "CREATE TABLE small (id bigint PRIMARY KEY, n int); \
         INSERT INTO small SELECT g, g FROM generate_series(1, 100) g; ANALYZE small;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (stats, file) = stats_of(&db, dir.path());
    assert_eq!(file.tables.len(), 1, "{file:?}");
    let report = check_with_stats(&stats, dir.path());
    let found = findings_of(&report, "change-column-type");
    assert_eq!(found.len(), 2, "{report:#}");
    let (line, severity, duration) = found[0];
    assert_eq!((line, severity), (1, "note"));
    assert_eq!(duration["status"], "estimated");
    assert_eq!(duration["work"], "rewrite");
    assert_eq!(duration["mode"], "ACCESS EXCLUSIVE");
    assert!(
        duration["high_seconds"].as_f64().unwrap() < 1.0,
        "{duration}"
    );
    let text = duration["text"].as_str().unwrap();
    assert!(text.starts_with("ACCESS EXCLUSIVE on small for "), "{text}");
    let (line, severity, duration) = found[1];
    assert_eq!((line, severity), (2, "error"));
    assert_eq!(duration["status"], "unknown-table");
    assert_eq!(duration["table"], "elsewhere");

    // Without the stats both are errors: the note came from the table's size.
    let without = Command::cargo_bin("lockstep")
        .unwrap()
        .args(["check", "--format", "json"])
        .arg(dir.path().join("V2__widen.sql"))
        .output()
        .unwrap();
    let without: serde_json::Value = serde_json::from_slice(&without.stdout).unwrap();
    let severities: Vec<&str> = findings_of(&without, "change-column-type")
        .iter()
        .map(|(_, severity, _)| *severity)
        .collect();
    assert_eq!(severities, ["error", "error"]);
}

#[test]
fn the_readme_query_run_with_psql_writes_a_stats_file_check_accepts() {
    let Some(server) = postgres() else { return };
    let db = server.fresh_db();
    db.exec(
        "CREATE TABLE small (id bigint PRIMARY KEY, n int); \
         INSERT INTO small SELECT g, g FROM generate_series(1, 100) g; ANALYZE small; \
         CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at); \
         CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01'); \
         CREATE INDEX events_day ON events ((at + 1), id);",
    )
    .unwrap();
    let query = lockstep::stats::collect_postgres::QUERY;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("by-psql.json");
    std::fs::write(&saved, db.unaligned_output(query).unwrap()).unwrap();
    let by_psql = StatsFile::load(&saved).unwrap_or_else(|e| panic!("{e}"));
    let (_, by_lockstep) = stats_of(&db, dir.path());
    assert_eq!(by_psql, by_lockstep);
    let events = by_psql.tables.iter().find(|t| t.name == "events").unwrap();
    assert_eq!(events.partitions.len(), 1);
    assert_eq!(events.partitions[0].name, "events_2026");
    let partition = by_psql
        .tables
        .iter()
        .find(|t| t.name == "events_2026")
        .unwrap();
    assert_eq!(
        partition.indexes[0].columns,
        vec!["(at + 1)".to_string(), "id".to_string()]
    );
    let report = check_with_stats(&saved, dir.path());
    assert_eq!(findings_of(&report, "change-column-type")[0].1, "note");
}

#[test]
fn stats_of_mariadb_list_its_tables_and_check_shows_their_hold_times() {
    let Some(server) = support::mariadb::mariadb() else {
        return;
    };
    let db = server.fresh_db();
    db.exec(
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL, name VARCHAR(40) NOT NULL) ENGINE=InnoDB; \
         CREATE INDEX accounts_name ON accounts (name, balance); \
         INSERT INTO accounts SELECT seq, seq, CONCAT('account ', seq) FROM seq_1_to_1000; \
         ANALYZE TABLE accounts;",
    )
    .unwrap();
    // Another database on the same server, with a table of the same name.
    server
        .fresh_db()
        .exec("CREATE TABLE accounts (id INT PRIMARY KEY) ENGINE=InnoDB;")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stats.json");
    Command::cargo_bin("lockstep")
        .unwrap()
        .args(["stats", "--output"])
        .arg(&path)
        .args(["--database-url", &db.connection_url()])
        .assert()
        .success();
    let file = StatsFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.server.product, lockstep::stats::file::Product::Mariadb);
    // Only the URL's database, not the server's other test databases.
    assert_eq!(file.tables.len(), 1, "{file:?}");
    let accounts = file
        .tables
        .iter()
        .find(|t| t.schema == db.name() && t.name == "accounts")
        .expect("accounts is listed");
    // InnoDB's row count is an estimate from sampled pages.
    let rows = accounts.rows.expect("InnoDB estimates rows");
    assert!((500..=2000).contains(&rows), "{accounts:?}");
    assert!(accounts.heap_bytes >= 16384, "{accounts:?}");
    let names: Vec<(&str, &[String])> = accounts
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.columns.as_slice()))
        .collect();
    // In the server's collation order, which ignores case.
    assert_eq!(
        names,
        [
            (
                "accounts_name",
                &["name".to_string(), "balance".to_string()][..]
            ),
            ("PRIMARY", &["id".to_string()][..]),
        ]
    );
    // Root may read mysql.innodb_index_stats: every index has its size.
    assert!(
        accounts
            .indexes
            .iter()
            .all(|i| i.bytes.is_some_and(|b| b > 0)),
        "{accounts:?}"
    );

    // The earlier migration tells lockstep the columns' types; the stats, the sizes.
    let migration = dir.path().join("migrations");
    std::fs::create_dir(&migration).unwrap();
    std::fs::write(
        migration.join("V1__create.sql"),
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL);\n\
         CREATE TABLE elsewhere (id INT PRIMARY KEY, balance INT NOT NULL);\n",
    )
    .unwrap();
    std::fs::write(
        migration.join("V2__widen.sql"),
        "ALTER TABLE accounts MODIFY balance BIGINT NOT NULL;\n\
         ALTER TABLE elsewhere MODIFY balance BIGINT NOT NULL;\n",
    )
    .unwrap();
    let output = Command::cargo_bin("lockstep")
        .unwrap()
        .args(["check", "--dialect", "mysql", "--format", "json", "--stats"])
        .arg(&path)
        .arg(&migration)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let without = Command::cargo_bin("lockstep")
        .unwrap()
        .args(["check", "--dialect", "mysql", "--format", "json"])
        .arg(&migration)
        .output()
        .unwrap();
    let without: serde_json::Value = serde_json::from_slice(&without.stdout).unwrap();
    let rebuilds = findings_of(&report, "mysql-alter-blocks-writes");
    assert_eq!(rebuilds.len(), 2, "{report:#}");
    assert_eq!(rebuilds[0].2["status"], "estimated");
    assert_eq!(rebuilds[0].2["work"], "rewrite");
    assert_eq!(rebuilds[1].2["status"], "unknown-table");
    // PostgreSQL's rates judge nothing on MariaDB: the severities are the rules' own.
    let severities = |report: &serde_json::Value| -> Vec<String> {
        findings_of(report, "mysql-alter-blocks-writes")
            .iter()
            .map(|(_, severity, _)| severity.to_string())
            .collect()
    };
    assert_eq!(severities(&report), severities(&without));
}
