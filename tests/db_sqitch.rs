//! sqitch runs `lockstep plan --write`'s changes: in a sqitch project, a risky change is
//! planned, then real `sqitch deploy --verify`, `sqitch verify`, `lockstep release` and
//! `sqitch revert` run against a throwaway PostgreSQL, with the schema checked after
//! each:
//! - the phases that may ship now deploy (a batched backfill bare in psql's autocommit,
//!   the transactional ones inside their own `BEGIN`/`COMMIT`) and pass their verify;
//! - reverting them puts the schema and the rows back;
//! - the contract phase, released later, deploys and leaves the schema the plain statement
//!   gives; `sqitch verify` passes over every phase afterwards (an early phase's check
//!   steps aside once a later phase is deployed);
//! - an irreversible contract's revert fails, as its header says, and changes nothing;
//! - a phase's `SET LOCAL lock_timeout` holds under sqitch (its own `BEGIN`): behind a
//!   long transaction the expand phase gives up with a lock timeout and changes nothing;
//! - names from hostile input (`#`, `@`, `\`, newlines) give a plan sqitch reads back with
//!   exactly the changes lockstep added.
//!
//! Skipped, with the reason, when sqitch or the server is missing; never in CI.

mod support;

use std::path::Path;
use std::process::Command;
use support::postgres::{postgres, PgDb};

const ROWS: u32 = 2500;

struct Scenario {
    name: &'static str,
    /// The statement `lockstep plan` replaces, in the change `change_orders`.
    statement: &'static str,
}

const RENAME: Scenario = Scenario {
    name: "rename column",
    statement: "ALTER TABLE orders RENAME COLUMN code TO sku;",
};

const ADD_NOT_NULL: Scenario = Scenario {
    name: "add NOT NULL column with a volatile default",
    statement: "ALTER TABLE orders ADD COLUMN token text NOT NULL DEFAULT md5(random()::text);",
};

const CREATE_INDEX: Scenario = Scenario {
    name: "create index",
    statement: "CREATE INDEX orders_code ON orders (code);",
};

const SET_NOT_NULL: Scenario = Scenario {
    name: "set NOT NULL",
    statement: "ALTER TABLE orders ALTER COLUMN qty SET NOT NULL;",
};

const CREATE: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, code text NOT NULL, qty int);\n";

fn load() -> String {
    format!("INSERT INTO orders SELECT g, 'c' || g, g % 7 FROM generate_series(1, {ROWS}) g;\n")
}

/// The `sqitch` command, or why the test cannot run.
fn sqitch() -> Option<&'static str> {
    let found = Command::new("sqitch")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("sqitch");
    }
    let reason = "sqitch is not installed (scripts/install-test-deps.sh installs it)";
    assert!(!support::is_ci(), "{reason} (CI=true)");
    eprintln!("skipping: {reason}");
    None
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// Where a project keeps its scripts: beside `sqitch.plan`, or (sqitch's `top_dir`) in a
/// folder below the plan and `sqitch.conf`, as `sqitch init --top-dir sql --plan-file
/// sqitch.plan` makes it.
#[derive(Clone, Copy)]
enum Shape {
    Flat,
    TopDir,
}

impl Shape {
    /// The scripts folder, relative to the project (where sqitch runs).
    fn scripts(self) -> &'static str {
        match self {
            Shape::Flat => "",
            Shape::TopDir => "sql/",
        }
    }
}

/// A sqitch project with two changes: the table, and the change holding `statement`.
fn project(dir: &Path, statement: &str, shape: Shape) {
    write(
        dir,
        "sqitch.plan",
        "%syntax-version=1.0.0\n%project=shop\n\ncreate_orders 2024-01-01T00:00:00Z Tess <tess@example.com> # Orders.\nchange_orders [create_orders] 2024-01-02T00:00:00Z Tess <tess@example.com> # The risky change.\n",
    );
    if let Shape::TopDir = shape {
        write(
            dir,
            "sqitch.conf",
            "[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = sql\n",
        );
    }
    let scripts = shape.scripts();
    write(
        dir,
        &format!("{scripts}deploy/create_orders.sql"),
        &format!("BEGIN;\n{CREATE}{}COMMIT;\n", load()),
    );
    write(
        dir,
        &format!("{scripts}revert/create_orders.sql"),
        "BEGIN;\nDROP TABLE orders;\nCOMMIT;\n",
    );
    write(
        dir,
        &format!("{scripts}verify/create_orders.sql"),
        "SELECT id FROM orders WHERE FALSE;\n",
    );
    write(
        dir,
        &format!("{scripts}deploy/change_orders.sql"),
        statement,
    );
    write(
        dir,
        &format!("{scripts}revert/change_orders.sql"),
        "-- nothing yet\n",
    );
}

/// Runs `sqitch ARGS` in `dir` against `db`; its output, or its error output.
fn run_sqitch(dir: &Path, db: &PgDb, args: &[&str]) -> Result<String, String> {
    run_sqitch_with(dir, db, args, &[])
}

/// [`run_sqitch`] with more environment.
fn run_sqitch_with(
    dir: &Path,
    db: &PgDb,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<String, String> {
    let home = dir.join(".home");
    std::fs::create_dir_all(&home).expect("home");
    let mut command = Command::new("sqitch");
    command
        .current_dir(dir)
        .args(args)
        .env("HOME", &home)
        .env("SQITCH_USER_CONFIG", home.join("sqitch.conf"))
        .env("SQITCH_SYSTEM_CONFIG", home.join("system.conf"))
        .env("SQITCH_FULLNAME", "Lockstep Test")
        .env("SQITCH_EMAIL", "test@example.com")
        .arg("--target")
        .arg(format!("db:pg:{}", db.name()));
    for (name, value) in db.libpq_env() {
        command.env(name, value);
    }
    command.envs(env.iter().copied());
    let output = command.output().map_err(|e| format!("run sqitch: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

fn lockstep(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(dir)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1704112496")
        .output()
        .expect("run lockstep");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "lockstep {args:?}: {stderr}");
    stderr
}

/// Columns (name, type, NOT NULL, default), constraints and indexes of `orders`, and a
/// checksum of its rows by column name: what a plan must leave as the statement would.
fn schema(db: &PgDb) -> String {
    let rows = db
        .query(
            "SELECT string_agg(format('%s %s %s %s', attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(adbin, adrelid) IS NOT NULL), ', ' ORDER BY attname)
             FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
             WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped;
             SELECT coalesce(string_agg(pg_get_constraintdef(oid), ', ' ORDER BY conname), '') FROM pg_constraint WHERE conrelid = 'orders'::regclass;
             SELECT coalesce(string_agg(indexdef, ', ' ORDER BY indexname), '') FROM pg_indexes WHERE tablename = 'orders';
             SELECT count(*) FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal;",
        )
        .expect("schema");
    rows.iter()
        .map(|row| row.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn query_one(db: &PgDb, sql: &str) -> String {
    db.query(sql).expect("query")[0][0].clone()
}

/// The plain statement's result on a database of its own.
fn expected_schema(scenario: &Scenario) -> String {
    let server = postgres().expect("server");
    let db = server.fresh_db();
    db.exec(&format!("{CREATE}{}{}", load(), scenario.statement))
        .expect("plain statement");
    schema(&db)
}

/// A project whose last change is `statement`, planned with `--write`, the phases replacing
/// the statement as `--write` asks.
fn planned_project(statement: &str, shape: Shape) -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    project(dir, statement, shape);
    let planned = format!("{}deploy/change_orders.sql", shape.scripts());
    lockstep(dir, &["plan", &planned, "--write"]);
    write(dir, &planned, "-- replaced by the lockstep phases\n");
    temp
}

fn prove(scenario: &Scenario) {
    prove_in(scenario, Shape::Flat);
}

fn prove_in(scenario: &Scenario, shape: Shape) {
    let Some(_) = sqitch() else { return };
    let Some(server) = postgres() else { return };
    let temp = planned_project(scenario.statement, shape);
    let dir = temp.path();
    let scripts = dir.join(shape.scripts());

    let db = server.fresh_db();
    run_sqitch(dir, &db, &["deploy", "create_orders"]).expect("deploy the table");
    let before = schema(&db);
    let deployed = run_sqitch(dir, &db, &["deploy", "--verify"])
        .unwrap_or_else(|e| panic!("{}: sqitch deploy: {e}", scenario.name));
    // change_orders, then every phase `--write` put in the plan.
    let planned = std::fs::read_to_string(dir.join("sqitch.plan")).expect("plan");
    let phases_now = planned
        .lines()
        .filter(|l| l.contains("lockstep plan:"))
        .count();
    assert_eq!(
        deployed.matches("+ ").count(),
        1 + phases_now,
        "{}: {deployed}",
        scenario.name
    );
    assert_eq!(
        query_one(&db, "SELECT count(*) FROM orders"),
        ROWS.to_string()
    );
    run_sqitch(dir, &db, &["verify"])
        .unwrap_or_else(|e| panic!("{}: sqitch verify: {e}", scenario.name));

    // Every phase deployed so far reverts, last first, to the schema before them.
    run_sqitch(dir, &db, &["revert", "-y", "--to", "create_orders"])
        .unwrap_or_else(|e| panic!("{}: sqitch revert: {e}", scenario.name));
    assert_eq!(schema(&db), before, "{}: reverted", scenario.name);
    assert_eq!(
        query_one(&db, "SELECT count(*) FROM orders"),
        ROWS.to_string()
    );

    run_sqitch(dir, &db, &["deploy", "--verify"])
        .unwrap_or_else(|e| panic!("{}: deploy again: {e}", scenario.name));
    let pending: Vec<_> = std::fs::read_dir(scripts.join(".lockstep-pending"))
        .map(|d| d.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    for kept in &pending {
        lockstep(dir, &["release", &kept.to_string_lossy()]);
    }
    let released = run_sqitch(dir, &db, &["deploy", "--verify"])
        .unwrap_or_else(|e| panic!("{}: deploy the released phases: {e}", scenario.name));
    // Exactly the phases `lockstep release` appended.
    let planned = std::fs::read_to_string(dir.join("sqitch.plan")).expect("plan");
    let phases_all = planned
        .lines()
        .filter(|l| l.contains("lockstep plan:"))
        .count();
    assert!(phases_all > phases_now || pending.is_empty(), "{planned}");
    assert_eq!(
        released.matches("+ ").count(),
        phases_all - phases_now,
        "{}: {released}",
        scenario.name
    );
    assert_eq!(
        schema(&db),
        expected_schema(scenario),
        "{}: the schema after every phase",
        scenario.name
    );
    run_sqitch(dir, &db, &["verify"])
        .unwrap_or_else(|e| panic!("{}: sqitch verify after all: {e}", scenario.name));
    // As sqitch reads the plan: the first phase requires the change that held the
    // statement, each later phase the one before it.
    let listed = run_sqitch(dir, &db, &["plan", "--format", "format:%n %r"])
        .unwrap_or_else(|e| panic!("{}: sqitch plan: {e}", scenario.name));
    let requires: Vec<Vec<&str>> = listed
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(requires[1], ["change_orders", "create_orders"], "{listed}");
    assert_eq!(requires[2][1..], ["change_orders"], "{listed}");
    for pair in requires[2..].windows(2) {
        assert_eq!(pair[1][1..], [pair[0][0]], "{listed}");
    }

    let after = schema(&db);
    let plan = std::fs::read_to_string(dir.join("sqitch.plan")).expect("plan");
    let last = plan
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().next())
        .expect("last change");
    let revert_last =
        std::fs::read_to_string(scripts.join(format!("revert/{last}.sql"))).expect("revert script");
    let irreversible = revert_last.contains("RAISE EXCEPTION 'irreversible");
    let reverted = run_sqitch(dir, &db, &["revert", "-y", "--to", "create_orders"]);
    if irreversible {
        let error = reverted.expect_err("an irreversible contract's revert fails");
        assert!(error.contains("irreversible"), "{}: {error}", scenario.name);
        assert_eq!(schema(&db), after, "{}: a failed revert", scenario.name);
    } else {
        reverted.unwrap_or_else(|e| panic!("{}: revert all: {e}", scenario.name));
        assert_eq!(schema(&db), before, "{}: reverted all", scenario.name);
    }
}

#[test]
fn sqitch_runs_a_rename_column_plan() {
    prove(&RENAME);
}

#[test]
fn sqitch_runs_an_add_not_null_column_plan() {
    prove(&ADD_NOT_NULL);
}

/// The index is built `CONCURRENTLY`, which psql runs only outside a transaction block.
#[test]
fn sqitch_runs_a_create_index_plan() {
    prove(&CREATE_INDEX);
}

/// A project made by `sqitch init --top-dir sql --plan-file sqitch.plan`: the scripts go
/// below, into `sql/`, the plan lines into the plan above it that `sqitch.conf` names.
#[test]
fn sqitch_runs_a_plan_in_a_project_with_a_top_dir() {
    prove_in(&RENAME, Shape::TopDir);
}

/// Every phase waits for the new release: `--write` puts none in the plan yet.
#[test]
fn sqitch_runs_a_set_not_null_plan() {
    prove(&SET_NOT_NULL);
}

/// Hostile identifiers and planner settings: sqitch reads the plan back with the changes
/// lockstep added and no others (no line of the input became a plan line).
#[test]
fn sqitch_reads_the_plan_written_for_hostile_names() {
    if sqitch().is_none() {
        return;
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    write(
        dir,
        "sqitch.plan",
        "%syntax-version=1.0.0\n%project=shop\n\nc1 2024-01-01T00:00:00Z T <t@x> # c\nc2 [c1] 2024-01-01T00:00:00Z T <t@x> # c\n",
    );
    write(dir, "sqitch.conf", "[core]\n\tengine = pg\n");
    write(
        dir,
        "deploy/c1.sql",
        "CREATE TABLE \"ev#il\n@x\\\" (id bigint PRIMARY KEY, \"co\nde\" text);\n",
    );
    write(
        dir,
        "deploy/c2.sql",
        "ALTER TABLE \"ev#il\n@x\\\" RENAME COLUMN \"co\nde\" TO \"n#ew\";\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(dir)
        .args(["plan", "deploy/c2.sql", "--write"])
        .env("SQITCH_FULLNAME", "Eve <x> # @\nc3")
        .env("SQITCH_EMAIL", "e>v@x")
        .output()
        .expect("run lockstep");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = Command::new("sqitch")
        .current_dir(dir)
        .args(["plan", "--format", "format:%n"])
        .env("HOME", dir)
        .env("SQITCH_USER_CONFIG", dir.join("none.conf"))
        .env("SQITCH_SYSTEM_CONFIG", dir.join("none.conf"))
        .output()
        .expect("run sqitch plan");
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let changes: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        changes,
        [
            "c1",
            "c2",
            "expand_ev_il__x__co_de_to_n_ew",
            "backfill_ev_il__x__co_de_to_n_ew"
        ],
        "{stdout}"
    );
}

/// Behind a transaction that holds a lock on the table, the expand phase's ALTER waits at
/// most its `SET LOCAL lock_timeout` (which holds only inside the phase's own BEGIN, sqitch
/// opening none), fails with SQLSTATE 55P03, and leaves nothing of the phase behind; once
/// the transaction ends, the same deploy goes through. A server-side statement_timeout far
/// above the lock timeout turns a lock_timeout that did not apply into a different error
/// instead of a hang.
#[test]
fn sqitch_deploy_gives_up_on_a_busy_table_as_the_header_says() {
    if sqitch().is_none() {
        return;
    }
    let Some(server) = postgres() else { return };
    let temp = planned_project(RENAME.statement, Shape::Flat);
    let dir = temp.path();
    let db = server.fresh_db();
    run_sqitch(dir, &db, &["deploy", "change_orders"]).expect("deploy up to the change");
    let before = schema(&db);

    let mut reader = db.session("long_reader").expect("session");
    reader.run("BEGIN").expect("begin");
    reader.run("SELECT count(*) FROM orders").expect("read");
    let guard = [("PGOPTIONS", "-c statement_timeout=30s")];
    let error = run_sqitch_with(dir, &db, &["deploy", "--verify"], &guard)
        .expect_err("the expand phase waits behind the reader, then gives up");
    assert!(error.contains("lock timeout"), "{error}");
    assert_eq!(schema(&db), before, "the failed phase left nothing");

    reader.run("COMMIT").expect("commit");
    run_sqitch_with(dir, &db, &["deploy", "--verify"], &guard)
        .unwrap_or_else(|e| panic!("deploy once the reader is done: {e}"));
    assert_ne!(schema(&db), before);
}

/// `lockstep check DIR --since HEAD` in `dir`: its exit code and what it printed.
fn check_since_head(dir: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .current_dir(dir)
        .args(["check", ".", "--since", "HEAD"])
        .output()
        .expect("run lockstep check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// A contract phase released in the same change as its expand phase is deployed by the
/// same `sqitch deploy`, while the old release still runs: `check --since` flags it, on
/// the contract's deploy script. Released in a later change, it is not flagged.
#[test]
fn check_flags_a_contract_in_the_same_change_as_its_expand() {
    if sqitch().is_none() {
        return;
    }
    let Some(server) = postgres() else { return };
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    project(dir, RENAME.statement, Shape::Flat);
    write(dir, ".gitignore", ".home/\n");
    support::git::git(dir, &["init", "-q"]);
    support::git::git(dir, &["add", "-A"]);
    support::git::git(dir, &["commit", "-qm", "the project"]);

    lockstep(dir, &["plan", "deploy/change_orders.sql", "--write"]);
    write(
        dir,
        "deploy/change_orders.sql",
        "-- replaced by the lockstep phases\n",
    );
    let pending = dir.join(".lockstep-pending/orders_code_to_sku");
    let (_, before_release) = check_since_head(dir);
    assert!(
        !before_release.contains("contract-with-expand"),
        "{before_release}"
    );
    lockstep(dir, &["release", &pending.to_string_lossy()]);

    let db = server.fresh_db();
    let deployed = run_sqitch(dir, &db, &["deploy"]).expect("sqitch deploy");
    assert!(
        deployed.contains("+ expand_orders_code_to_sku")
            && deployed.contains("+ contract_orders_code_to_sku"),
        "one deploy runs the expand and the contract phase: {deployed}"
    );
    let (code, flagged) = check_since_head(dir);
    assert_eq!(code, 1, "{flagged}");
    let findings: Vec<&str> = flagged
        .lines()
        .filter(|l| l.contains("contract-with-expand"))
        .collect();
    assert_eq!(findings.len(), 1, "{flagged}");
    assert!(
        flagged.contains("deploy/contract_orders_code_to_sku.sql:1:1"),
        "{flagged}"
    );
    assert!(
        flagged.contains("phase 1 (expand), deploy/expand_orders_code_to_sku.sql"),
        "{flagged}"
    );

    // The expand phases merged first: the release's own change holds only the contract.
    support::git::git(dir, &["reset", "-q", "--hard"]);
    support::git::git(dir, &["clean", "-qfd"]);
    lockstep(dir, &["plan", "deploy/change_orders.sql", "--write"]);
    write(
        dir,
        "deploy/change_orders.sql",
        "-- replaced by the lockstep phases\n",
    );
    support::git::git(dir, &["add", "-A"]);
    support::git::git(dir, &["commit", "-qm", "the phases for now"]);
    lockstep(dir, &["release", &pending.to_string_lossy()]);
    let (_, released_later) = check_since_head(dir);
    assert!(
        !released_later.contains("contract-with-expand"),
        "{released_later}"
    );
    let changed = support::git::git(dir, &["status", "--porcelain", "--untracked-files=all"]);
    assert!(
        changed.contains("?? deploy/contract_orders_code_to_sku.sql"),
        "the contract is in the change checked: {changed}"
    );
}
