//! Proof table, PostgreSQL side: the lock each DDL form takes and whether it rewrites the table,
//! measured on a real PostgreSQL 15 server.
//!
//! Expected values come from the PostgreSQL 15 documentation: "Explicit Locking" (13.3.1, the
//! lock taken by each command), CREATE INDEX ("Building Indexes Concurrently") and ALTER TABLE
//! (the per-subcommand lock levels in the description, and the Notes on which forms rewrite).

mod support;

use support::postgres::{postgres, Measurement, PgDb};

/// A table with real rows, so that rewrites and index builds have work to do.
const ACCOUNTS: &str = "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, \
     name varchar(10) NOT NULL); \
     INSERT INTO accounts SELECT g, g % 100, 'n' || (g % 1000) FROM generate_series(1, 20000) g;";

/// A parent/child pair for foreign keys, filled with matching rows.
const ORDERS: &str = "CREATE TABLE customers (id int PRIMARY KEY); \
     INSERT INTO customers SELECT generate_series(1, 1000); \
     CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL); \
     INSERT INTO orders SELECT g, 1 + g % 1000 FROM generate_series(1, 5000) g;";

fn fresh_db() -> Option<PgDb> {
    postgres().map(|server| server.fresh_db())
}

fn measure(setup: &str, statement: &str) -> Option<Measurement> {
    let db = fresh_db()?;
    Some(
        db.measure(setup, statement)
            .unwrap_or_else(|err| panic!("measuring {statement:?} failed: {err}")),
    )
}

#[test]
fn create_index_takes_share_lock_without_rewrite() {
    let Some(m) = measure(
        ACCOUNTS,
        "CREATE INDEX accounts_balance ON accounts (balance)",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("accounts"), Some("ShareLock"));
    assert!(m.rewritten.is_empty(), "{m:?}");
    assert!(m.scanned("accounts"), "the build reads every row: {m:?}");
}

#[test]
fn create_index_concurrently_takes_share_update_exclusive_lock() {
    let Some(db) = fresh_db() else { return };
    let m = db
        .measure_outside_tx(
            ACCOUNTS,
            "CREATE INDEX CONCURRENTLY accounts_balance ON accounts (balance)",
        )
        .unwrap_or_else(|err| panic!("measuring CREATE INDEX CONCURRENTLY failed: {err}"));
    assert_eq!(
        m.lock_on("accounts"),
        Some("ShareUpdateExclusiveLock"),
        "{m:?}"
    );
    assert_eq!(
        m.sequence.get("accounts").map(Vec::as_slice),
        Some(["ShareUpdateExclusiveLock".to_string()].as_slice()),
        "nothing stronger at any step: {m:?}"
    );
    assert!(m.rewritten.is_empty(), "{m:?}");
    assert!(m.scanned("accounts"), "the build reads every row: {m:?}");
    let valid = db
        .query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_balance'::regclass")
        .expect("the index exists");
    assert_eq!(valid, vec![vec!["t".to_string()]]);
}

#[test]
fn add_nullable_column_takes_access_exclusive_without_rewrite() {
    let Some(m) = measure(ACCOUNTS, "ALTER TABLE accounts ADD COLUMN note text") else {
        return;
    };
    assert_eq!(m.lock_on("accounts"), Some("AccessExclusiveLock"));
    assert!(!m.rewrote("accounts"), "{m:?}");
    assert!(
        m.scanned.is_empty(),
        "a nullable column is catalogue-only: {m:?}"
    );
}

#[test]
fn widening_int_to_bigint_rewrites_under_access_exclusive() {
    let Some(m) = measure(
        ACCOUNTS,
        "ALTER TABLE accounts ALTER COLUMN balance TYPE bigint",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("accounts"), Some("AccessExclusiveLock"));
    assert!(m.rewrote("accounts"), "{m:?}");
}

#[test]
fn lengthening_varchar_does_not_rewrite() {
    let Some(m) = measure(
        ACCOUNTS,
        "ALTER TABLE accounts ALTER COLUMN name TYPE varchar(20)",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("accounts"), Some("AccessExclusiveLock"));
    assert!(!m.rewrote("accounts"), "{m:?}");
}

#[test]
fn add_foreign_key_takes_share_row_exclusive_on_both_tables() {
    let Some(m) = measure(
        ORDERS,
        "ALTER TABLE orders ADD CONSTRAINT orders_customer \
         FOREIGN KEY (customer_id) REFERENCES customers (id)",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("orders"), Some("ShareRowExclusiveLock"));
    assert_eq!(m.lock_on("customers"), Some("ShareRowExclusiveLock"));
    assert!(m.rewritten.is_empty(), "{m:?}");
    assert!(m.scanned("orders"), "every row is checked: {m:?}");
}

const ADD_FOREIGN_KEY_NOT_VALID: &str = "ALTER TABLE orders ADD CONSTRAINT orders_customer \
     FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID";

#[test]
fn add_foreign_key_not_valid_takes_the_same_locks() {
    let Some(m) = measure(ORDERS, ADD_FOREIGN_KEY_NOT_VALID) else {
        return;
    };
    assert_eq!(m.lock_on("orders"), Some("ShareRowExclusiveLock"));
    assert_eq!(m.lock_on("customers"), Some("ShareRowExclusiveLock"));
    assert!(
        m.scanned.is_empty(),
        "NOT VALID checks no existing row: {m:?}"
    );
}

#[test]
fn add_foreign_key_not_valid_skips_the_scan_of_existing_rows() {
    let Some(db) = fresh_db() else { return };
    let orphan = "INSERT INTO orders VALUES (999999, 424242);";
    db.exec(&format!("{ORDERS} {orphan}")).expect("setup");
    let validated = db.exec(
        "ALTER TABLE orders ADD CONSTRAINT orders_customer \
         FOREIGN KEY (customer_id) REFERENCES customers (id)",
    );
    assert!(
        validated.is_err(),
        "the validating form must scan and find the orphan row"
    );
    db.exec(ADD_FOREIGN_KEY_NOT_VALID)
        .expect("NOT VALID accepts existing orphan rows, so it did not scan");
}

#[test]
fn validate_constraint_takes_share_update_exclusive() {
    let Some(m) = measure(
        &format!("{ORDERS} {ADD_FOREIGN_KEY_NOT_VALID};"),
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("orders"), Some("ShareUpdateExclusiveLock"));
    // The docs: a foreign key's validation also takes ROW SHARE on the referenced table.
    assert_eq!(m.lock_on("customers"), Some("RowShareLock"));
    assert!(m.rewritten.is_empty(), "{m:?}");
    assert!(m.scanned("orders"), "validation reads every row: {m:?}");
}

#[test]
fn add_column_with_volatile_default_rewrites() {
    let Some(m) = measure(
        ACCOUNTS,
        "ALTER TABLE accounts ADD COLUMN score double precision DEFAULT random()",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("accounts"), Some("AccessExclusiveLock"));
    assert!(m.rewrote("accounts"), "{m:?}");
}

#[test]
fn add_column_with_constant_default_does_not_rewrite() {
    let Some(m) = measure(
        ACCOUNTS,
        "ALTER TABLE accounts ADD COLUMN score int DEFAULT 0",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("accounts"), Some("AccessExclusiveLock"));
    assert!(!m.rewrote("accounts"), "{m:?}");
}

#[test]
fn query_round_trips_nulls_line_breaks_and_commas() {
    let Some(db) = fresh_db() else { return };
    let rows = db
        .query("SELECT 1, NULL, E'a\\nb', 'c,\"d'; SELECT 2, '';")
        .expect("query");
    let expected = vec![
        vec![
            "1".to_string(),
            "NULL".into(),
            "a\nb".into(),
            "c,\"d".into(),
        ],
        vec!["2".to_string(), String::new()],
    ];
    assert_eq!(rows, expected);
}

#[test]
fn server_errors_come_back_as_errors() {
    let Some(db) = fresh_db() else { return };
    let err = db.exec("SELECT 1/0").expect_err("division by zero");
    assert!(err.contains("division by zero"), "{err}");
    let err = db
        .measure("", "ALTER TABLE missing ADD COLUMN c int")
        .expect_err("no table");
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn fresh_databases_are_isolated() {
    let (Some(first), Some(second)) = (fresh_db(), fresh_db()) else {
        return;
    };
    first
        .exec("CREATE TABLE only_here (id int)")
        .expect("create");
    assert!(second.exec("SELECT * FROM only_here").is_err());
    assert_ne!(first.name(), second.name());
}

fn measure_outside_tx(setup: &str, statement: &str) -> Option<Measurement> {
    let db = fresh_db()?;
    Some(
        db.measure_outside_tx(setup, statement)
            .unwrap_or_else(|err| panic!("measuring {statement:?} failed: {err}")),
    )
}

#[test]
fn reindex_concurrently_takes_share_update_exclusive() {
    let Some(m) = measure_outside_tx(ACCOUNTS, "REINDEX INDEX CONCURRENTLY accounts_pkey") else {
        return;
    };
    assert_eq!(
        m.lock_on("accounts"),
        Some("ShareUpdateExclusiveLock"),
        "{m:?}"
    );
    assert!(m.rewritten.is_empty(), "{m:?}");
}

#[test]
fn drop_index_concurrently_does_not_lock_out_writes() {
    let setup = format!("{ACCOUNTS} CREATE INDEX accounts_balance ON accounts (balance);");
    let Some(m) = measure_outside_tx(&setup, "DROP INDEX CONCURRENTLY accounts_balance") else {
        return;
    };
    assert_eq!(
        m.lock_on("accounts"),
        Some("ShareUpdateExclusiveLock"),
        "{m:?}"
    );
    // The setup's own index build scanned the table in another session; only the drop counts.
    assert!(
        m.scanned.is_empty(),
        "dropping an index reads no rows: {m:?}"
    );
}

#[test]
fn a_refused_statement_is_observed_with_the_lock_it_asked_for() {
    let Some(db) = fresh_db() else { return };
    let observation = db
        .observe_outside_tx(
            ACCOUNTS,
            "ALTER TABLE accounts ADD COLUMN note text NOT NULL",
        )
        .unwrap_or_else(|err| panic!("observing the refused ALTER failed: {err}"));
    let refusal = observation.refusal.expect("a table with rows refuses it");
    assert!(refusal.contains("contains null values"), "{refusal}");
    let m = observation.measurement;
    assert_eq!(
        m.waited.get("accounts").map(String::as_str),
        Some("AccessExclusiveLock"),
        "{m:?}"
    );
    assert!(m.rewritten.is_empty(), "{m:?}");
}

#[test]
fn materialized_views_count_as_tables() {
    let setup = format!(
        "{ACCOUNTS} CREATE MATERIALIZED VIEW balances AS SELECT balance, count(*) FROM accounts \
         GROUP BY balance;"
    );
    let Some(m) = measure(&setup, "REFRESH MATERIALIZED VIEW balances") else {
        return;
    };
    assert_eq!(m.lock_on("balances"), Some("AccessExclusiveLock"), "{m:?}");
    assert_eq!(m.lock_on("accounts"), Some("AccessShareLock"), "{m:?}");
    assert!(m.rewrote("balances"), "{m:?}");
    assert!(m.scanned("accounts"), "{m:?}");
}

/// DETACH PARTITION CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on the parent and the partition,
/// commits, waits for every transaction using either, and then, in its second transaction,
/// takes ACCESS EXCLUSIVE on the partition for a moment. That last lock lasts no time at all
/// on an idle server, so a sampler sees it or not depending on load; the observer makes it
/// queue, and must see it on every run.
#[test]
fn detach_partition_concurrently_ends_with_access_exclusive_on_the_partition_every_time() {
    const RUNS: usize = 5;
    let setup = "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at); \
         CREATE TABLE events_2024 PARTITION OF events \
         FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); \
         INSERT INTO events SELECT g, date '2024-01-01' + g % 300 FROM generate_series(1, 5000) g;";
    for run in 1..=RUNS {
        let Some(db) = fresh_db() else { return };
        let m = db
            .measure_outside_tx(
                setup,
                "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
            )
            .unwrap_or_else(|err| panic!("run {run}: DETACH PARTITION CONCURRENTLY: {err}"));
        let sequence = |table: &str| m.sequence.get(table).cloned().unwrap_or_default();
        assert_eq!(
            sequence("events"),
            ["ShareUpdateExclusiveLock"],
            "run {run}: {m:?}"
        );
        assert_eq!(
            sequence("events_2024"),
            ["ShareUpdateExclusiveLock", "AccessExclusiveLock"],
            "run {run}: {m:?}"
        );
        let detached = db
            .query("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'events_2024'::regclass")
            .expect("query");
        assert_eq!(detached, vec![vec!["0".to_string()]], "run {run}");
    }
}
