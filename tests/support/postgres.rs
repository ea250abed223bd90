//! A throwaway PostgreSQL cluster and the lock measurement that proves lockstep's claims.
//!
//! [`PgDb::measure`] runs a statement inside a transaction and reads, before rolling back, which
//! table locks that backend holds and which tables got a new relfilenode (were rewritten).
//! [`PgDb::measure_outside_tx`] does the same for statements that refuse a transaction block
//! (`CREATE INDEX CONCURRENTLY` and friends) by sampling `pg_locks` from a second session while
//! a third session keeps the statement waiting.

use super::{
    available, exited_early, find_binary, private_dir, run_with_input, unique_name,
    wait_for_startup, Reaper, ServerAccount,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
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

/// How long the blocking session of `measure_outside_tx` waits to see the statement block.
const BLOCKER_HOLD_LIMIT: Duration = Duration::from_secs(5);

/// Tags the harness's own result rows so they cannot be confused with a statement's output.
const LOCK_ROW: &str = "lockstep_lock_row";
const NODE_ROW: &str = "lockstep_node_row";
const WAIT_ROW: &str = "lockstep_wait_row";

/// User tables (plain and partitioned) of the current database, as `c` joined to `n`.
const USER_TABLES: &str = "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p') \
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg_toast%'";

/// Joins `pg_locks l` to the user tables `t` it locks.
fn locked_tables() -> String {
    format!("(SELECT c.oid, c.relname FROM {USER_TABLES}) t ON t.oid = l.relation")
}

/// What a statement did to the tables of the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measurement {
    /// Table name -> strongest lock mode the statement held on it (e.g. "AccessExclusiveLock").
    pub locks: BTreeMap<String, String>,
    /// Table name -> strongest lock mode the statement asked for and had to wait on. Only
    /// `measure_outside_tx` can observe this; `measure` runs without contention.
    pub waited: BTreeMap<String, String>,
    /// Tables whose relfilenode changed: the statement rewrote them.
    pub rewritten: BTreeSet<String>,
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
}

/// Position of `mode` in [`LOCK_MODES`]; unknown modes rank below all known ones.
fn lock_rank(mode: &str) -> Option<usize> {
    LOCK_MODES.iter().position(|known| *known == mode)
}

/// Records `mode` for `table` unless a stronger mode is already recorded.
fn keep_strongest(modes: &mut BTreeMap<String, String>, table: &str, mode: &str) {
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
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    available("PostgreSQL", SERVER.get_or_init(PgServer::start))
}

/// A running PostgreSQL cluster listening only on a unix socket in its private directory.
pub struct PgServer {
    socket_dir: PathBuf,
    psql: PathBuf,
    _reaper: Reaper,
}

/// Port number only names the socket file (`.s.PGSQL.<port>`); there is no TCP listener.
const SOCKET_PORT: &str = "5432";

impl PgServer {
    fn start() -> Result<Self, String> {
        let bin_dir = pg_bin_dir();
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
            .args(["-c", "shared_buffers=32MB", "-c", "max_connections=100"])
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
            psql: find_binary("psql", &[bin_dir.join("psql")]),
            _reaper: reaper,
        };
        wait_for_startup(
            || server.run("postgres", "SELECT 1").map(drop),
            || exited_early(&mut child, &log_path),
        )?;
        Ok(server)
    }

    /// A new empty database for one test.
    pub fn fresh_db(&'static self) -> PgDb {
        let name = unique_name("lockstep");
        let created = self.run("postgres", &format!("CREATE DATABASE {name}"));
        if let Err(err) = created {
            panic!("CREATE DATABASE {name} failed: {err}");
        }
        PgDb { server: self, name }
    }

    /// A psql session on `database` reading a script from stdin, printing CSV rows only.
    fn psql_command(&self, database: &str) -> Command {
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

/// The first place PostgreSQL 15 server binaries are found; `$LOCKSTEP_PG_BIN` overrides.
fn pg_bin_dir() -> PathBuf {
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

/// One test's own database in the shared cluster.
pub struct PgDb {
    server: &'static PgServer,
    name: String,
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
        let mut command = self.server.psql_base(&self.name);
        command
            .arg("--set=ON_ERROR_STOP=1")
            .env("PGAPPNAME", app_name)
            .env(
                "PGOPTIONS",
                format!("-c statement_timeout={MIGRATION_TIMEOUT_MS}"),
            );
        if wrapped {
            command.args(["--command", "BEGIN"]);
        }
        command.arg("--command").arg(sql);
        if wrapped {
            command.args(["--command", "COMMIT"]);
        }
        run_with_input(&mut command, "").map(drop)
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

    /// Runs a script and returns the rows of every result set in order; SQL NULL reads "NULL".
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        self.server.run(&self.name, sql).map(|out| parse_csv(&out))
    }

    /// Runs `setup` (committed), then `statement` inside a transaction that reports the table
    /// locks its backend holds and the relfilenodes after the statement, then rolls back.
    pub fn measure(&self, setup: &str, statement: &str) -> Result<Measurement, String> {
        self.exec(setup)?;
        let before = self.table_nodes()?;
        let script = format!(
            "BEGIN;\n{statement};\n\
             SELECT '{LOCK_ROW}', t.relname, l.mode FROM pg_locks l JOIN {locked_tables} \
             WHERE l.pid = pg_backend_pid() AND l.granted;\n\
             SELECT '{NODE_ROW}', c.relname, c.relfilenode FROM {USER_TABLES};\n\
             ROLLBACK;\n",
            statement = trim_statement(statement),
            locked_tables = locked_tables(),
        );
        let rows = self.query(&script)?;
        let mut measurement = Measurement::default();
        let mut after = BTreeMap::new();
        for row in &rows {
            match row.as_slice() {
                [tag, table, mode] if tag == LOCK_ROW => {
                    keep_strongest(&mut measurement.locks, table, mode)
                }
                [tag, table, node] if tag == NODE_ROW => {
                    after.insert(table.clone(), node.clone());
                }
                _ => {}
            }
        }
        measurement.rewritten = rewritten_tables(&before, &after);
        Ok(measurement)
    }

    /// Like [`measure`](Self::measure) for statements that cannot run in a transaction block.
    ///
    /// A blocking session first takes ROW EXCLUSIVE locks on every table of the setup inside an
    /// open transaction; the statement then starts in its own session (concurrent builds and
    /// drops wait for such transactions) while this session samples that backend's rows in
    /// `pg_locks`. See [`measure_outside_tx_blocked_by`](Self::measure_outside_tx_blocked_by).
    pub fn measure_outside_tx(&self, setup: &str, statement: &str) -> Result<Measurement, String> {
        self.exec(setup)?;
        let tables = self.qualified_tables()?;
        let blocking = if tables.is_empty() {
            String::new()
        } else {
            format!("LOCK TABLE {} IN ROW EXCLUSIVE MODE", tables.join(", "))
        };
        self.measure_blocked(&blocking, statement)
    }

    /// Runs `setup`, then `blocking` in a transaction that stays open while `statement` runs in
    /// another session; samples the statement's locks until it has been seen waiting (or a few
    /// seconds passed), commits the blocker, and keeps sampling until the statement ends.
    ///
    /// `Measurement::waited` holds the table locks the statement was seen queueing for. Locks
    /// held only between two samples (about 20 ms apart) can be missed, so only locks held while
    /// the statement waits are reliable; choose `blocking` to make it wait where it matters.
    pub fn measure_outside_tx_blocked_by(
        &self,
        setup: &str,
        blocking: &str,
        statement: &str,
    ) -> Result<Measurement, String> {
        self.exec(setup)?;
        self.measure_blocked(blocking, statement)
    }

    fn measure_blocked(&self, blocking: &str, statement: &str) -> Result<Measurement, String> {
        let before = self.table_nodes()?;
        let mut blocker = Blocker::hold(self, blocking)?;
        let app_name = unique_name("lockstep_measured");
        let statement_done = self.spawn_statement(statement, &app_name)?;

        let mut measurement = Measurement::default();
        let mut seen_backend = false;
        let started = Instant::now();
        let outcome = loop {
            let sample = self.sample_locks(&app_name)?;
            seen_backend |= sample.backend_seen;
            for (table, mode) in &sample.held {
                keep_strongest(&mut measurement.locks, table, mode);
            }
            for (table, mode) in &sample.wanted {
                keep_strongest(&mut measurement.waited, table, mode);
            }
            if sample.waiting || started.elapsed() > BLOCKER_HOLD_LIMIT {
                blocker.release()?;
            }
            if let Ok(outcome) = statement_done.try_recv() {
                break outcome;
            }
        };
        blocker.release()?;
        outcome.map_err(|err| format!("statement failed: {err}"))?;
        if !seen_backend {
            return Err("the statement finished before any lock sample saw it".into());
        }
        measurement.rewritten = rewritten_tables(&before, &self.table_nodes()?);
        Ok(measurement)
    }

    /// Runs `statement` in its own session named `app_name`; the receiver gets its outcome.
    fn spawn_statement(
        &self,
        statement: &str,
        app_name: &str,
    ) -> Result<mpsc::Receiver<Result<String, String>>, String> {
        let mut command = self.server.psql_command(&self.name);
        command.env("PGAPPNAME", app_name);
        let script = format!("{};\n", trim_statement(statement));
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name(app_name.to_string())
            .spawn(move || {
                // The receiver is gone only if the measuring test already failed.
                let _ = sender.send(run_with_input(&mut command, &script));
            })
            .map_err(|err| format!("cannot start the statement thread: {err}"))?;
        Ok(receiver)
    }

    /// One look at the locks of the backend named `app_name`.
    fn sample_locks(&self, app_name: &str) -> Result<LockSample, String> {
        let backend = format!(
            "l.pid IN (SELECT pid FROM pg_stat_activity WHERE application_name = '{app_name}')"
        );
        let script = format!(
            "SELECT '{LOCK_ROW}', t.relname, l.mode, l.granted FROM pg_locks l JOIN {locked_tables} \
             WHERE {backend} \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());\n\
             SELECT '{WAIT_ROW}', count(*), count(*) FILTER (WHERE NOT l.granted) \
             FROM pg_locks l WHERE {backend};\n",
            locked_tables = locked_tables(),
        );
        let mut sample = LockSample::default();
        for row in self.query(&script)? {
            match row.as_slice() {
                [tag, table, mode, granted] if tag == LOCK_ROW => {
                    let entry = (table.clone(), mode.clone());
                    if granted == "t" {
                        sample.held.push(entry);
                    } else {
                        sample.wanted.push(entry);
                    }
                }
                [tag, all, waiting] if tag == WAIT_ROW => {
                    sample.backend_seen = all != "0";
                    sample.waiting = waiting != "0";
                }
                _ => {}
            }
        }
        Ok(sample)
    }

    /// Table name -> relfilenode, for every user table.
    fn table_nodes(&self) -> Result<BTreeMap<String, String>, String> {
        let rows = self.query(&format!(
            "SELECT c.relname, c.relfilenode FROM {USER_TABLES}"
        ))?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match row.as_slice() {
                [table, node] => Some((table.clone(), node.clone())),
                _ => None,
            })
            .collect())
    }

    /// Schema-qualified, quoted names of every user table, for LOCK TABLE.
    fn qualified_tables(&self) -> Result<Vec<String>, String> {
        let sql = format!("SELECT format('%I.%I', n.nspname, c.relname) FROM {USER_TABLES}");
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

/// What one sample of `pg_locks` showed for the measured backend.
#[derive(Debug, Default)]
struct LockSample {
    held: Vec<(String, String)>,
    wanted: Vec<(String, String)>,
    backend_seen: bool,
    waiting: bool,
}

/// A session holding locks in an open transaction until released.
struct Blocker {
    session: Option<(Child, ChildStdin)>,
}

impl Blocker {
    fn hold(db: &PgDb, blocking: &str) -> Result<Self, String> {
        if blocking.trim().is_empty() {
            return Ok(Blocker { session: None });
        }
        let mut child = db
            .server
            .psql_command(&db.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| format!("cannot start the blocking session: {err}"))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the blocking session has no pipes".into());
        };
        let lock = format!("BEGIN;\n{};\nSELECT 'held';\n", trim_statement(blocking));
        stdin
            .write_all(lock.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|err| format!("cannot talk to the blocking session: {err}"))?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|err| format!("cannot read the blocking session: {err}"))?;
        if line.trim() != "held" {
            drop(stdin);
            let output = child.wait_with_output().map_err(|err| err.to_string())?;
            return Err(format!(
                "the blocking session failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(Blocker {
            session: Some((child, stdin)),
        })
    }

    /// Commits the blocking transaction; idempotent.
    fn release(&mut self) -> Result<(), String> {
        let Some((mut child, mut stdin)) = self.session.take() else {
            return Ok(());
        };
        stdin
            .write_all(b"COMMIT;\n")
            .map_err(|err| format!("cannot release the blocking session: {err}"))?;
        drop(stdin);
        child
            .wait()
            .map_err(|err| format!("cannot wait for the blocking session: {err}"))?;
        Ok(())
    }
}

/// Tables present before and after whose relfilenode differs.
fn rewritten_tables(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    after
        .iter()
        .filter(|(table, node)| before.get(*table).is_some_and(|old| old != *node))
        .map(|(table, _)| table.clone())
        .collect()
}

/// The statement without trailing semicolons, so the harness can append its own.
fn trim_statement(statement: &str) -> &str {
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

    #[test]
    fn only_tables_present_on_both_sides_can_be_rewritten() {
        let before = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".into(), "2".into())]);
        let after = BTreeMap::from([("a".to_string(), "9".to_string()), ("c".into(), "3".into())]);
        assert_eq!(
            rewritten_tables(&before, &after),
            BTreeSet::from(["a".to_string()])
        );
    }
}
