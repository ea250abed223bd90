//! Table sizes from the database itself, and what they say about how long a statement
//! holds its lock. `lockstep stats` collects them (`collect_postgres`, `collect_mysql`)
//! into a stats file
//! (`file`); `check --stats` reads that file and the engine attaches an estimate
//! (`estimate`, at the `rates` measured in the test suite) to each finding.
//!
//! Nothing here connects to a database unless `lockstep stats` is run.

pub mod collect_mysql;
pub mod collect_postgres;
pub mod estimate;
pub mod file;
pub mod rates;

pub use estimate::{Estimator, Thresholds};
pub use file::{StatsFile, StatsFileError, TableSizes};

/// Reads the stats of the database at `url`: MySQL or MariaDB for a `mysql://` URL,
/// PostgreSQL for anything else (a `postgresql://` URL or libpq `key=value` settings).
pub fn collect(url: &str) -> Result<StatsFile, String> {
    if url.starts_with("mysql://") {
        collect_mysql::collect(url)
    } else {
        collect_postgres::collect(url)
    }
}
