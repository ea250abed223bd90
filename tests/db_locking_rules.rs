//! The locking rules' verdicts checked on a real PostgreSQL 15, beyond each rule's documented
//! example: cases whose verdict depends on the replayed schema (known column types, CHECK
//! constraints, indexes), on session settings, or on the inline form of a constraint.
//!
//! Each case lints a two-file migration set (the schema, then the change) with lockstep, runs
//! the change on a server holding the same schema with rows, and compares: the strongest lock
//! per table, whether the table got new files (rewrite), and whether the change read it
//! (`pg_stat_xact_user_tables.seq_scan` inside the measuring transaction). A rule that stays
//! quiet must be quiet because the server does no rewrite or scan.

mod support;

use lockstep::config::Settings;
use lockstep::diagnostic::{Finding, LockMode, TableEffect};
use lockstep::dialect::Dialect;
use lockstep::rules;
use std::collections::{BTreeMap, BTreeSet};
use support::postgres::{postgres, Measurement, PgDb};

/// Tables with rows, as earlier migrations left them. Lockstep sees this as the first file of
/// the set, so the change in the second file runs on existing tables with known columns.
const SCHEMA: &str = "\
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (id bigint PRIMARY KEY, email text, name varchar(100), org_id bigint, score int, created_at timestamp);
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX users_name_idx ON users (name);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, status text, note varchar(20) CHECK (note <> ''));
CREATE TABLE events (id bigint, happened_at date NOT NULL) PARTITION BY RANGE (happened_at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO orgs SELECT g, 'org ' || g FROM generate_series(1, 2000) g;
INSERT INTO users SELECT g, 'u' || g || '@example.com', 'user ' || g, 1 + g % 2000, g % 100, now() FROM generate_series(1, 2000) g;
INSERT INTO orders SELECT g, 1 + g % 2000, 'new', 'n' || g FROM generate_series(1, 2000) g;
INSERT INTO events SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 2000) g;
";

/// What lockstep's findings of one rule claim, per table (by its unqualified name).
fn claims(rule_id: &str, change: &str) -> BTreeMap<String, (LockMode, TableEffect)> {
    let mut claimed = BTreeMap::new();
    for finding in findings(rule_id, change) {
        for lock in &finding.locks {
            let table = lock
                .table
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_string();
            let entry = claimed.entry(table).or_insert((lock.mode, lock.effect));
            *entry = (entry.0.max(lock.mode), entry.1.max(lock.effect));
        }
    }
    claimed
}

/// The findings of `rule_id` on `change`, linted as the file after `SCHEMA`.
fn findings(rule_id: &str, change: &str) -> Vec<Finding> {
    support::findings_after(SCHEMA, change, rule_id, Settings::new(Dialect::Postgres))
}

/// What the server did: locks and rewrites from the harness, and the tables read by a
/// sequential scan, counted inside the same kind of rolled-back transaction.
struct Observed {
    measurement: Measurement,
    scanned: BTreeSet<String>,
}

/// Runs `setup` (committed) on `db`, then observes `change`.
fn observe(db: &PgDb, setup: &str, change: &str) -> Observed {
    let measurement = db
        .measure(setup, change)
        .unwrap_or_else(|err| panic!("measuring {change:?} failed: {err}"));
    let rows = db
        .query(&format!(
            "BEGIN;\n{change}\nSELECT 'lockstep_scan', relname FROM pg_stat_xact_user_tables WHERE seq_scan > 0;\nROLLBACK;"
        ))
        .unwrap_or_else(|err| panic!("counting scans of {change:?} failed: {err}"));
    let scanned = rows
        .into_iter()
        .filter(|r| r.first().map(String::as_str) == Some("lockstep_scan"))
        .filter_map(|r| r.get(1).cloned())
        .collect();
    Observed {
        measurement,
        scanned,
    }
}

fn fresh_db() -> Option<PgDb> {
    postgres().map(|server| server.fresh_db())
}

/// Asserts the rule fires on `change` and that every lock it claims is what the server does.
fn assert_claims_hold(rule_id: &str, change: &str) {
    let claimed = claims(rule_id, change);
    assert!(
        !claimed.is_empty(),
        "`{rule_id}` claimed no lock on {change:?}"
    );
    let Some(db) = fresh_db() else { return };
    let seen = observe(&db, SCHEMA, change);
    for (table, (mode, effect)) in &claimed {
        assert_eq!(
            seen.measurement.lock_on(table),
            mode.pg_locks_name(),
            "`{rule_id}` on {change:?}: lock on {table}: {:?}",
            seen.measurement
        );
        assert_effect(table, *effect, &seen, change);
    }
}

fn assert_effect(table: &str, effect: TableEffect, seen: &Observed, change: &str) {
    let rewritten = seen.measurement.rewrote(table);
    let scanned = seen.scanned.contains(table);
    let actual = match (rewritten, scanned) {
        (true, _) => TableEffect::Rewrite,
        (false, true) => TableEffect::Scan,
        (false, false) => TableEffect::None,
    };
    assert_eq!(
        actual, effect,
        "{change:?} on {table}: rewritten {rewritten}, scanned {scanned}"
    );
}

/// Asserts the rule stays quiet on `change` and that the server neither rewrites nor scans
/// `table` for it.
fn assert_quiet_and_cheap(rule_id: &str, change: &str, table: &str) {
    let found = findings(rule_id, change);
    assert!(
        found.is_empty(),
        "`{rule_id}` fired on {change:?}: {:?}",
        found.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    let Some(db) = fresh_db() else { return };
    let seen = observe(&db, SCHEMA, change);
    assert_effect(table, TableEffect::None, &seen, change);
}

#[test]
fn type_change_of_a_known_int_column_rewrites() {
    assert_claims_hold(
        "change-column-type",
        "ALTER TABLE users ALTER COLUMN score TYPE bigint;",
    );
}

#[test]
fn widening_an_indexed_varchar_keeps_the_table_and_its_index() {
    assert_quiet_and_cheap(
        "change-column-type",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(200);",
        "users",
    );
    assert_quiet_and_cheap(
        "change-column-type",
        "ALTER TABLE users ALTER COLUMN name TYPE text;",
        "users",
    );
    let Some(db) = fresh_db() else { return };
    db.exec(SCHEMA).expect("schema");
    let node = "SELECT relfilenode FROM pg_class WHERE relname = 'users_name_idx';";
    let before = db.query(node).expect("index node");
    db.exec("ALTER TABLE users ALTER COLUMN name TYPE varchar(200);")
        .expect("alter");
    assert_eq!(
        db.query(node).expect("index node"),
        before,
        "the index was rebuilt"
    );
}

#[test]
fn timestamp_to_timestamptz_depends_on_the_session_time_zone() {
    assert_claims_hold(
        "change-column-type",
        "SET timezone = 'Europe/Berlin';\nALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;",
    );
    assert_quiet_and_cheap(
        "change-column-type",
        "SET timezone = 'UTC';\nALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;",
        "users",
    );
}

#[test]
fn a_coercible_change_of_a_checked_column_scans() {
    let found = findings(
        "change-column-type",
        "ALTER TABLE orders ALTER COLUMN note TYPE varchar(40);",
    );
    assert!(
        found
            .iter()
            .all(|f| f.severity == lockstep::diagnostic::Severity::Warning),
        "a scan without rewrite is a warning"
    );
    assert_claims_hold(
        "change-column-type",
        "ALTER TABLE orders ALTER COLUMN note TYPE varchar(40);",
    );
}

#[test]
fn set_not_null_scans_unless_a_validated_check_proves_it() {
    assert_claims_hold(
        "set-not-null-without-check",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    );
}

#[test]
fn set_not_null_with_a_validated_check_reads_no_row() {
    let change = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;";
    let proven = "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL);";
    let found = findings("set-not-null-without-check", &format!("{proven}\n{change}"));
    assert!(
        found.is_empty(),
        "{:?}",
        found.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    let Some(db) = fresh_db() else { return };
    let seen = observe(&db, &format!("{SCHEMA}{proven}"), change);
    assert_effect("users", TableEffect::None, &seen, change);
}

#[test]
fn inline_references_scan_only_with_a_default() {
    assert_quiet_and_cheap(
        "add-foreign-key-without-not-valid",
        "ALTER TABLE users ADD COLUMN home_org_id bigint REFERENCES orgs (id);",
        "users",
    );
    assert_claims_hold(
        "add-foreign-key-without-not-valid",
        "ALTER TABLE users ADD COLUMN home_org_id bigint DEFAULT 1 REFERENCES orgs (id);",
    );
    assert_claims_hold(
        "add-foreign-key-without-not-valid",
        "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);",
    );
}

#[test]
fn inline_check_and_unique_scan_under_access_exclusive() {
    assert_claims_hold(
        "add-check-without-not-valid",
        "ALTER TABLE users ADD COLUMN points int CHECK (points > 0);",
    );
    assert_claims_hold(
        "add-unique-constraint-without-index",
        "ALTER TABLE users ADD COLUMN code text UNIQUE;",
    );
}

#[test]
fn added_columns_rewrite_only_for_per_row_values() {
    for change in [
        "ALTER TABLE users ADD COLUMN api_key uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();",
    ] {
        assert_claims_hold("add-column-volatile-default", change);
    }
    for change in [
        "ALTER TABLE users ADD COLUMN active boolean DEFAULT true;",
        "ALTER TABLE users ADD COLUMN joined_at timestamptz DEFAULT now();",
        "ALTER TABLE users ADD COLUMN tags text[] DEFAULT ARRAY[]::text[];",
    ] {
        assert_quiet_and_cheap("add-column-volatile-default", change, "users");
    }
    for change in [
        "ALTER TABLE users ADD COLUMN seq_no bigserial;",
        "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY;",
        "ALTER TABLE users ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) STORED;",
    ] {
        assert_claims_hold("add-serial-or-generated-column", change);
    }
}

#[test]
fn index_and_partition_maintenance_locks() {
    assert_claims_hold("drop-index-non-concurrently", "DROP INDEX users_email_idx;");
    assert_claims_hold("reindex-non-concurrently", "REINDEX INDEX users_email_idx;");
    assert_claims_hold("reindex-non-concurrently", "REINDEX TABLE users;");
    assert_claims_hold(
        "detach-partition-non-concurrently",
        "ALTER TABLE events DETACH PARTITION events_2024;",
    );
}

#[test]
fn explicit_locks_triggers_and_storage_rewrites() {
    assert_claims_hold("lock-table", "LOCK TABLE users IN SHARE MODE;");
    assert_claims_hold("lock-table", "LOCK TABLE users;");
    assert_claims_hold(
        "trigger-on-existing-table",
        "ALTER TABLE users DISABLE TRIGGER USER;",
    );
    assert_claims_hold(
        "set-logged-unlogged-or-tablespace",
        "ALTER TABLE users SET UNLOGGED;",
    );
    assert_claims_hold("cluster-table", "CLUSTER users USING users_pkey;");
}

/// VACUUM FULL refuses a transaction block: its locks are observed from another session.
#[test]
fn vacuum_full_rewrites_under_access_exclusive() {
    let claimed = claims("vacuum-full", "VACUUM FULL users;");
    assert_eq!(
        claimed.get("users"),
        Some(&(LockMode::AccessExclusive, TableEffect::Rewrite))
    );
    let Some(db) = fresh_db() else { return };
    let m = db
        .measure_outside_tx(SCHEMA, "VACUUM FULL users")
        .unwrap_or_else(|err| panic!("measuring VACUUM FULL failed: {err}"));
    assert_eq!(
        m.waited.get("users").map(String::as_str),
        LockMode::AccessExclusive.pg_locks_name(),
        "{m:?}"
    );
    assert!(m.rewrote("users"), "{m:?}");
}

/// The harness sees tables only; the materialized view's own lock and files are read here.
#[test]
fn refresh_takes_access_exclusive_on_the_view_and_replaces_its_files() {
    let view = "CREATE MATERIALIZED VIEW user_counts AS SELECT org_id, count(*) AS n FROM users GROUP BY org_id;";
    let change = "REFRESH MATERIALIZED VIEW user_counts;";
    let rule = rules::find("refresh-materialized-view-non-concurrently").expect("rule");
    let claim = rule.lock.expect("a lock claim");
    // The view exists before the change: one created in the same change set has no
    // readers yet, and its refresh is not flagged.
    let schema = format!("{SCHEMA}{view}\n");
    let flagged =
        support::findings_after(&schema, change, rule.id, Settings::new(Dialect::Postgres));
    assert!(!flagged.is_empty());
    assert!(findings(rule.id, &format!("{view}\n{change}")).is_empty());
    let Some(db) = fresh_db() else { return };
    db.exec(&format!("{SCHEMA}{view}"))
        .expect("schema and view");
    let rows = db
        .query(&format!(
            "SELECT 'before', relfilenode FROM pg_class WHERE relname = 'user_counts';\n\
             BEGIN;\n{change}\n\
             SELECT 'mode', l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             WHERE l.pid = pg_backend_pid() AND c.relname = 'user_counts';\n\
             SELECT 'after', relfilenode FROM pg_class WHERE relname = 'user_counts';\n\
             ROLLBACK;"
        ))
        .expect("refresh");
    let value = |tag: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.first().map(String::as_str) == Some(tag))
            .filter_map(|r| r.get(1).cloned())
            .collect()
    };
    let modes = value("mode");
    assert!(
        modes
            .iter()
            .any(|m| Some(m.as_str()) == claim.mode.pg_locks_name()),
        "{modes:?}"
    );
    assert_eq!(claim.effect, TableEffect::Rewrite);
    assert_ne!(value("before"), value("after"), "the view kept its files");
}
