//! How fast a server does each kind of work that holds a lock, measured, with the machine
//! it was measured on. `[stats.rates]` replaces any of them for a team that measured its own
//! hardware; `tests/db_stats.rs` re-measures them and checks they still hold here.

use super::file::Product;
use crate::diagnostic::Work;
use serde::Deserialize;

/// Units of work per second for each kind of work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Bytes of heap, TOAST and indexes copied per second by a rewrite (ALTER COLUMN TYPE,
    /// VACUUM FULL, ...), in MB (2^20 bytes).
    pub rewrite_mb_per_s: f64,
    /// Bytes of heap read per second while one B-tree index is built on an integer key.
    pub index_build_mb_per_s: f64,
    /// Bytes of heap read per second while a CHECK constraint or NOT NULL is validated.
    pub validation_scan_mb_per_s: f64,
    /// Rows changed per second by an UPDATE of every row in one statement.
    pub backfill_rows_per_s: f64,
    /// What every statement pays whatever the table's size (catalogue updates, new files,
    /// the commit), added to each end of the range: from the first figure on an idle fast
    /// server to the second. Not overridable: it comes with the server family.
    pub statement_seconds: (f64, f64),
}

/// Where the built-in rates of one server family come from.
pub struct Calibration {
    pub rates: Rates,
    pub machine: &'static str,
    pub server: &'static str,
    pub method: &'static str,
}

/// Measured by `tests/db_stats.rs` (`measured_rates_bracket_the_real_durations`, which
/// prints each measurement) on tables of 25,000, 100,000 and 400,000 rows (3, 11 and 42 MB
/// of heap, one bigint primary key), over six runs on 2 December 2026: a round figure in
/// the middle of what was seen. Seen per kind: rewrite 62 to 156 MB/s, index build 147 to
/// 300 MB/s, validation scan 318 to 1,091 MB/s for a CHECK, 289 to 550 MB/s for a foreign
/// key to a 1,000-row table, 683 to 722 MB/s for SET NOT NULL; backfill 182,000 to 390,000
/// rows/s. An index on a 64-character text key built at 20 to 116 MB/s. With
/// its fixed 1 to 50 ms per statement (the smallest tables took up to 43 ms under load),
/// all 21 measurements of the last run (load average 7 on the 2 cores) fell inside their
/// printed ranges.
pub const MEASURED: Calibration = Calibration {
    rates: Rates {
        rewrite_mb_per_s: 100.0,
        index_build_mb_per_s: 180.0,
        validation_scan_mb_per_s: 850.0,
        backfill_rows_per_s: 250_000.0,
        statement_seconds: (0.001, 0.05),
    },
    machine: "2 vCPU AMD EPYC cloud VM, 23 GB RAM, virtio SSD, shared with two other builds",
    server: "PostgreSQL 15, default settings (shared_buffers 128 MB, maintenance_work_mem 64 MB)",
    method: "one statement at a time, timed by the server's clock, data in the OS cache",
};

/// InnoDB's rates, measured by `tests/db_stats.rs`
/// (`innodb_rates_bracket_the_real_durations_on_mariadb`, which prints each measurement) on
/// MariaDB 10.11 with the same tables as [`MEASURED`] (25,000, 100,000 and 400,000 rows;
/// 3, 11 and 40 MB of clustered index), over three runs on 2 December 2026 (load average 7
/// to 9 on the 2 cores, the PostgreSQL proof running beside it in one of them): a round
/// figure in the middle of what was seen. Seen on the two larger tables, fixed cost
/// included: a COPY rebuild 12 to 24 MB/s, an INPLACE rebuild (`ENGINE=InnoDB`) 21 to 45
/// MB/s, an INPLACE index build 28 to 71 MB/s, an UPDATE of every row 147,000 to 527,000
/// rows/s (90,000 on the smallest table under load). Every rebuild pays 0.2 to 0.35 s
/// whatever the size (a new tablespace file, written and synced): hence up to 500 ms per
/// statement. Earlier rates (20 MB/s for a rewrite) left an INPLACE rebuild 10% faster
/// than its range's low end; with these, all 12 measurements of a fourth run fell inside
/// their printed ranges. A validation scan alone is not measured: no MySQL statement lockstep flags
/// does one (a CHECK or FOREIGN KEY added with checks on rebuilds the table), so it keeps
/// the index build's rate.
pub const MEASURED_INNODB: Calibration = Calibration {
    rates: Rates {
        rewrite_mb_per_s: 25.0,
        index_build_mb_per_s: 50.0,
        validation_scan_mb_per_s: 50.0,
        backfill_rows_per_s: 300_000.0,
        statement_seconds: (0.001, 0.5),
    },
    machine: MEASURED.machine,
    server: "MariaDB 10.11, InnoDB, 32 MB buffer pool, innodb_flush_log_at_trx_commit 0",
    method: MEASURED.method,
};

/// The built-in rates for the server a stats file was read from.
pub fn calibration(product: Product) -> &'static Calibration {
    match product {
        Product::Postgresql => &MEASURED,
        Product::Mysql | Product::Mariadb => &MEASURED_INNODB,
    }
}

/// An estimate runs from this many times faster than the calibrated rate (a faster,
/// dedicated server) ...
pub const FASTER: f64 = 2.0;
/// ... to this many times slower (data read from disk rather than cache, competing load,
/// wider rows or keys than the calibration's).
pub const SLOWER: f64 = 4.0;

/// `[stats.rates]`: any rate a team measured on its own hardware.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateOverrides {
    pub rewrite_mb_per_s: Option<f64>,
    pub index_build_mb_per_s: Option<f64>,
    pub validation_scan_mb_per_s: Option<f64>,
    pub backfill_rows_per_s: Option<f64>,
}

impl Rates {
    /// The rates calibrated on `product` with `overrides` applied; an override that is
    /// not a positive number is refused, naming its key.
    pub fn with(overrides: &RateOverrides, product: Product) -> Result<Rates, String> {
        let pick = |value: Option<f64>, measured: f64, key: &str| match value {
            None => Ok(measured),
            Some(v) if v.is_finite() && v > 0.0 => Ok(v),
            Some(v) => Err(format!(
                "[stats.rates] {key} = {v}: a rate is a positive number"
            )),
        };
        let measured = calibration(product).rates;
        Ok(Rates {
            rewrite_mb_per_s: pick(
                overrides.rewrite_mb_per_s,
                measured.rewrite_mb_per_s,
                "rewrite_mb_per_s",
            )?,
            index_build_mb_per_s: pick(
                overrides.index_build_mb_per_s,
                measured.index_build_mb_per_s,
                "index_build_mb_per_s",
            )?,
            validation_scan_mb_per_s: pick(
                overrides.validation_scan_mb_per_s,
                measured.validation_scan_mb_per_s,
                "validation_scan_mb_per_s",
            )?,
            backfill_rows_per_s: pick(
                overrides.backfill_rows_per_s,
                measured.backfill_rows_per_s,
                "backfill_rows_per_s",
            )?,
            statement_seconds: measured.statement_seconds,
        })
    }

    /// Seconds `amount` of `work` takes at these rates (bytes, or rows for a backfill).
    pub fn seconds(&self, work: Work, amount: u64) -> f64 {
        const MB: f64 = 1024.0 * 1024.0;
        let amount = amount as f64;
        match work {
            Work::Rewrite => amount / MB / self.rewrite_mb_per_s,
            Work::IndexBuild => amount / MB / self.index_build_mb_per_s,
            Work::ValidationScan => amount / MB / self.validation_scan_mb_per_s,
            Work::Backfill => amount / self.backfill_rows_per_s,
        }
    }

    /// The range of seconds `amount` of `work` may take: see [`FASTER`], [`SLOWER`] and
    /// [`Rates::statement_seconds`].
    pub fn range(&self, work: Work, amount: u64) -> (f64, f64) {
        let seconds = self.seconds(work, amount);
        let (fixed_low, fixed_high) = self.statement_seconds;
        (seconds / FASTER + fixed_low, seconds * SLOWER + fixed_high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_single_rates_and_must_be_positive() {
        let rates = Rates::with(
            &RateOverrides {
                rewrite_mb_per_s: Some(512.0),
                ..RateOverrides::default()
            },
            Product::Postgresql,
        )
        .unwrap();
        assert_eq!(rates.rewrite_mb_per_s, 512.0);
        assert_eq!(
            rates.backfill_rows_per_s,
            MEASURED.rates.backfill_rows_per_s
        );
        let (low, high) = rates.range(Work::Rewrite, 1024 * 1024 * 1024);
        assert_eq!((low, high), (1.001, 8.05));
        let refused = Rates::with(
            &RateOverrides {
                backfill_rows_per_s: Some(0.0),
                ..RateOverrides::default()
            },
            Product::Mariadb,
        );
        assert!(refused.unwrap_err().contains("backfill_rows_per_s"));
    }
}
