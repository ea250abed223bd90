//! Folders shaped like real projects' migrations (written for lockstep, in the shapes the
//! real-folders issue names): what lockstep reports on each, one line per finding, as a
//! snapshot. Each folder shows a class that once went wrong:
//! - `pop`: one migration set per dialect side by side (`NAME.postgres.up.sql`,
//!   `NAME.mysql.up.sql`, ...): each file is linted as its own dialect, files for servers
//!   lockstep does not lint get one note;
//! - `authelia`: `V<NNNN>.<Name>.up.sql` with `.down.sql` beside it: a down file is rollback
//!   code that runs after its up file and is relaxed about what that file created;
//! - `prisma`: camel-case quoted names and `ON DELETE` actions: advice keeps both;
//! - `flowable`: an alternative upgrade path re-creates a table, and a reset truncates one
//!   in the transaction that then alters it: neither table holds rows, so no lock finding.

use lockstep::config::Settings;
use lockstep::dialect::Dialect;
use lockstep::engine::check;
use std::path::Path;

fn findings(folder: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus");
    let mut settings = Settings::new(Dialect::Postgres);
    settings.paths = vec![root.join(folder)];
    let report = check(&settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .findings()
        .map(|(file, f)| {
            let name = file.path.strip_prefix(&root).unwrap_or(&file.path);
            let mut line = format!(
                "{} {} [{}] {}",
                name.display(),
                f.severity,
                f.rule.id,
                f.message
            );
            if let Some(help) = &f.help {
                line.push_str(&format!("\n    help: {help}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn pop_sets_are_linted_per_dialect() {
    insta::assert_snapshot!(findings("pop"));
}

#[test]
fn authelia_down_files_are_relaxed_rollbacks() {
    let found = findings("authelia");
    assert!(!found.contains("error [drop-table]"), "{found}");
    insta::assert_snapshot!(found);
}

#[test]
fn prisma_advice_keeps_quotes_and_actions() {
    let found = findings("prisma");
    assert!(found.contains("\"ProjectAlert\""), "{found}");
    insta::assert_snapshot!(found);
}

#[test]
fn flowable_recreated_and_truncated_tables_hold_no_rows() {
    let found = findings("flowable");
    for quiet in ["create-index-non-concurrently", "change-column-type"] {
        assert!(!found.contains(quiet), "{found}");
    }
    insta::assert_snapshot!(found);
}
