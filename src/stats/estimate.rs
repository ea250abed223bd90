//! From a finding's lock and its table's size to how long the lock is held, and from that
//! to the finding's severity. Applied by the engine after the rules ran: rules never see
//! table sizes.

use super::file::{Product, TableSize, TableSizes};
use super::rates::Rates;
use crate::diagnostic::{Finding, LockDuration, Severity, TableEffect, TableLock, Work};
use crate::rules::Group;
use crate::statement::{AlterAction, ConstraintKind, Statement, StatementKind};

/// `[stats]`: below these hold times (the upper end of the estimate), a locking finding is
/// no longer an error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// A lock held at most this long becomes a note: under a second, waiting requests see
    /// a slow response, not a failure (client and proxy timeouts are several seconds).
    pub note_below_seconds: f64,
    /// A lock held at most this long is a warning, not an error: requests pile up but most
    /// finish once it is released, well inside common 30-second request timeouts.
    pub warning_below_seconds: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            note_below_seconds: 1.0,
            warning_below_seconds: 10.0,
        }
    }
}

/// A loaded stats file with the rates and thresholds to judge findings by.
#[derive(Debug, Clone)]
pub struct Estimator {
    pub sizes: TableSizes,
    pub rates: Rates,
    pub thresholds: Thresholds,
}

impl Estimator {
    /// How long `finding` holds the lock of its size-dependent work in `statement`, or
    /// `None` when none of its locks does such work. With several such locks (a foreign
    /// key scans its table and looks up the referenced one) the longest estimate is given,
    /// and none when one of their tables is unknown: the work there cannot be bounded.
    /// `statement_locks` (the lock model's, which know each table's name as written)
    /// resolve the finding's table names.
    pub fn lock_duration(
        &self,
        statement: &Statement,
        statement_locks: &[TableLock],
        finding: &Finding,
    ) -> Option<LockDuration> {
        let mut longest: Option<LockDuration> = None;
        for lock in finding
            .locks
            .iter()
            .filter(|l| l.effect != TableEffect::None)
        {
            let work = work(statement, lock.effect);
            let amount = self
                .size_of(lock, statement_locks)
                .and_then(|size| amount(work, &size));
            let Some(amount) = amount else {
                return Some(LockDuration::UnknownTable {
                    table: lock.table.clone(),
                });
            };
            let (low_seconds, high_seconds) = self.rates.range(work, amount);
            let longer = match &longest {
                Some(LockDuration::Estimated {
                    high_seconds: longest_high,
                    ..
                }) => high_seconds > *longest_high,
                _ => true,
            };
            if longer {
                longest = Some(LockDuration::Estimated {
                    table: lock.table.clone(),
                    mode: lock.mode,
                    work,
                    amount,
                    low_seconds,
                    high_seconds,
                });
            }
        }
        longest
    }

    fn size_of(&self, lock: &TableLock, statement_locks: &[TableLock]) -> Option<TableSize> {
        let object = lock.object.as_deref().or_else(|| {
            statement_locks
                .iter()
                .find(|l| l.table == lock.table)
                .and_then(|l| l.object.as_deref())
        });
        match object {
            Some(object) => self.sizes.size(
                object.schema.as_ref().map(|s| s.key()).as_deref(),
                &object.name.key(),
            ),
            // Only a description such as "the table of index x" has no name.
            None => None,
        }
    }

    /// Lowers a locking finding about the work done under a lock (its rule documents a
    /// scan or a rewrite) when the lock is held briefly (see [`Thresholds`]). Never raises
    /// one; leaves findings on unknown tables as the rules rated them, and findings about
    /// how a lock is waited for (`missing-lock-timeout`: a brief lock still queues every
    /// session behind it while it waits) as they are. The rates are measured on PostgreSQL
    /// and MariaDB (`rates`): on MySQL, whose InnoDB no test here measures, the estimate
    /// (at MariaDB's rates) is shown but judges nothing.
    pub fn judge(&self, finding: &mut Finding) {
        if self.sizes.product() == Product::Mysql {
            return;
        }
        let Some(&LockDuration::Estimated { high_seconds, .. }) = finding.lock_duration.as_deref()
        else {
            return;
        };
        let about_the_work = finding
            .rule
            .lock
            .is_some_and(|claim| claim.effect != TableEffect::None);
        if finding.rule.group != Group::Locking || !about_the_work {
            return;
        }
        let cap = if high_seconds < self.thresholds.note_below_seconds {
            Severity::Note
        } else if high_seconds < self.thresholds.warning_below_seconds {
            Severity::Warning
        } else {
            return;
        };
        finding.severity = finding.severity.min(cap);
    }
}

/// The kind of work a statement does under a lock with `effect` (a scan or a rewrite).
fn work(statement: &Statement, effect: TableEffect) -> Work {
    let builds_index = |action: &AlterAction| {
        // MySQL's `ALTER TABLE ... ADD INDEX`, or a constraint that builds its index.
        matches!(action, AlterAction::AddIndex(_))
            || matches!(
                action,
                AlterAction::AddConstraint(constraint) if matches!(
                    constraint.kind,
                    ConstraintKind::PrimaryKey { using_index: None, .. }
                        | ConstraintKind::Unique { using_index: None, .. }
                        | ConstraintKind::Exclude
                )
            )
    };
    match &statement.kind {
        StatementKind::Update { .. } | StatementKind::Delete { .. } => Work::Backfill,
        _ if effect == TableEffect::Rewrite => Work::Rewrite,
        StatementKind::CreateIndex(_) | StatementKind::Reindex { .. } => Work::IndexBuild,
        StatementKind::AlterTable { actions, .. } if actions.iter().any(builds_index) => {
            Work::IndexBuild
        }
        _ => Work::ValidationScan,
    }
}

/// The bytes (or rows) `work` goes through on a table of `size`; `None` for a backfill on
/// a table never analysed (its row count is unknown).
fn amount(work: Work, size: &TableSize) -> Option<u64> {
    match work {
        Work::Rewrite => Some(
            size.heap_bytes
                .saturating_add(size.toast_bytes)
                .saturating_add(size.index_bytes),
        ),
        Work::IndexBuild | Work::ValidationScan => Some(size.heap_bytes),
        Work::Backfill => size.rows,
    }
}
