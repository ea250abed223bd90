//! `lockstep stats` on PostgreSQL: one read-only catalogue query (`postgres.sql`, also
//! printed in the README for teams that run it themselves) that builds the stats file as
//! JSON on the server. No table row is read; any role that can connect may run it.

use super::file::StatsFile;
use std::path::Path;

/// The query, as the README gives it: its output is a stats file.
pub const QUERY: &str = include_str!("postgres.sql");

/// Connects with `url` (a `postgresql://` URL or `key=value` settings; `host=/dir` is a
/// Unix socket folder), runs [`QUERY`] in a read-only transaction and checks its reply as
/// any stats file is checked. TLS is used as `sslmode` asks (default `prefer`), with the
/// system's certificate store.
pub fn collect(url: &str) -> Result<StatsFile, String> {
    let config: postgres::Config = url
        .parse()
        .map_err(|e| format!("the database URL is not valid: {e}"))?;
    let tls = native_tls::TlsConnector::new().map_err(|e| format!("cannot set up TLS: {e}"))?;
    let mut client = config
        .connect(postgres_native_tls::MakeTlsConnector::new(tls))
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let mut transaction = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|e| format!("cannot start a read-only transaction: {e}"))?;
    let row = transaction
        .query_one(QUERY, &[])
        .map_err(|e| format!("the catalogue query failed: {e}"))?;
    let json: String = row
        .try_get(0)
        .map_err(|e| format!("the catalogue query returned no text: {e}"))?;
    transaction
        .rollback()
        .map_err(|e| format!("cannot end the read-only transaction: {e}"))?;
    StatsFile::parse(&json, Path::new("the server's reply")).map_err(|e| e.to_string())
}
