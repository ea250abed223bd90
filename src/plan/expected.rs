//! How long each phase's work takes on the tables a stats file describes (`lockstep
//! stats`): the same sizes and calibrated rates `check --stats` states lock hold times
//! with, for the phases whose duration grows with the table: a batched backfill (its
//! pauses included, with the batch size and why: see [`super::batch`]), a `CONCURRENTLY`
//! index build and a validation scan. Printed in the phase's header; nothing is estimated
//! without a stats file.

use super::batch::BatchSize;
use super::{Phase, PhaseKind, Plan, PlanOptions, DEFAULT_BATCH_SIZE};
use crate::diagnostic::{seconds_range, thousands, Work};
use crate::stats::Estimator;

/// One entry per phase, in the order of the plans' phases.
pub fn phase_durations(plans: &[Plan], options: &PlanOptions) -> Vec<Option<String>> {
    plans
        .iter()
        .flat_map(|plan| &plan.phases)
        .map(|phase| options.stats.and_then(|e| duration(phase, e, options)))
        .collect()
}

fn duration(phase: &Phase, estimator: &Estimator, options: &PlanOptions) -> Option<String> {
    let work = match phase.kind {
        PhaseKind::Backfill => Work::Backfill,
        PhaseKind::BuildIndex => Work::IndexBuild,
        PhaseKind::Validate => Work::ValidationScan,
        _ => return None,
    };
    let table = &phase.lock.table;
    let schema = table.schema.as_ref().map(|s| s.key());
    let Some(size) = estimator.sizes.size(schema.as_deref(), &table.name.key()) else {
        let batches = match work {
            Work::Backfill => format!(
                ", and its batches keep the default {} rows",
                thousands(DEFAULT_BATCH_SIZE.into())
            ),
            _ => String::new(),
        };
        return Some(format!(
            "{table} is not in the stats file, so its duration is not estimated{batches}"
        ));
    };
    let amount = match work {
        Work::Backfill => size.rows?,
        _ => size.heap_bytes,
    };
    let (mut low, mut high) = estimator.rates.range(work, amount);
    if work != Work::Backfill {
        return Some(format!(
            "{}, {}",
            seconds_range(low, high),
            work.describe(amount)
        ));
    }
    let size = options.batch(table);
    let batch = u64::from(size.rows().max(1));
    let batches = amount.div_ceil(batch).max(1);
    // Every batch pauses after committing.
    let pauses = batches as f64 * f64::from(options.pause_ms) / 1000.0;
    low += pauses;
    high += pauses;
    let why = match size {
        BatchSize::Sized {
            rows_per_s,
            seconds,
            ..
        } => format!(
            " (each about {seconds:.1} s at {} rows/s, so its row locks are brief)",
            thousands(rows_per_s as u64)
        ),
        BatchSize::Given(_) | BatchSize::Default => String::new(),
    };
    let noun = if batches == 1 { "batch" } else { "batches" };
    Some(format!(
        "{} {noun} of up to {} rows{why}, {} in all ({}, pauses included)",
        thousands(batches),
        thousands(batch),
        seconds_range(low, high),
        work.describe(amount)
    ))
}
