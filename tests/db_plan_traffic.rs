//! Proof under live traffic: each `lockstep plan` is applied, phase by phase, to a table of
//! 100,000 rows on a real PostgreSQL 15 server while an "old application" and then a "new
//! application" read and write it, as in a rolling deploy.
//!
//! The files are the golang-migrate ones `lockstep plan --layout golang-migrate` writes, run
//! the way golang-migrate runs them: each file sent as one query string, which PostgreSQL
//! runs as one implicit transaction unless the file opens its own (the strictest of the
//! frameworks for a batched backfill or `CONCURRENTLY`). Everything the test checks about a
//! phase is read from the header of its file:
//! - no application statement fails while the header says both releases work;
//! - the verify query returns the expected answer once the phase ran;
//! - the phase runs under the deterministic lock observer (`support::postgres::observe`):
//!   no lock stronger than the header's is asked for, and a phase whose header says
//!   "catalogue changes only" rewrites nothing (the seconds in the header are the plan's
//!   estimate, not something a test on a shared machine can prove; what makes them true is
//!   that the lock covers no table work, and for backfills that every batch commits on its
//!   own, proven by `a_backfill_commits_every_batch_on_its_own`);
//! - the rollback puts back the schema (and every acknowledged write is still there);
//! - at the end the table holds exactly the last acknowledged write of every row, whichever
//!   release wrote it.
//!
//! Every loop is bounded in iterations and in time; no assertion depends on how fast the
//! machine is: traffic "settles" until every release thread has run a number of statements,
//! not for a number of milliseconds.

mod support;

use lockstep::layout::Direction;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use support::plan_files::{self, PhaseFiles};
use support::postgres::observe::observe_run;
use support::postgres::{postgres, postgres_major, PgDb, PgSession, LOCK_MODES};
use support::traffic::{
    assert_refused, assert_rows_match, one_at_a_time, query_one, AppDb, AppSession, Model, Release,
    Rollout, Traffic, ROWS,
};

/// The application name the migration sessions run under, for the lock monitor.
const MIGRATION_APP: &str = "lockstep_migration";
/// Rows per backfill batch: small enough that a batch stays far below the header's bound
/// on a loaded two-core machine, many enough to show the per-batch commits.
const BATCH_SIZE: &str = "2000";

/// One pattern: the table, the statement to plan, the two releases and the final checks.
struct Scenario {
    name: &'static str,
    /// The table the plan changes, whose locks the monitor samples.
    table: &'static str,
    create: &'static str,
    load: &'static str,
    change: &'static str,
    old: Release,
    new: Release,
    /// `id, value` of every row, in the schema before the plan (what the old release sees).
    old_rows: &'static str,
    /// `id, value` of every row, in the schema after the plan.
    final_rows: &'static str,
    /// Queries that must return `t` at the end.
    final_checks: &'static [&'static str],
}

fn numeric_value(n: u64) -> (String, String) {
    let text = format!("{}.{:02}", n / 100, n % 100);
    (text.clone(), text)
}

fn text_value(n: u64) -> (String, String) {
    (format!("'n{n}'"), format!("n{n}"))
}

const RENAME: Scenario = Scenario {
    name: "rename_column",
    table: "shipments",
    create: "CREATE TABLE shipments (\n    id bigserial PRIMARY KEY,\n    origin text NOT NULL,\n    co2_kg numeric(10,2)\n);\n",
    load: "INSERT INTO shipments (origin, co2_kg) SELECT 'o' || g, (g % 100000) / 100.0 FROM generate_series(1, 100000) g",
    change: "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    old: Release {
        name: "old",
        insert: "INSERT INTO shipments (origin, co2_kg) VALUES ('old', {value}) RETURNING id",
        update: "UPDATE shipments SET co2_kg = {value} WHERE id = {id}",
        read: "SELECT co2_kg FROM shipments WHERE id = {id}",
        literal: numeric_value,
    },
    new: Release {
        name: "new",
        insert: "INSERT INTO shipments (origin, emissions_kg) VALUES ('new', {value}) RETURNING id",
        update: "UPDATE shipments SET emissions_kg = {value} WHERE id = {id}",
        read: "SELECT emissions_kg FROM shipments WHERE id = {id}",
        literal: numeric_value,
    },
    old_rows: "SELECT id, co2_kg FROM shipments",
    final_rows: "SELECT id, emissions_kg FROM shipments",
    final_checks: &[],
};

const RENAME_NOT_NULL: Scenario = Scenario {
    name: "rename_not_null_column",
    create: "CREATE TABLE shipments (\n    id bigserial PRIMARY KEY,\n    origin text NOT NULL,\n    co2_kg numeric(10,2) NOT NULL DEFAULT 0\n);\n",
    final_checks: &[
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'shipments'::regclass AND attname = 'emissions_kg'",
        "SELECT pg_get_expr(d.adbin, d.adrelid) = '0' FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'shipments'::regclass AND a.attname = 'emissions_kg'",
    ],
    ..RENAME
};

const ADD_VOLATILE_NOT_NULL: Scenario = Scenario {
    name: "add_not_null_column_with_volatile_default",
    table: "products",
    create: "CREATE TABLE products (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL\n);\n",
    load: "INSERT INTO products (name) SELECT 'p' || g FROM generate_series(1, 100000) g",
    change: "ALTER TABLE products ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();\n",
    old: Release {
        name: "old",
        insert: "INSERT INTO products (name) VALUES ({value}) RETURNING id",
        update: "UPDATE products SET name = {value} WHERE id = {id}",
        read: "SELECT name FROM products WHERE id = {id}",
        literal: text_value,
    },
    new: Release {
        name: "new",
        insert: "INSERT INTO products (name) VALUES ({value}) RETURNING id",
        update: "UPDATE products SET name = {value} WHERE id = {id}",
        // The new release relies on every row having a token.
        read: "SELECT name FROM products WHERE id = {id} AND token IS NOT NULL",
        literal: text_value,
    },
    old_rows: "SELECT id, name FROM products",
    final_rows: "SELECT id, name FROM products",
    final_checks: &[
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'token'",
        "SELECT count(DISTINCT token) = count(*) FROM products",
    ],
};

const ADD_STORED_DEFAULT_NOT_NULL: Scenario = Scenario {
    name: "add_not_null_column_with_default",
    change: "ALTER TABLE products ADD COLUMN sustainability_score DECIMAL(5,2) NOT NULL DEFAULT 50.00;\n",
    new: Release {
        name: "new",
        insert: "INSERT INTO products (name, sustainability_score) VALUES ({value}, 70) RETURNING id",
        update: "UPDATE products SET name = {value} WHERE id = {id}",
        read: "SELECT name FROM products WHERE id = {id} AND sustainability_score IS NOT NULL",
        literal: text_value,
    },
    final_checks: &[
        "SELECT count(*) = 0 FROM products WHERE sustainability_score IS NULL",
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'sustainability_score'",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

const CREATE_INDEX: Scenario = Scenario {
    name: "create_index",
    change: "CREATE UNIQUE INDEX products_name_key ON products (name);\n",
    new: Release {
        name: "new",
        insert: "INSERT INTO products (name) VALUES ({value}) RETURNING id",
        update: "UPDATE products SET name = {value} WHERE id = {id}",
        // The new release looks products up by name, which the index serves.
        read: "SELECT p.name FROM products p WHERE p.name = (SELECT name FROM products WHERE id = {id})",
        literal: text_value,
    },
    final_checks: &[
        "SELECT indisvalid AND indisunique FROM pg_index WHERE indexrelid = 'products_name_key'::regclass",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

const DROP_INDEX: Scenario = Scenario {
    name: "drop_index",
    create: "CREATE TABLE products (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL\n);\nCREATE INDEX products_name ON products (name);\n",
    change: "DROP INDEX products_name;\n",
    new: ADD_VOLATILE_NOT_NULL.old,
    final_checks: &["SELECT to_regclass('products_name') IS NULL"],
    ..ADD_VOLATILE_NOT_NULL
};

const SET_NOT_NULL: Scenario = Scenario {
    name: "set_not_null",
    create: "CREATE TABLE products (\n    id bigserial PRIMARY KEY,\n    name text\n);\n",
    change: "ALTER TABLE products ALTER COLUMN name SET NOT NULL;\n",
    new: ADD_VOLATILE_NOT_NULL.old,
    final_checks: &[
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'name'",
        "SELECT count(*) = 0 FROM pg_constraint WHERE conrelid = 'products'::regclass AND contype = 'c'",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

const ADD_CHECK: Scenario = Scenario {
    name: "add_check",
    change: "ALTER TABLE products ADD CONSTRAINT name_not_blank CHECK (name <> '');\n",
    new: ADD_VOLATILE_NOT_NULL.old,
    final_checks: &[
        "SELECT convalidated FROM pg_constraint WHERE conrelid = 'products'::regclass AND conname = 'name_not_blank'",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

fn customer_value(n: u64) -> (String, String) {
    let id = (n % ROWS + 1).to_string();
    (id.clone(), id)
}

const ORDERS: Release = Release {
    name: "old",
    insert: "INSERT INTO orders (customer_id) VALUES ({value}) RETURNING id",
    update: "UPDATE orders SET customer_id = {value} WHERE id = {id}",
    read: "SELECT customer_id FROM orders WHERE id = {id}",
    literal: customer_value,
};

const ADD_FOREIGN_KEY: Scenario = Scenario {
    name: "add_foreign_key",
    table: "orders",
    create: "CREATE TABLE customers (\n    id bigserial PRIMARY KEY\n);\nCREATE TABLE orders (\n    id bigserial PRIMARY KEY,\n    customer_id bigint\n);\n",
    load: "INSERT INTO customers (id) SELECT g FROM generate_series(1, 100000) g;
           INSERT INTO orders (customer_id) SELECT g FROM generate_series(1, 100000) g",
    change: "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);\n",
    old: ORDERS,
    new: Release {
        name: "new",
        ..ORDERS
    },
    old_rows: "SELECT id, customer_id FROM orders",
    final_rows: "SELECT id, customer_id FROM orders",
    final_checks: &[
        "SELECT convalidated FROM pg_constraint WHERE conrelid = 'orders'::regclass AND conname = 'orders_customer_id_fkey'",
    ],
};

const ADD_UNIQUE: Scenario = Scenario {
    name: "add_unique",
    change: "ALTER TABLE products ADD CONSTRAINT products_name_key UNIQUE (name);\n",
    new: CREATE_INDEX.new,
    final_checks: &[
        "SELECT contype = 'u' FROM pg_constraint WHERE conrelid = 'products'::regclass AND conname = 'products_name_key'",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

const ADD_PRIMARY_KEY: Scenario = Scenario {
    name: "add_primary_key",
    // The id column has a default from a sequence but no NOT NULL and no key yet.
    create: "CREATE SEQUENCE products_id_seq;\nCREATE TABLE products (\n    id bigint DEFAULT nextval('products_id_seq'),\n    name text NOT NULL\n);\n",
    change: "ALTER TABLE products ADD PRIMARY KEY (id);\n",
    new: ADD_VOLATILE_NOT_NULL.old,
    final_checks: &[
        "SELECT contype = 'p' FROM pg_constraint WHERE conrelid = 'products'::regclass AND conname = 'products_pkey'",
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'id'",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

fn integer_value(n: u64) -> (String, String) {
    (n.to_string(), n.to_string())
}

const COUNTERS: Release = Release {
    name: "old",
    insert: "INSERT INTO counters (hits) VALUES ({value}) RETURNING id",
    update: "UPDATE counters SET hits = {value} WHERE id = {id}",
    read: "SELECT hits FROM counters WHERE id = {id}",
    literal: integer_value,
};

const CHANGE_TYPE: Scenario = Scenario {
    name: "change_column_type",
    table: "counters",
    create: "CREATE TABLE counters (\n    id bigserial PRIMARY KEY,\n    hits integer NOT NULL DEFAULT 0\n);\n",
    load: "INSERT INTO counters (hits) SELECT g FROM generate_series(1, 100000) g",
    change: "ALTER TABLE counters ALTER COLUMN hits TYPE bigint;\n",
    old: COUNTERS,
    new: Release {
        name: "new",
        ..COUNTERS
    },
    old_rows: "SELECT id, hits FROM counters",
    final_rows: "SELECT id, hits FROM counters",
    final_checks: &[
        "SELECT format_type(atttypid, atttypmod) = 'bigint' AND attnotnull FROM pg_attribute WHERE attrelid = 'counters'::regclass AND attname = 'hits'",
        "SELECT pg_get_expr(d.adbin, d.adrelid) = '0' FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'counters'::regclass AND a.attname = 'hits'",
        "SELECT count(*) = 0 FROM pg_trigger WHERE tgrelid = 'counters'::regclass AND NOT tgisinternal",
    ],
};

const RENAME_TABLE: Scenario = Scenario {
    name: "rename_table",
    change: "ALTER TABLE products RENAME TO catalog_items;\n",
    new: Release {
        name: "new",
        insert: "INSERT INTO catalog_items (name) VALUES ({value}) RETURNING id",
        update: "UPDATE catalog_items SET name = {value} WHERE id = {id}",
        read: "SELECT name FROM catalog_items WHERE id = {id}",
        literal: text_value,
    },
    final_rows: "SELECT id, name FROM catalog_items",
    final_checks: &[
        "SELECT to_regclass('products') IS NULL",
        "SELECT relkind = 'r' FROM pg_class WHERE oid = 'catalog_items'::regclass",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

const ADD_SERIAL: Scenario = Scenario {
    name: "add_serial_column",
    change: "ALTER TABLE products ADD COLUMN position bigserial;\n",
    new: Release {
        name: "new",
        // The new release relies on every row having a position.
        read: "SELECT name FROM products WHERE id = {id} AND position IS NOT NULL",
        ..ADD_VOLATILE_NOT_NULL.old
    },
    final_checks: &[
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'position'",
        "SELECT count(DISTINCT position) = count(*) FROM products",
        "SELECT pg_get_expr(d.adbin, d.adrelid) = 'nextval(''products_position_seq''::regclass)' FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'products'::regclass AND a.attname = 'position'",
        "SELECT pg_get_serial_sequence('products', 'position') = 'public.products_position_seq'",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

const DROP_COLUMN: Scenario = Scenario {
    name: "drop_column",
    create: "CREATE TABLE products (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n    legacy_code text NOT NULL\n);\n",
    load: "INSERT INTO products (name, legacy_code) SELECT 'p' || g, 'c' || g FROM generate_series(1, 100000) g",
    change: "ALTER TABLE products DROP COLUMN legacy_code;\n",
    old: Release {
        name: "old",
        insert: "INSERT INTO products (name, legacy_code) VALUES ({value}, 'c') RETURNING id",
        update: "UPDATE products SET name = {value}, legacy_code = 'u' WHERE id = {id}",
        read: "SELECT name FROM products WHERE id = {id} AND legacy_code IS NOT NULL",
        literal: text_value,
    },
    // The new release knows nothing of legacy_code.
    new: ADD_VOLATILE_NOT_NULL.old,
    final_checks: &[
        "SELECT count(*) = 0 FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'legacy_code' AND NOT attisdropped",
    ],
    ..ADD_VOLATILE_NOT_NULL
};

const DROP_TABLE: Scenario = Scenario {
    name: "drop_table",
    table: "legacy_notes",
    create: "CREATE TABLE products (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL\n);\nCREATE TABLE legacy_notes (\n    id bigserial PRIMARY KEY,\n    note text\n);\n",
    load: "INSERT INTO products (name) SELECT 'p' || g FROM generate_series(1, 100000) g;
           INSERT INTO legacy_notes (note) SELECT 'n' || g FROM generate_series(1, 1000) g",
    change: "DROP TABLE legacy_notes;\n",
    old: Release {
        name: "old",
        read: "SELECT name FROM products WHERE id = {id} AND EXISTS (SELECT FROM legacy_notes)",
        ..ADD_VOLATILE_NOT_NULL.old
    },
    // The new release knows nothing of legacy_notes.
    new: ADD_VOLATILE_NOT_NULL.old,
    final_checks: &["SELECT to_regclass('legacy_notes') IS NULL"],
    ..ADD_VOLATILE_NOT_NULL
};

#[test]
fn rename_table_under_traffic() {
    prove(&RENAME_TABLE);
}

#[test]
fn add_serial_column_under_traffic() {
    prove(&ADD_SERIAL);
}

#[test]
fn drop_column_under_traffic() {
    prove(&DROP_COLUMN);
}

#[test]
fn drop_table_under_traffic() {
    prove(&DROP_TABLE);
}

#[test]
fn change_column_type_under_traffic() {
    prove(&CHANGE_TYPE);
}

#[test]
fn add_unique_under_traffic() {
    prove(&ADD_UNIQUE);
}

#[test]
fn add_primary_key_under_traffic() {
    prove(&ADD_PRIMARY_KEY);
}

#[test]
fn set_not_null_under_traffic() {
    prove(&SET_NOT_NULL);
}

#[test]
fn add_check_under_traffic() {
    prove(&ADD_CHECK);
}

#[test]
fn add_foreign_key_under_traffic() {
    prove(&ADD_FOREIGN_KEY);
}

#[test]
fn create_index_under_traffic() {
    prove(&CREATE_INDEX);
}

#[test]
fn drop_index_under_traffic() {
    prove(&DROP_INDEX);
}

#[test]
fn rename_column_under_traffic() {
    prove(&RENAME);
}

#[test]
fn rename_not_null_column_under_traffic() {
    prove(&RENAME_NOT_NULL);
}

#[test]
fn add_not_null_column_with_volatile_default_under_traffic() {
    prove(&ADD_VOLATILE_NOT_NULL);
}

#[test]
fn add_not_null_column_with_stored_default_under_traffic() {
    prove(&ADD_STORED_DEFAULT_NOT_NULL);
}

// ---------------------------------------------------------------------------------------
// The plan's files and what their headers claim.

/// The scenario's plan, as golang-migrate files.
fn lockstep_plan(scenario: &Scenario) -> Vec<PhaseFiles> {
    plan_files::plan(
        scenario.create,
        scenario.change,
        &[
            "--layout",
            "golang-migrate",
            "--batch-size",
            BATCH_SIZE,
            "--pause-ms",
            "50",
        ],
    )
    .unwrap_or_else(|e| panic!("lockstep plan failed: {e}"))
}

fn rank(mode: &str) -> usize {
    LOCK_MODES
        .iter()
        .position(|m| *m == mode)
        .unwrap_or_else(|| panic!("unknown lock mode {mode}"))
}

/// The table a plan changes, by its oid (which a rename keeps).
struct Relation {
    oid: String,
}

// ---------------------------------------------------------------------------------------
// The rolling deploy.

/// Columns (name, type, nullability, default), constraints, triggers and indexes of the table.
fn schema(db: &PgDb, table: &str) -> String {
    query_one(
        db,
        &format!(
            "SELECT concat_ws(' | ', \
               (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || \
                  CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || \
                  coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum) \
                FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped), \
               (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ' ORDER BY conname) \
                FROM pg_constraint WHERE conrelid = '{table}'::regclass), \
               (SELECT string_agg(tgname, ', ' ORDER BY tgname) FROM pg_trigger \
                WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal), \
               (SELECT string_agg(pg_get_indexdef(indexrelid) || CASE WHEN indisvalid THEN '' ELSE ' INVALID' END, \
                  ', ' ORDER BY indexrelid::regclass::text) \
                FROM pg_index WHERE indrelid = '{table}'::regclass))"
        ),
    )
}

impl AppDb for PgDb {
    type Session = PgSession;

    fn connect(&self, name: &str) -> Result<PgSession, String> {
        self.session(name)
    }

    fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        self.query(sql)
    }
}

impl AppSession for PgSession {
    fn run(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        PgSession::run(self, sql)
    }

    /// The inserts end in `RETURNING id`.
    fn inserted_id(&mut self, rows: Vec<Vec<String>>) -> Result<Vec<Vec<String>>, String> {
        Ok(rows)
    }
}

/// Runs a file as golang-migrate does, under the migration application name.
fn migrate(db: &PgDb, sql: &str) -> Result<(), String> {
    db.exec_as_one_query(sql, false, MIGRATION_APP)
}

fn prove(scenario: &Scenario) {
    let Some(server) = postgres() else { return };
    let _turn = one_at_a_time();
    let started = Instant::now();
    let phases = lockstep_plan(scenario);
    let db = Arc::new(server.fresh_db());
    let table = scenario.table;
    db.exec(scenario.create).expect("create");
    db.exec(scenario.load).expect("load");
    let model = Arc::new(Model::loaded(&db, scenario.old_rows));
    let relation = Relation {
        oid: query_one(&db, &format!("SELECT '{table}'::regclass::oid")),
    };

    let old_checked = Arc::new(AtomicBool::new(true));
    let new_checked = Arc::new(AtomicBool::new(false));
    let mut rollout = Rollout::new(Traffic::start(&db, &model, scenario.old, &old_checked));
    rollout.settle();

    let start_new = || Traffic::start(&db, &model, scenario.new, &new_checked);
    for (index, phase) in phases.iter().enumerate() {
        if phase.after_all_instances {
            // Every instance runs the new release now: it was rolled out beside the old.
            if !rollout.new_running() {
                rollout.deploy_new(start_new());
                rollout.settle();
            }
            rollout.retire_old();
        }
        let before = schema(&db, table);
        apply_phase(&db, phase, &relation);
        if phase.has_rollback_steps {
            // Roll back while traffic runs, check the schema and the data, apply again.
            migrate(&db, &phase.down)
                .unwrap_or_else(|e| panic!("{}: rollback failed: {e}", phase.name));
            if let Some(redo) = plan_files::redo_after_rollback(&phase.kind) {
                let earlier = phases[..index]
                    .iter()
                    .rev()
                    .find(|p| p.kind == redo)
                    .unwrap_or_else(|| panic!("no {redo} phase before {}", phase.name));
                migrate(&db, &earlier.up).unwrap_or_else(|e| panic!("redo {redo}: {e}"));
            }
            assert_eq!(
                schema(&db, table),
                before,
                "{}: rollback did not restore the schema",
                phase.name
            );
            if rollout.old_running() {
                assert_rows_match(
                    &db,
                    scenario.old_rows,
                    &model,
                    &format!("after rolling back {}", phase.name),
                );
            }
            apply_phase(&db, phase, &relation);
        }
        if phase.irreversible {
            assert_refused(migrate(&db, &phase.down), &phase.name);
        }
        if !rollout.new_running() {
            rollout.deploy_new(start_new());
        }
        let release_ready = phases[index + 1..].iter().all(|p| !p.before_release);
        if release_ready {
            new_checked.store(true, Ordering::Relaxed);
        }
        rollout.settle();
    }
    let counts = rollout.finish();

    model.assert_traffic_ran(&counts, scenario.name);
    assert_rows_match(&db, scenario.final_rows, &model, "at the end");
    for check in scenario.final_checks {
        assert_eq!(query_one(&db, check), "t", "{}: {check}", scenario.name);
    }
    eprintln!(
        "{}: {} phases, {:?} statements (old writer, old reader, new writer, new reader), {:.1} s",
        scenario.name,
        phases.len(),
        counts,
        started.elapsed().as_secs_f64()
    );
}

fn apply_phase(db: &Arc<PgDb>, phase: &PhaseFiles, table: &Relation) {
    assert!(
        rank(&phase.lock_mode) >= rank("RowExclusiveLock"),
        "{}: the observer proves claims from ROW EXCLUSIVE up, the header claims {}",
        phase.name,
        phase.lock_mode
    );
    // Locks are named as the table was called when the phase started (a rename keeps the oid).
    let name = query_one(
        db,
        &format!("SELECT relname FROM pg_class WHERE oid = {}", table.oid),
    );
    let started = Instant::now();
    let (runner, up) = (Arc::clone(db), phase.up.clone());
    let observation = observe_run(db, MIGRATION_APP, move || {
        migrate(&runner, &up).map(|()| String::new())
    })
    .unwrap_or_else(|e| panic!("{}: observing the phase failed: {e}", phase.name));
    eprintln!("{}: {:.2} s", phase.name, started.elapsed().as_secs_f64());
    if let Some(e) = observation.refusal {
        panic!("{} failed: {e}", phase.name);
    }
    assert_eq!(
        query_one(db, &phase.verify),
        phase.expected,
        "{}: verify query",
        phase.name
    );
    let m = &observation.measurement;
    let asked = [m.locks.get(&name), m.waited.get(&name)]
        .into_iter()
        .flatten()
        .max_by_key(|mode| rank(mode));
    if let Some(strongest) = asked {
        assert!(
            rank(strongest) <= rank(&phase.lock_mode),
            "{}: took {strongest}, the header claims {} ({m:?})",
            phase.name,
            phase.lock_mode
        );
    }
    if phase.catalogue_only {
        assert!(
            !m.rewrote(&name),
            "{}: rewrote {name}, the header claims catalogue changes only",
            phase.name
        );
    }
}

// ---------------------------------------------------------------------------------------
// Every convention's files, run the way its framework runs them.

/// Runs the `direction` part of one written file the way `convention`'s tool does.
fn run_as_framework(
    db: &PgDb,
    convention: &str,
    file: &lockstep::discover::MigrationFile,
    direction: Direction,
) {
    let text = std::fs::read_to_string(&file.path).expect("read");
    let sections: Vec<(String, bool)> = lockstep::layout::sections(&text, file)
        .into_iter()
        .filter(|s| s.direction == direction)
        .map(|s| (s.span.text(&text).to_string(), s.transactional))
        .collect();
    for (sql, transactional) in sections {
        db.exec_as_tool(convention, &sql, transactional, MIGRATION_APP)
            .unwrap_or_else(|e| panic!("{convention}: {}: {e}", file.path.display()));
    }
}

#[test]
fn every_convention_runs_as_its_framework_runs_it() {
    let Some(server) = postgres() else { return };
    let _turn = one_at_a_time();
    for convention in [
        "flyway",
        "golang-migrate",
        "sqlx",
        "dbmate",
        "goose",
        "plain",
        "diesel",
        "prisma",
    ] {
        for scenario in [
            &RENAME_NOT_NULL,
            &ADD_VOLATILE_NOT_NULL,
            &CREATE_INDEX,
            &DROP_INDEX,
        ] {
            let temp = tempfile::tempdir().expect("tempdir");
            let dir = temp.path();
            std::fs::write(dir.join("000001_create.up.sql"), scenario.create).expect("write");
            std::fs::write(dir.join("000002_change.up.sql"), scenario.change).expect("write");
            let out = dir.join("out");
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
                .arg("plan")
                .arg(dir.join("000002_change.up.sql"))
                .args([
                    "--layout",
                    convention,
                    "--batch-size",
                    "300",
                    "--pause-ms",
                    "1",
                ])
                .arg("--out")
                .arg(&out)
                .output()
                .expect("run lockstep plan");
            assert!(
                status.status.success(),
                "{}",
                String::from_utf8_lossy(&status.stderr)
            );
            let db = server.fresh_db();
            db.exec(scenario.create).expect("create");
            db.exec(&scenario.load.replace("100000", "1000"))
                .expect("load");
            let discovery = lockstep::discover::discover(&lockstep::discover::DiscoverRequest {
                paths: vec![out.clone()],
                ..Default::default()
            });
            let all: Vec<_> = discovery.sets.iter().flat_map(|set| &set.files).collect();
            let files: Vec<_> = all
                .iter()
                .filter(|f| f.direction == Direction::Up)
                .collect();
            let phases = lockstep_plan(scenario);
            assert_eq!(files.len(), phases.len(), "{convention}: {files:?}");
            let before = schema(&db, scenario.table);
            for file in files {
                run_as_framework(&db, convention, file, Direction::Up);
                let phase =
                    plan_files::verify_of(&std::fs::read_to_string(&file.path).expect("read"));
                assert_eq!(
                    query_one(&db, &phase.0),
                    phase.1,
                    "{convention}: verify of {}",
                    file.path.display()
                );
            }
            for check in scenario.final_checks {
                assert_eq!(query_one(&db, check), "t", "{convention}: {check}");
            }
            if phases.iter().any(|p| p.irreversible) {
                continue;
            }
            // Every phase can be undone: the rollbacks, last first, restore the schema.
            for file in all.iter().rev() {
                run_as_framework(&db, convention, file, Direction::Down);
            }
            assert_eq!(
                schema(&db, scenario.table),
                before,
                "{convention}: {} rolled back",
                scenario.name
            );
        }
    }
}

/// The verify query and expected answer of a file's header.

#[test]
fn a_failed_concurrent_build_is_detected_and_retried_as_the_header_says() {
    let Some(server) = postgres() else { return };
    let phases = lockstep_plan(&CREATE_INDEX);
    let [build] = phases.as_slice() else {
        panic!("one phase expected, got {}", phases.len())
    };
    let db = server.fresh_db();
    db.exec(CREATE_INDEX.create).expect("create");
    db.exec("INSERT INTO products (name) VALUES ('a'), ('b'), ('a')")
        .expect("duplicates");
    let failed = migrate(&db, &build.up);
    assert!(
        failed
            .as_ref()
            .is_err_and(|e| e.contains("could not create unique index")),
        "{failed:?}"
    );
    // The failed build left an INVALID index, and the verify query says so.
    assert_eq!(query_one(&db, &build.verify), "f");
    assert_eq!(
        query_one(
            &db,
            "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 'products_name_key'::regclass"
        ),
        "t"
    );
    // Running the build again as it is fails on the leftover's name ...
    let again = migrate(&db, &build.up);
    assert!(
        again.as_ref().is_err_and(|e| e.contains("already exists")),
        "{again:?}"
    );
    // ... so the header says to drop it with the rollback first, and that works.
    let header_retry = "Drop it with the rollback (`DROP INDEX CONCURRENTLY IF EXISTS products_name_key;`), then run this migration again; a duplicate value fails the build";
    assert!(build.up.contains(header_retry), "{}", build.up);
    migrate(&db, &build.down).expect("drop the leftover");
    db.exec("DELETE FROM products WHERE id = 3")
        .expect("remove the duplicate");
    migrate(&db, &build.up).expect("retry");
    assert_eq!(query_one(&db, &build.verify), "t");
}

/// Runs `phases` on `db` (loaded with `scenario`'s rows) up to and including the backfill,
/// counting its transactions: a statement trigger records each transaction's id and how
/// many rows its UPDATEs changed. Returns (transactions, rows changed, most rows in one).
fn backfill_transactions(db: &PgDb, scenario: &Scenario, phases: &[PhaseFiles]) -> (u64, u64, u64) {
    let backfill = phases
        .iter()
        .position(|phase| phase.kind == "backfill")
        .expect("the plan has a backfill phase");
    for phase in &phases[..backfill] {
        migrate(db, &phase.up).unwrap_or_else(|e| panic!("{}: {e}", phase.name));
    }
    let table = scenario.table;
    db.exec(&format!(
        "CREATE TABLE lockstep_batches (txid bigint, changed bigint);
         CREATE FUNCTION lockstep_count_batch() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO lockstep_batches SELECT txid_current(), count(*) FROM changed;
         RETURN NULL; END $$;
         CREATE TRIGGER lockstep_count_batch AFTER UPDATE ON {table}
         REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
         EXECUTE FUNCTION lockstep_count_batch();"
    ))
    .expect("install the batch counter");
    migrate(db, &phases[backfill].up).expect("backfill");
    let counts = db
        .query(
            "SELECT count(*), sum(changed), max(changed) FROM \
             (SELECT txid, sum(changed) AS changed FROM lockstep_batches GROUP BY txid) per_tx",
        )
        .expect("count batches");
    let number = |i: usize| -> u64 { counts[0][i].parse().expect("a count") };
    (number(0), number(1), number(2))
}

/// The header's "held at most N s at a time" of a backfill rests on every batch committing on
/// its own, each holding its locks for one batch of rows. Counted, not timed.
#[test]
fn a_backfill_commits_every_batch_on_its_own() {
    let Some(server) = postgres() else { return };
    let scenario = &ADD_VOLATILE_NOT_NULL;
    let db = server.fresh_db();
    db.exec(scenario.create).expect("create");
    db.exec(scenario.load).expect("load");
    let batch_size: u64 = BATCH_SIZE.parse().expect("a number");
    assert_eq!(
        backfill_transactions(&db, scenario, &lockstep_plan(scenario)),
        (ROWS.div_ceil(batch_size), ROWS, batch_size),
        "transactions, rows changed, most rows in one transaction"
    );
}

/// `plan --stats` with the sizes `lockstep stats` read from the same server: the backfill
/// runs in the batches its header states, sized from the calibrated rate (50,000 rows,
/// about 0.2 s each at 250,000 rows/s) rather than the default 10,000.
#[test]
fn a_backfill_planned_from_stats_commits_the_batches_its_header_states() {
    let Some(server) = postgres() else { return };
    let scenario = &ADD_VOLATILE_NOT_NULL;
    let db = server.fresh_db();
    db.exec(scenario.create).expect("create");
    db.exec(scenario.load).expect("load");
    db.exec(&format!("ANALYZE {}", scenario.table))
        .expect("analyze");
    let dir = tempfile::tempdir().expect("tempdir");
    let stats = dir.path().join("stats.json");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args([
            "stats",
            "--database-url",
            &db.connection_string(),
            "--output",
        ])
        .arg(&stats)
        .status()
        .expect("run lockstep stats");
    assert!(status.success());
    let stats = stats.to_string_lossy();
    let phases = plan_files::plan(
        scenario.create,
        scenario.change,
        &[
            "--layout",
            "golang-migrate",
            "--stats",
            &stats,
            "--pause-ms",
            "50",
        ],
    )
    .unwrap_or_else(|e| panic!("lockstep plan failed: {e}"));
    let backfill = phases.iter().find(|p| p.kind == "backfill").unwrap();
    let expected = plan_files::header_line(&backfill.up, "-- Expected: ");
    assert!(
        expected.starts_with("2 batches of up to 50,000 rows (each about 0.2 s at 250,000 rows/s"),
        "{expected}"
    );
    assert_eq!(
        backfill_transactions(&db, scenario, &phases),
        (2, ROWS, 50_000),
        "transactions, rows changed, most rows in one transaction"
    );
}

#[test]
fn a_batched_backfill_cannot_run_inside_a_transaction() {
    // Why the backfill files carry their framework's no-transaction marker.
    let Some(server) = postgres() else { return };
    let db = server.fresh_db();
    db.exec(RENAME.create).expect("create");
    db.exec("INSERT INTO shipments (origin, co2_kg) VALUES ('a', 1), ('b', 2)")
        .expect("load");
    let block = "DO $$ BEGIN UPDATE shipments SET origin = 'x'; COMMIT; END $$";
    let wrapped = db.exec_as_one_query(block, true, MIGRATION_APP);
    assert!(
        wrapped
            .as_ref()
            .is_err_and(|e| e.contains("invalid transaction termination")),
        "{wrapped:?}"
    );
    db.exec_as_one_query(block, false, MIGRATION_APP)
        .expect("outside a transaction block the batch commits");
}

/// The writes of the lost-update case, in the order the plan deploys them: the
/// old release writes before the backfill, both releases after it. Returns
/// `co2_kg, emissions_kg` of every row afterwards.
fn mixed_release_writes(db: &PgDb, backfill: &str) -> Vec<Vec<String>> {
    // The old release touches another column of a row the backfill has not reached.
    db.exec("UPDATE shipments SET origin = 'z' WHERE id = 2")
        .expect("old update");
    migrate(db, backfill).expect("backfill");
    for sql in [
        "UPDATE shipments SET emissions_kg = 7 WHERE id = 1",
        // The old release changes only the old column of a row the new release wrote.
        "UPDATE shipments SET co2_kg = 9 WHERE id = 1",
        "INSERT INTO shipments (id, origin, co2_kg) VALUES (10, 'old', 3)",
        "INSERT INTO shipments (id, origin, emissions_kg) VALUES (11, 'new', 4)",
        "UPDATE shipments SET emissions_kg = NULL WHERE id = 3",
    ] {
        db.exec(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    db.query("SELECT co2_kg, emissions_kg FROM shipments ORDER BY id")
        .expect("read")
}

#[test]
fn rename_trigger_keeps_the_write_of_either_release() {
    let Some(server) = postgres() else { return };
    let phases = lockstep_plan(&RENAME);
    let setup =
        "INSERT INTO shipments (id, origin, co2_kg) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 5)";
    let db = server.fresh_db();
    db.exec(RENAME.create).expect("create");
    db.exec(setup).expect("load");
    migrate(&db, &phases[0].up).expect("expand");
    let pair = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
    let expected = vec![
        pair("9.00", "9.00"),
        pair("2.00", "2.00"),
        pair("NULL", "NULL"),
        pair("3.00", "3.00"),
        pair("4.00", "4.00"),
    ];
    assert_eq!(mixed_release_writes(&db, &phases[1].up), expected);

    // The commonly copied trigger (copy the new column whenever it is not null) loses the
    // old release's update of row 1: the traffic harness above would catch it.
    let naive = server.fresh_db();
    naive.exec(RENAME.create).expect("create");
    naive.exec(setup).expect("load");
    naive
        .exec(
            "ALTER TABLE shipments ADD COLUMN emissions_kg numeric(10,2);
             CREATE FUNCTION sync() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF NEW.emissions_kg IS NOT NULL THEN NEW.co2_kg := NEW.emissions_kg;
               ELSE NEW.emissions_kg := NEW.co2_kg; END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER sync BEFORE INSERT OR UPDATE ON shipments
               FOR EACH ROW EXECUTE FUNCTION sync();",
        )
        .expect("naive expand");
    let rows = mixed_release_writes(&naive, "UPDATE shipments SET emissions_kg = co2_kg");
    assert_eq!(rows[0], pair("7.00", "7.00"), "the old release's 9 is lost");
}

// ---------------------------------------------------------------------------------------
// What else holds on to the column: views and partition keys.

/// The PostgreSQL majors the dependants' proofs run on: the oldest and newest packaged.
const DEPENDANT_MAJORS: [u32; 2] = [15, 18];

/// A view on the column makes the contract phase of a plan that drops it fail: the plan
/// written while the view is unknown to the replay (created outside the migrations, as every
/// view was to lockstep before it followed them) runs until its contract, which PostgreSQL
/// refuses. Created in the migrations, the view makes the plan refuse, naming it and the
/// view that reads it; a view on another column does not.
#[test]
fn a_view_on_the_column_fails_the_contract_and_is_named_in_the_refusal() {
    let table = "CREATE TABLE items (id bigint PRIMARY KEY, code text, note text);\n\
                 INSERT INTO items SELECT g, 'c' || g, 'n' FROM generate_series(1, 500) g;\n";
    let views = "CREATE VIEW item_codes AS SELECT i.id, i.code FROM items i;\n\
                 CREATE VIEW first_codes AS SELECT * FROM item_codes WHERE id < 10;\n\
                 CREATE MATERIALIZED VIEW item_notes AS SELECT id, note FROM items;\n";
    let args = ["--layout", "golang-migrate"];
    for change in [
        "ALTER TABLE items RENAME COLUMN code TO label;\n",
        "ALTER TABLE items ALTER COLUMN code TYPE varchar(20);\n",
        "ALTER TABLE items DROP COLUMN code;\n",
    ] {
        let refused = plan_files::plan(&format!("{table}{views}"), change, &args);
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("the view item_codes")
                    && e.contains("the view first_codes (it reads item_codes)")
                    && !e.contains("item_notes")),
            "{change}: {:?}",
            refused.map(|phases| phases.len())
        );
        let unaware = plan_files::plan(table, change, &args)
            .unwrap_or_else(|e| panic!("{change} without the views: {e}"));
        let (contract, before) = unaware.split_last().expect("a contract phase");
        assert_eq!(contract.kind, "contract", "{change}");
        for major in DEPENDANT_MAJORS {
            let Some(server) = postgres_major(major) else {
                continue;
            };
            let db = server.fresh_db();
            db.exec(table).expect("table");
            db.exec(views).expect("views");
            for phase in before {
                migrate(&db, &phase.up)
                    .unwrap_or_else(|e| panic!("{major}, {change}{}: {e}", phase.name));
            }
            let failed = migrate(&db, &contract.up);
            assert!(
                failed
                    .as_ref()
                    .is_err_and(|e| e.contains("other objects depend on it")),
                "PostgreSQL {major}, {change}: {failed:?}"
            );
        }
    }
    // The view on `note` (a materialized one) blocks a plan on `note` only.
    let refused = plan_files::plan(
        &format!("{table}{views}"),
        "ALTER TABLE items RENAME COLUMN note TO remark;\n",
        &args,
    );
    assert!(
        refused.as_ref().is_err_and(
            |e| e.contains("the materialized view item_notes") && !e.contains("item_codes")
        ),
        "{:?}",
        refused.map(|phases| phases.len())
    );
}

/// PostgreSQL refuses to drop or retype a column of the partition key, a column an
/// expression in the key uses too; the drop plan, whose one phase was that `DROP COLUMN`,
/// and the rename and type-change plans, whose contract drops it, are refused saying so.
#[test]
fn a_partition_key_column_is_refused_as_postgres_refuses_it() {
    let table = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, region text, body text) \
                   PARTITION BY LIST (lower(region));\n\
                 CREATE TABLE events_all PARTITION OF events DEFAULT;\n\
                 CREATE TABLE readings (at date NOT NULL, sensor text, value int) PARTITION BY RANGE (at);\n\
                 CREATE TABLE readings_all PARTITION OF readings FOR VALUES FROM (MINVALUE) TO (MAXVALUE);\n";
    let args = ["--layout", "golang-migrate"];
    for (change, server_refuses) in [
        (
            "ALTER TABLE events RENAME COLUMN region TO area;\n",
            "ALTER TABLE events DROP COLUMN region",
        ),
        (
            "ALTER TABLE events ALTER COLUMN region TYPE varchar(20);\n",
            "ALTER TABLE events ALTER COLUMN region TYPE varchar(20)",
        ),
        (
            "ALTER TABLE events DROP COLUMN region;\n",
            "ALTER TABLE events DROP COLUMN region",
        ),
        (
            "ALTER TABLE readings DROP COLUMN at;\n",
            "ALTER TABLE readings DROP COLUMN at",
        ),
    ] {
        let refused = plan_files::plan(table, change, &args);
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("is in the partition key of")),
            "{change}: {:?}",
            refused.map(|phases| phases.len())
        );
        for major in DEPENDANT_MAJORS {
            let Some(server) = postgres_major(major) else {
                continue;
            };
            let db = server.fresh_db();
            db.exec(table).expect("tables");
            let failed = db.exec(server_refuses);
            assert!(
                failed
                    .as_ref()
                    .is_err_and(|e| e.contains("because it is part of the partition key")),
                "PostgreSQL {major}, {server_refuses}: {failed:?}"
            );
        }
    }
    // A column outside the key is planned.
    plan_files::plan(table, "ALTER TABLE readings DROP COLUMN sensor;\n", &args)
        .unwrap_or_else(|e| panic!("drop sensor: {e}"));
}
