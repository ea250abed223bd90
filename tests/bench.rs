//! The benchmark still runs, in every shape, squawk comparison included (a stand-in squawk
//! here). Not a timed test: CI only checks that the benchmark runs; `bash bench/run.sh`
//! measures.

#[path = "../bench/child_usage.rs"]
mod child_usage;
#[path = "../bench/corpus.rs"]
mod corpus;
#[path = "../bench/measure.rs"]
mod measure;

use std::path::PathBuf;

#[cfg(unix)]
#[test]
fn the_benchmark_runs_every_shape_beside_squawk() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // Prints a version and an empty report, as squawk does for files it likes.
    let squawk = dir.path().join("squawk");
    std::fs::write(&squawk, "#!/bin/sh\necho 'squawk 0.0.0'\n").unwrap();
    std::fs::set_permissions(&squawk, std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = measure::Options {
        runs: 1,
        folders: 2,
        files_per_folder: 3,
        pr_files: 4,
        shapes: vec!["many".into(), "one".into(), "pr".into()],
        lockstep: PathBuf::from(env!("CARGO_BIN_EXE_lockstep")),
        squawk: Some(squawk),
        keep: Some(dir.path().join("corpora")),
    };
    measure::run(&options).unwrap();
    let pr = dir.path().join("corpora/pr/service_00/db/migration");
    let files = std::fs::read_dir(pr).unwrap().count();
    assert_eq!(
        files,
        4 + 3,
        "the pull request adds its files after the committed ones"
    );
}

#[test]
fn an_unknown_shape_is_refused() {
    let options = measure::Options {
        runs: 1,
        folders: 1,
        files_per_folder: 1,
        pr_files: 1,
        shapes: vec!["round".into()],
        lockstep: PathBuf::from(env!("CARGO_BIN_EXE_lockstep")),
        squawk: None,
        keep: None,
    };
    let error = measure::run(&options).unwrap_err();
    assert!(error.contains("unknown shape `round`"), "{error}");
}
