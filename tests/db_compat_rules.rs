//! Lock and rewrite claims of the compatibility, data-loss and transaction rules, measured
//! on a real PostgreSQL 15 server against the proof schema's tables.
//!
//! Each test runs a rule's documented example (or the statement its finding describes) in a
//! transaction and compares the strongest lock per table and the relfilenodes with what the
//! rule declares, so a claim the server contradicts fails here.

mod support;

use lockstep::config::Settings;
use lockstep::diagnostic::{LockMode, TableEffect};
use lockstep::dialect::Dialect;
use lockstep::rules::{self, Rule};
use support::postgres::{postgres, postgres_major, Measurement, MAJORS};

/// The proof schema's tables this file touches, filled with rows.
const SCHEMA: &str = "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped'); \
     CREATE TABLE users (id bigint PRIMARY KEY, email text, status text); \
     INSERT INTO users SELECT g, 'u' || g || '@example.com', 'active' FROM generate_series(1, 10000) g; \
     CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, state order_status); \
     INSERT INTO orders SELECT g, 1 + g % 10000, 'new' FROM generate_series(1, 10000) g; \
     CREATE TABLE accounts (id bigint PRIMARY KEY, balance int); \
     INSERT INTO accounts SELECT g, g % 1000 FROM generate_series(1, 10000) g; \
     CREATE TABLE labels (id bigint PRIMARY KEY, name text); \
     INSERT INTO labels SELECT g, 'label ' || g FROM generate_series(1, 10000) g; \
     CREATE SCHEMA billing; \
     CREATE TABLE billing.invoices (id bigint PRIMARY KEY, number text); \
     INSERT INTO billing.invoices SELECT g, 'INV-' || g FROM generate_series(1, 10000) g;";

fn measure(statement: &str) -> Option<Measurement> {
    let db = postgres()?.fresh_db();
    Some(
        db.measure(SCHEMA, statement)
            .unwrap_or_else(|err| panic!("measuring {statement:?} failed: {err}")),
    )
}

fn rule(id: &str) -> &'static Rule {
    rules::find(id).unwrap_or_else(|| panic!("no rule {id}"))
}

const MODES: [LockMode; 8] = [
    LockMode::AccessShare,
    LockMode::RowShare,
    LockMode::RowExclusive,
    LockMode::ShareUpdateExclusive,
    LockMode::Share,
    LockMode::ShareRowExclusive,
    LockMode::Exclusive,
    LockMode::AccessExclusive,
];

/// What `statement` did to one table, followed by its OID so that drops and renames (after
/// which the name no longer leads to the table) are observed too.
struct TableEvidence {
    strongest: Option<LockMode>,
    /// `None` when the table no longer exists after the statement.
    rewritten: Option<bool>,
}

/// Runs `statement` in a transaction after the schema and reports the strongest lock its
/// backend holds on `table` and whether `table` got a new relfilenode.
fn observe(statement: &str, table: &str) -> Option<TableEvidence> {
    let db = postgres()?.fresh_db();
    db.exec(SCHEMA).expect("schema");
    let before = db
        .query(&format!(
            "SELECT oid, relfilenode FROM pg_class WHERE oid = '{table}'::regclass"
        ))
        .expect("table oid");
    let [oid, node] = before.first().map(Vec::as_slice).unwrap_or_default() else {
        panic!("{table} has no oid: {before:?}");
    };
    let rows = db
        .query(&format!(
            "BEGIN;\n{statement};\n\
             SELECT 'lock', mode FROM pg_locks WHERE pid = pg_backend_pid() AND granted \
             AND locktype = 'relation' AND relation = {oid};\n\
             SELECT 'node', relfilenode FROM pg_class WHERE oid = {oid};\n\
             ROLLBACK;",
            statement = statement.trim().trim_end_matches(';'),
        ))
        .unwrap_or_else(|err| panic!("{statement}: {err}"));
    let tagged = |tag: &str| -> Vec<String> {
        rows.iter()
            .filter_map(|r| match r.as_slice() {
                [t, value] if t == tag => Some(value.clone()),
                _ => None,
            })
            .collect()
    };
    let strongest = tagged("lock")
        .iter()
        .filter_map(|m| {
            MODES
                .iter()
                .copied()
                .find(|mode| mode.pg_locks_name() == Some(m))
        })
        .max();
    let rewritten = tagged("node").first().map(|after| after != node);
    Some(TableEvidence {
        strongest,
        rewritten,
    })
}

/// Asserts that `statement` holds the lock `id` claims on `table` and, while the table
/// still exists, rewrites it exactly when the claim says so.
fn assert_claim(id: &str, statement: &str, table: &str) {
    let claim = rule(id)
        .lock
        .unwrap_or_else(|| panic!("{id} claims no lock"));
    let Some(seen) = observe(statement, table) else {
        return;
    };
    assert_eq!(seen.strongest, Some(claim.mode), "{id}: {statement}");
    if let Some(rewritten) = seen.rewritten {
        assert_eq!(
            rewritten,
            claim.effect == TableEffect::Rewrite,
            "{id}: {statement}: relfilenode"
        );
    }
}

/// The documented example of `id` holds the claimed lock on `table`.
fn assert_example_claim(id: &str, table: &str) {
    let example = rule(id)
        .section_sql("Example")
        .unwrap_or_else(|| panic!("{id} has no example"));
    assert_claim(id, &example, table);
}

#[test]
fn rename_table_takes_access_exclusive_without_rewrite() {
    assert_example_claim("rename-table", "users");
}

#[test]
fn set_schema_takes_access_exclusive_without_rewrite() {
    assert_example_claim("set-schema", "labels");
}

#[test]
fn drop_table_takes_access_exclusive() {
    assert_example_claim("drop-table", "labels");
}

#[test]
fn drop_schema_cascade_takes_access_exclusive_on_its_tables() {
    assert_example_claim("drop-schema", "billing.invoices");
}

#[test]
fn truncate_takes_access_exclusive_and_gives_the_table_new_storage() {
    assert_example_claim("truncate-table", "labels");
}

#[test]
fn whole_table_update_takes_row_exclusive() {
    assert_example_claim("data-change-without-where", "users");
}

#[test]
fn validate_after_not_valid_add_still_holds_access_exclusive() {
    // The harness wraps the statements in its own transaction, as a migration tool does.
    let claim = rule("validate-in-same-transaction")
        .lock
        .expect("validate-in-same-transaction claims a lock");
    let Some(m) = measure(
        "ALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0) NOT VALID;\n\
         ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_check",
    ) else {
        return;
    };
    assert_eq!(m.lock_on("accounts"), claim.mode.pg_locks_name(), "{m:?}");
    assert!(!m.rewrote("accounts"), "{m:?}");
}

#[test]
fn validate_alone_takes_share_update_exclusive() {
    let Some(db) = postgres().map(|s| s.fresh_db()) else {
        return;
    };
    let m = db
        .measure(
            &format!(
                "{SCHEMA} ALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0) NOT VALID;"
            ),
            "ALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_check",
        )
        .expect("measuring VALIDATE");
    assert_eq!(
        m.lock_on("accounts"),
        LockMode::ShareUpdateExclusive.pg_locks_name(),
        "{m:?}"
    );
}

#[test]
fn enum_value_changes_lock_no_table() {
    for statement in [
        "ALTER TYPE order_status RENAME VALUE 'new' TO 'created'",
        "ALTER TYPE order_status ADD VALUE 'cancelled'",
    ] {
        let Some(m) = measure(statement) else { return };
        assert_eq!(m.lock_on("orders"), None, "{statement}: {m:?}");
        assert!(m.rewritten.is_empty(), "{statement}: {m:?}");
    }
}

#[test]
fn add_value_inside_a_transaction_is_accepted_on_15() {
    let Some(db) = postgres().map(|s| s.fresh_db()) else {
        return;
    };
    db.exec(SCHEMA).expect("schema");
    db.exec("BEGIN; ALTER TYPE order_status ADD VALUE 'cancelled'; COMMIT;")
        .expect("PostgreSQL 12+ accepts ADD VALUE in a transaction block");
}

#[test]
fn concurrent_forms_are_refused_inside_a_transaction() {
    let Some(db) = postgres().map(|s| s.fresh_db()) else {
        return;
    };
    db.exec("CREATE TABLE events (id bigint, happened_at date NOT NULL) PARTITION BY RANGE (happened_at); \
             CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); \
             CREATE TABLE users (id bigint PRIMARY KEY, email text); \
             CREATE INDEX users_email_idx ON users (email);")
        .expect("schema");
    for statement in [
        "REINDEX INDEX CONCURRENTLY users_email_idx",
        "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
        "DROP INDEX CONCURRENTLY users_email_idx",
    ] {
        let err = db
            .exec(&format!("BEGIN; {statement}; COMMIT;"))
            .expect_err(statement);
        assert!(
            err.contains("cannot run inside a transaction block"),
            "{statement}: {err}"
        );
    }
}

/// What one statement answered: the first row's first value, or the server's error.
type Answer = Result<String, String>;

/// What the running release's `app` statement answers on every major's server after `setup`,
/// before and after `change`, by major.
fn app_before_and_after(setup: &str, change: &str, app: &str) -> Vec<(u32, Answer, Answer)> {
    let first_value = |rows: Result<Vec<Vec<String>>, String>| {
        rows.map(|rows| rows.into_iter().flatten().next().unwrap_or_default())
    };
    let mut seen = Vec::new();
    for major in MAJORS {
        let Some(server) = postgres_major(major) else {
            continue;
        };
        let db = server.fresh_db();
        db.exec(setup).expect("setup");
        let before = first_value(db.query(&format!("BEGIN;\n{app};\nROLLBACK;")));
        db.exec(change)
            .unwrap_or_else(|err| panic!("{major}: {change}: {err}"));
        let after = first_value(db.query(&format!("BEGIN;\n{app};\nROLLBACK;")));
        seen.push((major, before, after));
    }
    seen
}

/// The messages of `rule_id` on `change`, linted as the migration after `setup`.
fn messages(setup: &str, change: &str, rule_id: &str) -> Vec<String> {
    support::findings_after(setup, change, rule_id, Settings::new(Dialect::Postgres))
        .into_iter()
        .map(|f| f.message)
        .collect()
}

/// An insert of the running release that leaves a column out gets its default; once the
/// default is dropped, it fails on a NOT NULL column and stores NULL in a nullable one, as
/// drop-default says. A default this change set gave is dropped without a finding.
#[test]
fn dropping_a_default_breaks_inserts_that_leave_the_column_out() {
    let setup = "CREATE TABLE accounts (id bigint PRIMARY KEY, balance int NOT NULL DEFAULT 0, note text DEFAULT 'none');";
    let insert = "INSERT INTO accounts (id) VALUES (1) RETURNING note";
    let balance = "ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;";
    for (major, before, after) in app_before_and_after(setup, balance, insert) {
        assert_eq!(before.as_deref(), Ok("none"), "{major}");
        let refusal = after.expect_err("the insert must fail");
        assert!(
            refusal.contains("null value in column \"balance\""),
            "{major}: {refusal}"
        );
    }
    assert!(
        messages(setup, balance, "drop-default")[0].ends_with("now fail: the column is NOT NULL")
    );

    let note = "ALTER TABLE accounts ALTER COLUMN note DROP DEFAULT;";
    for (major, before, after) in app_before_and_after(setup, note, insert) {
        assert_eq!(before.as_deref(), Ok("none"), "{major}");
        assert_eq!(after.as_deref(), Ok("NULL"), "{major}");
    }
    assert!(messages(setup, note, "drop-default")[0].ends_with("now store NULL in it"));

    let own = "ALTER TABLE accounts ADD COLUMN tier int NOT NULL DEFAULT 1;\nALTER TABLE accounts ALTER COLUMN tier DROP DEFAULT;";
    assert!(messages(setup, own, "drop-default").is_empty());
}

/// A `GENERATED ALWAYS` identity refuses the id an insert of the running release supplies,
/// and a dropped identity leaves a NOT NULL column that inserts leaving it out fail on, as
/// alter-identity says; `BY DEFAULT` takes a supplied id and is left alone.
#[test]
fn identity_changes_break_the_inserts_alter_identity_names() {
    let by_default = "CREATE TABLE accounts (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text);";
    let plain = "CREATE TABLE accounts (id bigint PRIMARY KEY, note text);";
    let supplies_id = "INSERT INTO accounts (id, note) VALUES (100, 'x') RETURNING id";
    let omits_id = "INSERT INTO accounts (note) VALUES ('x') RETURNING note";
    let cases = [
        (
            by_default,
            "ALTER TABLE accounts ALTER COLUMN id SET GENERATED ALWAYS;",
            supplies_id,
            Some("column \"id\""),
        ),
        (
            plain,
            "ALTER TABLE accounts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;",
            supplies_id,
            Some("column \"id\""),
        ),
        (
            by_default,
            "ALTER TABLE accounts ALTER COLUMN id DROP IDENTITY;",
            omits_id,
            Some("null value in column \"id\""),
        ),
        (
            plain,
            "ALTER TABLE accounts ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;",
            supplies_id,
            None,
        ),
    ];
    for (setup, change, app, refusal) in cases {
        for (major, before, after) in app_before_and_after(setup, change, app) {
            assert!(before.is_ok(), "{major}: {app} before {change}: {before:?}");
            match refusal {
                Some(expected) => {
                    let refused = after.expect_err(change);
                    assert!(refused.contains(expected), "{major}: {change}: {refused}");
                }
                None => assert!(after.is_ok(), "{major}: {change}: {after:?}"),
            }
        }
        let flagged = !messages(setup, change, "alter-identity").is_empty();
        assert_eq!(flagged, refusal.is_some(), "alter-identity on {change}");
    }
}

/// `ON CONFLICT ON CONSTRAINT` of the running release fails once the constraint it names is
/// renamed, as rename-constraint says.
#[test]
fn renaming_a_constraint_breaks_statements_that_name_it() {
    let setup = "CREATE TABLE users (id bigint PRIMARY KEY, email text, CONSTRAINT users_email_key UNIQUE (email));";
    let change = "ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_unique;";
    let upsert = "INSERT INTO users VALUES (1, 'a@example.com') ON CONFLICT ON CONSTRAINT users_email_key DO NOTHING RETURNING id";
    for (major, before, after) in app_before_and_after(setup, change, upsert) {
        assert_eq!(before.as_deref(), Ok("1"), "{major}");
        let refused = after.expect_err("the upsert must fail");
        assert!(
            refused.contains("constraint \"users_email_key\" for table \"users\" does not exist"),
            "{major}: {refused}"
        );
    }
    assert_eq!(messages(setup, change, "rename-constraint").len(), 1);
    let own = "ALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0);\nALTER TABLE users RENAME CONSTRAINT users_id_positive TO users_id_check;";
    assert!(messages(setup, own, "rename-constraint").is_empty());
}
