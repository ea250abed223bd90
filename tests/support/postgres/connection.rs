//! A session on one database through the client library, without a psql process: the
//! harness keeps one open for its own statements (creating and loading tables, the
//! application's writes, schema and verify queries), so that a test running thousands of
//! them pays for one connection instead of a process and a server backend each; and a
//! migration a tool sends as one query string gets a session of its own, as the tool
//! gives it ([`PgDb::exec_as_one_query`](super::PgDb::exec_as_one_query)).
//!
//! Each script goes as one simple query, as psql's `--command` sends it: several
//! statements in it run as one implicit transaction, and its rows come back as text, NULL
//! as `NULL`, as psql prints them.

use super::{PgDb, SOCKET_PORT, STATEMENT_TIMEOUT_MS};

/// An open session on one database of a test cluster.
pub struct PgConnection {
    client: postgres::Client,
}

impl PgDb {
    /// A session on this database that stays open until dropped, named `app_name`.
    pub fn connect(&self, app_name: &str) -> Result<PgConnection, String> {
        self.connect_with_timeout(app_name, STATEMENT_TIMEOUT_MS)
    }

    /// A session whose statements may each run `timeout_ms`.
    pub(crate) fn connect_with_timeout(
        &self,
        app_name: &str,
        timeout_ms: u32,
    ) -> Result<PgConnection, String> {
        let client = postgres::Config::new()
            .host_path(&self.server.socket_dir)
            .port(SOCKET_PORT.parse().expect("a port number"))
            .user("postgres")
            .dbname(&self.name)
            .application_name(app_name)
            .options(&format!("-c statement_timeout={timeout_ms}"))
            .connect(postgres::NoTls)
            .map_err(|err| format!("cannot connect to {}: {err}", self.name))?;
        Ok(PgConnection { client })
    }
}

impl PgConnection {
    /// Runs a script; the rows of every result set in order.
    pub fn query(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        let messages = self.client.simple_query(sql).map_err(describe)?;
        Ok(messages
            .iter()
            .filter_map(|message| match message {
                postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).unwrap_or("NULL").to_string())
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    /// Runs a script, its rows ignored.
    pub fn exec(&mut self, sql: &str) -> Result<(), String> {
        self.client.batch_execute(sql).map_err(describe)
    }

    /// Ends the session, waiting until the server has been told: an open transaction is
    /// rolled back, as when psql exits.
    pub fn close(self) -> Result<(), String> {
        self.client.close().map_err(describe)
    }
}

/// The server's message (and detail) when it refused the script, else the client's error.
fn describe(err: postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!(
            "ERROR:  {}{}",
            db.message(),
            db.detail()
                .map(|detail| format!("\nDETAIL:  {detail}"))
                .unwrap_or_default()
        ),
        None => err.to_string(),
    }
}
