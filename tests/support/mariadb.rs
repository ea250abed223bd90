//! A throwaway MariaDB server, and the check of whether it honours an `ALGORITHM=`/`LOCK=` pin.
//!
//! MariaDB refuses an ALTER TABLE whose pinned algorithm or lock level it cannot deliver, with
//! ER_ALTER_OPERATION_NOT_SUPPORTED (1845) or ER_ALTER_OPERATION_NOT_SUPPORTED_REASON (1846).
//! That refusal is the server's own statement of what an operation costs, which is what
//! lockstep's MySQL rules claim.

use super::{
    available, exited_early, find_binary, private_dir, run_with_input, unique_name,
    wait_for_startup, Reaper, ServerAccount,
};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::time::Duration;

/// Server error codes meaning "cannot honour the requested ALGORITHM/LOCK".
const PIN_REFUSED_CODES: [u32; 2] = [1845, 1846];

/// The shared server of this test process, started on first use; `None` means "skip this test"
/// (only outside CI, with the reason printed).
pub fn mariadb() -> Option<&'static MariaServer> {
    static SERVER: OnceLock<Result<MariaServer, String>> = OnceLock::new();
    available("MariaDB", SERVER.get_or_init(MariaServer::start))
}

/// A running MariaDB server listening only on a unix socket in its private directory.
pub struct MariaServer {
    socket: PathBuf,
    client: PathBuf,
    _reaper: Reaper,
}

/// An error reported by the server through the client: `ERROR <code> (<state>) ...`.
#[derive(Debug)]
struct ClientError {
    code: Option<u32>,
    message: String,
}

impl ClientError {
    /// Reads the code from the client's `ERROR` line; the client may print the failing
    /// statement between dashed lines before it.
    fn from_client_output(message: String) -> Self {
        let code = message
            .lines()
            .find_map(|line| line.strip_prefix("ERROR "))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|code| code.parse().ok());
        ClientError { code, message }
    }
}

impl MariaServer {
    fn start() -> Result<Self, String> {
        let account = ServerAccount::resolve()?;
        let dir = private_dir("lockstep-maria-", &account)?;
        let data_dir = dir.join("data");
        // A server deletes every `#sql*` file in its tmpdir when it starts: with the shared
        // /tmp, a server starting in another test process removes the temporary tables of
        // this one's bootstrap.
        let tmp_dir = dir.join("tmp");
        std::fs::create_dir(&tmp_dir)
            .map_err(|err| format!("cannot create {}: {err}", tmp_dir.display()))?;
        account.take_ownership(&tmp_dir)?;
        let tmp_dir_arg = format!("--tmpdir={}", tmp_dir.display());
        let pid_file = dir.join("mariadbd.pid");
        let mut reaper = Reaper::start(&dir, &pid_file, "TERM")?;

        let mut install = Command::new("mariadb-install-db");
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data_dir.display()))
            .arg(&tmp_dir_arg)
            // Root with an empty password instead of unix_socket auth: the client may run as
            // any OS user.
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .current_dir(&dir);
        account.apply(&mut install);
        run_with_input(&mut install, "")
            .map_err(|err| format!("mariadb-install-db failed: {err}"))?;

        let socket = dir.join("mariadb.sock");
        let log_path = dir.join("error.log");
        let server_bin = find_binary("mariadbd", &[PathBuf::from("/usr/sbin/mariadbd")]);
        let mut server = Command::new(server_bin);
        server
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data_dir.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", pid_file.display()))
            .arg(&tmp_dir_arg)
            .arg(format!("--log-error={}", log_path.display()))
            .arg("--skip-networking")
            // Durability is worthless for a throwaway server; speed is not.
            .args([
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
            ])
            .args(["--innodb-doublewrite=0", "--skip-log-bin"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        account.apply(&mut server);
        let mut child = server
            .spawn()
            .map_err(|err| format!("cannot start mariadbd: {err}"))?;
        reaper.watch(child.id())?;

        let server = MariaServer {
            socket,
            client: find_binary("mariadb", &[PathBuf::from("/usr/bin/mariadb")]),
            _reaper: reaper,
        };
        wait_for_startup(
            || {
                server
                    .run(None, "SELECT 1")
                    .map(drop)
                    .map_err(|err| err.message)
            },
            || exited_early(&mut child, &log_path),
        )?;
        Ok(server)
    }

    /// A new empty database (schema) for one test.
    pub fn fresh_db(&'static self) -> MariaDb {
        let name = unique_name("lockstep");
        if let Err(err) = self.run(None, &format!("CREATE DATABASE {name}")) {
            panic!("CREATE DATABASE {name} failed: {}", err.message);
        }
        MariaDb { server: self, name }
    }

    /// Runs a script through the client in batch mode: tab-separated rows, no headers,
    /// stopping at the first error.
    fn run(&self, database: Option<&str>, script: &str) -> Result<String, ClientError> {
        run_with_input(&mut self.client(database), script).map_err(ClientError::from_client_output)
    }

    /// The client in batch mode, connected to `database`.
    fn client(&self, database: Option<&str>) -> Command {
        let mut command = Command::new(&self.client);
        command
            .args(["--no-defaults", "--protocol=socket"])
            .arg(format!("--socket={}", self.socket.display()))
            .args(["--user=root", "--batch", "--skip-column-names"])
            .args(["--connect-timeout=10"]);
        if let Some(database) = database {
            command.arg(format!("--database={database}"));
        }
        command
    }
}

/// One test's own database on the shared server.
pub struct MariaDb {
    server: &'static MariaServer,
    name: String,
}

impl MariaDb {
    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A `mysql://` URL that reaches this database over the server's Unix socket, as
    /// `lockstep stats --database-url` takes it.
    pub fn connection_url(&self) -> String {
        format!(
            "mysql://root@localhost/{}?socket={}",
            self.name,
            self.server.socket.display()
        )
    }

    /// Runs a script (one or more `;`-terminated statements) in one session.
    pub fn exec(&self, sql: &str) -> Result<(), String> {
        self.run(sql).map(drop).map_err(|err| err.message)
    }

    /// Runs a script and returns the rows of every result set in order; SQL NULL reads "NULL".
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        self.run(sql)
            .map(|out| parse_batch(&out))
            .map_err(|err| err.message)
    }

    /// Runs `setup`, then `statement` (an ALTER pinned with `ALGORITHM=` and/or `LOCK=`):
    /// `Ok(true)` when the server accepted and ran it, `Ok(false)` when it refused because it
    /// cannot honour the pin, `Err` for any other failure.
    pub fn alter_is_accepted(&self, setup: &str, statement: &str) -> Result<bool, String> {
        self.exec(setup)?;
        match self.run(statement) {
            Ok(_) => Ok(true),
            Err(ClientError {
                code: Some(code), ..
            }) if PIN_REFUSED_CODES.contains(&code) => Ok(false),
            Err(err) => Err(err.message),
        }
    }

    /// Runs `sql` as one query string, as golang-migrate sends a file (the server splits a
    /// multi-statement query itself, compound statements included): the client's delimiter
    /// is set to text no migration contains.
    pub fn exec_as_one_query(&self, sql: &str) -> Result<(), String> {
        self.exec_queries(&[sql])
    }

    /// Sends each of `queries` as one query string, in order, on one connection (as goose
    /// sends the statements of a file inside its transaction).
    pub fn exec_queries(&self, queries: &[&str]) -> Result<(), String> {
        let mut command = self.server.client(Some(&self.name));
        command.arg(format!("--delimiter={ONE_QUERY_DELIMITER}"));
        let script = queries.join(&format!("\n{ONE_QUERY_DELIMITER}\n"));
        run_with_input(&mut command, &script).map(drop)
    }

    /// A client session kept open, for application traffic.
    pub fn session(&self) -> Result<MariaSession, String> {
        MariaSession::open(self.server.client(Some(&self.name)))
    }

    fn run(&self, sql: &str) -> Result<String, ClientError> {
        self.server.run(Some(&self.name), sql)
    }
}

/// A delimiter no migration file contains, so the client sends a whole file at once.
/// (The client keeps at most 16 characters of a delimiter.)
const ONE_QUERY_DELIMITER: &str = "lockstep_eoq";

/// How long a session waits for the answer to one statement.
const SESSION_REPLY_TIMEOUT: Duration = Duration::from_secs(120);

/// One `mariadb` client process kept open: statements go in one at a time. After each the
/// session selects a marker row (stdout) and then a marker column that does not exist, whose
/// error (stderr) marks where the statement's own error, if any, ends: with `--force` the
/// client reports a failed statement on stderr and goes on.
pub struct MariaSession {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Receiver<String>,
    statements: u64,
}

impl MariaSession {
    fn open(mut command: Command) -> Result<MariaSession, String> {
        let mut child = command
            .args(["--force", "--unbuffered"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| format!("cannot start the client: {err}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("the client has no stdout")?;
        let stderr = child.stderr.take().ok_or("the client has no stderr")?;
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(MariaSession {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr: receiver,
            statements: 0,
        })
    }

    /// Runs one statement (no terminator); its rows, or the client's `ERROR ...` line.
    pub fn run(&mut self, statement: &str) -> Result<Vec<Vec<String>>, String> {
        self.statements += 1;
        let n = self.statements;
        let end = format!("lockstep_end_{n}");
        let mark = format!("lockstep_mark_{n}");
        let script = format!(
            "{};\nSELECT '{end}';\nSELECT {mark};\n",
            statement.trim().trim_end_matches(';')
        );
        let stdin = self.stdin.as_mut().ok_or("the session is closed")?;
        stdin
            .write_all(script.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|err| format!("cannot talk to the session: {err}"))?;
        let mut output = String::new();
        for _ in 0..MAX_SESSION_LINES {
            let mut line = String::new();
            let read = self
                .stdout
                .read_line(&mut line)
                .map_err(|err| format!("cannot read the session: {err}"))?;
            if read == 0 {
                return Err("the session ended".into());
            }
            if line.trim_end() == end {
                return self.statement_error(&mark).map(|()| parse_batch(&output));
            }
            output.push_str(&line);
        }
        Err(format!("no end marker after {MAX_SESSION_LINES} lines"))
    }

    /// The error the client reported for the statement, read up to the marker's error.
    fn statement_error(&self, mark: &str) -> Result<(), String> {
        let mut error = None;
        for _ in 0..MAX_SESSION_LINES {
            let line = self
                .stderr
                .recv_timeout(SESSION_REPLY_TIMEOUT)
                .map_err(|err| format!("no reply on stderr: {err}"))?;
            // The client may echo a failed statement before its ERROR line.
            if !line.starts_with("ERROR ") {
                continue;
            }
            if line.contains(mark) {
                return error.map_or(Ok(()), Err);
            }
            error.get_or_insert(line);
        }
        Err(format!("no marker after {MAX_SESSION_LINES} stderr lines"))
    }
}

/// Bounds the lines read for one statement.
const MAX_SESSION_LINES: usize = 1_000_000;

impl Drop for MariaSession {
    fn drop(&mut self) {
        // Closing stdin ends the client.
        self.stdin.take();
        let _ = self.child.wait();
    }
}

/// Parses the client's batch output: rows end with a line break, fields are tab-separated, and
/// tab, line break, backslash and NUL inside values are escaped as `\t`, `\n`, `\\`, `\0`.
pub fn parse_batch(text: &str) -> Vec<Vec<String>> {
    text.split_terminator('\n')
        .map(|line| line.split('\t').map(unescape_batch_field).collect())
        .collect()
}

fn unescape_batch_field(field: &str) -> String {
    let mut value = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            value.push(ch);
            continue;
        }
        match chars.next() {
            Some('n') => value.push('\n'),
            Some('t') => value.push('\t'),
            Some('0') => value.push('\0'),
            Some(other) => value.push(other),
            None => value.push('\\'),
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_output_is_unescaped_per_field() {
        let rows = parse_batch("1\tNULL\ta\\tb\\nc\\\\\n\n");
        assert_eq!(rows, vec![vec!["1", "NULL", "a\tb\nc\\"], vec![""]]);
    }

    #[test]
    fn batch_output_of_nothing_is_no_rows() {
        assert!(parse_batch("").is_empty());
    }

    #[test]
    fn error_codes_are_read_from_client_messages() {
        let refused = ClientError::from_client_output(
            "ERROR 1846 (0A000) at line 1: LOCK=NONE is not supported.".into(),
        );
        assert_eq!(refused.code, Some(1846));
        let echoed = ClientError::from_client_output(
            "--------------\nALTER TABLE t\n--------------\n\nERROR 1845 (0A000) at line 1".into(),
        );
        assert_eq!(echoed.code, Some(1845));
        assert_eq!(ClientError::from_client_output("oops".into()).code, None);
    }
}
