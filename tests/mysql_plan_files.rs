//! `lockstep plan --write` for MySQL in every layout it writes: the files (snapshots), and
//! `lockstep check` on the folder afterwards finds nothing in them, not even a note.

mod support;

use support::plan_files::{kept_for_later, written_files};
use support::plan_layouts::{lockstep, release_and_check, LAYOUTS};

/// A migration that creates the tables, and the statement to plan.
struct Case {
    name: &'static str,
    create: &'static str,
    change: &'static str,
}

const TABLES: &str = "CREATE TABLE customers (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(50) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE orders (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id BIGINT UNSIGNED,
    sku VARCHAR(40),
    amount INT NOT NULL DEFAULT 0,
    co2_kg DECIMAL(10,2) NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
";

const CASES: [Case; 5] = [
    Case {
        name: "rename_not_null_column",
        create: TABLES,
        change: "ALTER TABLE orders RENAME COLUMN co2_kg TO emissions_kg;\n",
    },
    Case {
        name: "add_not_null_column_with_default",
        create: TABLES,
        change: "ALTER TABLE orders ADD COLUMN score DECIMAL(5,2) NOT NULL DEFAULT 50.00;\n",
    },
    Case {
        name: "change_column_type",
        create: TABLES,
        change: "ALTER TABLE orders MODIFY amount BIGINT NOT NULL DEFAULT 0;\n",
    },
    Case {
        name: "add_index",
        create: TABLES,
        change: "CREATE INDEX orders_sku_idx ON orders (sku);\n",
    },
    Case {
        name: "add_foreign_key",
        create: TABLES,
        change: "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);\n",
    },
];

/// The layouts `lockstep plan` writes MySQL plans in.
const MYSQL_LAYOUTS: [&str; 5] = ["flyway", "golang-migrate", "dbmate", "goose", "plain"];

#[test]
fn mysql_plans_are_written_in_each_layout_and_pass_check() {
    for case in &CASES {
        for layout in LAYOUTS.iter().filter(|l| MYSQL_LAYOUTS.contains(&l.name)) {
            let temp = tempfile::tempdir().expect("tempdir");
            std::fs::write(temp.path().join("lockstep.toml"), "dialect = \"mysql\"\n")
                .expect("write");
            let db = temp.path().join("db");
            layout.write_starting_files(&db, case.create, case.change);
            let change = format!("db/{}", layout.change_name);
            let (code, _, stderr) = lockstep(temp.path(), &["plan", change.as_str(), "--write"]);
            assert_eq!(code, 0, "{} / {}: {stderr}", case.name, layout.name);

            // The plan replaces the statement: without it, the folder must lint clean.
            std::fs::remove_file(db.join(layout.change_name)).expect("remove");
            let mut files = written_files(&db, &[layout.create_name]);
            let (kept, pending) = kept_for_later(&db);
            files.push_str(&kept);
            insta::assert_snapshot!(format!("mysql__{}__{}", case.name, layout.name), files);
            release_and_check(
                temp.path(),
                &pending,
                &format!("{} / {}", case.name, layout.name),
            );
        }
    }
}

#[test]
fn mysql_plans_refuse_what_they_cannot_do_safely() {
    let temp = tempfile::tempdir().expect("tempdir");
    std::fs::write(temp.path().join("001_create.sql"), TABLES).expect("write");
    let plan = |change: &str, extra: &[&str]| {
        std::fs::write(temp.path().join("002_change.sql"), change).expect("write");
        let mut args = vec!["plan", "002_change.sql", "--dialect", "mysql"];
        args.extend(extra);
        lockstep(temp.path(), &args)
    };
    let (code, _, stderr) = plan(
        "ALTER TABLE orders ADD COLUMN score DECIMAL(5,2) NOT NULL;\n",
        &[],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("NOT NULL without a default"), "{stderr}");

    // FULLTEXT blocks writes: the plan names the online schema-change tools instead.
    let (code, _, stderr) = plan(
        "CREATE FULLTEXT INDEX orders_sku_ft ON orders (sku);\n",
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("gh-ost") && stderr.contains("pt-online-schema-change"),
        "{stderr}"
    );

    let (code, _, stderr) = plan(
        "ALTER TABLE orders RENAME COLUMN co2_kg TO emissions_kg;\n",
        &["--target-version", "5.7"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("MySQL 8.0 and later"), "{stderr}");

    let (code, _, stderr) = plan(
        "ALTER TABLE orders RENAME COLUMN co2_kg TO emissions_kg;\n",
        &["--layout", "sqlx"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("use one of those"), "{stderr}");
}
