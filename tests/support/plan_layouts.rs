//! The migration layouts `lockstep plan --write` is tested in, whatever the dialect, and the
//! `lockstep` runs those tests make.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// A layout: how to name the two starting files and how to mark their sections.
pub struct Layout {
    pub name: &'static str,
    /// The `--layout` the plan needs, where the files alone do not tell the layout.
    pub layout_flag: Option<&'static str>,
    pub create_name: &'static str,
    pub change_name: &'static str,
    pub wrap: fn(&str) -> String,
}

fn as_is(sql: &str) -> String {
    sql.to_string()
}

fn dbmate(sql: &str) -> String {
    format!("-- migrate:up\n{sql}\n-- migrate:down\n")
}

fn goose(sql: &str) -> String {
    format!("-- +goose Up\n{sql}")
}

pub const LAYOUTS: [Layout; 8] = [
    Layout {
        name: "flyway",
        layout_flag: None,
        create_name: "V1__create.sql",
        change_name: "V2__change.sql",
        wrap: as_is,
    },
    Layout {
        name: "golang-migrate",
        layout_flag: None,
        create_name: "000001_create.up.sql",
        change_name: "000002_change.up.sql",
        wrap: as_is,
    },
    Layout {
        name: "sqlx",
        layout_flag: Some("sqlx"),
        create_name: "000001_create.up.sql",
        change_name: "000002_change.up.sql",
        wrap: as_is,
    },
    Layout {
        name: "dbmate",
        layout_flag: None,
        create_name: "20240101000001_create.sql",
        change_name: "20240101000002_change.sql",
        wrap: dbmate,
    },
    Layout {
        name: "goose",
        layout_flag: None,
        create_name: "00001_create.sql",
        change_name: "00002_change.sql",
        wrap: goose,
    },
    Layout {
        name: "plain",
        layout_flag: None,
        create_name: "001_create.sql",
        change_name: "002_change.sql",
        wrap: as_is,
    },
    Layout {
        name: "diesel",
        layout_flag: None,
        create_name: "2024-01-15-103000_create/up.sql",
        change_name: "2024-01-15-104500_change/up.sql",
        wrap: as_is,
    },
    Layout {
        name: "prisma",
        layout_flag: None,
        create_name: "20240115103000_create/migration.sql",
        change_name: "20240115104500_change/migration.sql",
        wrap: as_is,
    },
];

impl Layout {
    /// Writes the layout's two starting files into `db`: `create`, then `change`.
    pub fn write_starting_files(&self, db: &Path, create: &str, change: &str) {
        for (name, sql) in [(self.create_name, create), (self.change_name, change)] {
            if let Some(folder) = db.join(name).parent() {
                std::fs::create_dir_all(folder).expect("mkdir");
            }
            std::fs::write(db.join(name), (self.wrap)(sql)).expect("write");
        }
    }
}

/// Runs `lockstep` in `dir`: its exit code, stdout and stderr.
pub fn lockstep(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("lockstep")
        .expect("binary")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run lockstep");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Releases the phases kept for later (`pending`, from `kept_for_later`), then checks that
/// the `db` folder of `dir` lints clean, not even a note; `context` names the case.
pub fn release_and_check(dir: &Path, pending: &[PathBuf], context: &str) {
    for folder in pending {
        let (code, _, stderr) = lockstep(dir, &["release", &folder.to_string_lossy()]);
        assert_eq!(code, 0, "{context}: {stderr}");
    }
    let (code, report, stderr) = lockstep(dir, &["check", "db", "--fail-on", "note"]);
    assert_eq!(
        code, 0,
        "{context}: lockstep check found:\n{report}{stderr}"
    );
}
