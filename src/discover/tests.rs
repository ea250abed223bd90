use super::*;
use crate::layout::sections;
use std::fs;

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/layouts")
        .join(relative)
}

fn request(paths: Vec<PathBuf>) -> DiscoverRequest {
    DiscoverRequest {
        paths,
        ..DiscoverRequest::default()
    }
}

/// (path under the set root, direction, version, transactional, report)
type Row = (String, Direction, Option<String>, bool, bool);

fn row(path: &str, direction: Direction, version: Option<&str>, tx: bool, report: bool) -> Row {
    (
        path.to_string(),
        direction,
        version.map(str::to_string),
        tx,
        report,
    )
}

fn rows(set: &MigrationSet) -> Vec<Row> {
    set.files
        .iter()
        .map(|file| {
            let relative = file.path.strip_prefix(&set.root).unwrap_or(&file.path);
            (
                relative.to_string_lossy().replace('\\', "/"),
                file.direction,
                file.version.clone(),
                file.transactional,
                file.report,
            )
        })
        .collect()
}

fn single_set(discovery: &Discovery) -> &MigrationSet {
    assert_eq!(discovery.errors, vec![]);
    assert_eq!(discovery.sets.len(), 1, "{:#?}", discovery.sets);
    &discovery.sets[0]
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create fixture folder");
    }
    fs::write(path, text).expect("write fixture file");
}

use Direction::{Down, Up, Verify};

#[test]
fn flyway_orders_versions_numerically_with_undo_after_and_repeatable_last() {
    let discovery = discover(&request(vec![fixture("flyway")]));
    let set = single_set(&discovery);
    assert_eq!(set.root, fixture("flyway/db/migration"));
    assert_eq!(set.layout, Layout::Flyway);
    assert_eq!(
        rows(set),
        vec![
            row("V1__create_users.sql", Up, Some("1"), true, true),
            row("V1.1__add_users_email.sql", Up, Some("1.1"), true, true),
            row("V1_2__add_users_nickname.sql", Up, Some("1.2"), true, true),
            row("V1.10__create_teams.sql", Up, Some("1.10"), true, true),
            row("V2__add_users_team.sql", Up, Some("2"), true, true),
            row("U2__add_users_team.sql", Down, Some("2"), true, true),
            row("V10__index_users_email.sql", Up, Some("10"), false, true),
            row("R__active_users_view.sql", Up, None, true, true),
        ]
    );
}

#[test]
fn named_file_brings_earlier_files_unreported_and_drops_later_ones() {
    let named = PathBuf::from("./fixtures/layouts/flyway/db/migration/V1.10__create_teams.sql");
    let discovery = discover(&request(vec![named]));
    let set = single_set(&discovery);
    assert_eq!(
        set.root,
        PathBuf::from("fixtures/layouts/flyway/db/migration")
    );
    assert_eq!(
        rows(set),
        vec![
            row("V1__create_users.sql", Up, Some("1"), true, false),
            row("V1.1__add_users_email.sql", Up, Some("1.1"), true, false),
            row("V1_2__add_users_nickname.sql", Up, Some("1.2"), true, false),
            row("V1.10__create_teams.sql", Up, Some("1.10"), true, true),
        ]
    );
}

#[test]
fn golang_migrate_orders_nine_before_ten_with_downs_after_ups() {
    let discovery = discover(&request(vec![fixture("golang-migrate/migrations")]));
    let set = single_set(&discovery);
    assert_eq!(set.layout, Layout::GolangMigrate);
    assert_eq!(
        rows(set),
        vec![
            row("1_create_accounts.up.sql", Up, Some("1"), false, true),
            row("1_create_accounts.down.sql", Down, Some("1"), false, true),
            row("2_add_accounts_balance.up.sql", Up, Some("2"), false, true),
            row(
                "2_add_accounts_balance.down.sql",
                Down,
                Some("2"),
                false,
                true
            ),
            row("9_create_transfers.up.sql", Up, Some("9"), false, true),
            row("9_create_transfers.down.sql", Down, Some("9"), false, true),
            row("10_add_transfers_note.up.sql", Up, Some("10"), false, true),
            row(
                "10_add_transfers_note.down.sql",
                Down,
                Some("10"),
                false,
                true
            ),
        ]
    );
}

#[test]
fn dbmate_transaction_false_reaches_file_and_sections() {
    let discovery = discover(&request(vec![fixture("dbmate")]));
    let set = single_set(&discovery);
    assert_eq!(set.layout, Layout::Dbmate);
    assert_eq!(
        rows(set),
        vec![
            row(
                "20240101120000_create_orders.sql",
                Up,
                Some("20240101120000"),
                true,
                true
            ),
            row(
                "20240102090000_add_orders_status.sql",
                Up,
                Some("20240102090000"),
                true,
                true
            ),
            row(
                "20240103080000_index_orders_status.sql",
                Up,
                Some("20240103080000"),
                false,
                true
            ),
        ]
    );
    let file = &set.files[2];
    let text = fs::read_to_string(&file.path).expect("fixture");
    let parts: Vec<(&str, Direction, bool)> = sections(&text, file)
        .iter()
        .map(|s| (s.span.text(&text), s.direction, s.transactional))
        .collect();
    assert_eq!(
        parts,
        vec![
            (
                "CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);\n\n",
                Up,
                false
            ),
            ("DROP INDEX CONCURRENTLY orders_status_idx;\n", Down, false),
        ]
    );
}

#[test]
fn goose_no_transaction_file() {
    let discovery = discover(&request(vec![fixture("goose")]));
    let set = single_set(&discovery);
    assert_eq!(set.layout, Layout::Goose);
    assert_eq!(
        rows(set),
        vec![
            row("00001_create_products.sql", Up, Some("00001"), true, true),
            row(
                "00002_add_products_price.sql",
                Up,
                Some("00002"),
                true,
                true
            ),
            row(
                "00003_index_products_title.sql",
                Up,
                Some("00003"),
                false,
                true
            ),
            row(
                "00004_products_touch_block.sql",
                Up,
                Some("00004"),
                true,
                true
            ),
        ]
    );
    let file = &set.files[1];
    let text = fs::read_to_string(&file.path).expect("fixture");
    let parts: Vec<(&str, Direction, bool)> = sections(&text, file)
        .iter()
        .map(|s| (s.span.text(&text), s.direction, s.transactional))
        .collect();
    assert_eq!(
        parts,
        vec![
            (
                "ALTER TABLE products ADD COLUMN price numeric;\n\n",
                Up,
                true
            ),
            ("ALTER TABLE products DROP COLUMN price;\n", Down, true),
        ]
    );
}

#[test]
fn diesel_folders_form_one_set_with_metadata_toml() {
    let discovery = discover(&request(vec![fixture("diesel")]));
    let set = single_set(&discovery);
    assert_eq!(set.root, fixture("diesel/migrations"));
    assert_eq!(set.layout, Layout::Diesel);
    assert_eq!(
        rows(set),
        vec![
            row(
                "00000000000000_diesel_initial_setup/up.sql",
                Up,
                Some("00000000000000"),
                true,
                true
            ),
            row(
                "00000000000000_diesel_initial_setup/down.sql",
                Down,
                Some("00000000000000"),
                true,
                true
            ),
            row(
                "2024-01-01-120000_create_posts/up.sql",
                Up,
                Some("2024-01-01-120000"),
                true,
                true
            ),
            row(
                "2024-01-01-120000_create_posts/down.sql",
                Down,
                Some("2024-01-01-120000"),
                true,
                true
            ),
            row(
                "2024-01-02-090000_index_posts_title/up.sql",
                Up,
                Some("2024-01-02-090000"),
                false,
                true
            ),
            row(
                "2024-01-02-090000_index_posts_title/down.sql",
                Down,
                Some("2024-01-02-090000"),
                false,
                true
            ),
        ]
    );
}

#[test]
fn named_diesel_folder_replays_earlier_migrations_only() {
    let named = fixture("diesel/migrations/2024-01-01-120000_create_posts");
    let discovery = discover(&request(vec![named]));
    let set = single_set(&discovery);
    assert_eq!(set.root, fixture("diesel/migrations"));
    assert_eq!(
        rows(set),
        vec![
            row(
                "00000000000000_diesel_initial_setup/up.sql",
                Up,
                Some("00000000000000"),
                true,
                false
            ),
            row(
                "00000000000000_diesel_initial_setup/down.sql",
                Down,
                Some("00000000000000"),
                true,
                false
            ),
            row(
                "2024-01-01-120000_create_posts/up.sql",
                Up,
                Some("2024-01-01-120000"),
                true,
                true
            ),
            row(
                "2024-01-01-120000_create_posts/down.sql",
                Down,
                Some("2024-01-01-120000"),
                true,
                true
            ),
        ]
    );
}

#[test]
fn prisma_folders_are_not_wrapped() {
    let discovery = discover(&request(vec![fixture("prisma")]));
    let set = single_set(&discovery);
    assert_eq!(set.root, fixture("prisma/prisma/migrations"));
    assert_eq!(set.layout, Layout::Prisma);
    assert_eq!(
        rows(set),
        vec![
            row(
                "20240101120000_init/migration.sql",
                Up,
                Some("20240101120000"),
                false,
                true
            ),
            row(
                "20240102090000_add_profile_bio/migration.sql",
                Up,
                Some("20240102090000"),
                false,
                true
            ),
        ]
    );
}

#[test]
fn sqitch_follows_the_plan_not_the_alphabet() {
    let discovery = discover(&request(vec![fixture("sqitch")]));
    let set = single_set(&discovery);
    assert_eq!(set.root, fixture("sqitch"));
    assert_eq!(set.layout, Layout::Sqitch);
    assert_eq!(
        rows(set),
        vec![
            row("deploy/appschema.sql", Up, None, false, true),
            row("revert/appschema.sql", Down, None, false, true),
            row("verify/appschema.sql", Verify, None, false, true),
            row("deploy/users.sql", Up, None, false, true),
            row("revert/users.sql", Down, None, false, true),
            row("verify/users.sql", Verify, None, false, true),
            row("deploy/flips.sql", Up, None, false, true),
            row("revert/flips.sql", Down, None, false, true),
            row("verify/flips.sql", Verify, None, false, true),
        ]
    );
}

#[test]
fn named_sqitch_deploy_script() {
    let discovery = discover(&request(vec![fixture("sqitch/deploy/users.sql")]));
    let set = single_set(&discovery);
    assert_eq!(
        rows(set),
        vec![
            row("deploy/appschema.sql", Up, None, false, false),
            row("revert/appschema.sql", Down, None, false, false),
            row("verify/appschema.sql", Verify, None, false, false),
            row("deploy/users.sql", Up, None, false, true),
        ]
    );
}

#[test]
fn plain_numbered_files_in_natural_order() {
    let discovery = discover(&request(vec![fixture("plain")]));
    let set = single_set(&discovery);
    assert_eq!(set.layout, Layout::Plain);
    assert_eq!(
        rows(set),
        vec![
            row("1_create_authors.sql", Up, Some("1"), false, true),
            row("0002-create-books.sql", Up, Some("0002"), false, true),
            row("9_add_books_isbn.sql", Up, Some("9"), false, true),
            row("10_add_authors_born.sql", Up, Some("10"), false, true),
        ]
    );
}

#[test]
fn every_fixture_layout_is_recognised_in_one_walk() {
    let discovery = discover(&request(vec![fixture("")]));
    assert_eq!(discovery.errors, vec![]);
    let found: Vec<(PathBuf, Layout, usize)> = discovery
        .sets
        .iter()
        .map(|set| (set.root.clone(), set.layout, set.files.len()))
        .collect();
    assert_eq!(
        found,
        vec![
            (fixture("dbmate/db/migrations"), Layout::Dbmate, 3),
            (
                fixture("diesel-rollback-renames-back/migrations"),
                Layout::Diesel,
                4
            ),
            (fixture("diesel/migrations"), Layout::Diesel, 6),
            (fixture("flyway/db/migration"), Layout::Flyway, 8),
            (
                fixture("golang-migrate-mysql-rollback-changes-back/migrations"),
                Layout::GolangMigrate,
                4
            ),
            (
                fixture("golang-migrate/migrations"),
                Layout::GolangMigrate,
                8
            ),
            (fixture("goose/migrations"), Layout::Goose, 4),
            (fixture("plain/sql"), Layout::Plain, 4),
            (fixture("prisma/prisma/migrations"), Layout::Prisma, 2),
            (fixture("sqitch"), Layout::Sqitch, 9),
        ]
    );
}

#[test]
fn include_glob_decides_what_is_reported() {
    let discovery = discover(&DiscoverRequest {
        paths: vec![fixture("golang-migrate")],
        include: vec!["**/*.up.sql".to_string()],
        exclude: vec![],
        ..DiscoverRequest::default()
    });
    let set = single_set(&discovery);
    assert_eq!(
        rows(set),
        vec![
            row("1_create_accounts.up.sql", Up, Some("1"), false, true),
            row("1_create_accounts.down.sql", Down, Some("1"), false, false),
            row("2_add_accounts_balance.up.sql", Up, Some("2"), false, true),
            row(
                "2_add_accounts_balance.down.sql",
                Down,
                Some("2"),
                false,
                false
            ),
            row("9_create_transfers.up.sql", Up, Some("9"), false, true),
            row("9_create_transfers.down.sql", Down, Some("9"), false, false),
            row("10_add_transfers_note.up.sql", Up, Some("10"), false, true),
        ]
    );
}

#[test]
fn exclude_glob_drops_files_entirely() {
    let discovery = discover(&DiscoverRequest {
        paths: vec![fixture("golang-migrate")],
        include: vec![],
        exclude: vec!["migrations/*.down.sql".to_string()],
        ..DiscoverRequest::default()
    });
    let set = single_set(&discovery);
    let names: Vec<String> = rows(set).into_iter().map(|r| r.0).collect();
    assert_eq!(
        names,
        vec![
            "1_create_accounts.up.sql",
            "2_add_accounts_balance.up.sql",
            "9_create_transfers.up.sql",
            "10_add_transfers_note.up.sql",
        ]
    );
}

#[test]
fn bad_glob_and_missing_path_are_reported_not_fatal() {
    let discovery = discover(&DiscoverRequest {
        paths: vec![fixture("does-not-exist"), fixture("plain")],
        include: vec!["[oops".to_string(), "**/1_*.sql".to_string()],
        exclude: vec![],
        ..DiscoverRequest::default()
    });
    let messages: Vec<(PathBuf, bool)> = discovery
        .errors
        .iter()
        .map(|e| (e.path.clone(), e.message.starts_with("invalid glob")))
        .collect();
    assert_eq!(
        messages,
        vec![
            (PathBuf::from("[oops"), true),
            (fixture("does-not-exist"), false)
        ]
    );
    assert_eq!(discovery.sets.len(), 1);
    assert_eq!(
        rows(&discovery.sets[0]),
        vec![row("1_create_authors.sql", Up, Some("1"), false, true)]
    );
}

#[test]
fn plain_rollback_files_follow_their_up_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "2_add.rollback.sql",
        "2_add.sql",
        "10_more.sql",
        "1_init.sql",
    ] {
        write(&dir.path().join(name), "SELECT 1;\n");
    }
    let discovery = discover(&request(vec![dir.path().to_path_buf()]));
    assert_eq!(
        rows(single_set(&discovery)),
        vec![
            row("1_init.sql", Up, Some("1"), false, true),
            row("2_add.sql", Up, Some("2"), false, true),
            row("2_add.rollback.sql", Down, Some("2"), false, true),
            row("10_more.sql", Up, Some("10"), false, true),
        ]
    );
}

/// Authelia's layout: `V0001.Initial_Schema.up.sql` with its `.down.sql`, which sorts
/// before it by name but is its rollback.
#[test]
fn plain_down_files_follow_their_up_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "V0001.Initial_Schema.down.sql",
        "V0001.Initial_Schema.up.sql",
        "V0002.Webauthn.down.sql",
        "V0002.Webauthn.up.sql",
    ] {
        write(&dir.path().join(name), "SELECT 1;\n");
    }
    let discovery = discover(&request(vec![dir.path().to_path_buf()]));
    assert_eq!(
        rows(single_set(&discovery)),
        vec![
            row("V0001.Initial_Schema.up.sql", Up, None, false, true),
            row("V0001.Initial_Schema.down.sql", Down, None, false, true),
            row("V0002.Webauthn.up.sql", Up, None, false, true),
            row("V0002.Webauthn.down.sql", Down, None, false, true),
        ]
    );
}

#[test]
fn skipped_and_hidden_folders_are_not_walked() {
    let dir = tempfile::tempdir().expect("tempdir");
    for skipped in [".git", "target", "node_modules", ".cache"] {
        write(&dir.path().join(skipped).join("1_x.sql"), "SELECT 1;\n");
    }
    write(
        &dir.path().join("db/1_init.sql"),
        "CREATE TABLE t (id int);\n",
    );
    let discovery = discover(&request(vec![dir.path().to_path_buf()]));
    let set = single_set(&discovery);
    assert_eq!(set.root, dir.path().join("db"));
    assert_eq!(
        rows(set),
        vec![row("1_init.sql", Up, Some("1"), false, true)]
    );
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_and_the_walk_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        &dir.path().join("db/V1__init.sql"),
        "CREATE TABLE t (id int);\n",
    );
    std::os::unix::fs::symlink(dir.path().join("db"), dir.path().join("db/again"))
        .expect("symlink");
    let discovery = discover(&request(vec![dir.path().to_path_buf()]));
    assert_eq!(discovery.errors.len(), 1, "{:?}", discovery.errors);
    assert_eq!(discovery.errors[0].path, dir.path().join("db/again"));
    assert!(discovery.errors[0]
        .message
        .starts_with("symlink loop back to"));
    assert_eq!(discovery.sets.len(), 1);
    assert_eq!(
        rows(&discovery.sets[0]),
        vec![row("V1__init.sql", Up, Some("1"), true, true)]
    );
}

#[test]
fn sqlx_crate_migrations_are_wrapped_unless_marked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        &dir.path().join("Cargo.toml"),
        "[package]\nname = \"app\"\n",
    );
    write(
        &dir.path().join("migrations/20240101000000_init.sql"),
        "CREATE TABLE t (id int);\n",
    );
    write(
        &dir.path().join("migrations/20240102000000_index.sql"),
        "-- no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
    );
    let discovery = discover(&request(vec![dir.path().join("migrations")]));
    let set = single_set(&discovery);
    assert_eq!(set.layout, Layout::GolangMigrate);
    assert_eq!(
        rows(set),
        vec![
            row(
                "20240101000000_init.sql",
                Up,
                Some("20240101000000"),
                true,
                true
            ),
            row(
                "20240102000000_index.sql",
                Up,
                Some("20240102000000"),
                false,
                true
            ),
        ]
    );
}

#[test]
fn sqitch_reworked_change_uses_its_tagged_script_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        &root.join("sqitch.plan"),
        "%project=p\n\nusers 2024-01-01T00:00:00Z A <a@b.c>\n@v1.0 2024-01-02T00:00:00Z A <a@b.c>\n\nflips [users] 2024-01-03T00:00:00Z A <a@b.c>\nusers [users@v1.0] 2024-01-04T00:00:00Z A <a@b.c> # rework\n",
    );
    for name in ["users@v1.0", "flips", "users", "zeta"] {
        write(&root.join(format!("deploy/{name}.sql")), "SELECT 1;\n");
    }
    let discovery = discover(&request(vec![root.join("deploy")]));
    let set = single_set(&discovery);
    assert_eq!(
        rows(set),
        vec![
            row("deploy/users@v1.0.sql", Up, None, false, true),
            row("deploy/flips.sql", Up, None, false, true),
            row("deploy/users.sql", Up, None, false, true),
            row("deploy/zeta.sql", Up, None, false, true),
        ]
    );
}

#[test]
fn named_file_outside_the_include_globs_is_still_taken() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("1_init.sql"), "CREATE TABLE t (id int);\n");
    write(
        &dir.path().join("2_more.txt"),
        "ALTER TABLE t ADD COLUMN b int;\n",
    );
    let discovery = discover(&request(vec![dir.path().join("2_more.txt")]));
    let set = single_set(&discovery);
    assert_eq!(
        rows(set),
        vec![
            row("1_init.sql", Up, Some("1"), false, false),
            row("2_more.txt", Up, Some("2"), false, true),
        ]
    );
}

#[test]
fn natural_order_compares_digit_runs_as_numbers() {
    let mut names = vec![
        "V10", "V2", "V1.10", "V1.1", "V1", "10_b", "9_a", "0002-x", "1_y",
    ];
    names.sort_by(|a, b| natural_cmp(a, b));
    assert_eq!(
        names,
        vec!["1_y", "0002-x", "9_a", "10_b", "V1", "V1.1", "V1.10", "V2", "V10"]
    );
    assert_eq!(natural_cmp("01", "1"), Ordering::Less);
    assert_eq!(
        natural_cmp(
            "99999999999999999999999999999",
            "100000000000000000000000000000"
        ),
        Ordering::Less
    );
}

#[test]
fn flyway_names() {
    assert!(matches!(
        parse_flyway("V1_1__x.sql"),
        Some(FlywayName::Versioned { ref version, undo: false }) if version == "1.1"
    ));
    assert!(matches!(
        parse_flyway("U3__x.sql"),
        Some(FlywayName::Versioned { undo: true, .. })
    ));
    assert!(matches!(
        parse_flyway("R__views.sql"),
        Some(FlywayName::Repeatable)
    ));
    assert!(parse_flyway("Vx__nope.sql").is_none());
    assert!(parse_flyway("V1_nope.sql").is_none());
    assert!(parse_flyway("afterMigrate.sql").is_none());
    assert!(parse_flyway("é.sql").is_none());
}
