//! Framework conventions change verdicts: implicit transactions, rollback files and
//! sections, change sets across files.

use lockstep::config::{ChangeSetMode, RollbackMode, Settings};
use lockstep::diagnostic::Severity;
use lockstep::dialect::Dialect;
use lockstep::engine::check;
use lockstep::rules;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The errors a folder raises, by file: the warnings about lock timeouts and transaction
/// length that every folder here would raise are not what these tests are about.
fn rules_fired(dir: &Path, change_set: ChangeSetMode) -> Vec<(String, &'static str)> {
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![dir.to_path_buf()];
    settings.change_set = change_set;
    let report = check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .findings()
        .filter(|(_, f)| f.severity == Severity::Error)
        .map(|(file, f)| {
            (
                file.path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f.rule.id,
            )
        })
        .collect()
}

#[test]
fn goose_wraps_files_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "migrations/00001_a.sql", "-- +goose Up\nCREATE INDEX CONCURRENTLY i ON users (email);\n-- +goose Down\nDROP INDEX CONCURRENTLY i;\n");
    write(
        dir.path(),
        "migrations/00002_b.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY j ON users (name);\n",
    );
    let fired = rules_fired(dir.path(), ChangeSetMode::File);
    assert_eq!(
        fired,
        [
            ("00001_a.sql".to_string(), "concurrently-in-transaction"),
            ("00001_a.sql".to_string(), "concurrently-in-transaction")
        ]
    );
}

#[test]
fn golang_migrate_down_files_may_undo_their_up_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "migrations/000001_add_nick.up.sql",
        "ALTER TABLE users ADD COLUMN nick text;\n",
    );
    write(
        dir.path(),
        "migrations/000001_add_nick.down.sql",
        "ALTER TABLE users DROP COLUMN nick;\n",
    );
    write(
        dir.path(),
        "migrations/000002_drop_fax.up.sql",
        "ALTER TABLE users DROP COLUMN fax;\n",
    );
    let fired = rules_fired(dir.path(), ChangeSetMode::File);
    assert_eq!(
        fired,
        [("000002_drop_fax.up.sql".to_string(), "drop-column")]
    );
}

#[test]
fn dbmate_down_sections_are_rollback_code_and_never_replayed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "db/migrations/20240101000000_nick.sql",
        "-- migrate:up\nALTER TABLE users ADD COLUMN nick text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN nick;\n",
    );
    write(
        dir.path(),
        "db/migrations/20240102000000_rename.sql",
        "-- migrate:up\nALTER TABLE users RENAME COLUMN nick TO handle;\n",
    );
    let fired = rules_fired(dir.path(), ChangeSetMode::File);
    // The down section's drop is not forward DDL: the column still exists for the next file.
    assert_eq!(
        fired,
        [("20240102000000_rename.sql".to_string(), "rename-column")]
    );
}

#[test]
fn a_table_from_an_earlier_file_is_existing_unless_the_folder_is_one_change_set() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "db/V1__orders.sql",
        "CREATE TABLE orders (id bigint, placed_at timestamptz);\n",
    );
    write(
        dir.path(),
        "db/V2__index.sql",
        "CREATE INDEX orders_placed_at ON orders (placed_at);\n",
    );
    write(
        dir.path(),
        "db/V10__more.sql",
        "CREATE TABLE refunds (id bigint);\nCREATE INDEX refunds_id ON refunds (id);\n",
    );
    assert_eq!(
        rules_fired(dir.path(), ChangeSetMode::File),
        [("V2__index.sql".to_string(), "create-index-non-concurrently")]
    );
    assert!(rules_fired(dir.path(), ChangeSetMode::Folder).is_empty());
}

#[test]
fn naming_one_file_still_replays_the_files_before_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "db/V1__orders.sql",
        "CREATE TABLE orders (id bigint);\nALTER TABLE orders DROP COLUMN nothing_here;\n",
    );
    write(dir.path(), "db/V2__nick.sql", "ALTER TABLE orders ADD COLUMN nick text;\nALTER TABLE orders DROP COLUMN nick;\nALTER TABLE orders DROP COLUMN id;\n");
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![dir.path().join("db/V2__nick.sql")];
    let report = check(&settings);
    let files: Vec<String> = report
        .files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["V2__nick.sql"], "only the named file is reported");
    let rules: Vec<&str> = report
        .findings()
        .filter(|(_, f)| f.severity == Severity::Error)
        .map(|(_, f)| f.rule.id)
        .collect();
    assert_eq!(
        rules,
        ["drop-column"],
        "dropping `id` (created by V1) is flagged; `nick` was added by V2 itself"
    );
}

#[test]
fn every_statement_of_a_goose_block_is_checked_on_its_own() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/layouts/goose");
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![fixtures];
    let report = check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let in_block: Vec<(&str, String)> = report
        .findings()
        .filter(|(file, _)| file.path.ends_with("00004_products_touch_block.sql"))
        .map(|(file, f)| {
            let text = std::fs::read_to_string(&file.path).unwrap();
            let first_line = f.span.text(&text).lines().next().unwrap_or("").to_string();
            (f.rule.id, first_line)
        })
        .collect();
    // The index built later in the block is found; the constant-time default of the first
    // statement is not mistaken for the function body that follows it.
    assert!(
        in_block.contains(&(
            "create-index-non-concurrently",
            "CREATE INDEX products_updated_at_idx ON products (updated_at)".to_string()
        )),
        "{in_block:?}"
    );
    assert!(
        !in_block
            .iter()
            .any(|(rule, _)| *rule == "add-column-volatile-default"),
        "{in_block:?}"
    );
}

/// A golang-migrate pair whose down file drops the index its up file built, and also
/// changes a column type of an existing table (a lock finding of its own).
fn rollback_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "db/000001_users.up.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, score int);\n",
    );
    write(
        dir.path(),
        "db/000002_index_email.up.sql",
        "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
    );
    write(
        dir.path(),
        "db/000002_index_email.down.sql",
        "DROP INDEX users_email_idx;\nALTER TABLE users ALTER COLUMN score TYPE bigint;\n",
    );
    dir
}

/// `(rule, severity)` of the findings in the down file under `mode`.
fn down_findings(mode: RollbackMode) -> Vec<(&'static str, Severity)> {
    let dir = rollback_folder();
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![dir.path().to_path_buf()];
    settings.rollbacks = mode;
    let report = check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .findings()
        .filter(|(file, _)| file.path.ends_with("000002_index_email.down.sql"))
        .map(|(_, f)| (f.rule.id, f.severity))
        .collect()
}

#[test]
fn rollback_code_is_relaxed_by_default_and_can_be_linted_or_skipped() {
    assert_eq!(
        Settings::new(Dialect::Postgres).rollbacks,
        RollbackMode::Relaxed
    );
    let linted = down_findings(RollbackMode::Lint);
    assert!(
        linted.contains(&("drop-index-non-concurrently", Severity::Error)),
        "{linted:?}"
    );
    assert!(
        linted.contains(&("change-column-type", Severity::Error)),
        "{linted:?}"
    );
    // Dropping the index its own migration built is what the rollback is for; the type
    // change of an older table still locks it, said as a note.
    let relaxed = down_findings(RollbackMode::Relaxed);
    assert!(
        !relaxed
            .iter()
            .any(|(rule, _)| *rule == "drop-index-non-concurrently"),
        "{relaxed:?}"
    );
    assert!(
        relaxed.contains(&("change-column-type", Severity::Note)),
        "{relaxed:?}"
    );
    assert_eq!(down_findings(RollbackMode::Skip), []);
}

/// `(line, rule, severity)` of the findings in file `down` of the layout fixture `fixture`
/// under `mode`.
fn down_file_findings(
    fixture: &str,
    dialect: Dialect,
    down: &Path,
    mode: RollbackMode,
) -> Vec<(usize, &'static str, Severity)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/layouts")
        .join(fixture);
    let mut settings = Settings::new(dialect);
    settings.paths = vec![root];
    settings.rollbacks = mode;
    let report = check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .files
        .iter()
        .filter(|file| file.path.ends_with(down))
        .flat_map(|file| {
            let text = std::fs::read_to_string(&file.path).unwrap();
            file.findings
                .iter()
                .map(|f| {
                    let line = text[..f.span.start as usize].matches('\n').count() + 1;
                    (line, f.rule.id, f.severity)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn renames_back_findings(mode: RollbackMode) -> Vec<(usize, &'static str, Severity)> {
    down_file_findings(
        "diesel-rollback-renames-back",
        Dialect::Postgres,
        &Path::new("2024-03-02-100000_rename_mail_and_ledger").join("down.sql"),
        mode,
    )
}

#[test]
fn a_rollback_renaming_back_what_its_migration_renamed_is_relaxed() {
    let linted = renames_back_findings(RollbackMode::Lint);
    // (The table rename back is quiet in either mode: rename-table already knows `journal`
    // got its name in this change set.)
    for expected in [(2, "rename-column"), (5, "rename-column")] {
        assert!(
            linted
                .iter()
                .any(|(line, rule, _)| (*line, *rule) == expected),
            "{linted:?}"
        );
    }
    // Line 2 restores the name the release rolled back to uses.
    let relaxed = renames_back_findings(RollbackMode::Relaxed);
    let renames: Vec<_> = relaxed
        .iter()
        .filter(|(_, rule, _)| rule.starts_with("rename-"))
        .collect();
    assert_eq!(
        renames,
        [&(5, "rename-column", Severity::Error)],
        "{relaxed:?}"
    );
}

#[test]
fn a_mysql_rollback_changing_a_column_back_to_its_old_name_is_relaxed() {
    let findings = |mode| {
        down_file_findings(
            "golang-migrate-mysql-rollback-changes-back",
            Dialect::Mysql,
            Path::new("000002_rename_handle.down.sql"),
            mode,
        )
        .into_iter()
        .filter(|(_, rule, _)| *rule == "rename-column")
        .map(|(line, _, severity)| (line, severity))
        .collect::<Vec<_>>()
    };
    assert_eq!(
        findings(RollbackMode::Lint),
        [(2, Severity::Error), (4, Severity::Error)]
    );
    assert_eq!(findings(RollbackMode::Relaxed), [(4, Severity::Error)]);
}

/// pop/fizz keep one migration's files for every database side by side:
/// `NAME.postgres.up.sql`, `NAME.mysql.up.sql`, `NAME.cockroach.up.sql`, `NAME.sqlite3.up.sql`.
fn pop_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "20240101120000_create_orders.postgres.up.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n",
        ),
        (
            "20240101120000_create_orders.mysql.up.sql",
            "CREATE TABLE orders (id bigint PRIMARY KEY, note text) ENGINE=InnoDB;\n",
        ),
        (
            "20240101120000_create_orders.sqlite3.up.sql",
            "CREATE TABLE orders (id integer PRIMARY KEY, note text);\n",
        ),
        (
            "20240102120000_index_note.postgres.up.sql",
            "CREATE INDEX orders_note_idx ON orders (note);\n",
        ),
        (
            "20240102120000_index_note.mysql.up.sql",
            "ALTER TABLE orders ADD INDEX orders_note_idx (note(20)), ALGORITHM=INPLACE, LOCK=NONE;\n",
        ),
        (
            "20240102120000_index_note.cockroach.up.sql",
            "CREATE INDEX orders_note_idx ON orders (note);\n",
        ),
    ];
    for (name, sql) in files {
        write(dir.path(), &format!("migrations/{name}"), sql);
    }
    dir
}

/// `(file name, rule)` of every finding.
fn findings_by_file(settings: &Settings) -> Vec<(String, &'static str)> {
    let report = check(settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .findings()
        .map(|(file, f)| {
            let name = file.path.file_name().unwrap().to_string_lossy();
            (name.into_owned(), f.rule.id)
        })
        .collect()
}

fn assert_each_file_linted_as_its_own_dialect(found: &[(String, &'static str)]) {
    let on = |suffix: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|(name, _)| name.ends_with(suffix))
            .map(|(_, rule)| *rule)
            .collect()
    };
    assert!(
        on("index_note.postgres.up.sql").contains(&"create-index-non-concurrently"),
        "{found:?}"
    );
    let mysql = on(".mysql.up.sql");
    assert!(!mysql.is_empty(), "{found:?}");
    assert!(
        mysql
            .iter()
            .all(|rule| rules::find(rule).is_some_and(|r| r.applies_to(Dialect::Mysql))),
        "{found:?}"
    );
    assert!(
        !mysql.contains(&"create-index-non-concurrently"),
        "{found:?}"
    );
    for other in [".sqlite3.up.sql", ".cockroach.up.sql"] {
        assert_eq!(on(other), ["other-dialect-file"], "{found:?}");
    }
}

#[test]
fn a_folder_of_files_for_several_databases_is_linted_file_by_file() {
    let dir = pop_folder();
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![dir.path().to_path_buf()];
    assert_each_file_linted_as_its_own_dialect(&findings_by_file(&settings));
    // The same with a `[dialects]` glob that names the MySQL files, as the project had.
    settings.dialects = vec![lockstep::config::DialectGlob {
        glob: globset::Glob::new("**/*.mysql.*.sql")
            .unwrap()
            .compile_matcher(),
        target: lockstep::dialect::Target::new(Dialect::Mysql),
    }];
    assert_each_file_linted_as_its_own_dialect(&findings_by_file(&settings));
}
