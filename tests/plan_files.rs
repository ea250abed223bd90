//! `lockstep plan --write` in every convention it writes: the files it writes (snapshots),
//! and `lockstep check` on the folder afterwards finds nothing in them.

mod support;

use std::path::Path;
use support::plan_files::{kept_for_later, written_files};
use support::plan_layouts::{lockstep, release_and_check, LAYOUTS};

/// A migration that creates the tables, and the statement to plan.
struct Case {
    name: &'static str,
    create: &'static str,
    change: &'static str,
}

const SHIPMENTS: &str = "CREATE TABLE shipments (\n    id bigserial PRIMARY KEY,\n    origin text NOT NULL,\n    co2_kg numeric(10,2)\n);\n";
const SHIPMENTS_NOT_NULL: &str = "CREATE TABLE shipments (\n    id bigserial PRIMARY KEY,\n    origin text NOT NULL,\n    co2_kg numeric(10,2) NOT NULL DEFAULT 0\n);\n";
const PRODUCTS: &str =
    "CREATE TABLE products (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL\n);\n";

const USERS: &str = "CREATE TABLE users (\n    id bigserial PRIMARY KEY,\n    email text NOT NULL\n);\nCREATE INDEX users_email_prefix ON users USING btree (email);\n";

const ORDERS: &str = "CREATE TABLE customers (\n    id bigserial PRIMARY KEY\n);\nCREATE TABLE orders (\n    id bigserial PRIMARY KEY,\n    customer_id bigint,\n    total numeric(10,2)\n);\n";

const CASES: [Case; 17] = [
    Case {
        name: "rename_column",
        create: SHIPMENTS,
        change: "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    },
    Case {
        name: "rename_not_null_column",
        create: SHIPMENTS_NOT_NULL,
        change: "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    },
    Case {
        name: "add_not_null_column_with_default",
        create: PRODUCTS,
        change: "ALTER TABLE products ADD COLUMN sustainability_score DECIMAL(5,2) NOT NULL DEFAULT 50.00;\n",
    },
    Case {
        name: "add_not_null_column_with_volatile_default",
        create: PRODUCTS,
        change: "ALTER TABLE products ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();\n",
    },
    Case {
        name: "create_index",
        create: USERS,
        change: "CREATE UNIQUE INDEX users_lower_email ON users (lower(email))\n    WHERE email <> '';\n",
    },
    Case {
        name: "drop_index",
        create: USERS,
        change: "DROP INDEX users_email_prefix;\n",
    },
    Case {
        name: "set_not_null",
        create: ORDERS,
        change: "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;\n",
    },
    Case {
        name: "add_check",
        create: ORDERS,
        change: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);\n",
    },
    Case {
        name: "add_foreign_key",
        create: ORDERS,
        change: "ALTER TABLE orders ADD FOREIGN KEY (customer_id)\n    REFERENCES customers (id) ON DELETE CASCADE;\n",
    },
    Case {
        name: "add_unique",
        create: USERS,
        change: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n",
    },
    Case {
        name: "add_primary_key",
        create: "CREATE TABLE events (\n    id bigint,\n    name text NOT NULL\n);\n",
        change: "ALTER TABLE events ADD PRIMARY KEY (id);\n",
    },
    Case {
        name: "change_column_type",
        create: "CREATE TABLE counters (\n    id bigserial PRIMARY KEY,\n    hits integer NOT NULL DEFAULT 0\n);\n",
        change: "ALTER TABLE counters ALTER COLUMN hits TYPE bigint;\n",
    },
    Case {
        name: "change_column_type_using",
        create: ORDERS,
        change: "ALTER TABLE orders ALTER COLUMN total TYPE integer USING round(total)::integer;\n",
    },
    Case {
        name: "rename_table",
        create: PRODUCTS,
        change: "ALTER TABLE products RENAME TO catalog_items;\n",
    },
    Case {
        name: "add_serial_column",
        create: PRODUCTS,
        change: "ALTER TABLE products ADD COLUMN position bigserial;\n",
    },
    Case {
        name: "drop_column",
        create: "CREATE TABLE products (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n    legacy_code text NOT NULL\n);\n",
        change: "ALTER TABLE products DROP COLUMN legacy_code;\n",
    },
    Case {
        name: "drop_table",
        create: PRODUCTS,
        change: "DROP TABLE products;\n",
    },
];

#[test]
fn plans_are_written_in_each_convention_and_pass_check() {
    for case in &CASES {
        for layout in &LAYOUTS {
            let temp = tempfile::tempdir().expect("tempdir");
            let db = temp.path().join("db");
            layout.write_starting_files(&db, case.create, case.change);
            let change = format!("db/{}", layout.change_name);
            let mut args = vec!["plan", change.as_str(), "--write"];
            if let Some(flag) = layout.layout_flag {
                args.extend(["--layout", flag]);
            }
            let (code, _, stderr) = lockstep(temp.path(), &args);
            assert_eq!(code, 0, "{} / {}: {stderr}", case.name, layout.name);

            // The plan replaces the statement: without it, the folder must lint clean, with
            // the phases kept for a later release moved in.
            std::fs::remove_file(db.join(layout.change_name)).expect("remove");
            let mut files = written_files(&db, &[layout.create_name]);
            let (kept, pending) = kept_for_later(&db);
            files.push_str(&kept);
            insta::assert_snapshot!(format!("{}__{}", case.name, layout.name), files);
            let context = format!("{} / {}", case.name, layout.name);
            release_and_check(temp.path(), &pending, &context);

            // Writing again refuses to overwrite, and --force replaces the files.
            let wrap = layout.wrap;
            std::fs::write(db.join(layout.change_name), wrap(case.change)).expect("write");
            let (code, _, stderr) = lockstep(temp.path(), &args);
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("already exists"), "{stderr}");
            args.push("--force");
            let (code, _, stderr) = lockstep(temp.path(), &args);
            assert_eq!(code, 0, "{stderr}");
        }
    }
}

#[test]
fn flyway_phase_versions_are_digits_and_dots() {
    let temp = tempfile::tempdir().expect("tempdir");
    std::fs::write(temp.path().join("V8__create.sql"), SHIPMENTS).expect("write");
    std::fs::write(
        temp.path().join("V9__rename.sql"),
        "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    )
    .expect("write");
    let (code, script, stderr) = lockstep(temp.path(), &["plan", "V9__rename.sql"]);
    assert_eq!(code, 0, "{stderr}");
    let names: Vec<&str> = script
        .lines()
        .filter_map(|l| l.strip_prefix("-- ==== "))
        .filter_map(|l| l.strip_suffix(" ===="))
        .filter(|n| n.starts_with('V') && n.ends_with(".sql"))
        .collect();
    assert_eq!(
        names,
        [
            "V9.1__expand_shipments_co2_kg_to_emissions_kg.sql",
            "V9.2__backfill_shipments_co2_kg_to_emissions_kg.sql",
            "V9.3__contract_shipments_co2_kg_to_emissions_kg.sql"
        ]
    );
    for name in names {
        let version = name
            .strip_prefix('V')
            .and_then(|n| n.split_once("__"))
            .map(|(v, _)| v)
            .unwrap_or_default();
        assert!(version.chars().all(|c| c.is_ascii_digit() || c == '.'));
    }
}

#[test]
fn taken_versions_and_unplannable_statements_are_usage_errors() {
    let temp = tempfile::tempdir().expect("tempdir");
    std::fs::write(temp.path().join("1_create.sql"), SHIPMENTS).expect("write");
    std::fs::write(
        temp.path().join("2_rename.sql"),
        "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    )
    .expect("write");
    std::fs::write(temp.path().join("3_other.sql"), "SELECT 1;\n").expect("write");
    let (code, _, stderr) = lockstep(temp.path(), &["plan", "2_rename.sql", "--write"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("version 3 is taken by"), "{stderr}");

    let (code, _, stderr) = lockstep(temp.path(), &["plan", "1_create.sql", "--line", "1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("has no plan"), "{stderr}");

    let (code, _, stderr) = lockstep(temp.path(), &["plan", "2_rename.sql", "--line", "7"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no statement on line 7"), "{stderr}");
}

/// The README shows `lockstep plan` output between markers; it must be the tool's own.
#[test]
fn readme_plans_match_the_tool() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    for marker in ["plan-rename", "plan-not-null"] {
        let start = format!("<!-- {marker}:start -->\n```sql\n$ lockstep plan ");
        let end = format!("```\n<!-- {marker}:end -->");
        let block = readme
            .split_once(&start)
            .and_then(|(_, rest)| rest.split_once(&end))
            .map(|(block, _)| block)
            .unwrap_or_else(|| panic!("README has no {marker} block"));
        let (file, shown) = block.split_once('\n').expect("command line");
        let (code, output, stderr) =
            lockstep(Path::new(env!("CARGO_MANIFEST_DIR")), &["plan", file]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            shown, output,
            "README block {marker} is stale: regenerate it with `lockstep plan {file}`"
        );
    }
}

/// `--write` puts the phases that deploy now into the folder and keeps the contract out of
/// it, in a pending folder no migration tool reads; `check` mentions it; `release` moves
/// it in after the newest migration of the day, renaming the names in its header too.
#[test]
fn write_keeps_the_contract_for_a_later_release() {
    let temp = tempfile::tempdir().expect("tempdir");
    let db = temp.path().join("db");
    std::fs::create_dir(&db).expect("mkdir");
    std::fs::write(
        db.join("000001_create.up.sql"),
        "CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, legacy text NOT NULL);\n",
    )
    .expect("write");
    std::fs::write(
        db.join("000002_drop.up.sql"),
        "ALTER TABLE products DROP COLUMN legacy;\n",
    )
    .expect("write");
    std::fs::write(db.join("000002_drop.down.sql"), "SELECT 1;\n").expect("write");
    let (code, _, stderr) = lockstep(temp.path(), &["plan", "db/000002_drop.up.sql", "--write"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(db.join("000003_expand_products_legacy.up.sql").is_file());
    assert!(
        !db.join("000004_contract_products_legacy.up.sql").exists(),
        "the contract phase must not be in the folder yet"
    );
    let pending = db.join(".lockstep-pending/products_legacy");
    assert!(pending
        .join("000004_contract_products_legacy.up.sql.pending")
        .is_file());
    assert!(
        stderr.contains("lockstep release db/.lockstep-pending/products_legacy")
            && stderr.contains("000002_drop.down.sql still undoes"),
        "{stderr}"
    );

    // The expand phase shipped; another migration took the next version meanwhile.
    std::fs::write(db.join("000002_drop.up.sql"), "").expect("write");
    std::fs::write(db.join("000004_other.up.sql"), "SELECT 1;\n").expect("write");
    let (code, _, stderr) = lockstep(temp.path(), &["check", "db"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("holds phases of a plan for a later release"),
        "{stderr}"
    );

    // The manifest comes from the repository: a name that leaves the folder is refused.
    let manifest = pending.join("release.toml");
    let honest = std::fs::read_to_string(&manifest).expect("read manifest");
    std::fs::write(
        &manifest,
        honest.replace(
            "\"000004_contract_products_legacy.down.sql\"",
            "\"../../../outside.sql\"",
        ),
    )
    .expect("write");
    let (code, _, stderr) = lockstep(
        temp.path(),
        &["release", "db/.lockstep-pending/products_legacy"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not a file name"), "{stderr}");
    std::fs::write(&manifest, honest).expect("write");

    let (code, _, stderr) = lockstep(
        temp.path(),
        &["release", "db/.lockstep-pending/products_legacy"],
    );
    assert_eq!(code, 0, "{stderr}");
    let up = std::fs::read_to_string(db.join("000005_contract_products_legacy.up.sql"))
        .expect("released under the next free version");
    assert!(
        up.contains("-- lockstep plan: drop products.legacy"),
        "{up}"
    );
    assert!(db
        .join("000005_contract_products_legacy.down.sql")
        .is_file());
    assert!(!pending.exists(), "the pending folder goes once released");
    let (code, _, stderr) = lockstep(temp.path(), &["check", "db"]);
    assert_eq!(code, 0, "{stderr}");
}

/// `V1_23__` keeps its underscores in the phases' versions, and a newer migration already in
/// the folder gets a warning that Flyway needs outOfOrder for the phases.
#[test]
fn flyway_keeps_the_projects_separator_and_warns_about_order() {
    let temp = tempfile::tempdir().expect("tempdir");
    std::fs::write(temp.path().join("V1_22__create.sql"), SHIPMENTS).expect("write");
    std::fs::write(
        temp.path().join("V1_23__rename.sql"),
        "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    )
    .expect("write");
    std::fs::write(temp.path().join("V1_24__later.sql"), "SELECT 1;\n").expect("write");
    let (code, _, stderr) = lockstep(temp.path(), &["plan", "V1_23__rename.sql", "--write"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        temp.path()
            .join("V1_23_1__expand_shipments_co2_kg_to_emissions_kg.sql")
            .is_file(),
        "{stderr}"
    );
    assert!(
        stderr.contains("V1_24__later.sql is newer than these phases")
            && stderr.contains("outOfOrder"),
        "{stderr}"
    );
}

/// A newer migration already in the folder: every layout's `--write` warns what its tool
/// does with phases numbered before it (issue 12: out of order).
#[test]
fn write_warns_when_later_versions_exist() {
    for (names, tool_says) in [
        (
            [
                "000001_create.up.sql",
                "000002_rename.up.sql",
                "000009_later.up.sql",
            ],
            "golang-migrate only migrates up from the database's version",
        ),
        (
            ["00001_create.sql", "00002_rename.sql", "00009_later.sql"],
            "goose refuses to migrate past missing (out-of-order) migrations",
        ),
    ] {
        let temp = tempfile::tempdir().expect("tempdir");
        let goose = !names[0].ends_with(".up.sql");
        let text = |sql: &str| {
            if goose {
                format!("-- +goose Up\n{sql}")
            } else {
                sql.to_string()
            }
        };
        std::fs::write(temp.path().join(names[0]), text(SHIPMENTS)).expect("write");
        let rename = "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n";
        std::fs::write(temp.path().join(names[1]), text(rename)).expect("write");
        std::fs::write(temp.path().join(names[2]), text("SELECT 1;\n")).expect("write");
        let (code, _, stderr) = lockstep(temp.path(), &["plan", names[1], "--write"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains(&format!("{} is newer than these phases", names[2]))
                && stderr.contains(tool_says),
            "{stderr}"
        );
        // No newer migration, no warning.
        let temp = tempfile::tempdir().expect("tempdir");
        std::fs::write(temp.path().join(names[0]), text(SHIPMENTS)).expect("write");
        std::fs::write(temp.path().join(names[1]), text(rename)).expect("write");
        let (code, _, stderr) = lockstep(temp.path(), &["plan", names[1], "--write"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(!stderr.contains("newer than these phases"), "{stderr}");
    }
}

/// goose: a planned statement inside a `StatementBegin` block with others is planned on
/// its own; none of the block's other statements, nor its markers, reach the phases
/// (issue 12).
#[test]
fn goose_plans_only_the_statement_of_its_block() {
    let temp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        temp.path().join("00001_create.sql"),
        format!("-- +goose Up\n{SHIPMENTS}"),
    )
    .expect("write");
    std::fs::write(
        temp.path().join("00002_change.sql"),
        "-- +goose Up\n-- +goose StatementBegin\nUPDATE shipments SET origin = 'x' WHERE origin = '';\nALTER TABLE shipments ADD CONSTRAINT co2_positive CHECK (co2_kg > 0);\nDELETE FROM shipments WHERE origin = 'gone';\n-- +goose StatementEnd\n",
    )
    .expect("write");
    let (code, stdout, stderr) = lockstep(temp.path(), &["plan", "00002_change.sql"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("ADD CONSTRAINT co2_positive CHECK (co2_kg > 0) NOT VALID;"),
        "{stdout}"
    );
    for other in [
        "UPDATE shipments",
        "DELETE FROM",
        "StatementBegin",
        "StatementEnd",
    ] {
        assert!(!stdout.contains(other), "{other} in {stdout}");
    }
}

/// A sqitch project in `dir`: its script folders, and `plan` as its `sqitch.plan`.
fn sqitch_project(dir: &Path, plan: &str) {
    for sub in ["deploy", "revert", "verify"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    std::fs::write(dir.join("sqitch.plan"), plan).expect("write");
}

/// The change names of `sqitch.plan` lines.
fn change_names<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect()
}

/// Each change of `names` has its deploy, revert and verify scripts in `dir`.
fn assert_scripts_exist(dir: &Path, names: &[&str]) {
    for name in names {
        for sub in ["deploy", "revert", "verify"] {
            assert!(
                dir.join(format!("{sub}/{name}.sql")).is_file(),
                "{sub}/{name}"
            );
        }
    }
}

/// sqitch: `--write` adds the phases as changes, appending to `sqitch.plan` and keeping every
/// byte the user wrote (a last line without its newline included); a change planned
/// already is refused, and `--force` keeps its line; the contract's change waits with its
/// plan line until `lockstep release` appends it; `check` names the pending folder once.
#[test]
fn sqitch_changes_are_appended_to_the_plan() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    let plan = "%syntax-version=1.0.0\n%project=shop\n\n# a comment of the user's\nshipments 2024-01-01T00:00:00Z Tess <tess@example.com> # Shipments.\nrename [shipments] 2024-01-02T00:00:00Z Tess <tess@example.com> # Rename.";
    sqitch_project(dir, plan);
    // The index gives the plan a CONCURRENTLY phase, which must run bare.
    let create = format!("{SHIPMENTS}CREATE INDEX shipments_co2 ON shipments (co2_kg);\n");
    std::fs::write(dir.join("deploy/shipments.sql"), create).expect("write");
    std::fs::write(
        dir.join("deploy/rename.sql"),
        "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
    )
    .expect("write");
    let (code, _, stderr) = lockstep(dir, &["plan", "deploy/rename.sql", "--write"]);
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(dir.join("sqitch.plan")).expect("read");
    let added = written
        .strip_prefix(plan)
        .expect("the user's bytes are kept");
    let lines: Vec<&str> = added.strip_prefix('\n').expect("newline").lines().collect();
    let names = change_names(&lines);
    assert_eq!(
        names,
        [
            "expand_shipments_co2_kg_to_emissions_kg",
            "backfill_shipments_co2_kg_to_emissions_kg",
            "build_index_shipments_co2_kg_to_emissions_kg"
        ],
        "{added}"
    );
    assert!(
        lines[1].starts_with(&format!("{} [{}] ", names[1], names[0])),
        "each phase requires the one before: {added}"
    );
    assert_scripts_exist(dir, &names);
    let expand =
        std::fs::read_to_string(dir.join(format!("deploy/{}.sql", names[0]))).expect("read");
    assert!(
        expand.contains("\nBEGIN;\n") && expand.contains("\nCOMMIT;\n"),
        "{expand}"
    );
    let build =
        std::fs::read_to_string(dir.join(format!("deploy/{}.sql", names[2]))).expect("read");
    assert!(
        build.contains("CONCURRENTLY") && !build.contains("BEGIN;"),
        "{build}"
    );

    // Planned already: refused, the plan untouched; `--force` keeps the lines there.
    let (code, _, stderr) = lockstep(dir, &["plan", "deploy/rename.sql", "--write"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("already exists") || stderr.contains("is planned already"),
        "{stderr}"
    );
    let (code, _, stderr) = lockstep(dir, &["plan", "deploy/rename.sql", "--write", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("sqitch.plan")).expect("read"),
        written
    );

    std::fs::write(dir.join("deploy/rename.sql"), "-- moved into the phases\n").expect("write");
    let (_, _, stderr) = lockstep(dir, &["check", "."]);
    assert_eq!(
        stderr
            .matches("holds phases of a plan for a later release")
            .count(),
        1,
        "{stderr}"
    );
    let pending = dir.join(".lockstep-pending/shipments_co2_kg_to_emissions_kg");
    let (code, _, stderr) = lockstep(dir, &["release", &pending.to_string_lossy()]);
    assert_eq!(code, 0, "{stderr}");
    let released = std::fs::read_to_string(dir.join("sqitch.plan")).expect("read");
    let last = released
        .strip_prefix(&written)
        .expect("appended")
        .trim_end();
    assert!(
        last.starts_with(&format!(
            "contract_shipments_co2_kg_to_emissions_kg [{}] ",
            names[2]
        )),
        "{last}"
    );
    assert!(dir
        .join("deploy/contract_shipments_co2_kg_to_emissions_kg.sql")
        .is_file());
}

/// sqitch: an index on a partitioned table is built on each partition in a phase of its
/// own; the phases of one kind are numbered, so every change has a name of its own and
/// requires the one before (sqitch's names, unlike versioned files, must differ).
#[test]
fn sqitch_names_each_partition_build_apart() {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    let plan = "%syntax-version=1.0.0\n%project=metrics\n\nreadings 2024-01-01T00:00:00Z Tess <tess@example.com> # Readings.\nindex [readings] 2024-01-02T00:00:00Z Tess <tess@example.com> # Index.\n";
    sqitch_project(dir, plan);
    std::fs::write(
        dir.join("deploy/readings.sql"),
        "CREATE TABLE readings (id bigint, at date NOT NULL, note text) PARTITION BY RANGE (at);\n\
         CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n\
         CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("deploy/index.sql"),
        "CREATE INDEX readings_note ON readings (note);\n",
    )
    .expect("write");
    let (code, _, stderr) = lockstep(dir, &["plan", "deploy/index.sql", "--write"]);
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(dir.join("sqitch.plan")).expect("read");
    let lines: Vec<&str> = written
        .strip_prefix(plan)
        .expect("appended")
        .lines()
        .collect();
    let names = change_names(&lines);
    assert_eq!(
        names,
        [
            "expand_readings_note",
            "build_index_readings_note_1",
            "build_index_readings_note_2",
            "attach_index_readings_note",
        ],
        "{written}"
    );
    for (line, before) in lines[1..].iter().zip(&names) {
        assert!(line.contains(&format!(" [{before}] ")), "{line}");
    }
    assert_scripts_exist(dir, &names);
}

/// Flyway Community ignores `U` undo files: by default each rollback is a `.sql.rollback`
/// file that Flyway never reads (not `.sql`), with its own BEGIN/COMMIT for psql, and
/// `--write` says so; `--flyway-undo` or `flyway_undo = true` writes `U` files instead.
#[test]
fn flyway_undo_files_are_opt_in() {
    let undo = "U2.1__expand_shipments_co2_kg_to_emissions_kg.sql";
    let by_hand = "V2.1__expand_shipments_co2_kg_to_emissions_kg.sql.rollback";
    for (config, flag, wants_undo) in [
        (None, None, false),
        (None, Some("--flyway-undo"), true),
        (Some("flyway_undo = true\n"), None, true),
        (Some("flyway-undo = false\n"), None, false),
    ] {
        let temp = tempfile::tempdir().expect("tempdir");
        std::fs::write(temp.path().join("V1__create.sql"), SHIPMENTS).expect("write");
        std::fs::write(
            temp.path().join("V2__rename.sql"),
            "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;\n",
        )
        .expect("write");
        if let Some(config) = config {
            std::fs::write(temp.path().join("lockstep.toml"), config).expect("write");
        }
        let mut args = vec!["plan", "V2__rename.sql", "--write"];
        args.extend(flag);
        let (code, _, stderr) = lockstep(temp.path(), &args);
        assert_eq!(code, 0, "{stderr}");
        let case = format!("{config:?} {flag:?}");
        assert_eq!(temp.path().join(undo).is_file(), wants_undo, "{case}");
        assert_eq!(temp.path().join(by_hand).is_file(), !wants_undo, "{case}");
        assert_eq!(
            stderr.contains("Flyway does not run them"),
            !wants_undo,
            "{case}: {stderr}"
        );
        if !wants_undo {
            let text = std::fs::read_to_string(temp.path().join(by_hand)).expect("read");
            assert!(
                text.contains("\nBEGIN;\n") && text.contains("\nCOMMIT;\n"),
                "{text}"
            );
            // lockstep reads it as the phase's rollback, which psql runs without a
            // transaction of its own.
            let discovery = lockstep::discover::discover(&lockstep::discover::DiscoverRequest {
                paths: vec![temp.path().to_path_buf()],
                ..Default::default()
            });
            let rollbacks: Vec<_> = discovery
                .sets
                .iter()
                .flat_map(|set| &set.files)
                .filter(|f| f.path.to_string_lossy().ends_with(".sql.rollback"))
                .collect();
            // Both phases' that deploy now, the last one's included.
            assert_eq!(rollbacks.len(), 2, "{rollbacks:?}");
            for found in rollbacks {
                assert_eq!(found.direction, lockstep::layout::Direction::Down);
                assert!(!found.transactional && found.report, "{found:?}");
            }
        }
    }
}

/// `plan --stats`: the backfill's batch size comes from the calibrated rate (50,000 rows,
/// about 0.2 s each, where the default is 10,000) and its header says so, with the
/// batches and the time they take on the table's 2 million rows.
#[test]
fn plans_with_stats_size_their_backfill_batches() {
    let temp = tempfile::tempdir().expect("tempdir");
    let stats = serde_json::json!({
        "lockstep_stats": 1,
        "server": { "product": "postgresql", "version": "15.8" },
        "tables": [{
            "schema": "public", "name": "shipments", "rows": 2_000_000,
            "heap_bytes": 200_000_000u64, "index_bytes": 0, "toast_bytes": 0,
            "partitions": [], "indexes": []
        }],
    });
    std::fs::write(temp.path().join("stats.json"), stats.to_string()).expect("write");
    let db = temp.path().join("db");
    std::fs::create_dir(&db).expect("mkdir");
    std::fs::write(db.join("V1__create.sql"), SHIPMENTS).expect("write");
    std::fs::write(db.join("V2__change.sql"), CASES[0].change).expect("write");
    let (code, _, stderr) = lockstep(
        temp.path(),
        &[
            "plan",
            "db/V2__change.sql",
            "--stats",
            "stats.json",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let files = written_files(&temp.path().join("out"), &[]);
    assert!(files.contains("LIMIT 50000"), "{files}");
    insta::assert_snapshot!("rename_column__with_stats", files);
}

/// The plan module does not use the command line's: `PlanArgs` lives in `plan::command` and
/// `write_atomically` in `write_file`, so the plan code builds without the CLI (the
/// markdown report renders plans through it).
#[test]
fn the_plan_module_does_not_import_the_cli() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut folders = vec![src.join("plan")];
    let mut files = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read src/plan") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files += 1;
                let text = std::fs::read_to_string(&path).expect("read a source file");
                assert!(
                    !text.contains("crate::cli") && !text.contains("super::cli"),
                    "{} uses the CLI module",
                    path.display()
                );
            }
        }
    }
    assert!(files > 10, "found only {files} files under src/plan");
    let cli = std::fs::read_to_string(src.join("cli.rs")).expect("read src/cli.rs");
    for definition in ["struct PlanArgs", "fn write_atomically"] {
        assert!(!cli.contains(definition), "src/cli.rs defines {definition}");
    }
}
