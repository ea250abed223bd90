//! The stats file: what `lockstep stats` writes and `check --stats` reads. It is input
//! from a repository, so it is parsed strictly (unknown keys, a wrong version or a negative
//! size are errors naming the file) and nothing in it is trusted to be printable.
//!
//! Version 1, one JSON object:
//!
//! ```json
//! { "lockstep_stats": 1,
//!   "server": { "product": "postgresql", "version": "15.8" },
//!   "tables": [ { "schema": "public", "name": "orders", "rows": 1200000,
//!                 "heap_bytes": 180000000, "index_bytes": 52000000, "toast_bytes": 8192,
//!                 "partitions": [], "indexes": [ { "name": "orders_pkey",
//!                 "bytes": 27000000, "columns": ["id"] } ] } ] }
//! ```
//!
//! `rows` is the planner's estimate (`null` when the table was never analysed); sizes are
//! bytes on disk; a partitioned table lists its partitions, whose sizes are their own rows
//! (on PostgreSQL; MySQL counts partitions in their table's sizes and lists none).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The `lockstep_stats` value this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The largest stats file read: a catalogue of 100,000 tables stays far below it.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsFile {
    pub lockstep_stats: u32,
    pub server: Server,
    pub tables: Vec<TableStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// `postgresql`, `mysql` or `mariadb`.
    pub product: Product,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    Postgresql,
    Mysql,
    Mariadb,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableStats {
    pub schema: String,
    pub name: String,
    pub rows: Option<u64>,
    pub heap_bytes: u64,
    pub index_bytes: u64,
    pub toast_bytes: u64,
    pub partitions: Vec<QualifiedName>,
    pub indexes: Vec<IndexStats>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexStats {
    pub name: String,
    /// `null` when the server does not tell this role (MySQL without access to
    /// `mysql.innodb_index_stats`).
    pub bytes: Option<u64>,
    /// Each key column's name, or the expression for an expression key.
    pub columns: Vec<String>,
}

/// Why a stats file was refused; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum StatsFileError {
    #[error("{path}: cannot read the stats file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the stats file is larger than {MAX_FILE_SIZE} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path}: the stats file is not a regular file; refusing to read it")]
    NotAFile { path: PathBuf },
    #[error("{path}:{line}:{column}: not a lockstep stats file: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: lockstep_stats is {found}; this lockstep reads version {FORMAT_VERSION} (run `lockstep stats` again)")]
    Version { path: PathBuf, found: u32 },
    #[error("{path}: table {table} is listed twice")]
    Duplicate { path: PathBuf, table: String },
}

impl StatsFile {
    /// Reads the file at `path`, which must be a regular file (a link is followed): a
    /// device or FIFO committed under its name is refused, not read forever.
    pub fn load(path: &Path) -> Result<StatsFile, StatsFileError> {
        use std::io::Read;
        let read = |source| StatsFileError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read)?;
        if !meta.is_file() {
            return Err(StatsFileError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes))
            .map_err(read)?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Err(StatsFileError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| StatsFileError::Invalid {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "not UTF-8 text".to_string(),
        })?;
        StatsFile::parse(&text, path)
    }

    /// Parses and checks `text`; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<StatsFile, StatsFileError> {
        let file: StatsFile = serde_json::from_str(text).map_err(|e| StatsFileError::Invalid {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if file.lockstep_stats != FORMAT_VERSION {
            return Err(StatsFileError::Version {
                path: path.to_path_buf(),
                found: file.lockstep_stats,
            });
        }
        let mut seen = std::collections::HashSet::new();
        for table in &file.tables {
            if !seen.insert((&table.schema, &table.name)) {
                return Err(StatsFileError::Duplicate {
                    path: path.to_path_buf(),
                    table: crate::diagnostic::printable(&format!(
                        "{}.{}",
                        table.schema, table.name
                    ))
                    .into_owned(),
                });
            }
        }
        Ok(file)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// The tables of a stats file, found by the names migrations use.
#[derive(Debug, Clone)]
pub struct TableSizes {
    tables: Vec<TableStats>,
    by_name: HashMap<QualifiedName, usize>,
    /// Unqualified name -> the tables of that name in any schema.
    by_bare_name: HashMap<String, Vec<usize>>,
    default_schema: &'static str,
    product: Product,
}

/// What a table occupies, its partitions included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableSize {
    pub rows: Option<u64>,
    pub heap_bytes: u64,
    pub index_bytes: u64,
    pub toast_bytes: u64,
}

impl TableSizes {
    pub fn new(file: StatsFile) -> TableSizes {
        let default_schema = match file.server.product {
            Product::Postgresql => "public",
            // A MySQL schema is a database; a migration names tables of its own.
            Product::Mysql | Product::Mariadb => "",
        };
        let mut by_name = HashMap::new();
        let mut by_bare_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, table) in file.tables.iter().enumerate() {
            by_name.insert(
                QualifiedName {
                    schema: table.schema.clone(),
                    name: table.name.clone(),
                },
                i,
            );
            by_bare_name.entry(table.name.clone()).or_default().push(i);
        }
        TableSizes {
            tables: file.tables,
            by_name,
            by_bare_name,
            default_schema,
            product: file.server.product,
        }
    }

    /// The server the sizes were read from.
    pub fn product(&self) -> Product {
        self.product
    }

    /// The size of the table a migration calls `schema.name` (names as the catalogue keys
    /// them: unquoted names folded). An unqualified name is the table in `public` on
    /// PostgreSQL, else the only table of that name; `None` when the file does not know it.
    pub fn size(&self, schema: Option<&str>, name: &str) -> Option<TableSize> {
        let index = match schema {
            Some(schema) => self.index_of(schema, name)?,
            None => self.index_of(self.default_schema, name).or_else(|| {
                match self.by_bare_name.get(name).map(Vec::as_slice) {
                    Some([only]) => Some(*only),
                    _ => None,
                }
            })?,
        };
        Some(self.total(index))
    }

    fn index_of(&self, schema: &str, name: &str) -> Option<usize> {
        self.by_name
            .get(&QualifiedName {
                schema: schema.to_string(),
                name: name.to_string(),
            })
            .copied()
    }

    /// The table's own size plus its partitions' and theirs (a worklist, not recursion: a
    /// hostile file's chain of partitions cannot exhaust the stack; a table named among its
    /// own partitions is counted once).
    fn total(&self, index: usize) -> TableSize {
        let mut visited = std::collections::HashSet::new();
        let mut pending = vec![index];
        let mut size = TableSize::default();
        while let Some(index) = pending.pop() {
            if !visited.insert(index) {
                continue;
            }
            let table = &self.tables[index];
            size.heap_bytes = size.heap_bytes.saturating_add(table.heap_bytes);
            size.index_bytes = size.index_bytes.saturating_add(table.index_bytes);
            size.toast_bytes = size.toast_bytes.saturating_add(table.toast_bytes);
            size.rows = match (size.rows, table.rows) {
                (Some(a), Some(b)) => Some(a.saturating_add(b)),
                // A parent never analysed on its own still has its partitions' rows.
                (None, b) => b,
                (a, None) => a,
            };
            pending.extend(
                table
                    .partitions
                    .iter()
                    .filter_map(|partition| self.by_name.get(partition)),
            );
        }
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(schema: &str, name: &str, heap: u64) -> TableStats {
        TableStats {
            schema: schema.into(),
            name: name.into(),
            rows: Some(heap / 100),
            heap_bytes: heap,
            index_bytes: 0,
            toast_bytes: 0,
            partitions: Vec::new(),
            indexes: Vec::new(),
        }
    }

    fn file(tables: Vec<TableStats>) -> StatsFile {
        StatsFile {
            lockstep_stats: FORMAT_VERSION,
            server: Server {
                product: Product::Postgresql,
                version: "15.8".into(),
            },
            tables,
        }
    }

    #[test]
    fn round_trips_and_refuses_unknown_keys_other_versions_and_negative_sizes() {
        let written = file(vec![table("public", "orders", 8192)]);
        let path = Path::new("stats.json");
        assert_eq!(StatsFile::parse(&written.to_json(), path).unwrap(), written);
        let unknown = written.to_json().replace("\"heap_bytes\"", "\"heap_byte\"");
        let error = StatsFile::parse(&unknown, path).unwrap_err().to_string();
        assert!(error.starts_with("stats.json:"), "{error}");
        assert!(error.contains("heap_byte"), "{error}");
        let newer = written
            .to_json()
            .replace("\"lockstep_stats\": 1", "\"lockstep_stats\": 2");
        assert!(matches!(
            StatsFile::parse(&newer, path),
            Err(StatsFileError::Version { found: 2, .. })
        ));
        let negative = written.to_json().replace("8192", "-1");
        assert!(matches!(
            StatsFile::parse(&negative, path),
            Err(StatsFileError::Invalid { .. })
        ));
        let twice = file(vec![
            table("public", "orders", 1),
            table("public", "orders", 2),
        ]);
        assert!(matches!(
            StatsFile::parse(&twice.to_json(), path),
            Err(StatsFileError::Duplicate { .. })
        ));
    }

    #[test]
    fn finds_tables_by_qualified_or_bare_name_and_sums_partitions() {
        let mut parent = table("sales", "events", 0);
        parent.rows = None;
        parent.partitions = vec![
            QualifiedName {
                schema: "sales".into(),
                name: "events_1".into(),
            },
            // A hostile file may list the parent among its own partitions.
            QualifiedName {
                schema: "sales".into(),
                name: "events".into(),
            },
        ];
        let sizes = TableSizes::new(file(vec![
            table("public", "orders", 1000),
            table("audit", "orders", 5000),
            parent,
            table("sales", "events_1", 300),
        ]));
        assert_eq!(sizes.size(None, "orders").unwrap().heap_bytes, 1000);
        assert_eq!(
            sizes.size(Some("audit"), "orders").unwrap().heap_bytes,
            5000
        );
        let events = sizes.size(None, "events").unwrap();
        assert_eq!((events.heap_bytes, events.rows), (300, Some(3)));
        assert_eq!(sizes.size(None, "missing"), None);
        assert_eq!(sizes.size(Some("public"), "events"), None);
    }

    #[test]
    fn a_long_chain_of_partitions_is_summed_without_recursion() {
        let tables: Vec<TableStats> = (0..200_000u64)
            .map(|i| {
                let mut t = table("public", &format!("t{i}"), 1);
                t.partitions = vec![QualifiedName {
                    schema: "public".into(),
                    name: format!("t{}", i + 1),
                }];
                t
            })
            .collect();
        let sizes = TableSizes::new(file(tables));
        assert_eq!(sizes.size(None, "t0").unwrap().heap_bytes, 200_000);
    }
}
