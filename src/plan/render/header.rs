//! The header lines of phase and rollback files, whatever the dialect: what the phase is,
//! when it deploys, what it locks, how to verify it and how to undo it.

use super::{comment_line, Names, PhaseContext};
use crate::plan::Rollback;

/// The header of a phase file, whatever the dialect: `transaction` says how its statements
/// commit (the lines after the plan's opening), `lock_wait` what a statement that waits too
/// long for its lock does, said when a step takes a strong lock.
pub(in crate::plan) fn phase_header(
    context: &PhaseContext,
    transaction: &[String],
    lock_wait: &str,
) -> String {
    let phase = context.phase;
    let mut h = phase_opening(context);
    for line in transaction {
        comment_line(&mut h, format_args!("{line}"));
    }
    comment_line(&mut h, format_args!("-- Lock: {}.", phase.lock.describe()));
    expected_line(&mut h, context);
    if phase.steps.iter().any(|s| s.strong_lock) {
        comment_line(&mut h, format_args!("{lock_wait}"));
    }
    for failure in phase.steps.iter().filter_map(|s| s.on_failure.as_deref()) {
        comment_line(&mut h, format_args!("-- If it fails: {failure}."));
    }
    comment_line(&mut h, format_args!("-- Verify: {};", phase.verify.query));
    comment_line(
        &mut h,
        format_args!("--   expect: {}", phase.verify.expected),
    );
    let rollback = match &phase.rollback {
        Rollback::Steps(_) => context.rollback_at.to_string(),
        Rollback::Nothing(why) => format!("nothing to undo: {why}"),
        Rollback::Irreversible(why) => format!("none, IRREVERSIBLE: {why}"),
    };
    comment_line(&mut h, format_args!("-- Rollback: {rollback}."));
    if phase.irreversible() {
        comment_line(
            &mut h,
            format_args!("-- Pre-flight checklist (this phase cannot be undone):"),
        );
        for item in &phase.checklist {
            comment_line(&mut h, format_args!("--   [ ] {item}"));
        }
    }
    notes_about(&mut h, context);
    h
}

/// The header line that says how long the phase's work takes, from the stats file.
fn expected_line(header: &mut String, context: &PhaseContext) {
    if let Some(expected) = context.expected {
        comment_line(header, format_args!("-- Expected: {expected}."));
    }
}

/// The plan's notes about the phase of `context`, as header lines.
fn notes_about(header: &mut String, context: &PhaseContext) {
    for note in context
        .plan
        .notes
        .iter()
        .filter(|n| n.is_about(context.phase.kind))
    {
        comment_line(header, format_args!("-- Note: {}", note.text));
    }
}

/// The header of the rollback file `down`, whatever the dialect; `client` runs a file with
/// the database's client, for a rollback that no tool runs.
pub(in crate::plan) fn rollback_header(
    context: &PhaseContext,
    names: &Names,
    down: &str,
    client: &str,
) -> String {
    let mut h = String::new();
    comment_line(
        &mut h,
        format_args!("-- lockstep plan: {}", context.plan.title),
    );
    comment_line(
        &mut h,
        format_args!(
            "-- Rollback of phase {} of {}, {}.",
            context.position + 1,
            context.plan.phases.len(),
            context.phase.kind.name()
        ),
    );
    notes_about(&mut h, context);
    if names.down_by_hand {
        comment_line(
            &mut h,
            format_args!("-- Run by hand: {client} {down} (Flyway does not run this file)."),
        );
    }
    h
}

/// The first header lines of every phase file, whatever the dialect: the plan, the phase and
/// when to deploy it.
fn phase_opening(context: &PhaseContext) -> String {
    let PhaseContext { plan, phase, .. } = context;
    let mut h = String::new();
    comment_line(&mut h, format_args!("-- lockstep plan: {}", plan.title));
    comment_line(
        &mut h,
        format_args!(
            "-- Phase {} of {}, {}: {}",
            context.position + 1,
            plan.phases.len(),
            phase.kind.name(),
            phase.summary
        ),
    );
    comment_line(
        &mut h,
        format_args!("-- Deploy: {}.", phase.deploy.describe()),
    );
    h
}
