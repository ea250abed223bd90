//! How many rows each backfill batch changes. A batch holds the row locks of its rows
//! until it commits, so an application write to one of them waits for the whole batch:
//! with a stats file (`plan --stats`) the batch is sized from the server's calibrated
//! backfill rate so that it commits quickly; without one, or for a table the file does not
//! know, it keeps the fixed default; `--batch-size` always wins.

use super::{PlanOptions, DEFAULT_BATCH_SIZE};
use crate::statement::ObjectName;

/// What one batch should take at the calibrated rate. At the slow end of every estimate's
/// range (4x slower, plus 50 ms per statement) that is still under a second, the hold time
/// `check --stats` calls brief (`note_below_seconds`): a write waiting on a row sees a slow
/// response, not a timeout.
pub const TARGET_SECONDS: f64 = 0.2;

/// Fewer rows than this and the batches' own queries (finding each batch's end, the
/// commit, the pause) cost more than the rows they change.
pub const MIN_ROWS: u32 = 1_000;

/// More rows than this and one commit writes a burst of WAL or binlog that replicas apply
/// as one transaction, lagging by as long, whatever the primary's speed.
pub const MAX_ROWS: u32 = 50_000;

/// Rows per batch, and where that number comes from.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum BatchSize {
    /// `--batch-size`.
    Given(u32),
    /// The default: no stats file, or the table is not in it.
    Default,
    /// Chosen from the stats file's rates: `rows` at `rows_per_s` take `seconds`.
    Sized {
        rows: u32,
        rows_per_s: f64,
        seconds: f64,
    },
}

impl BatchSize {
    pub fn rows(self) -> u32 {
        match self {
            BatchSize::Given(rows) | BatchSize::Sized { rows, .. } => rows,
            BatchSize::Default => DEFAULT_BATCH_SIZE,
        }
    }
}

impl PlanOptions<'_> {
    /// The batch size of a backfill of `table`.
    pub fn batch(&self, table: &ObjectName) -> BatchSize {
        if let Some(rows) = self.batch_size {
            return BatchSize::Given(rows);
        }
        let Some(stats) = self.stats else {
            return BatchSize::Default;
        };
        let schema = table.schema.as_ref().map(|s| s.key());
        if stats
            .sizes
            .size(schema.as_deref(), &table.name.key())
            .is_none()
        {
            return BatchSize::Default;
        }
        let rows_per_s = stats.rates.backfill_rows_per_s;
        let rows = sized(rows_per_s);
        BatchSize::Sized {
            rows,
            rows_per_s,
            seconds: f64::from(rows) / rows_per_s,
        }
    }

    /// Rows per batch of a backfill of `table`.
    pub fn batch_rows(&self, table: &ObjectName) -> u32 {
        self.batch(table).rows()
    }
}

/// The rows [`TARGET_SECONDS`] changes at `rows_per_s`, rounded down to a thousand (a
/// number a reader can check), within [`MIN_ROWS`] and [`MAX_ROWS`].
fn sized(rows_per_s: f64) -> u32 {
    let rows = (rows_per_s * TARGET_SECONDS / 1000.0).floor() * 1000.0;
    rows.clamp(f64::from(MIN_ROWS), f64::from(MAX_ROWS)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_follow_the_rate_within_bounds() {
        // The calibrated PostgreSQL rate allows more than the upper bound.
        assert_eq!(sized(250_000.0), MAX_ROWS);
        assert_eq!(sized(60_000.0), 12_000);
        assert_eq!(sized(20_000.0), 4_000);
        assert_eq!(sized(2_000.0), MIN_ROWS);
        assert_eq!(sized(f64::MAX), MAX_ROWS);
    }
}
