//! A session the harness keeps open on one database for its own statements (creating and
//! loading tables, the application's writes, schema and verify queries), so that a test
//! running thousands of them pays for one connection instead of a psql process and a
//! server backend each. Migrations still run as their tools send them
//! ([`PgDb::exec_as_tool`](super::PgDb::exec_as_tool)), each in its own session.
//!
//! Each script goes as one simple query: several statements in it run as one implicit
//! transaction, and its rows come back as text, NULL as `NULL`, as psql prints them.

use super::{PgDb, SOCKET_PORT, STATEMENT_TIMEOUT_MS};

/// An open session on one database of a test cluster.
pub struct PgConnection {
    client: postgres::Client,
}

impl PgDb {
    /// A session on this database that stays open until dropped, named `app_name`.
    pub fn connect(&self, app_name: &str) -> Result<PgConnection, String> {
        let client = postgres::Config::new()
            .host_path(&self.server.socket_dir)
            .port(SOCKET_PORT.parse().expect("a port number"))
            .user("postgres")
            .dbname(&self.name)
            .application_name(app_name)
            .options(&format!("-c statement_timeout={STATEMENT_TIMEOUT_MS}"))
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
