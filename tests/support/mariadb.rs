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
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

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
        let pid_file = dir.join("mariadbd.pid");
        let mut reaper = Reaper::start(&dir, &pid_file, "TERM")?;

        let mut install = Command::new("mariadb-install-db");
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data_dir.display()))
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
        let mut command = Command::new(&self.client);
        command
            .args(["--no-defaults", "--protocol=socket"])
            .arg(format!("--socket={}", self.socket.display()))
            .args(["--user=root", "--batch", "--skip-column-names"])
            .args(["--connect-timeout=10"]);
        if let Some(database) = database {
            command.arg(format!("--database={database}"));
        }
        run_with_input(&mut command, script).map_err(ClientError::from_client_output)
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

    fn run(&self, sql: &str) -> Result<String, ClientError> {
        self.server.run(Some(&self.name), sql)
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
