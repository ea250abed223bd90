//! Where `lockstep plan --write` puts a sqitch project's changes: the scripts go into the
//! folder holding `deploy/` (sqitch's `top_dir`), the plan lines into its plan file. That
//! file is `<top_dir>/sqitch.plan` unless `sqitch.conf` says otherwise (`plan_file`, in
//! `[core]` or in the `[engine "<engine>"]` section of `core.engine`, which wins), as in
//! a project made with `sqitch init --top-dir sql --plan-file sqitch.plan`, whose plan is
//! one folder above `deploy/`.
//!
//! `sqitch.conf` is input from the repository: its paths are followed only down from the
//! folder holding it, through real folders (no symbolic link, no `..`, nothing absolute),
//! so nothing is read or written outside the project.

use super::sqitch::PLAN_FILE;
use super::PlanError;
use std::path::{Component, Path, PathBuf};

const CONFIG_FILE: &str = "sqitch.conf";

/// A sqitch project's scripts folder and plan file.
#[derive(Debug, PartialEq, Eq)]
pub struct Project {
    /// The folder holding `deploy/`, `revert/` and `verify/`.
    pub top_dir: PathBuf,
    pub plan: PathBuf,
}

/// The project whose scripts folder is `top_dir` (the parent of the `deploy/` folder a
/// planned file is in): its own `sqitch.plan`, else the plan the `sqitch.conf` of the
/// folder above it (or of `top_dir` itself) names.
pub fn project(top_dir: &Path) -> Result<Project, PlanError> {
    let beside = top_dir.join(PLAN_FILE);
    if is_real_file(&beside) {
        return Ok(Project {
            top_dir: top_dir.to_path_buf(),
            plan: beside,
        });
    }
    // The folder above, spelled without `..`: only one the path given already names.
    let above = top_dir.parent().filter(|_| top_dir.file_name().is_some());
    let configs = above
        .into_iter()
        .chain([top_dir])
        .map(|dir| dir.join(CONFIG_FILE));
    for config in configs {
        if std::fs::symlink_metadata(&config).is_ok() {
            return from_config(&config, top_dir);
        }
    }
    Err(PlanError(format!(
        "{}: no sqitch.plan beside deploy/, and no sqitch.conf above it naming one, to add the changes to; use --out DIR with --layout sqitch",
        beside.display()
    )))
}

/// The project `config` describes, which must be the one whose scripts are in `top_dir`.
fn from_config(config: &Path, top_dir: &Path) -> Result<Project, PlanError> {
    if !is_real_file(config) {
        return Err(PlanError(format!(
            "{}: not a regular file (a link?); lockstep reads no configuration through it",
            config.display()
        )));
    }
    let text = std::fs::read_to_string(config)
        .map_err(|e| PlanError(format!("{}: cannot read: {e}", config.display())))?;
    let settings = Settings::parse(&text);
    let root = config.parent().unwrap_or(Path::new("."));
    for moved in ["deploy_dir", "revert_dir", "verify_dir"] {
        if let Some(setting) = settings.get(moved) {
            return Err(PlanError(format!(
                "{}:{}: {moved} moves sqitch's scripts away from top_dir; lockstep writes them only into top_dir's deploy/, revert/ and verify/: use --out DIR with --layout sqitch",
                config.display(),
                setting.line
            )));
        }
    }
    let configured_top = match settings.get("top_dir") {
        Some(setting) => inside(root, setting, config)?,
        None => root.to_path_buf(),
    };
    if !same_folder(&configured_top, top_dir) {
        let said = settings.get("top_dir").map_or_else(
            || "no top_dir".to_string(),
            |s| format!("top_dir `{}`", s.value.escape_default()),
        );
        return Err(PlanError(format!(
            "{}: says {said}, but the planned file's deploy/ is in {}; use --out DIR with --layout sqitch",
            config.display(),
            top_dir.display()
        )));
    }
    let plan = match settings.get("plan_file") {
        Some(setting) => inside(root, setting, config)?,
        None => configured_top.join(PLAN_FILE),
    };
    if !is_real_file(&plan) {
        return Err(PlanError(format!(
            "{}: the plan {} names is not a regular file; use --out DIR with --layout sqitch",
            plan.display(),
            config.display()
        )));
    }
    Ok(Project {
        top_dir: top_dir.to_path_buf(),
        plan,
    })
}

/// `setting`'s path under `root`: plain names only, through folders that are no links.
fn inside(root: &Path, setting: &Setting, config: &Path) -> Result<PathBuf, PlanError> {
    let refuse = |why: &str| {
        Err(PlanError(format!(
            "{}:{}: {} `{}` {why}; lockstep reads and writes only inside the project",
            config.display(),
            setting.line,
            setting.key,
            setting.value.escape_default()
        )))
    };
    let relative = Path::new(&setting.value);
    if setting.value.is_empty() || relative.has_root() {
        return refuse("is not a path below the folder holding sqitch.conf");
    }
    let mut path = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::CurDir => continue,
            Component::Normal(name) => path.push(name),
            _ => return refuse("points outside the folder holding sqitch.conf"),
        }
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return refuse("goes through a symbolic link");
        }
    }
    Ok(path)
}

/// Whether `a` and `b` are one folder (both exist).
fn same_folder(a: &Path, b: &Path) -> bool {
    let canonical = |p: &Path| {
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        std::fs::canonicalize(p).ok()
    };
    matches!((canonical(a), canonical(b)), (Some(a), Some(b)) if a == b)
}

fn is_real_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// One `key = value` of `sqitch.conf`, and the line it is on.
#[derive(Debug)]
struct Setting {
    key: String,
    value: String,
    line: usize,
}

/// The settings of `sqitch.conf` (git's config format) that place a project's files:
/// those of `[core]`, overridden by those of `[engine "<core.engine>"]`.
struct Settings {
    core: Vec<Setting>,
    engine: Vec<(String, Setting)>,
}

impl Settings {
    fn parse(text: &str) -> Settings {
        let mut settings = Settings {
            core: Vec::new(),
            engine: Vec::new(),
        };
        let mut section = String::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(header) = line.strip_prefix('[') {
                section = header
                    .split_once(']')
                    .map(|(name, _)| name.trim().to_string())
                    .unwrap_or_default();
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            if key.starts_with(['#', ';']) {
                continue;
            }
            let setting = Setting {
                key,
                value: config_value(value),
                line: index + 1,
            };
            let (kind, name) = section
                .split_once(char::is_whitespace)
                .map_or((section.as_str(), ""), |(kind, name)| (kind, name.trim()));
            match kind.to_ascii_lowercase().as_str() {
                "core" if name.is_empty() => settings.core.push(setting),
                "engine" => {
                    let engine = name.trim_matches('"').to_string();
                    settings.engine.push((engine, setting));
                }
                _ => {}
            }
        }
        settings
    }

    /// The last value of `key` in `[engine "<core.engine>"]`, else in `[core]`.
    fn get(&self, key: &str) -> Option<&Setting> {
        let last_core = |key: &str| self.core.iter().rev().find(|s| s.key == key);
        let engine = last_core("engine").map(|s| s.value.as_str());
        self.engine
            .iter()
            .rev()
            .find(|(name, s)| Some(name.as_str()) == engine && s.key == key)
            .map(|(_, s)| s)
            .or_else(|| last_core(key))
    }
}

/// A value as git's config format reads it: quotes removed, `\"` and `\\` unescaped, a
/// `#` or `;` outside quotes starting a comment, outer blanks trimmed.
fn config_value(raw: &str) -> String {
    let mut value = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => {
                if let Some(escaped) = chars.next() {
                    value.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
            }
            '#' | ';' if !quoted => break,
            c => value.push(c),
        }
    }
    value.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn config_values_follow_gits_format() {
        assert_eq!(config_value(" sql # the scripts"), "sql");
        assert_eq!(config_value("\"my sql\" ; x"), "my sql");
        assert_eq!(config_value("a\\\"b"), "a\"b");
        let settings = Settings::parse(
            "[core]\n\tengine = pg\n\ttop_dir = sql\n# plan_file = x\n[engine \"pg\"]\n\tplan_file = sqitch.plan\n[engine \"mysql\"]\n\tplan_file = other.plan\n",
        );
        assert_eq!(settings.get("top_dir").unwrap().value, "sql");
        assert_eq!(settings.get("plan_file").unwrap().value, "sqitch.plan");
        assert_eq!(settings.get("plan_file").unwrap().line, 6);
    }

    #[test]
    fn a_plan_above_deploy_is_found_through_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            &root.join(CONFIG_FILE),
            "[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = sql\n",
        );
        write(&root.join("sqitch.plan"), "%project=x\n");
        write(&root.join("sql/deploy/a.sql"), "");
        let found = project(&root.join("sql")).unwrap();
        assert_eq!(found.plan, root.join("sqitch.plan"));
    }

    #[test]
    fn paths_leaving_the_project_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        write(&dir.path().join("outside.plan"), "%project=x\n");
        write(&root.join("sql/deploy/a.sql"), "");
        for (setting, why) in [
            ("plan_file = ../outside.plan", "points outside"),
            ("plan_file = /etc/passwd", "is not a path below"),
            ("top_dir = ../project/sql", "points outside"),
            ("deploy_dir = sql/deploy", "moves sqitch's scripts"),
            ("top_dir = other", "the planned file's deploy/ is in"),
        ] {
            write(
                &root.join(CONFIG_FILE),
                &format!("[core]\n\ttop_dir = sql\n\t{setting}\n"),
            );
            let error = project(&root.join("sql")).unwrap_err().0;
            assert!(error.contains(why), "{setting}: {error}");
            assert!(
                error.contains("sqitch.conf:3") || why.contains("deploy/ is in"),
                "{error}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        write(&dir.path().join("elsewhere/sqitch.plan"), "%project=x\n");
        write(&root.join("sql/deploy/a.sql"), "");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), root.join("plans")).unwrap();
        write(
            &root.join(CONFIG_FILE),
            "[core]\n\ttop_dir = sql\n\tplan_file = plans/sqitch.plan\n",
        );
        let error = project(&root.join("sql")).unwrap_err().0;
        assert!(error.contains("symbolic link"), "{error}");

        std::os::unix::fs::symlink(root.join("sql"), root.join("linked")).unwrap();
        write(&root.join(CONFIG_FILE), "[core]\n\ttop_dir = linked\n");
        let error = project(&root.join("sql")).unwrap_err().0;
        assert!(error.contains("symbolic link"), "{error}");

        std::fs::remove_file(root.join(CONFIG_FILE)).unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("elsewhere/sqitch.plan"),
            root.join(CONFIG_FILE),
        )
        .unwrap();
        let error = project(&root.join("sql")).unwrap_err().0;
        assert!(error.contains("not a regular file"), "{error}");
    }
}
