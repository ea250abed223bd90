//! The live-traffic harness the plan proofs share, whatever the database: a model of every
//! acknowledged write, and an old and a new application release reading and writing the
//! table from threads of their own while the phases run, as in a rolling deploy.
//!
//! Every loop is bounded in iterations and in time; traffic "settles" until every release
//! thread has run a number of statements, not for a number of milliseconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Rows loaded before the plan starts.
pub const ROWS: u64 = 100_000;
/// Upper bounds that keep a broken plan from hanging the suite.
const MAX_APP_STATEMENTS: u64 = 200_000;
const MAX_APP_RUN: Duration = Duration::from_secs(600);
/// Statements every release thread runs on its own between phases.
const SETTLE_STATEMENTS: u64 = 25;
/// How long traffic may take to make that progress before the test gives up: a bound
/// against a hang, far beyond what a loaded machine needs.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);
/// Pause between one release thread's statements.
const THINK_TIME: Duration = Duration::from_millis(5);
/// Row locks are striped so that a write and its entry in the model are one step.
const STRIPES: usize = 64;

/// A database the application releases connect to.
pub trait AppDb: Send + Sync + 'static {
    type Session: AppSession;
    /// A session of its own for one application thread, named `name` where the server
    /// shows names.
    fn connect(&self, name: &str) -> Result<Self::Session, String>;
    /// The rows `sql` returns, on a connection of the test's own.
    fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, String>;
}

/// The database the application threads share.
impl<D: AppDb> AppDb for Arc<D> {
    type Session = D::Session;

    fn connect(&self, name: &str) -> Result<D::Session, String> {
        D::connect(self, name)
    }

    fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        D::rows(self, sql)
    }
}

/// One application thread's connection.
pub trait AppSession {
    fn run(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String>;
    /// The row holding the id of the row the insert just added, given the insert's own
    /// rows: PostgreSQL returns it (`RETURNING id`), MySQL is asked (`LAST_INSERT_ID()`).
    fn inserted_id(&mut self, insert_rows: Vec<Vec<String>>) -> Result<Vec<Vec<String>>, String>;
}

/// What one application release runs, with `{id}` and `{value}` placeholders.
#[derive(Clone, Copy)]
pub struct Release {
    pub name: &'static str,
    pub insert: &'static str,
    pub update: &'static str,
    /// Returns the row's logical value (the one the model tracks).
    pub read: &'static str,
    /// A value literal and its text as the server prints it (`{n}` a unique number).
    pub literal: fn(u64) -> (String, String),
}

/// The acknowledged writes, what went wrong, and the longest application statement.
pub struct Model {
    /// Row id -> the value of its last acknowledged write (or its loaded value).
    values: Mutex<HashMap<i64, String>>,
    stripes: Vec<Mutex<()>>,
    /// Writers hold it shared from statement to model update; a whole-table comparison
    /// holds it exclusively, so it never sees a write the model does not know yet.
    writes: RwLock<()>,
    errors: Mutex<Vec<String>>,
    next_value: AtomicU64,
    /// The longest any application statement took, since the last reset.
    longest: Mutex<(Duration, String)>,
}

impl Model {
    /// The model of the [`ROWS`] loaded rows that `rows` (`id, value`) reads.
    pub fn loaded(db: &impl AppDb, rows: &str) -> Model {
        let model = Model {
            values: Mutex::new(HashMap::new()),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            writes: RwLock::new(()),
            errors: Mutex::new(Vec::new()),
            next_value: AtomicU64::new(ROWS * 10),
            longest: Mutex::new((Duration::ZERO, String::new())),
        };
        for row in db.rows(rows).expect("read rows") {
            if let [id, value] = row.as_slice() {
                model.record(id.parse().expect("id"), value.clone());
            }
        }
        assert_eq!(lock(&model.values).len() as u64, ROWS);
        model
    }

    fn value(&self, id: i64) -> Option<String> {
        lock(&self.values).get(&id).cloned()
    }

    fn record(&self, id: i64, value: String) {
        lock(&self.values).insert(id, value);
    }

    fn random_id(&self, rng: &mut u64) -> i64 {
        let len = lock(&self.values).len() as u64;
        1 + (next_random(rng) % len.max(1)) as i64
    }

    fn fail(&self, message: String) {
        lock(&self.errors).push(message);
    }

    /// Runs one application statement, timing it.
    fn timed(
        &self,
        session: &mut impl AppSession,
        sql: &str,
        name: &str,
    ) -> Result<Vec<Vec<String>>, String> {
        let started = Instant::now();
        let result = session.run(sql);
        let took = started.elapsed();
        let mut longest = lock(&self.longest);
        if took > longest.0 {
            *longest = (took, format!("{name}: {sql}"));
        }
        result
    }

    /// The longest application statement since the last call, and how long it took.
    pub fn take_longest(&self) -> (Duration, String) {
        std::mem::take(&mut *lock(&self.longest))
    }

    /// Asserts that no application statement failed or read stale data, and that all four
    /// release threads ran (`counts`, what [`Rollout::finish`] returned).
    pub fn assert_traffic_ran(&self, counts: &[u64], scenario: &str) {
        let errors = lock(&self.errors).clone();
        assert!(
            errors.is_empty(),
            "{scenario}: application statements failed or read stale data: {:#?}",
            &errors[..errors.len().min(10)]
        );
        assert!(
            counts.len() == 4 && counts.iter().all(|&c| c > 20),
            "{scenario}: traffic did not run: {counts:?}"
        );
    }
}

/// A poisoned lock still guards its data: the panic that poisoned it fails the test anyway.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One scenario at a time: several rolling deploys at once on two cores would measure the
/// machine's load rather than the plans' locks.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    lock(&ONE_AT_A_TIME)
}

fn next_random(state: &mut u64) -> u64 {
    // xorshift64: deterministic per thread, no dependency.
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// One release's writer and reader, running until stopped.
pub struct Traffic {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<u64>>,
    /// Statements each thread has completed so far.
    done: Vec<Arc<AtomicU64>>,
}

impl Traffic {
    /// Starts `release`'s threads; its reads are checked against the model while
    /// `reads_checked` holds.
    pub fn start<D: AppDb>(
        db: &Arc<D>,
        model: &Arc<Model>,
        release: Release,
        reads_checked: &Arc<AtomicBool>,
    ) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        let mut done = Vec::new();
        for (role, seed) in [
            ("writer", 0x9E37_79B9_7F4A_7C15u64),
            ("reader", 0xD1B5_4A32_D192_ED03),
        ] {
            let (db, model, stop) = (Arc::clone(db), Arc::clone(model), Arc::clone(&stop));
            let checked = Arc::clone(reads_checked);
            let progress = Arc::new(AtomicU64::new(0));
            done.push(Arc::clone(&progress));
            let name = format!("{}_{role}", release.name);
            threads.push(std::thread::spawn(move || {
                let mut session = db
                    .connect(&name)
                    .unwrap_or_else(|e| panic!("{name}: cannot connect: {e}"));
                let mut rng = seed ^ (release.name.len() as u64);
                let started = Instant::now();
                let mut count = 0;
                while !stop.load(Ordering::Relaxed)
                    && count < MAX_APP_STATEMENTS
                    && started.elapsed() < MAX_APP_RUN
                {
                    if role == "writer" {
                        write_once(&mut session, &model, release, &mut rng, &name);
                    } else {
                        read_once(&mut session, &model, release, &checked, &mut rng, &name);
                    }
                    count += 1;
                    progress.store(count, Ordering::Relaxed);
                    // An application between requests, not a load generator: leave the
                    // two cores to the server and the migration.
                    std::thread::sleep(THINK_TIME);
                }
                count
            }));
        }
        Traffic {
            stop,
            threads,
            done,
        }
    }

    /// Waits until every thread has run `statements` more statements than now.
    fn run_on_its_own(&self, statements: u64) {
        super::wait_for_progress(&self.done, statements, SETTLE_LIMIT, THINK_TIME);
    }

    /// Stops both threads; how many statements each ran.
    fn stop(self) -> Vec<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.threads
            .into_iter()
            .map(|t| t.join().expect("traffic thread panicked"))
            .collect()
    }
}

/// The old and the new release's traffic through a rolling deploy.
pub struct Rollout {
    old: Option<Traffic>,
    new: Option<Traffic>,
    /// Statements run by each thread stopped so far, old release first.
    counts: Vec<u64>,
}

impl Rollout {
    /// The deploy starts with only the old release running.
    pub fn new(old: Traffic) -> Rollout {
        Rollout {
            old: Some(old),
            new: None,
            counts: Vec::new(),
        }
    }

    pub fn old_running(&self) -> bool {
        self.old.is_some()
    }

    pub fn new_running(&self) -> bool {
        self.new.is_some()
    }

    /// The new release rolls out beside the old.
    pub fn deploy_new(&mut self, new: Traffic) {
        self.new = Some(new);
    }

    /// Every instance runs the new release: the old one stops.
    pub fn retire_old(&mut self) {
        if let Some(old) = self.old.take() {
            self.counts.extend(old.stop());
        }
    }

    /// Lets the running releases work on their own for a while, as between two deploy
    /// steps.
    pub fn settle(&self) {
        for traffic in [&self.old, &self.new].into_iter().flatten() {
            traffic.run_on_its_own(SETTLE_STATEMENTS);
        }
    }

    /// Stops what still runs; how many statements each thread ran (old writer, old reader,
    /// new writer, new reader).
    pub fn finish(mut self) -> Vec<u64> {
        self.retire_old();
        if let Some(new) = self.new.take() {
            self.counts.extend(new.stop());
        }
        self.counts
    }
}

/// Asserts that the rollback of an irreversible phase refused to run.
pub fn assert_refused(rollback: Result<(), String>, phase: &str) {
    assert!(
        rollback.as_ref().is_err_and(|e| e.contains("irreversible")),
        "{phase}: the rollback of an irreversible phase must refuse: {rollback:?}"
    );
}

fn write_once(
    session: &mut impl AppSession,
    model: &Model,
    release: Release,
    rng: &mut u64,
    name: &str,
) {
    let (sql_value, text) = (release.literal)(model.next_value.fetch_add(1, Ordering::Relaxed));
    let _writing = model.writes.read().unwrap_or_else(|p| p.into_inner());
    if next_random(rng) % 4 == 0 {
        let sql = release.insert.replace("{value}", &sql_value);
        let inserted = model
            .timed(session, &sql, name)
            .and_then(|rows| session.inserted_id(rows));
        match inserted {
            Ok(rows) => match rows
                .first()
                .and_then(|r| r.first())
                .and_then(|id| id.parse().ok())
            {
                Some(id) => model.record(id, text),
                None => model.fail(format!("{name}: {sql} returned no id")),
            },
            Err(e) => model.fail(format!("{name}: {sql}: {e}")),
        }
        return;
    }
    let id = model.random_id(rng);
    let _row = lock(&model.stripes[id as usize % STRIPES]);
    if model.value(id).is_none() {
        return; // An id the sequence skipped.
    }
    let sql = release
        .update
        .replace("{value}", &sql_value)
        .replace("{id}", &id.to_string());
    match model.timed(session, &sql, name) {
        Ok(_) => model.record(id, text),
        Err(e) => model.fail(format!("{name}: {sql}: {e}")),
    }
}

fn read_once(
    session: &mut impl AppSession,
    model: &Model,
    release: Release,
    checked: &AtomicBool,
    rng: &mut u64,
    name: &str,
) {
    let id = model.random_id(rng);
    let _row = lock(&model.stripes[id as usize % STRIPES]);
    let sql = release.read.replace("{id}", &id.to_string());
    match model.timed(session, &sql, name) {
        Ok(rows) => {
            let got = rows.first().and_then(|r| r.first()).cloned();
            // An insert not yet acknowledged to the model is no stale read.
            let want = model.value(id);
            if checked.load(Ordering::Relaxed) && want.is_some() && got != want {
                model.fail(format!(
                    "{name}: row {id} reads {got:?}, last write was {want:?}"
                ));
            }
        }
        Err(e) => model.fail(format!("{name}: {sql}: {e}")),
    }
}

/// The first value of the first row `sql` returns.
pub fn query_one(db: &impl AppDb, sql: &str) -> String {
    db.rows(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_default()
}

/// Every row's value in the table (`sql` reads `id, value`) equals the model's last
/// acknowledged write.
pub fn assert_rows_match(db: &impl AppDb, sql: &str, model: &Model, when: &str) {
    let _quiet = model.writes.write().unwrap_or_else(|p| p.into_inner());
    let rows = db.rows(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let values = lock(&model.values);
    assert_eq!(
        rows.len(),
        values.len(),
        "{when}: row count differs from the model"
    );
    let wrong: Vec<String> = rows
        .iter()
        .filter_map(|row| match row.as_slice() {
            [id, value] => {
                let want = id.parse::<i64>().ok().and_then(|id| values.get(&id));
                (want != Some(value)).then(|| format!("row {id}: {value} but last write {want:?}"))
            }
            _ => Some(format!("bad row {row:?}")),
        })
        .take(5)
        .collect();
    assert!(wrong.is_empty(), "{when}: lost or wrong writes: {wrong:?}");
}
