//! The measurements behind docs/squawk-coverage.md: the statements squawk's safety rules flag
//! and lockstep does not (or flags only for its lock timeout), run on every PostgreSQL major
//! to show what the server does with them.

mod support;

use lockstep::config::Settings;
use lockstep::diagnostic::Severity;
use lockstep::dialect::Dialect;
use support::postgres::{postgres_major, Measurement, MAJORS};

const SCHEMA: &str = "\
CREATE TYPE ticket_state AS ENUM ('open', 'triaged', 'closed', 'archived');
CREATE TABLE authors (id bigint PRIMARY KEY);
CREATE TABLE tickets (id bigint PRIMARY KEY, state ticket_state, weight real);
INSERT INTO authors SELECT g FROM generate_series(1, 2000) g;
INSERT INTO tickets SELECT g, (enum_range(NULL::ticket_state))[1 + g % 4], g FROM generate_series(1, 2000) g;
";

/// What `change` did on a fresh database of PostgreSQL `major` holding `SCHEMA`.
fn run(major: u32, change: &str) -> Option<Measurement> {
    let server = postgres_major(major)?;
    Some(
        server
            .fresh_db()
            .measure(SCHEMA, change)
            .unwrap_or_else(|err| panic!("PostgreSQL {major}: {change}: {err}")),
    )
}

/// The rules lockstep reports at warning or above on `change`, linted after `SCHEMA`.
fn warnings(change: &str) -> Vec<&'static str> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("1_schema.sql"), SCHEMA).expect("write schema");
    std::fs::write(dir.path().join("2_change.sql"), change).expect("write change");
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![dir.path().to_path_buf()];
    let report = lockstep::engine::check(&settings);
    report
        .files
        .into_iter()
        .filter(|f| f.path.ends_with("2_change.sql"))
        .flat_map(|f| f.findings)
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| f.rule.id)
        .collect()
}

/// squawk's ban-create-domain-with-constraint: creating a domain with a CHECK or NOT NULL
/// locks no table and reads no row. The cost comes later, from statements lockstep judges
/// on their own (`ALTER DOMAIN ... ADD CONSTRAINT` scans under SHARE).
#[test]
fn creating_a_domain_with_constraints_locks_and_reads_no_table() {
    for change in [
        "CREATE DOMAIN ticket_weight AS real CHECK (VALUE >= 0)",
        "CREATE DOMAIN required_weight AS real NOT NULL CHECK (VALUE >= 0)",
    ] {
        for major in MAJORS {
            let Some(m) = run(major, change) else {
                continue;
            };
            assert!(m.locks.is_empty(), "{major}: {change}: {m:?}");
            assert!(
                m.scanned.is_empty() && m.rewritten.is_empty(),
                "{major}: {m:?}"
            );
        }
        assert_eq!(warnings(change), Vec::<&str>::new(), "{change}");
    }
}

/// squawk's require-enum-value-ordering: `ADD VALUE` without BEFORE / AFTER locks no table,
/// reads no row, and changes no result over the values already stored; only where the new
/// value sorts is left to the author.
#[test]
fn an_enum_value_added_last_locks_nothing_and_keeps_stored_values_in_order() {
    let change = "ALTER TYPE ticket_state ADD VALUE 'reopened'";
    let query = "SELECT count(*) FROM tickets WHERE state < 'closed'";
    for major in MAJORS {
        let Some(m) = run(major, change) else {
            continue;
        };
        assert!(m.locks.is_empty(), "{major}: {m:?}");
        assert!(
            m.scanned.is_empty() && m.rewritten.is_empty(),
            "{major}: {m:?}"
        );
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let db = server.fresh_db();
        db.exec(SCHEMA).expect("schema");
        let before = db.query(query).expect("query before");
        db.exec(change).expect("add value");
        let after = db.query(query).expect("query after");
        assert_eq!(before, after, "{major}: stored values compare as before");
        let order = db
            .query("SELECT enum_range(NULL::ticket_state)::text")
            .expect("range");
        assert_eq!(
            order,
            vec![vec!["{open,triaged,closed,archived,reopened}".to_string()]],
            "{major}"
        );
    }
}

/// squawk's adding-foreign-key-constraint on `ADD COLUMN ... REFERENCES`: the new column is
/// all NULL, so no row is checked; the lock on the referenced table is SHARE ROW EXCLUSIVE,
/// held briefly. lockstep reports it through missing-lock-timeout (the ACCESS EXCLUSIVE on
/// the altered table) only.
#[test]
fn a_foreign_key_on_a_new_column_checks_no_row() {
    let change = "ALTER TABLE tickets ADD COLUMN author_id bigint REFERENCES authors (id)";
    for major in MAJORS {
        let Some(m) = run(major, change) else {
            continue;
        };
        assert_eq!(
            m.lock_on("authors"),
            Some("ShareRowExclusiveLock"),
            "{major}: {m:?}"
        );
        assert_eq!(m.lock_on("tickets"), Some("AccessExclusiveLock"), "{major}");
        assert!(
            m.scanned.is_empty() && m.rewritten.is_empty(),
            "{major}: {m:?}"
        );
    }
    assert_eq!(warnings(change), vec!["missing-lock-timeout"]);
}

/// squawk's adding-field-with-default flags a default calling `now` with an argument as volatile; the
/// server refuses it (there is no `now(integer)`), so it never reaches a table.
#[test]
fn now_with_an_argument_is_refused() {
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let db = server.fresh_db();
        db.exec(SCHEMA).expect("schema");
        let err = db
            .exec("ALTER TABLE tickets ADD COLUMN seen_at timestamptz DEFAULT now(5)")
            .expect_err("refused");
        assert!(
            err.contains("function now(integer) does not exist"),
            "{major}: {err}"
        );
    }
}

/// domain-constraint-without-not-valid's advice: `NOT VALID` checks no stored value, and the
/// later `VALIDATE CONSTRAINT` scans under the same SHARE lock as the one-step form (so its
/// docs say to run it when a pause in writes is acceptable), as `SET NOT NULL` does.
#[test]
fn a_domain_constraint_not_valid_reads_nothing_and_its_validation_and_set_not_null_scan_under_share(
) {
    let setup = "CREATE DOMAIN price AS numeric(15, 5);\n\
                 CREATE TABLE offers (id bigint PRIMARY KEY, price price);\n\
                 INSERT INTO offers SELECT g, g FROM generate_series(1, 2000) g;";
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let db = server.fresh_db();
        db.exec(SCHEMA).expect("schema");
        let one_step = db
            .measure(
                setup,
                "ALTER DOMAIN price ADD CONSTRAINT p1 CHECK (VALUE > 0)",
            )
            .expect("one step");
        assert_eq!(one_step.lock_on("offers"), Some("ShareLock"), "{major}");
        assert!(one_step.scanned("offers"), "{major}: {one_step:?}");
        let not_valid = db
            .measure(
                "",
                "ALTER DOMAIN price ADD CONSTRAINT p2 CHECK (VALUE > 0) NOT VALID",
            )
            .expect("not valid");
        assert!(not_valid.locks.is_empty(), "{major}: {not_valid:?}");
        assert!(not_valid.scanned.is_empty(), "{major}: {not_valid:?}");
        let validate = db
            .measure(
                "ALTER DOMAIN price ADD CONSTRAINT p3 CHECK (VALUE > 0) NOT VALID",
                "ALTER DOMAIN price VALIDATE CONSTRAINT p3",
            )
            .expect("validate");
        assert_eq!(validate.lock_on("offers"), Some("ShareLock"), "{major}");
        assert!(validate.scanned("offers"), "{major}: {validate:?}");
        // The rule says the same of SET NOT NULL, which has no NOT VALID form.
        let set_not_null = db
            .measure("", "ALTER DOMAIN price SET NOT NULL")
            .expect("set not null");
        assert_eq!(set_not_null.lock_on("offers"), Some("ShareLock"), "{major}");
        assert!(set_not_null.scanned("offers"), "{major}: {set_not_null:?}");
    }
}
