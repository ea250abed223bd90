//! Every table lock a statement asks for, seen the same way on every machine, for statements
//! that cannot run inside a transaction block (`CREATE INDEX CONCURRENTLY`, `VACUUM`,
//! `DETACH PARTITION ... CONCURRENTLY`...). Such statements commit internally, so their locks
//! cannot be read from their own backend before a commit; sampling `pg_locks` from another
//! session misses whatever is taken and released between two samples (the brief ACCESS
//! EXCLUSIVE lock at the end of a concurrent detach is the classic case).
//!
//! The method: make every lock request worth knowing *wait*, read it while it waits, then let
//! it through one step at a time.
//!
//! - Before the statement starts, one blocker session per table opens a transaction and takes
//!   a ladder of compatible modes on that table, each in its own savepoint: ACCESS SHARE, ROW
//!   SHARE, ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE ([`LADDER`]). Together they conflict with
//!   every mode from SHARE UPDATE EXCLUSIVE up, so the statement's first request of such a mode
//!   on any table queues.
//! - An observer session polls the statement's backend until it waits on one of the blockers
//!   (`pg_blocking_pids`). A wait on a blocker cannot end by itself, so the state is frozen
//!   until the observer acts: the locks read then (granted ones, and the request that waits)
//!   are the same on an idle laptop and a loaded CI runner. The observer reads the state twice
//!   and records the second read, which provably started while the statement was stuck.
//! - A wait for a table lock: the blocker of that table rolls back to the savepoint below the
//!   lowest rung that conflicts with the request (the conflicting rungs always form the top of
//!   the ladder). The statement gets its lock; the rungs left still conflict with every mode
//!   stronger than the one it now holds, so a later, stronger request on the same table (the
//!   final ACCESS EXCLUSIVE of a concurrent detach) queues again.
//! - A wait for a transaction (the "wait for older transactions" phases of the CONCURRENTLY
//!   commands, which wait for every session holding a lock on the table): a new blocker takes
//!   the same rungs first (`NOWAIT`, stopping at the first rung that conflicts with what the
//!   statement already holds), then the old one ends. The statement waits only for the
//!   transactions that existed when its wait began, so it moves on, and the new blocker stands
//!   in for the old one at the next request.
//!
//! What this cannot see: a SHARE ROW EXCLUSIVE request on a table the statement already holds
//! in SHARE mode (no rung left conflicts with it; no CONCURRENTLY command does that), requests of modes weaker than SHARE UPDATE EXCLUSIVE that never meet
//! a conflict (ACCESS SHARE, ROW SHARE, ROW EXCLUSIVE are only reported when held at one of
//! the frozen moments), and conditional requests that give up instead of waiting (VACUUM's
//! attempt to truncate the end of a table under ACCESS EXCLUSIVE is skipped while others hold
//! locks). Neither kind makes an application statement wait.

use super::{
    keep_strongest, run_with_input, trim_statement, unique_name, Measurement, Observation, PgDb,
    PgSession, ScanCounts, SCANS_AFTER_ROW, SCANS_BEFORE_ROW, TABLE_AFTER_ROW, TABLE_BEFORE_ROW,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The rungs every blocker holds on its table, weakest first: mutually compatible, and each
/// request mode conflicts with a top segment of them (see [`conflicts`]).
pub const LADDER: [&str; 4] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
];

/// How long an observed statement may take in all, waits included. Only a broken harness or
/// server gets near it; it is a bound against hangs, not a timing assumption.
const OBSERVE_LIMIT: Duration = Duration::from_secs(300);

/// Pause between two polls while the statement runs unhindered.
const POLL_PAUSE: Duration = Duration::from_millis(2);

/// PostgreSQL's table lock modes, weakest first (`pg_locks.mode` names).
const MODES: [&str; 8] = super::LOCK_MODES;

/// The SQL spelling of a `pg_locks` mode name, for `LOCK TABLE ... IN ... MODE`.
fn sql_mode(mode: &str) -> &'static str {
    match mode {
        "AccessShareLock" => "ACCESS SHARE",
        "RowShareLock" => "ROW SHARE",
        "RowExclusiveLock" => "ROW EXCLUSIVE",
        "ShareUpdateExclusiveLock" => "SHARE UPDATE EXCLUSIVE",
        "ShareLock" => "SHARE",
        "ShareRowExclusiveLock" => "SHARE ROW EXCLUSIVE",
        "ExclusiveLock" => "EXCLUSIVE",
        _ => "ACCESS EXCLUSIVE",
    }
}

/// Whether two table lock modes conflict: PostgreSQL's conflict table ("Conflicting Lock
/// Modes" in the explicit-locking chapter), by position in [`MODES`].
pub fn conflicts(a: &str, b: &str) -> bool {
    // For each mode, the modes it conflicts with, as a bit set over MODES' positions.
    const TABLE: [u8; 8] = [
        0b1000_0000, // ACCESS SHARE: ACCESS EXCLUSIVE
        0b1100_0000, // ROW SHARE: EXCLUSIVE and up
        0b1111_0000, // ROW EXCLUSIVE: SHARE and up
        0b1111_1000, // SHARE UPDATE EXCLUSIVE: itself and up
        0b1110_1100, // SHARE: ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE, SHARE ROW EXCLUSIVE and up
        0b1111_1100, // SHARE ROW EXCLUSIVE: ROW EXCLUSIVE and up
        0b1111_1110, // EXCLUSIVE: ROW SHARE and up
        0b1111_1111, // ACCESS EXCLUSIVE: everything
    ];
    let position = |mode: &str| MODES.iter().position(|known| *known == mode);
    match (position(a), position(b)) {
        (Some(a), Some(b)) => TABLE[a] & (1 << b) != 0,
        // An unknown mode is assumed to conflict: better a needless release than a hang.
        _ => true,
    }
}

/// How many rungs stay when a request of `mode` waits: everything below the lowest rung
/// it conflicts with.
fn rungs_kept(mode: &str) -> usize {
    LADDER
        .iter()
        .position(|rung| conflicts(rung, mode))
        .unwrap_or(LADDER.len())
}

/// One table kept locked by its own session, in savepoints so rungs can be let go one by one.
struct Blocker {
    table: String,
    session: PgSession,
    pid: String,
    /// Rungs of [`LADDER`] held, from the bottom.
    held: usize,
}

impl Blocker {
    /// A session holding `rungs` rungs on `table` (a quoted, schema-qualified name), or as many
    /// of them as it can take without waiting.
    fn take(db: &PgDb, table: &str, rungs: usize) -> Result<Blocker, String> {
        let mut session = db.session(&unique_name("lockstep_blocker"))?;
        let pid = session
            .run("SELECT pg_backend_pid()")?
            .into_iter()
            .flatten()
            .next()
            .ok_or("the blocker session has no pid")?;
        session.run("BEGIN")?;
        let mut blocker = Blocker {
            table: table.to_string(),
            session,
            pid,
            held: 0,
        };
        for rung in LADDER.iter().take(rungs) {
            let level = blocker.held;
            blocker.session.run(&format!("SAVEPOINT rung_{level}"))?;
            let lock = format!("LOCK TABLE ONLY {table} IN {} MODE NOWAIT", sql_mode(rung));
            if blocker.session.run(&lock).is_err() {
                blocker
                    .session
                    .run(&format!("ROLLBACK TO SAVEPOINT rung_{level}"))?;
                break;
            }
            blocker.held += 1;
        }
        Ok(blocker)
    }

    /// Lets go of every rung from `keep` up.
    fn lower_to(&mut self, keep: usize) -> Result<(), String> {
        if keep < self.held {
            self.session
                .run(&format!("ROLLBACK TO SAVEPOINT rung_{keep}"))?;
            self.held = keep;
        }
        Ok(())
    }

    /// Ends the transaction; dropping the session closes it.
    fn end(mut self) -> Result<(), String> {
        self.session.run("ROLLBACK").map(drop)
    }
}

/// What one look at the statement's backend showed.
#[derive(Debug, Default, PartialEq, Eq)]
struct State {
    /// Granted table locks: `(relation oid, mode)`.
    held: Vec<(String, String)>,
    /// The request it waits for: `(locktype, relation oid or "", mode)`.
    waiting: Option<(String, String, String)>,
    /// The sessions it waits for.
    blocked_by: BTreeSet<String>,
}

/// Runs `statement` in its own session and returns every table lock it was seen holding or
/// waiting for, with the rows it rewrote or scanned; see the module documentation.
pub fn observe(db: &PgDb, statement: &str) -> Result<Observation, String> {
    let scans_before = db.cumulative_scans(SCANS_BEFORE_ROW)?;
    let app_name = unique_name("lockstep_observed");
    let mut command = db.server.psql_command(&db.name);
    command.env("PGAPPNAME", &app_name);
    let script = format!("{};\n", trim_statement(statement));
    let mut observation =
        observe_run(db, &app_name, move || run_with_input(&mut command, &script))?;
    // A backend flushes its counts before it leaves; from 15 they are then readable.
    db.wait_for_other_sessions_to_exit()?;
    if db.server.major() >= 15 {
        let mut scans: ScanCounts = scans_before;
        for row in db.query(&super::scan_counts(SCANS_AFTER_ROW, "pg_stat_get_numscans"))? {
            if let Some(tag) = row.first() {
                scans.read(tag, &row);
            }
        }
        observation.measurement.scanned = scans.scanned_tables();
        observation.measurement.scans_unknown = false;
    }
    Ok(observation)
}

/// Like [`observe`] for any way of running SQL: `run` must connect with `application_name`
/// `app_name` (one session at a time: a migration tool's connection). Other sessions may
/// work on the database meanwhile (application traffic): the blockers' rungs never conflict
/// with their reads and writes, and a wait on one of them is not a frozen moment. Scans are
/// not measured here (`scans_unknown`): other sessions' counts would mix in.
pub fn observe_run(
    db: &PgDb,
    app_name: &str,
    run: impl FnOnce() -> Result<String, String> + Send + 'static,
) -> Result<Observation, String> {
    let before = db.tables(TABLE_BEFORE_ROW)?;
    let mut blockers = Vec::new();
    for table in db.lockable_tables()? {
        let blocker = Blocker::take(db, &table, LADDER.len())?;
        if blocker.held != LADDER.len() {
            return Err(format!("cannot lock {table} before the statement"));
        }
        blockers.push(blocker);
    }
    let statement_done = spawn(run, app_name)?;
    let mut observer = db.session(&unique_name("lockstep_observer"))?;

    let mut seen = Seen::default();
    let deadline = Instant::now() + OBSERVE_LIMIT;
    let outcome = loop {
        if let Ok(outcome) = statement_done.try_recv() {
            break outcome;
        }
        if Instant::now() > deadline {
            for blocker in blockers {
                blocker.end()?;
            }
            return Err(format!(
                "the observed session {app_name} did not finish within {OBSERVE_LIMIT:?}"
            ));
        }
        let ours = |state: &State| {
            state.waiting.is_some()
                && blockers
                    .iter()
                    .any(|blocker| state.blocked_by.contains(&blocker.pid))
        };
        if !ours(&read_state(&mut observer, app_name)?) {
            std::thread::sleep(POLL_PAUSE);
            continue;
        }
        // Stuck on a blocker since the first read: this read is of a frozen moment.
        let state = read_state(&mut observer, app_name)?;
        let Some((locktype, _, mode)) = state.waiting.clone().filter(|_| ours(&state)) else {
            continue;
        };
        seen.record(&state);
        if locktype == "relation" {
            for blocker in &mut blockers {
                if state.blocked_by.contains(&blocker.pid) {
                    blocker.lower_to(rungs_kept(&mode))?;
                }
            }
        } else {
            blockers = hand_over(db, blockers, &state.blocked_by)?;
        }
    };
    for blocker in blockers {
        blocker.end()?;
    }
    drop(observer);

    let after = db.tables(TABLE_AFTER_ROW)?;
    let mut measurement = Measurement::default();
    for (oid, modes) in &seen.held {
        if let Some(table) = before.name_of(oid, &after) {
            for mode in modes {
                keep_strongest(&mut measurement.locks, table, mode);
            }
        }
    }
    for (oid, modes) in &seen.waited {
        if let Some(table) = before.name_of(oid, &after) {
            for mode in modes {
                keep_strongest(&mut measurement.waited, table, mode);
            }
        }
    }
    for (oid, mode) in &seen.order {
        if let Some(table) = before.name_of(oid, &after) {
            let modes = measurement.sequence.entry(table.to_string()).or_default();
            if !modes.contains(mode) {
                modes.push(mode.clone());
            }
        }
    }
    before.describe_change(&after, &mut measurement);
    measurement.scans_unknown = true;
    Ok(Observation {
        measurement,
        refusal: outcome.err(),
    })
}

/// The table locks recorded at the frozen moments, by relation oid.
#[derive(Debug, Default)]
struct Seen {
    held: BTreeMap<String, BTreeSet<String>>,
    waited: BTreeMap<String, BTreeSet<String>>,
    /// `(oid, mode)` in the order first seen, held before waited within one moment.
    order: Vec<(String, String)>,
}

impl Seen {
    fn record(&mut self, state: &State) {
        for (oid, mode) in &state.held {
            self.held
                .entry(oid.clone())
                .or_default()
                .insert(mode.clone());
            self.order.push((oid.clone(), mode.clone()));
        }
        if let Some((locktype, oid, mode)) = &state.waiting {
            if locktype == "relation" && !oid.is_empty() {
                self.waited
                    .entry(oid.clone())
                    .or_default()
                    .insert(mode.clone());
                self.order.push((oid.clone(), mode.clone()));
            }
        }
    }
}

/// Replaces the blockers the statement waits for as a transaction (not for one of their
/// locks): each new one takes the same rungs before the old one ends.
fn hand_over(
    db: &PgDb,
    blockers: Vec<Blocker>,
    blocked_by: &BTreeSet<String>,
) -> Result<Vec<Blocker>, String> {
    let mut kept = Vec::with_capacity(blockers.len());
    for blocker in blockers {
        if !blocked_by.contains(&blocker.pid) {
            kept.push(blocker);
            continue;
        }
        let successor = Blocker::take(db, &blocker.table, blocker.held)?;
        blocker.end()?;
        if successor.held > 0 {
            kept.push(successor);
        } else {
            successor.end()?;
        }
    }
    Ok(kept)
}

/// One look at the statement's backend: its table locks, the request it waits for and the
/// sessions that request waits for.
fn read_state(observer: &mut PgSession, app_name: &str) -> Result<State, String> {
    let rows = observer.run(&format!(
        "WITH s AS (SELECT pid FROM pg_stat_activity WHERE application_name = '{app_name}' \
           AND datname = current_database() AND backend_type = 'client backend') \
         SELECT 'lock', l.locktype, coalesce(l.relation::text, ''), l.mode, l.granted::text \
         FROM pg_locks l JOIN s ON s.pid = l.pid \
         WHERE l.granted = false OR (l.locktype = 'relation' \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())) \
         UNION ALL \
         SELECT 'blocked_by', b::text, '', '', '' FROM s, unnest(pg_blocking_pids(s.pid)) b"
    ))?;
    let mut state = State::default();
    for row in rows {
        match row.as_slice() {
            [tag, locktype, relation, mode, granted] if tag == "lock" => {
                if granted == "true" {
                    state.held.push((relation.clone(), mode.clone()));
                } else {
                    state.waiting = Some((locktype.clone(), relation.clone(), mode.clone()));
                }
            }
            [tag, pid, ..] if tag == "blocked_by" => {
                state.blocked_by.insert(pid.clone());
            }
            _ => {}
        }
    }
    Ok(state)
}

/// Runs `run` on its own thread named `app_name`; the receiver gets its outcome.
fn spawn(
    run: impl FnOnce() -> Result<String, String> + Send + 'static,
    app_name: &str,
) -> Result<mpsc::Receiver<Result<String, String>>, String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name(app_name.to_string())
        .spawn(move || {
            // The receiver is gone only if the measuring test already failed.
            let _ = sender.send(run());
        })
        .map_err(|err| format!("cannot start the statement thread: {err}"))?;
    Ok(receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_is_compatible_and_conflicts_form_a_top_segment() {
        for a in LADDER {
            for b in LADDER {
                assert!(!conflicts(a, b) || a == b && a == "ShareUpdateExclusiveLock");
            }
        }
        for mode in MODES {
            let keep = rungs_kept(mode);
            for (at, rung) in LADDER.iter().enumerate() {
                assert_eq!(conflicts(rung, mode), at >= keep, "{mode} vs {rung}");
            }
        }
        assert_eq!(rungs_kept("ShareUpdateExclusiveLock"), 3);
        assert_eq!(rungs_kept("ShareLock"), 2);
        assert_eq!(rungs_kept("ExclusiveLock"), 1);
        assert_eq!(rungs_kept("AccessExclusiveLock"), 0);
        assert_eq!(rungs_kept("RowExclusiveLock"), 4);
    }

    #[test]
    fn the_conflict_table_is_symmetric() {
        for a in MODES {
            for b in MODES {
                assert_eq!(conflicts(a, b), conflicts(b, a), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn rungs_left_conflict_with_every_stronger_request_but_one() {
        // After a request of `mode` is let through, what is left still stops a stronger one;
        // the one gap: SHARE ROW EXCLUSIVE asked for while SHARE is held.
        let mut missed = Vec::new();
        for (at, mode) in MODES.iter().enumerate().skip(3) {
            let keep = rungs_kept(mode);
            for stronger in &MODES[at + 1..] {
                if !LADDER[..keep].iter().any(|rung| conflicts(rung, stronger)) {
                    missed.push((*mode, *stronger));
                }
            }
        }
        assert_eq!(missed, [("ShareLock", "ShareRowExclusiveLock")]);
    }
}
