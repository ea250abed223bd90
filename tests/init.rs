//! `lockstep init`: the folders and dialect it finds, the file it writes, and that it never
//! replaces one without `--force`.

use assert_cmd::Command;
use std::path::Path;

fn lockstep(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("lockstep").unwrap();
    cmd.current_dir(dir);
    cmd
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn init_writes_the_folders_and_dialect_it_finds_and_check_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("services/billing/migrations");
    write(
        &migrations.join("1_create_invoices.up.sql"),
        "CREATE TABLE invoices (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;\n",
    );
    write(
        &migrations.join("1_create_invoices.down.sql"),
        "DROP TABLE invoices;\n",
    );
    write(
        &migrations.join("2_add_total.up.sql"),
        "ALTER TABLE invoices ADD COLUMN total INT UNSIGNED NOT NULL;\n",
    );
    let out = lockstep(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let config = std::fs::read_to_string(dir.path().join("lockstep.toml")).unwrap();
    assert!(config.contains("\ndialect = \"mysql\"\n"), "{config}");
    assert!(
        config.contains("\npaths = [\"services/billing/migrations\"]\n"),
        "{config}"
    );
    assert!(config.contains("golang-migrate, 3 files"), "{config}");
    // With no paths, check lints the configured folder as MySQL.
    let out = lockstep(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 3, "{json}");
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.iter().any(|r| r.starts_with("mysql-")), "{rules:?}");
}

#[test]
fn init_never_replaces_a_config_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lockstep.toml");
    std::fs::write(&config, "dialect = \"mysql\"\n").unwrap();
    let out = lockstep(dir.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "dialect = \"mysql\"\n"
    );
    let out = lockstep(dir.path())
        .args(["init", "--force", "--dialect", "postgres"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.contains("\ndialect = \"postgres\"\n"), "{written}");
    assert!(
        written.contains("# paths = [\"db/migrations\"]"),
        "no folder found, so the key is a commented example: {written}"
    );
}
