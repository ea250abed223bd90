//! Table sizes from the database itself, and what they say about how long a statement
//! holds its lock. `lockstep stats` collects them (`collect_postgres`) into a stats file
//! (`file`); `check --stats` reads that file and the engine attaches an estimate
//! (`estimate`, at the `rates` measured in the test suite) to each finding.
//!
//! Nothing here connects to a database unless `lockstep stats` is run.

pub mod collect_postgres;
pub mod estimate;
pub mod file;
pub mod rates;

pub use estimate::{Estimator, Thresholds};
pub use file::{StatsFile, StatsFileError, TableSizes};
