//! Proof under live traffic for `lockstep plan --dialect mysql`: each plan is applied, phase
//! by phase, to a table of 100,000 rows on a real MariaDB server while an "old application"
//! and then a "new application" read and write it, as in a rolling deploy.
//!
//! The files are the golang-migrate ones, run as golang-migrate runs them on MySQL: each
//! file sent as one multi-statement query (`multiStatements=true`). Everything the test
//! checks about a phase is read from its file's header:
//! - no application statement fails while the header says both releases work (the new
//!   release deploys after the last phase whose header says it runs before that release);
//! - a phase whose header bounds its lock pins every ALTER TABLE to an online algorithm
//!   (`ALGORITHM=INSTANT`, or `INPLACE` with `LOCK=NONE`), which the server refuses to run
//!   any other way: that, not a stopwatch on a shared machine, is what keeps the exclusive
//!   metadata lock to a moment (the longest application statement is printed, not judged);
//! - the verify query returns the expected answer once the phase ran;
//! - the rollback puts back the schema, every acknowledged write is still there, and an
//!   irreversible phase's rollback refuses;
//! - at the end the table holds exactly the last acknowledged write of every row.
//!
//! The plans are written for the default target, MySQL 8.4, and run on MariaDB 10.11.
//! Where the two differ, the test says so next to the line that depends on it. The traffic
//! itself is the shared harness of `support::traffic`.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::mariadb::{mariadb, MariaDb, MariaSession};
use support::plan_files::{self, PhaseFiles};
use support::traffic::{
    assert_refused, assert_rows_match, one_at_a_time, query_one, AppDb, AppSession, Model, Release,
    Rollout, Traffic,
};

/// Rows per backfill batch.
const BATCH_SIZE: &str = "2000";

/// One pattern: the tables, the statement to plan, the two releases and the final checks.
struct Scenario {
    name: &'static str,
    /// The migration that creates the tables (also run on the server).
    create: &'static str,
    /// Fills the tables; MariaDB's Sequence engine (`seq_1_to_N`) stands in for the
    /// recursive CTE MySQL 8.0 would need.
    load: &'static str,
    change: &'static str,
    table: &'static str,
    old: Release,
    new: Release,
    /// `id, value` of every row, before the plan.
    initial_rows: &'static str,
    /// `id, value` of every row, in the schema after the plan.
    final_rows: &'static str,
    /// Queries and the answers they must give at the end.
    final_checks: &'static [(&'static str, &'static str)],
}

fn decimal_value(n: u64) -> (String, String) {
    let text = format!("{}.{:02}", n % 10_000_000, n % 100);
    (text.clone(), text)
}

fn text_value(n: u64) -> (String, String) {
    (format!("'n{n}'"), format!("n{n}"))
}

fn int_value(n: u64) -> (String, String) {
    (n.to_string(), n.to_string())
}

/// Values past INT's range, which only the BIGINT column holds.
fn big_value(n: u64) -> (String, String) {
    int_value(n + 10_000_000_000)
}

const SHIPMENTS: &str = "CREATE TABLE shipments (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    origin VARCHAR(50) NOT NULL,
    co2_kg DECIMAL(10,2)
) ENGINE=InnoDB;
";

const RENAME: Scenario = Scenario {
    name: "rename_column",
    create: SHIPMENTS,
    load: "INSERT INTO shipments (origin, co2_kg) SELECT CONCAT('o', seq), (seq % 100000) / 100 FROM seq_1_to_100000",
    change: "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    table: "shipments",
    old: Release {
        name: "old",
        insert: "INSERT INTO shipments (origin, co2_kg) VALUES ('old', {value})",
        update: "UPDATE shipments SET co2_kg = {value} WHERE id = {id}",
        read: "SELECT co2_kg FROM shipments WHERE id = {id}",
        literal: decimal_value,
    },
    new: Release {
        name: "new",
        insert: "INSERT INTO shipments (origin, emissions_kg) VALUES ('new', {value})",
        update: "UPDATE shipments SET emissions_kg = {value} WHERE id = {id}",
        read: "SELECT emissions_kg FROM shipments WHERE id = {id}",
        literal: decimal_value,
    },
    initial_rows: "SELECT id, co2_kg FROM shipments",
    final_rows: "SELECT id, emissions_kg FROM shipments",
    final_checks: &[],
};

const RENAME_NOT_NULL: Scenario = Scenario {
    name: "rename_not_null_column",
    create: "CREATE TABLE shipments (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    origin VARCHAR(50) NOT NULL,
    co2_kg DECIMAL(10,2) NOT NULL DEFAULT 0
) ENGINE=InnoDB;
",
    final_checks: &[(
        "SELECT CONCAT(is_nullable, ' ', column_default) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'shipments' AND column_name = 'emissions_kg'",
        "NO 0.00",
    )],
    ..RENAME
};

const PRODUCTS: &str = "CREATE TABLE products (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(50) NOT NULL,
    sku VARCHAR(40)
) ENGINE=InnoDB;
";

const PRODUCT_RELEASE: Release = Release {
    name: "old",
    insert: "INSERT INTO products (name, sku) VALUES ({value}, UUID())",
    update: "UPDATE products SET name = {value} WHERE id = {id}",
    read: "SELECT name FROM products WHERE id = {id}",
    literal: text_value,
};

const ADD_NOT_NULL: Scenario = Scenario {
    name: "add_not_null_column_with_default",
    create: PRODUCTS,
    load: "INSERT INTO products (name, sku) SELECT CONCAT('p', seq), CONCAT('s', seq) FROM seq_1_to_100000",
    change: "ALTER TABLE products ADD COLUMN score DECIMAL(5,2) NOT NULL DEFAULT 50.00;\n",
    table: "products",
    old: PRODUCT_RELEASE,
    new: Release {
        name: "new",
        insert: "INSERT INTO products (name, score) VALUES ({value}, 70)",
        // The new release relies on every row having a score.
        read: "SELECT name FROM products WHERE id = {id} AND score IS NOT NULL",
        ..PRODUCT_RELEASE
    },
    initial_rows: "SELECT id, name FROM products",
    final_rows: "SELECT id, name FROM products",
    final_checks: &[
        ("SELECT COUNT(*) FROM products WHERE score IS NULL", "0"),
        (
            "SELECT is_nullable FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'products' AND column_name = 'score'",
            "NO",
        ),
    ],
};

const ADD_INDEX: Scenario = Scenario {
    name: "add_index",
    change: "CREATE INDEX products_sku_idx ON products (sku);\n",
    new: Release {
        name: "new",
        // FORCE INDEX fails while the index does not exist: the new release needs it.
        read: "SELECT name FROM products FORCE INDEX (products_sku_idx) WHERE sku = (SELECT sku FROM products WHERE id = {id})",
        ..PRODUCT_RELEASE
    },
    final_checks: &[(
        "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'products' AND index_name = 'products_sku_idx'",
        "1",
    )],
    ..ADD_NOT_NULL
};

const ORDERS: Release = Release {
    name: "old",
    insert: "INSERT INTO orders (amount) VALUES ({value})",
    update: "UPDATE orders SET amount = {value} WHERE id = {id}",
    read: "SELECT amount FROM orders WHERE id = {id}",
    literal: int_value,
};

const CHANGE_TYPE: Scenario = Scenario {
    name: "change_column_type",
    create: "CREATE TABLE orders (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id BIGINT UNSIGNED,
    amount INT NOT NULL DEFAULT 0
) ENGINE=InnoDB;
",
    load: "INSERT INTO orders (customer_id, amount) SELECT seq % 1000 + 1, seq FROM seq_1_to_100000",
    change: "ALTER TABLE orders MODIFY amount BIGINT NOT NULL DEFAULT 0;\n",
    table: "orders",
    old: ORDERS,
    new: Release {
        name: "new",
        literal: big_value,
        ..ORDERS
    },
    initial_rows: "SELECT id, amount FROM orders",
    final_rows: "SELECT id, amount FROM orders",
    final_checks: &[(
        "SELECT CONCAT(data_type, ' ', is_nullable, ' ', column_default) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'orders' AND column_name = 'amount'",
        "bigint NO 0",
    )],
};

const ADD_FOREIGN_KEY: Scenario = Scenario {
    name: "add_foreign_key",
    create: "CREATE TABLE customers (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(50) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE orders (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id BIGINT UNSIGNED,
    amount INT NOT NULL DEFAULT 0
) ENGINE=InnoDB;
",
    load: "INSERT INTO customers (name) SELECT CONCAT('c', seq) FROM seq_1_to_1000;
INSERT INTO orders (customer_id, amount) SELECT seq % 1000 + 1, seq FROM seq_1_to_100000",
    change: "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);\n",
    old: Release {
        insert: "INSERT INTO orders (customer_id, amount) VALUES ({value} % 1000 + 1, {value})",
        ..ORDERS
    },
    new: Release {
        name: "new",
        insert: "INSERT INTO orders (customer_id, amount) VALUES ({value} % 1000 + 1, {value})",
        ..ORDERS
    },
    final_checks: &[(
        "SELECT COUNT(*) FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() AND constraint_name = 'orders_customer_fk'",
        "1",
    )],
    ..CHANGE_TYPE
};

#[test]
fn rename_column_under_traffic() {
    prove(&RENAME, "mysql");
}

#[test]
fn rename_not_null_column_under_traffic() {
    prove(&RENAME_NOT_NULL, "mysql");
}

#[test]
fn add_not_null_column_with_default_under_traffic() {
    prove(&ADD_NOT_NULL, "mysql");
}

#[test]
fn change_column_type_under_traffic() {
    prove(&CHANGE_TYPE, "mysql");
}

#[test]
fn add_index_under_traffic() {
    prove(&ADD_INDEX, "mysql");
}

#[test]
fn add_foreign_key_under_traffic() {
    prove(&ADD_FOREIGN_KEY, "mysql");
}

#[test]
fn add_foreign_key_with_mariadb_pins_under_traffic() {
    prove(&ADD_FOREIGN_KEY, "mariadb");
}

// ---------------------------------------------------------------------------------------
// The plan's files and what their headers claim.

/// Which server the plan is written for: `mysql` (8.4, the default target) or `mariadb`
/// (`mysql-flavor = "mariadb"`). MariaDB runs both: the MySQL 8.0 pins are ones it honours
/// too, and where the matrix says MariaDB does better (ADD FOREIGN KEY with the checks off
/// is INSTANT on MariaDB, INPLACE on MySQL 8.0) the MariaDB plan pins that.
fn write_plan(scenario: &Scenario, layout: &str, flavor: &str, dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("lockstep.toml"),
        format!("dialect = \"mysql\"\nmysql-flavor = \"{flavor}\"\n"),
    )
    .expect("write");
    std::fs::write(dir.join("000001_create.up.sql"), scenario.create).expect("write");
    std::fs::write(dir.join("000002_change.up.sql"), scenario.change).expect("write");
    let out = dir.join(format!("plan-{layout}"));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .arg("plan")
        .arg(dir.join("000002_change.up.sql"))
        .args(["--layout", layout])
        .args(["--batch-size", BATCH_SIZE, "--pause-ms", "20"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run lockstep plan");
    assert!(
        status.status.success(),
        "lockstep plan failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

fn lockstep_plan(scenario: &Scenario, flavor: &str) -> Vec<PhaseFiles> {
    let temp = tempfile::tempdir().expect("tempdir");
    let out = write_plan(scenario, "golang-migrate", flavor, temp.path());
    let mut ups: Vec<PathBuf> = std::fs::read_dir(&out)
        .expect("read plan dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    ups.sort();
    ups.iter().map(|up| plan_files::read_phase(up)).collect()
}

/// How long the header says the phase holds its lock at most, when it says.
fn max_hold(phase: &PhaseFiles) -> Option<Duration> {
    phase
        .lock
        .split_once("held at most ")
        .and_then(|(_, r)| r.split_once(" s at a time"))
        .map(|(secs, _)| Duration::from_secs(secs.parse().expect("seconds")))
}

/// The header's lock reason names an `ALGORITHM=` pin.
fn pins_algorithm(phase: &PhaseFiles) -> bool {
    phase.lock.contains("(ALGORITHM=")
}

/// The table's definition (without its AUTO_INCREMENT counter) and its triggers.
fn schema(db: &MariaDb, table: &str) -> String {
    let create = db
        .query(&format!("SHOW CREATE TABLE {table}"))
        .unwrap_or_else(|e| panic!("SHOW CREATE TABLE: {e}"))
        .into_iter()
        .flatten()
        .nth(1)
        .unwrap_or_default();
    let definition: Vec<&str> = create
        .split(' ')
        .filter(|word| !word.starts_with("AUTO_INCREMENT="))
        .collect();
    let triggers = query_one(
        db,
        "SELECT COALESCE(GROUP_CONCAT(trigger_name ORDER BY trigger_name), '') FROM information_schema.triggers WHERE trigger_schema = DATABASE()",
    );
    format!("{} | triggers: {triggers}", definition.join(" "))
}

impl AppDb for MariaDb {
    type Session = MariaSession;

    fn connect(&self, _name: &str) -> Result<MariaSession, String> {
        self.session()
    }

    fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        self.query(sql)
    }
}

impl AppSession for MariaSession {
    fn run(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        MariaSession::run(self, sql)
    }

    fn inserted_id(&mut self, _: Vec<Vec<String>>) -> Result<Vec<Vec<String>>, String> {
        MariaSession::run(self, "SELECT LAST_INSERT_ID()")
    }
}

/// Runs a file as golang-migrate does: one multi-statement query.
fn migrate(db: &MariaDb, sql: &str) -> Result<(), String> {
    db.exec_as_one_query(sql)
}

fn prove(scenario: &Scenario, flavor: &str) {
    let Some(server) = mariadb() else { return };
    let _turn = one_at_a_time();
    let started = Instant::now();
    let phases = lockstep_plan(scenario, flavor);
    let db = Arc::new(server.fresh_db());
    db.exec(scenario.create).expect("create");
    db.exec(&format!("{};", scenario.load)).expect("load");
    let model = Arc::new(Model::loaded(&db, scenario.initial_rows));

    // Both releases' reads are checked from the start.
    let reads_checked = Arc::new(AtomicBool::new(true));
    let mut rollout = Rollout::new(Traffic::start(&db, &model, scenario.old, &reads_checked));
    rollout.settle();

    // The new release deploys once no phase still to come is one it needs.
    let release_at = phases
        .iter()
        .rposition(|p| p.before_release)
        .expect("a phase runs before the release");
    for (index, phase) in phases.iter().enumerate() {
        if phase.after_all_instances {
            rollout.retire_old();
        }
        let before = schema(&db, scenario.table);
        apply_phase(&db, &model, phase);
        if phase.has_rollback_steps {
            // Roll back while traffic runs, check the schema and the data, apply again.
            migrate(&db, &phase.down)
                .unwrap_or_else(|e| panic!("{}: rollback failed: {e}", phase.name));
            assert_eq!(
                schema(&db, scenario.table),
                before,
                "{}: rollback did not restore the schema",
                phase.name
            );
            if !rollout.new_running() {
                assert_rows_match(
                    &db,
                    scenario.initial_rows,
                    &model,
                    &format!("after rolling back {}", phase.name),
                );
            }
            apply_phase(&db, &model, phase);
        }
        if phase.irreversible {
            assert_refused(migrate(&db, &phase.down), &phase.name);
        }
        if index == release_at {
            rollout.deploy_new(Traffic::start(&db, &model, scenario.new, &reads_checked));
        }
        rollout.settle();
    }
    let counts = rollout.finish();

    model.assert_traffic_ran(&counts, scenario.name);
    assert_rows_match(&db, scenario.final_rows, &model, "at the end");
    for (check, expected) in scenario.final_checks {
        assert_eq!(
            query_one(&db, check),
            *expected,
            "{}: {check}",
            scenario.name
        );
    }
    eprintln!(
        "{} ({flavor}): {} phases, {:?} statements (old writer, old reader, new writer, new reader), {:.1} s",
        scenario.name,
        phases.len(),
        counts,
        started.elapsed().as_secs_f64()
    );
}

/// with LOCK=NONE. The server refuses a pinned statement it cannot run that way.
fn alters_are_pinned_online(sql: &str) -> Result<(), String> {
    let code: String = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .to_uppercase();
    for statement in code.split(';').filter(|s| s.contains("ALTER TABLE")) {
        let compact: String = statement.split_whitespace().collect::<Vec<_>>().join("");
        let online = compact.contains("ALGORITHM=INSTANT")
            || (compact.contains("ALGORITHM=INPLACE") && compact.contains("LOCK=NONE"));
        if !online {
            return Err(statement.trim().to_string());
        }
    }
    Ok(())
}

/// Applies one phase, then checks its verify query and that a bounded lock comes from a
/// pinned online algorithm.
fn apply_phase(db: &MariaDb, model: &Model, phase: &PhaseFiles) {
    model.take_longest();
    let started = Instant::now();
    let result = migrate(db, &phase.up);
    let took = started.elapsed();
    let (longest, statement) = model.take_longest();
    eprintln!(
        "{}: {:.2} s; longest application statement {:.3} s ({statement})",
        phase.name,
        took.as_secs_f64(),
        longest.as_secs_f64()
    );
    result.unwrap_or_else(|e| panic!("{} failed: {e}", phase.name));
    assert_eq!(
        query_one(db, &phase.verify),
        phase.expected,
        "{}: verify query",
        phase.name
    );
    if max_hold(phase).is_some() && pins_algorithm(phase) {
        if let Err(unpinned) = alters_are_pinned_online(&phase.up) {
            panic!(
                "{}: the header bounds the lock by an online algorithm, but `{unpinned}` \
                 pins none",
                phase.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Every layout's files, run the way its framework runs them.

/// Runs the forward part of one written file the way `layout`'s tool does.
fn run_as_framework(db: &MariaDb, layout: &str, file: &lockstep::discover::MigrationFile) {
    let text = std::fs::read_to_string(&file.path).expect("read");
    for section in lockstep::layout::sections(&text, file)
        .into_iter()
        .filter(|s| s.direction == lockstep::layout::Direction::Up)
    {
        let sql = section.span.text(&text);
        let result = match layout {
            // Flyway and the mysql client read DELIMITER lines and send statement by
            // statement on one connection.
            "flyway" | "plain" => db.exec(sql),
            // goose sends each statement, a StatementBegin/End block being one, on the
            // connection its transaction holds.
            "goose" => {
                let statements = plan_files::goose_statements(sql);
                db.exec_queries(&statements.iter().map(String::as_str).collect::<Vec<_>>())
            }
            _ => db.exec_as_one_query(sql),
        };
        result.unwrap_or_else(|e| panic!("{layout}: {}: {e}", file.path.display()));
    }
}

#[test]
fn every_layout_runs_as_its_framework_runs_it() {
    let Some(server) = mariadb() else { return };
    let _turn = one_at_a_time();
    let scenarios = [
        &RENAME_NOT_NULL,
        &ADD_NOT_NULL,
        &CHANGE_TYPE,
        &ADD_INDEX,
        &ADD_FOREIGN_KEY,
    ];
    let layouts = ["flyway", "golang-migrate", "dbmate", "goose", "plain"];
    for flavor in ["mysql", "mariadb"] {
        for (layout, scenario) in layouts
            .iter()
            .flat_map(|layout| scenarios.map(|scenario| (*layout, scenario)))
        {
            run_plan_as_framework(server, scenario, layout, flavor);
        }
    }
}

/// Writes the plan for `scenario` in `layout`, runs its files on 1,000 rows as the
/// framework would, and checks every verify query and the final state.
fn run_plan_as_framework(
    server: &'static support::mariadb::MariaServer,
    scenario: &Scenario,
    layout: &str,
    flavor: &str,
) {
    let temp = tempfile::tempdir().expect("tempdir");
    let out = write_plan(scenario, layout, flavor, temp.path());
    let db = server.fresh_db();
    db.exec(scenario.create).expect("create");
    db.exec(&format!("{};", scenario.load.replace("100000", "1000")))
        .expect("load");
    let discovery = lockstep::discover::discover(&lockstep::discover::DiscoverRequest {
        paths: vec![out.clone()],
        ..Default::default()
    });
    let files: Vec<_> = discovery
        .sets
        .iter()
        .flat_map(|set| &set.files)
        .filter(|f| f.direction == lockstep::layout::Direction::Up)
        .collect();
    let context = format!("{} / {layout} / {flavor}", scenario.name);
    assert!(!files.is_empty(), "{context}: no files");
    for file in files {
        run_as_framework(&db, layout, file);
        let text = std::fs::read_to_string(&file.path).expect("read");
        let (verify, expected) = plan_files::verify_of(&text);
        assert_eq!(
            query_one(&db, &verify),
            expected,
            "{context}: verify of {}",
            file.path.display()
        );
    }
    for (check, expected) in scenario.final_checks {
        assert_eq!(query_one(&db, check), *expected, "{context}: {check}");
    }
}

// ---------------------------------------------------------------------------------------
// The triggers and the validate phase, statement by statement.

/// The writes of the lost-update case, in deploy order: the old release writes before the
/// backfill, both releases after it. Returns `co2_kg, emissions_kg` of every row.
fn mixed_release_writes(db: &MariaDb, backfill: &str) -> Vec<Vec<String>> {
    db.exec("UPDATE shipments SET origin = 'z' WHERE id = 2;")
        .expect("old update");
    migrate(db, backfill).expect("backfill");
    db.exec(
        "UPDATE shipments SET emissions_kg = 7 WHERE id = 1;
         UPDATE shipments SET co2_kg = 9 WHERE id = 1;
         INSERT INTO shipments (id, origin, co2_kg) VALUES (10, 'old', 3);
         INSERT INTO shipments (id, origin, emissions_kg) VALUES (11, 'new', 4);
         UPDATE shipments SET emissions_kg = NULL WHERE id = 3;",
    )
    .expect("writes of both releases");
    db.query("SELECT co2_kg, emissions_kg FROM shipments ORDER BY id")
        .expect("read")
}

#[test]
fn rename_triggers_keep_the_write_of_either_release() {
    let Some(server) = mariadb() else { return };
    let phases = lockstep_plan(&RENAME, "mysql");
    let db = server.fresh_db();
    db.exec(RENAME.create).expect("create");
    db.exec(
        "INSERT INTO shipments (id, origin, co2_kg) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 5);",
    )
    .expect("load");
    migrate(&db, &phases[0].up).expect("expand");
    let pair = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
    assert_eq!(
        mixed_release_writes(&db, &phases[1].up),
        vec![
            pair("9.00", "9.00"),
            pair("2.00", "2.00"),
            pair("NULL", "NULL"),
            pair("3.00", "3.00"),
            pair("4.00", "4.00"),
        ]
    );
}

#[test]
fn the_foreign_key_checks_new_writes_and_validate_finds_old_orphans() {
    let Some(server) = mariadb() else { return };
    let phases = lockstep_plan(&ADD_FOREIGN_KEY, "mysql");
    let db = server.fresh_db();
    db.exec(ADD_FOREIGN_KEY.create).expect("create");
    // An orphan written before the key exists.
    db.exec("INSERT INTO customers (id, name) VALUES (1, 'a'); INSERT INTO orders (customer_id) VALUES (1), (99);")
        .expect("load");
    migrate(&db, &phases[0].up).expect("the key is added without checking existing rows");
    let refused = db.exec("INSERT INTO orders (customer_id) VALUES (98);");
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("1452")),
        "a new orphan must be refused: {refused:?}"
    );
    let validate = migrate(&db, &phases[1].up);
    assert!(
        validate
            .as_ref()
            .is_err_and(|e| e.contains("has rows that break orders_customer_fk")),
        "{validate:?}"
    );
    db.exec("DELETE FROM orders WHERE customer_id = 99;")
        .expect("fix");
    migrate(&db, &phases[1].up).expect("validate passes once the orphan is gone");
}

/// A view the migrations created on the column: MySQL (MariaDB here) drops the column under
/// it in the contract phase, and every query of the view fails from then on. The plan
/// written while the view is unknown to the replay (created outside the migrations, as every
/// view was to lockstep before it followed them) shows it; with the view in the migrations
/// the plan is refused, naming it.
#[test]
fn a_view_on_the_column_fails_after_the_contract_and_is_named_in_the_refusal() {
    let table = "CREATE TABLE items (id INT PRIMARY KEY, code VARCHAR(20), note TEXT);\n\
                 INSERT INTO items VALUES (1, 'a', 'n'), (2, 'b', 'n');\n";
    let view = "CREATE VIEW item_codes AS SELECT id, code FROM items;\n";
    let change = "ALTER TABLE items RENAME COLUMN code TO label;\n";
    let args = ["--dialect", "mysql", "--layout", "golang-migrate"];
    let refused = plan_files::plan(&format!("{table}{view}"), change, &args);
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("the view item_codes") && e.contains("MySQL drops it")),
        "{:?}",
        refused.map(|phases| phases.len())
    );
    let unaware =
        plan_files::plan(table, change, &args).unwrap_or_else(|e| panic!("without the view: {e}"));
    let Some(server) = mariadb() else { return };
    let db = server.fresh_db();
    db.exec(table).expect("table");
    db.exec(view).expect("view");
    assert!(db.query("SELECT code FROM item_codes").is_ok());
    for phase in &unaware {
        migrate(&db, &phase.up).unwrap_or_else(|e| panic!("{}: {e}", phase.name));
    }
    let broken = db.query("SELECT * FROM item_codes");
    assert!(
        broken
            .as_ref()
            .is_err_and(|e| e.contains("references invalid table(s) or column(s)")),
        "{broken:?}"
    );
}

/// A column of a partitioned table's partitioning function: MariaDB refuses to drop it, and
/// the rename plan drops the old column in its contract phase. The plan written while the
/// partitioning is unknown to the replay (done outside the migrations) fails there, with
/// the error the refusal quotes; with the partitioning in the migrations (by CREATE TABLE or
/// ALTER TABLE) the plan is refused. A table whose partitioning no key holds gets the other
/// error quoted.
#[test]
fn a_partitioning_column_fails_at_the_contract_and_the_plan_is_refused() {
    let table = "CREATE TABLE events (id BIGINT NOT NULL, at INT NOT NULL, body VARCHAR(20), \
                 PRIMARY KEY (id));\n";
    // MariaDB wants every unique key of a partitioned table to hold the partitioning
    // columns, so the key changes with it.
    let partitioning = "ALTER TABLE events DROP PRIMARY KEY, ADD PRIMARY KEY (id, at) \
                        PARTITION BY RANGE (at) (PARTITION p0 VALUES LESS THAN (100), \
                        PARTITION p1 VALUES LESS THAN MAXVALUE);\n";
    let change = "ALTER TABLE events RENAME COLUMN at TO happened;\n";
    let args = ["--dialect", "mysql", "--layout", "golang-migrate"];
    let keyed_error = "Key column 'at' doesn't exist in table";
    let keyless_error = "Unknown column 'at' in 'PARTITION BY'";
    // The replay reads the partitioning of a CREATE TABLE and of an ALTER TABLE.
    let partitioned = "CREATE TABLE events (id BIGINT NOT NULL, at INT NOT NULL, \
                       body VARCHAR(20), PRIMARY KEY (id, at)) PARTITION BY RANGE (at) \
                       (PARTITION p0 VALUES LESS THAN (100), \
                       PARTITION p1 VALUES LESS THAN MAXVALUE);\n";
    for schema in [partitioned.to_string(), format!("{table}{partitioning}")] {
        let refused = plan_files::plan(&schema, change, &args);
        assert!(
            refused.as_ref().is_err_and(|e| {
                e.contains("`at` is in the partitioning function of `events`")
                    && e.contains(keyed_error)
                    && e.contains(keyless_error)
            }),
            "{schema}: {:?}",
            refused.map(|phases| phases.len())
        );
    }
    // After REMOVE PARTITIONING only the primary key the partitioning needed holds the column.
    let unpartitioned = format!("{table}{partitioning}ALTER TABLE events REMOVE PARTITIONING;\n");
    let refused = plan_files::plan(&unpartitioned, change, &args);
    assert!(
        refused.as_ref().is_err_and(|e| {
            !e.contains("partitioning function")
                && e.contains("drop it with the old column: the primary key")
        }),
        "{:?}",
        refused.map(|phases| phases.len())
    );
    let unaware =
        plan_files::plan(table, change, &args).unwrap_or_else(|e| panic!("unpartitioned: {e}"));
    let Some(server) = mariadb() else { return };
    let db = server.fresh_db();
    db.exec(table).expect("table");
    db.exec("INSERT INTO events VALUES (1, 5, 'a'), (2, 500, 'b');")
        .expect("rows");
    db.exec(partitioning).expect("partitioning");
    let (contract, before) = unaware.split_last().expect("phases");
    for phase in before {
        migrate(&db, &phase.up).unwrap_or_else(|e| panic!("{}: {e}", phase.name));
    }
    let failed = migrate(&db, &contract.up);
    assert!(
        failed.as_ref().is_err_and(|e| e.contains(keyed_error)),
        "{}: {failed:?}",
        contract.name
    );
    // Without a key the partitioning check is the one that speaks.
    db.exec("CREATE TABLE hashed (id BIGINT NOT NULL, at INT NOT NULL) PARTITION BY HASH (at) PARTITIONS 2;")
        .expect("hashed");
    let dropped = db.exec("ALTER TABLE hashed DROP COLUMN at, ALGORITHM=INSTANT;");
    assert!(
        dropped.as_ref().is_err_and(|e| e.contains(keyless_error)),
        "{dropped:?}"
    );
}
