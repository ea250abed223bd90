//! Proof table, MySQL side: which `ALGORITHM=`/`LOCK=` pins a real MariaDB server honours.
//!
//! Expected values come from the MariaDB documentation "InnoDB Online DDL Operations" (adding a
//! column supports INSTANT, changing a column's data type needs COPY, adding a secondary index
//! is INPLACE/NOCOPY with LOCK=NONE).

mod support;

use support::mariadb::{mariadb, MariaDb};

const ACCOUNTS: &str = "CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL, \
     name VARCHAR(10) NOT NULL) ENGINE=InnoDB; \
     INSERT INTO accounts VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c');";

fn fresh_db() -> Option<MariaDb> {
    mariadb().map(|server| server.fresh_db())
}

fn accepted(statement: &str) -> Option<bool> {
    let db = fresh_db()?;
    Some(
        db.alter_is_accepted(ACCOUNTS, statement)
            .unwrap_or_else(|err| panic!("{statement:?} failed for another reason: {err}")),
    )
}

#[test]
fn add_column_is_instant() {
    let Some(ok) = accepted("ALTER TABLE accounts ADD COLUMN c INT, ALGORITHM=INSTANT") else {
        return;
    };
    assert!(ok);
}

#[test]
fn changing_column_type_cannot_run_inplace_without_lock() {
    let Some(ok) = accepted(
        "ALTER TABLE accounts MODIFY balance BIGINT NOT NULL, ALGORITHM=INPLACE, LOCK=NONE",
    ) else {
        return;
    };
    assert!(!ok);
}

#[test]
fn changing_column_type_is_accepted_with_copy() {
    let Some(ok) = accepted(
        "ALTER TABLE accounts MODIFY balance BIGINT NOT NULL, ALGORITHM=COPY, LOCK=SHARED",
    ) else {
        return;
    };
    assert!(ok);
}

#[test]
fn add_index_runs_inplace_without_lock() {
    let Some(ok) = accepted(
        "ALTER TABLE accounts ADD INDEX accounts_balance (balance), ALGORITHM=INPLACE, LOCK=NONE",
    ) else {
        return;
    };
    assert!(ok);
}

#[test]
fn add_index_is_not_instant() {
    let Some(ok) =
        accepted("ALTER TABLE accounts ADD INDEX accounts_balance (balance), ALGORITHM=INSTANT")
    else {
        return;
    };
    assert!(!ok);
}

#[test]
fn other_errors_are_not_refusals() {
    let Some(db) = fresh_db() else { return };
    let result = db.alter_is_accepted(
        ACCOUNTS,
        "ALTER TABLE missing ADD COLUMN c INT, ALGORITHM=INSTANT",
    );
    let err = result.expect_err("a missing table is an error, not a refused pin");
    assert!(err.contains("1146"), "{err}");
}

#[test]
fn query_round_trips_nulls_tabs_and_line_breaks() {
    let Some(db) = fresh_db() else { return };
    let rows = db
        .query("SELECT 1, NULL, 'a\\tb\\nc'; SELECT 2, '';")
        .expect("query");
    let expected = vec![
        vec!["1".to_string(), "NULL".into(), "a\tb\nc".into()],
        vec!["2".to_string(), String::new()],
    ];
    assert_eq!(rows, expected);
}

#[test]
fn fresh_databases_are_isolated() {
    let (Some(first), Some(second)) = (fresh_db(), fresh_db()) else {
        return;
    };
    first
        .exec("CREATE TABLE only_here (id INT)")
        .expect("create");
    assert!(second.exec("SELECT * FROM only_here").is_err());
    assert_ne!(first.name(), second.name());
}

/// What `add-not-null-column-without-default` says on MySQL: in strict mode the ALTER
/// itself succeeds (the rows that exist get the type's implicit default), and what fails is
/// the running release's INSERT that does not name the new column (error 1364).
#[test]
fn a_not_null_column_without_default_is_added_and_breaks_old_inserts() {
    let Some(db) = fresh_db() else { return };
    db.exec(ACCOUNTS).expect("accounts");
    db.exec("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'; ALTER TABLE accounts ADD COLUMN score INT NOT NULL")
        .expect("the ALTER succeeds on a table with rows, in strict mode");
    let filled = db
        .query("SELECT DISTINCT score FROM accounts")
        .expect("query");
    assert_eq!(filled, vec![vec!["0".to_string()]]);
    let old_insert = db.exec(
        "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'; INSERT INTO accounts (id, balance, name) VALUES (4, 40, 'd')",
    );
    let err = old_insert.expect_err("the old release's INSERT fails");
    assert!(err.contains("1364"), "{err}");
}
