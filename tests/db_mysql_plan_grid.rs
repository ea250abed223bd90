//! The MySQL plan grid: every statement `lockstep plan --dialect mysql` covers, planned on
//! every table shape users have (auto-increment, uuid, composite and varchar keys, a table
//! without a key, back-quoted mixed-case names, an indexed column, a column another table's
//! foreign key points at, names near MySQL's 64-character limit), in every layout, and
//! applied to a real MariaDB with writes from the old and the new release between phases,
//! in every layout the way its tool runs the files (see [`Tool`]; tools that send the
//! server the same thing share one run, see [`Tool::trace`]):
//! - every phase runs, and its verify query gives the answer its header promises;
//! - every rollback runs on the data that exists then, puts the schema back, and the old
//!   release still works after it;
//! - at the end every row holds its last write, whichever release made it, and every
//!   table's `SHOW CREATE TABLE` (column order aside) is the one the plain statement gives;
//! - where the plain statement fails, the plan is refused; a scenario lockstep cannot plan
//!   is refused with a message, and only the ones listed in [`REFUSALS`] may be.
//!
//! Writes are sequential and each is checked (one row acknowledged): the grid proves the
//! recipes' SQL on every shape; `db_mysql_plan_traffic` proves them under concurrent
//! traffic.

mod support;

use std::collections::HashMap;
use std::path::Path;
use support::mariadb::{mariadb, MariaDb, MariaServer};
use support::plan_files::{
    self, plain_number, tenant_line, GridTally, KeyInsert, LayoutOutcome, Model, Outcome,
    PhaseFiles,
};

/// Rows loaded before the plan; several backfill batches' worth.
const ROWS: u64 = 2000;
const BATCH_SIZE: &str = "300";

/// A table shape. Names in templates: `{t}` the table, and any other `{word}` a column,
/// index or table name, spelled as the shape spells names.
struct Shape {
    name: &'static str,
    table: &'static str,
    /// The key's column definitions and constraint, first in the table.
    key_ddl: &'static str,
    /// The columns that identify a row for the test's model (a key or not).
    key: &'static str,
    /// Key columns an insert gives and their values' SQL from a number, when the key has
    /// no AUTO_INCREMENT.
    key_insert: Option<KeyInsert>,
    /// Statements after the table's: an index, a table that refers to it.
    extra: &'static str,
    /// Names are back-quoted mixed case (`Amount`).
    quoted: bool,
}

/// A uuid-formatted key whose order is not the insertion order.
fn uuid_text(n: &str) -> String {
    format!("CONCAT(LPAD(HEX(({n}) * 2654435761 % 4294967296), 8, '0'), '-0000-4000-8000-', LPAD({n}, 12, '0'))")
}

fn text_code(n: &str) -> String {
    format!("CONCAT('k', LPAD({n}, 8, '0'))")
}

const AUTO_KEY: &str = "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY";

const PLAIN: Shape = Shape {
    name: "",
    table: "orders",
    key_ddl: AUTO_KEY,
    key: "id",
    key_insert: None,
    extra: "",
    quoted: false,
};

const SHAPES: &[Shape] = &[
    Shape {
        name: "auto_increment_key",
        ..PLAIN
    },
    Shape {
        name: "uuid_key",
        table: "shipments",
        key_ddl: "shipment_id CHAR(36) NOT NULL PRIMARY KEY",
        key: "shipment_id",
        key_insert: Some(("shipment_id", uuid_text)),
        ..PLAIN
    },
    Shape {
        name: "composite_key",
        table: "order_lines",
        key_ddl: "tenant_id INT NOT NULL, line_no BIGINT NOT NULL, PRIMARY KEY (tenant_id, line_no)",
        key: "tenant_id, line_no",
        key_insert: Some(("tenant_id, line_no", tenant_line)),
        ..PLAIN
    },
    Shape {
        name: "varchar_key",
        table: "products",
        key_ddl: "sku VARCHAR(40) NOT NULL PRIMARY KEY",
        key: "sku",
        key_insert: Some(("sku", text_code)),
        ..PLAIN
    },
    Shape {
        name: "no_key",
        table: "events",
        key_ddl: "event_no BIGINT NOT NULL",
        key: "event_no",
        key_insert: Some(("event_no", plain_number)),
        ..PLAIN
    },
    Shape {
        name: "quoted_mixed_case",
        table: "`Orders`",
        key_ddl: "`OrderId` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
        key: "`OrderId`",
        quoted: true,
        ..PLAIN
    },
    Shape {
        name: "indexed_column",
        extra: "CREATE INDEX {amount_idx} ON {t} ({amount});\n",
        ..PLAIN
    },
    Shape {
        name: "referenced_column",
        extra: "CREATE UNIQUE INDEX {amount_key} ON {t} ({amount});\n\
                CREATE TABLE {refunds} (id BIGINT NOT NULL PRIMARY KEY, {amount} INT NOT NULL,\n    \
                FOREIGN KEY ({amount}) REFERENCES {t} ({amount}) ON UPDATE CASCADE) ENGINE=InnoDB;\n",
        ..PLAIN
    },
    Shape {
        name: "long_names",
        table: "shipment_carbon_emission_measurements_by_region_and_day_v2",
        key_ddl: "measurement_identifier_within_the_region_and_day BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
        key: "measurement_identifier_within_the_region_and_day",
        ..PLAIN
    },
];

impl Shape {
    fn fill(&self, template: &str) -> String {
        plan_files::fill_placeholders(template, |word| match word {
            "t" => self.table.to_string(),
            _ if self.quoted => plan_files::mixed_case(word, '`'),
            _ => word.to_string(),
        })
    }

    fn create(&self) -> String {
        self.fill(&format!(
            "CREATE TABLE {{customers}} ({{id}} BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;\n\
             CREATE TABLE {{t}} (\n    {},\n    {{amount}} INT NOT NULL DEFAULT 0,\n    \
             {{note}} VARCHAR(100),\n    {{customer_id}} BIGINT\n) ENGINE=InnoDB;\n{}",
            self.key_ddl, self.extra
        ))
    }

    fn load(&self) -> String {
        let (columns, values) = plan_files::key_insert_parts(self.key_insert, "seq");
        let refunds = if self.extra.contains("{refunds}") {
            "INSERT INTO {refunds} (id, {amount}) SELECT seq, seq FROM seq_1_to_5;\n"
        } else {
            ""
        };
        self.fill(&format!(
            "INSERT INTO {{customers}} ({{id}}) SELECT seq FROM seq_1_to_10;\n\
             INSERT INTO {{t}} ({columns}{{amount}}, {{note}}, {{customer_id}}) \
             SELECT {values}seq, CONCAT('n', seq), seq % 10 + 1 FROM seq_1_to_{ROWS};\n{refunds}"
        ))
    }
}

/// A statement to plan, and the column each release writes around it.
struct Change {
    name: &'static str,
    change: &'static str,
    old_value: &'static str,
    new_value: &'static str,
}

const CHANGES: &[Change] = &[
    Change {
        name: "rename_column",
        change: "ALTER TABLE {t} RENAME COLUMN {amount} TO {amount_total};\n",
        old_value: "{amount}",
        new_value: "{amount_total}",
    },
    Change {
        name: "change_type",
        change: "ALTER TABLE {t} MODIFY {amount} BIGINT NOT NULL DEFAULT 0;\n",
        old_value: "{amount}",
        new_value: "{amount}",
    },
    Change {
        name: "add_not_null_column",
        change: "ALTER TABLE {t} ADD COLUMN {score} DECIMAL(5,2) NOT NULL DEFAULT 50.00;\n",
        old_value: "{amount}",
        new_value: "{amount}",
    },
    Change {
        name: "add_index",
        change: "CREATE INDEX {note_idx} ON {t} ({note});\n",
        old_value: "{amount}",
        new_value: "{amount}",
    },
    Change {
        name: "add_foreign_key",
        change: "ALTER TABLE {t} ADD CONSTRAINT {customer_fk} FOREIGN KEY ({customer_id}) REFERENCES {customers} ({id});\n",
        old_value: "{amount}",
        new_value: "{amount}",
    },
    Change {
        name: "add_unnamed_foreign_key",
        change: "ALTER TABLE {t} ADD FOREIGN KEY ({customer_id}) REFERENCES {customers} ({id});\n",
        old_value: "{amount}",
        new_value: "{amount}",
    },
];

/// A tool `plan` writes MySQL plans for, and how it runs a phase and its rollback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    GolangMigrate,
    Flyway,
    Dbmate,
    Goose,
    Plain,
}

/// How a tool sends a file's code to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sending {
    /// Its MySQL driver (golang-migrate's, dbmate's) sends the whole code as one query
    /// string.
    OneQuery,
    /// Flyway's parser, like the mysql client a plain file (and a rollback no tool runs) is
    /// run with, reads the DELIMITER lines and sends statement by statement on one
    /// connection.
    Client,
    /// goose sends statement by statement, a StatementBegin block whole.
    Goose,
}

/// Every scenario runs in every tool, golang-migrate first.
const TOOLS: [Tool; 5] = [
    Tool::GolangMigrate,
    Tool::Flyway,
    Tool::Dbmate,
    Tool::Goose,
    Tool::Plain,
];

impl Tool {
    fn layout(self) -> &'static str {
        match self {
            Tool::GolangMigrate => "golang-migrate",
            Tool::Flyway => "flyway",
            Tool::Dbmate => "dbmate",
            Tool::Goose => "goose",
            Tool::Plain => "plain",
        }
    }

    /// The phases of a plan written into `dir`, in order, each with its rollback code.
    fn phases(self, dir: &Path) -> Vec<PhaseFiles> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read the plan folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort_by(|a, b| lockstep::discover::natural_cmp(a, b));
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("read a phase file");
        let phase =
            |name: &String, down: String| plan_files::phase_of(name.clone(), read(name), down);
        names
            .iter()
            .filter_map(|name| match self {
                Tool::GolangMigrate => name
                    .strip_suffix(".up.sql")
                    .map(|stem| phase(name, read(&format!("{stem}.down.sql")))),
                // `<script>.sql.rollback`, run by hand (undo files need Flyway Teams).
                Tool::Flyway => (name.starts_with('V') && name.ends_with(".sql"))
                    .then(|| phase(name, read(&format!("{name}.rollback")))),
                Tool::Plain => name
                    .strip_suffix(".sql")
                    .filter(|stem| !stem.ends_with(".rollback"))
                    .map(|stem| phase(name, read(&format!("{stem}.rollback.sql")))),
                Tool::Dbmate => name
                    .ends_with(".sql")
                    .then(|| phase(name, section(&read(name), "-- migrate:down", None))),
                Tool::Goose => name
                    .ends_with(".sql")
                    .then(|| phase(name, section(&read(name), "-- +goose Down", None))),
            })
            .collect()
    }

    /// The forward code of `phase`'s file that the tool runs.
    fn up_code(self, phase: &PhaseFiles) -> String {
        match self {
            Tool::Dbmate => section(&phase.up, "-- migrate:up", Some("-- migrate:down")),
            Tool::Goose => section(&phase.up, "-- +goose Up", Some("-- +goose Down")),
            Tool::GolangMigrate | Tool::Flyway | Tool::Plain => phase.up.clone(),
        }
    }

    /// How the tool sends code to the server.
    fn sending(self) -> Sending {
        match self {
            Tool::GolangMigrate | Tool::Dbmate => Sending::OneQuery,
            Tool::Flyway | Tool::Plain => Sending::Client,
            Tool::Goose => Sending::Goose,
        }
    }

    /// Runs `code` as the tool does.
    fn run(self, db: &MariaDb, code: &str) -> Result<(), String> {
        match self.sending() {
            Sending::OneQuery => db.exec_as_one_query(code),
            Sending::Client => db.exec(code),
            Sending::Goose => run_goose(db, code),
        }
    }

    /// Runs the forward part of `phase`'s file as the tool does.
    fn run_up(self, db: &MariaDb, phase: &PhaseFiles) -> Result<(), String> {
        self.run(db, &self.up_code(phase))
    }

    /// Runs `phase`'s rollback as the tool (or, for a file no tool runs, the mysql client)
    /// does.
    fn run_down(self, db: &MariaDb, phase: &PhaseFiles) -> Result<(), String> {
        self.run(db, &phase.down)
    }

    /// What the tool sends the server for `phases`, and what decides the writes and checks
    /// around them: how it sends code, each phase's claims, and the code of each phase and
    /// of its rollback (comment lines left out, except for goose, whose StatementBegin
    /// lines decide what it sends). Two tools with the same trace give the same run on the
    /// server, so the grid runs a trace once.
    fn trace(self, phases: &[PhaseFiles]) -> String {
        let code = |text: &str| -> String {
            text.lines()
                .map(str::trim_end)
                .filter(|l| {
                    !l.is_empty()
                        && (self.sending() == Sending::Goose || !l.trim_start().starts_with("--"))
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut trace = format!("sent {:?}\n", self.sending());
        for phase in phases {
            trace += &format!(
                "{}\nup:\n{}\ndown:\n{}\n",
                phase.claims(),
                code(&self.up_code(phase)),
                code(&phase.down),
            );
        }
        trace
    }
}

/// The lines of `text` after the line that starts with `start`, up to the one that starts
/// with `end` (dbmate's `-- migrate:up` may carry options after it).
fn section(text: &str, start: &str, end: Option<&str>) -> String {
    let mut lines = text
        .lines()
        .skip_while(|line| !line.trim_start().starts_with(start))
        .skip(1);
    let mut out = String::new();
    for line in lines.by_ref() {
        if end.is_some_and(|end| line.trim_start().starts_with(end)) {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// goose sends each statement of a section as a query of its own, on one connection.
fn run_goose(db: &MariaDb, section: &str) -> Result<(), String> {
    let statements = plan_files::goose_statements(section);
    db.exec_queries(&statements.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The layouts it refuses for MySQL, naming the ones it writes.
const REFUSED_LAYOUTS: &[&str] = &["sqlx", "diesel", "prisma", "sqitch"];

/// Scenarios lockstep refuses, with a word the message must hold: a batched backfill needs
/// a key to walk; the plans that copy a column into a new one do not move the indexes and
/// foreign keys on it yet (they name them); the foreign key name InnoDB derives from a long
/// table name is too long for MySQL 8, the plans' default target (MariaDB takes it).
const REFUSALS: &[(&str, &str, &str)] = &[
    ("no_key", "rename_column", "ADD PRIMARY KEY"),
    ("no_key", "change_type", "ADD PRIMARY KEY"),
    (
        "referenced_column",
        "rename_column",
        "a foreign key of refunds",
    ),
    (
        "long_names",
        "add_unnamed_foreign_key",
        "name the constraint",
    ),
];

/// What one release writes: the value column of the scenario's change.
struct Writer<'a> {
    shape: &'a Shape,
    value: String,
}

/// The plan of `statement` on `shape` in `layout`: the temporary folder and the folder
/// the files are in, or lockstep's message.
fn plan_in(
    shape: &Shape,
    statement: &str,
    layout: &str,
) -> Result<(tempfile::TempDir, std::path::PathBuf), String> {
    plan_files::plan_into_folder(
        &shape.create(),
        statement,
        &[
            "--dialect",
            "mysql",
            "--layout",
            layout,
            "--batch-size",
            BATCH_SIZE,
            "--pause-ms",
            "0",
        ],
    )
}

/// The phases of the plan of `statement` on `shape` as `tool` finds them.
fn phases_for(shape: &Shape, statement: &str, tool: Tool) -> Result<Vec<PhaseFiles>, String> {
    plan_in(shape, statement, tool.layout()).map(|(_temp, dir)| tool.phases(&dir))
}

/// One scenario in every tool; the outcome of each is recorded in `tally`.
fn run_scenario(shape: &Shape, change: &Change, tally: &mut GridTally) {
    let outcomes = tool_outcomes(shape, change, tally);
    tally.record_layouts(shape.name, outcomes);
}

/// The outcome of the scenario in each tool, or why it failed before any tool ran. Tools
/// that send the server the same thing (see [`Tool::trace`]) are run once.
fn tool_outcomes(
    shape: &Shape,
    change: &Change,
    tally: &mut GridTally,
) -> Result<Vec<LayoutOutcome>, String> {
    let server = mariadb().ok_or("no MariaDB")?;
    let create = shape.create();
    let statement = shape.fill(change.change);
    // Each tool's plan, golang-migrate's first: every tool plans or refuses alike.
    let plans: Vec<(Tool, Result<Vec<PhaseFiles>, String>)> = TOOLS
        .into_iter()
        .map(|tool| (tool, phases_for(shape, &statement, tool)))
        .collect();
    let planned = &plans[0].1;
    for (tool, plan) in &plans[1..] {
        if plan.is_ok() != planned.is_ok() {
            let outcome = |ok: bool| if ok { "planned" } else { "refused" };
            return Err(format!(
                "the {} layout is {} where golang-migrate is {}",
                tool.layout(),
                outcome(planned.is_err()),
                outcome(planned.is_ok())
            ));
        }
    }
    let plain = server.fresh_db();
    let plain_result = plain
        .exec(&create)
        .and_then(|()| plain.exec(&shape.load()))
        .and_then(|()| plain.exec(&statement));
    match (
        planned,
        plan_files::expected_refusal(REFUSALS, shape.name, change.name),
        &plain_result,
    ) {
        (Err(message), Some(word), _) if message.contains(word) => {
            return Ok(vec![("every layout", Ok(Outcome::Refused))])
        }
        (Err(message), _, Err(plain_error)) => {
            eprintln!(
                "{}/{}: the statement fails ({}) and the plan is refused: {}",
                shape.name,
                change.name,
                plain_error.trim(),
                message.trim()
            );
            return Ok(vec![("every layout", Ok(Outcome::Refused))]);
        }
        (Err(message), _, Ok(())) => return Err(format!("refused: {}", message.trim())),
        (Ok(_), _, Err(plain_error)) => {
            return Err(format!(
                "the plain statement fails ({}), but the plan goes through",
                plain_error.trim()
            ))
        }
        (Ok(_), Some(word), _) => {
            return Err(format!("planned, but the grid expects a refusal ({word})"))
        }
        (Ok(_), None, Ok(())) => {}
    }
    let plain_schema = schema(&plain)?;
    // The traces run on the server so far.
    let mut traces: Vec<String> = Vec::new();
    let mut outcomes = Vec::new();
    for (tool, plan) in plans {
        let outcome = plan.and_then(|phases| {
            tally.run_once(&mut traces, tool.trace(&phases), || {
                run_phases(server, shape, change, tool, &phases, &plain_schema)
            })
        });
        outcomes.push((tool.layout(), outcome));
    }
    Ok(outcomes)
}

/// Runs `phases` as `tool` does, on a fresh database, with writes from the old and the new
/// release between them, each rollback and the phase again; at the end the rows must hold
/// the last writes and the schema must be `plain_schema`, the plain statement's.
fn run_phases(
    server: &'static MariaServer,
    shape: &Shape,
    change: &Change,
    tool: Tool,
    phases: &[PhaseFiles],
    plain_schema: &str,
) -> Result<(), String> {
    let create = shape.create();
    let db = server.fresh_db();
    db.exec(&create).map_err(|e| format!("create: {e}"))?;
    db.exec(&shape.load()).map_err(|e| format!("load: {e}"))?;
    let old = Writer {
        shape,
        value: shape.fill(change.old_value),
    };
    let new = Writer {
        shape,
        value: shape.fill(change.new_value),
    };
    let mut model = Model {
        values: old.read_rows(&db)?,
        next: ROWS * 10,
    };
    let mut old_running = true;
    let mut new_running = false;
    old.write(&db, &mut model, "before the plan")?;
    for (index, phase) in phases.iter().enumerate() {
        if phase.after_all_instances {
            if !new_running {
                new_running = true;
                new.write(&db, &mut model, "the new release")?;
            }
            old_running = false;
        }
        let before = schema(&db)?;
        apply(&db, tool, phase)?;
        if phases[index + 1..].iter().all(|p| !p.before_release) {
            new_running = true;
        }
        let when = format!("after {}", phase.name);
        if old_running {
            old.write(&db, &mut model, &when)?;
        }
        if phase.has_rollback_steps {
            tool.run_down(&db, phase)
                .map_err(|e| format!("rollback of {}: {e}", phase.name))?;
            let after = schema(&db)?;
            if after != before {
                return Err(format!(
                    "the rollback of {} did not restore the schema:\n before: {before}\n after:  {after}",
                    phase.name
                ));
            }
            if old_running {
                old.write(
                    &db,
                    &mut model,
                    &format!("after rolling back {}", phase.name),
                )?;
            }
            apply(&db, tool, phase).map_err(|e| format!("again after its rollback: {e}"))?;
        }
        if new_running {
            new.write(&db, &mut model, &when)?;
        }
    }
    model.check_final_rows(&new.read_rows(&db)?)?;
    plan_files::check_final_schema(&schema(&db)?, plain_schema)
}

fn apply(db: &MariaDb, tool: Tool, phase: &PhaseFiles) -> Result<(), String> {
    tool.run_up(db, phase)
        .map_err(|e| format!("{}: {e}", phase.name))?;
    plan_files::check_verify(phase, &query_one(db, &phase.verify)?)
}

fn query_one(db: &MariaDb, sql: &str) -> Result<String, String> {
    plan_files::first_value(sql, db.query(sql))
}

impl Writer<'_> {
    fn key_text(&self) -> String {
        self.shape
            .fill(&format!("CONCAT_WS(',', {})", self.shape.key))
    }

    /// Key and value of every row, as this release sees them.
    fn read_rows(&self, db: &MariaDb) -> Result<HashMap<String, String>, String> {
        let sql = self.shape.fill(&format!(
            "SELECT {}, {} FROM {{t}}",
            self.key_text(),
            self.value
        ));
        let rows = db.query(&sql).map_err(|e| format!("{sql}: {e}"))?;
        rows.into_iter()
            .map(|row| match <[String; 2]>::try_from(row) {
                Ok([key, value]) => Ok((key, value)),
                Err(row) => Err(format!("unexpected row {row:?}")),
            })
            .collect()
    }

    /// Two inserts (`RETURNING` their key) and two updates (followed by their row count),
    /// each acknowledged by one row.
    fn write(&self, db: &MariaDb, model: &mut Model, when: &str) -> Result<(), String> {
        let mut script = String::new();
        let mut values = Vec::new();
        for _ in 0..2 {
            model.next += 1;
            let n = model.next.to_string();
            let (key_columns, key_values) = plan_files::key_insert_parts(self.shape.key_insert, &n);
            script.push_str(&format!(
                "INSERT INTO {{t}} ({key_columns}{}) VALUES ({key_values}{n}) RETURNING {};\n",
                self.value,
                self.key_text()
            ));
            values.push(n);
        }
        for key in &model.update_targets() {
            model.next += 1;
            let n = model.next.to_string();
            script.push_str(&format!(
                "UPDATE {{t}} SET {} = {n} WHERE {} = '{key}';\nSELECT CONCAT('{key}', ' ', ROW_COUNT());\n",
                self.value,
                self.key_text()
            ));
            values.push(n);
        }
        let rows = db
            .query(&self.shape.fill(&script))
            .map_err(|e| format!("{when}: a write failed: {e}"))?;
        plan_files::check_acknowledged(when, rows.len(), values.len())?;
        for (row, value) in rows.into_iter().zip(values) {
            let ack = row.into_iter().next().unwrap_or_default();
            let key = match ack.strip_suffix(" 1") {
                Some(updated) => updated.to_string(),
                None if ack.contains(' ') => {
                    return Err(format!("{when}: an update changed no row: {ack}"))
                }
                None => ack,
            };
            model.values.insert(key, value);
        }
        Ok(())
    }
}

/// Every table's `SHOW CREATE TABLE` with its lines sorted (a plan may move a column to
/// the end) and without its AUTO_INCREMENT counter, the triggers and the procedures, as
/// one comparable text.
fn schema(db: &MariaDb) -> Result<String, String> {
    let tables = db
        .query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name")
        .map_err(|e| format!("list tables: {e}"))?;
    let mut out = Vec::new();
    for table in tables.into_iter().flatten() {
        let create = db
            .query(&format!("SHOW CREATE TABLE `{table}`"))
            .map_err(|e| format!("SHOW CREATE TABLE {table}: {e}"))?
            .into_iter()
            .flatten()
            .nth(1)
            .unwrap_or_default();
        let mut lines: Vec<String> = create
            .lines()
            .map(|line| {
                line.split(' ')
                    .filter(|word| !word.starts_with("AUTO_INCREMENT="))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim_end_matches(',')
                    .to_string()
            })
            .collect();
        lines.sort();
        out.push(lines.join("\n"));
    }
    out.push(query_one(
        db,
        "SELECT CONCAT('triggers: ', COALESCE(GROUP_CONCAT(trigger_name ORDER BY trigger_name), ''), \
         ' procedures: ', (SELECT COALESCE(GROUP_CONCAT(routine_name), '') FROM information_schema.routines \
         WHERE routine_schema = DATABASE())) FROM information_schema.triggers WHERE trigger_schema = DATABASE()",
    )?);
    Ok(out.join("\n"))
}

/// Every shape for one change; the failures, if any, all at once.
fn grid(change_name: &str) {
    if mariadb().is_none() {
        return;
    }
    let change = CHANGES
        .iter()
        .find(|c| c.name == change_name)
        .expect("a change of the grid");
    let mut tally = GridTally::default();
    for shape in SHAPES {
        run_scenario(shape, change, &mut tally);
    }
    tally.assert_no_failures(change_name);
}

plan_files::grid_tests!(
    rename_column,
    change_type,
    add_not_null_column,
    add_index,
    add_foreign_key,
    add_unnamed_foreign_key,
);

/// The layouts it does not write are refused before any planning, whatever the shape.
#[test]
fn the_other_layouts_are_refused_naming_the_ones_written() {
    let statement = PLAIN.fill(CHANGES[0].change);
    for layout in REFUSED_LAYOUTS {
        let refused = plan_in(&PLAIN, &statement, layout);
        assert!(
            refused
                .as_ref()
                .is_err_and(|m| m.contains("use one of those with --layout")),
            "{layout}: {:?}",
            refused.err()
        );
    }
}
