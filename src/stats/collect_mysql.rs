//! `lockstep stats` on MySQL and MariaDB: `information_schema.TABLES` for each table's rows
//! (InnoDB's estimate) and bytes, `STATISTICS` for each index's columns, and
//! `mysql.innodb_index_stats` for each index's size where the role may read it (else the
//! index's `bytes` is `null`). No table row is read.

use super::file::{IndexStats, Product, Server, StatsFile, TableStats, FORMAT_VERSION};
use mysql::prelude::Queryable;
use std::collections::BTreeMap;

/// The schemas read: the URL's database, else every one but the server's own (a migration
/// names its tables without the database, so tables of other databases would only make
/// its names ambiguous).
const SCHEMAS: &str =
    "TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') \
     AND (DATABASE() IS NULL OR TABLE_SCHEMA = DATABASE())";

/// `TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH`.
type TablesRow = (String, String, Option<u64>, Option<u64>, Option<u64>);

/// Connects with `url` (`mysql://user:password@host:port/db`; `?socket=/path` for a Unix
/// socket, `?require_ssl=true` for TLS, verified against the system's certificates) and
/// reads the tables of [`SCHEMAS`].
pub fn collect(url: &str) -> Result<StatsFile, String> {
    let opts =
        mysql::Opts::from_url(url).map_err(|e| format!("the database URL is not valid: {e}"))?;
    let mut conn =
        mysql::Conn::new(opts).map_err(|e| format!("cannot connect to the database: {e}"))?;
    let failed = |what: &str, e: mysql::Error| format!("reading {what} failed: {e}");
    let version: String = conn
        .query_first("SELECT VERSION()")
        .map_err(|e| failed("the server version", e))?
        .unwrap_or_default();
    let product = if version.to_ascii_lowercase().contains("mariadb") {
        Product::Mariadb
    } else {
        Product::Mysql
    };
    let rows: Vec<TablesRow> = conn
        .query(format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH \
             FROM information_schema.TABLES \
             WHERE TABLE_TYPE = 'BASE TABLE' AND {SCHEMAS}"
        ))
        .map_err(|e| failed("information_schema.TABLES", e))?;
    let mut tables: BTreeMap<(String, String), TableStats> = rows
        .into_iter()
        .map(|(schema, name, rows, data, index)| {
            let table = TableStats {
                schema: schema.clone(),
                name: name.clone(),
                rows,
                // InnoDB's clustered index is the table's rows: DATA_LENGTH.
                heap_bytes: data.unwrap_or(0),
                index_bytes: index.unwrap_or(0),
                toast_bytes: 0,
                // A partition is part of its table here: the sizes above include it.
                partitions: Vec::new(),
                indexes: Vec::new(),
            };
            ((schema, name), table)
        })
        .collect();
    let index_sizes = index_sizes(&mut conn);
    let key_parts: Vec<(String, String, String, Option<String>)> = conn
        .query(format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME \
             FROM information_schema.STATISTICS WHERE {SCHEMAS} \
             ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ))
        .map_err(|e| failed("information_schema.STATISTICS", e))?;
    for (schema, name, index, column) in key_parts {
        let Some(table) = tables.get_mut(&(schema.clone(), name.clone())) else {
            continue;
        };
        // A MySQL 8 functional key part has no column name.
        let column = column.unwrap_or_else(|| "(expression)".to_string());
        match table.indexes.last_mut() {
            Some(last) if last.name == index => last.columns.push(column),
            _ => table.indexes.push(IndexStats {
                bytes: index_sizes.get(&(schema, name, index.clone())).copied(),
                name: index,
                columns: vec![column],
            }),
        }
    }
    Ok(StatsFile {
        lockstep_stats: FORMAT_VERSION,
        server: Server { product, version },
        tables: tables.into_values().collect(),
    })
}

/// Each InnoDB index's bytes, from the persistent statistics; empty when the role may not
/// read `mysql.innodb_index_stats` (a read-only role often may not).
fn index_sizes(conn: &mut mysql::Conn) -> BTreeMap<(String, String, String), u64> {
    let rows: Result<Vec<(String, String, String, u64)>, _> = conn.query(
        "SELECT database_name, table_name, index_name, stat_value * @@innodb_page_size \
         FROM mysql.innodb_index_stats WHERE stat_name = 'size'",
    );
    rows.unwrap_or_default()
        .into_iter()
        .map(|(schema, table, index, bytes)| ((schema, table, index), bytes))
        .collect()
}
