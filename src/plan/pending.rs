//! Phases that ship in a later release. `lockstep plan --write` puts the phases that may
//! deploy now into the migrations folder and keeps the rest (from the first phase that
//! waits for every instance to run the new release: a contract phase, or a constraint the
//! old release would break) out of it, in `<folder>/.lockstep-pending/<slug>/`: otherwise
//! Flyway, golang-migrate, goose or sqlx would apply them in the same deploy and drop a
//! column the running release still reads.
//!
//! The kept files end in `.pending`, so that no migration tool reads them, not even one
//! that scans the folder recursively (Flyway), and `release.toml` records how they were
//! numbered. Everything stays inside the migrations folder: nothing is written outside
//! the tree being worked on.
//! `lockstep release DIR` moves them into the folder when their release comes, numbered
//! after the newest migration there by then (file names and the names in their headers
//! alike), never over an existing file.

use super::render::{self, Convention, OutFile};
use super::PlanError;
use crate::discover::{discover, DiscoverRequest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The folder, inside a migrations folder, that holds its pending phases.
pub const PENDING_DIR: &str = ".lockstep-pending";
const MANIFEST: &str = "release.toml";
const SUFFIX: &str = ".pending";
const MIGRATIONS_FOLDER: &str = "../..";

/// What `release.toml` says about the pending files beside it.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// The migrations folder, relative to the pending folder: always `../..`.
    folder: String,
    convention: String,
    /// The versions the files were numbered with, in phase order.
    versions: Vec<String>,
    /// The files' names once released, in phase order.
    files: Vec<String>,
    /// Those of `files` whose lines are appended to the file of that name when released
    /// (sqitch's plan), not written as files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    append: Vec<String>,
}

/// Where the pending phases of a plan named `slug` for `folder` are kept.
pub fn pending_dir(folder: &Path, slug: &str) -> PathBuf {
    folder.join(PENDING_DIR).join(slug)
}

/// The files to keep pending, with the manifest that says where they go, as files to write
/// into `pending_dir(folder, slug)`.
pub fn pending_files(
    convention: Convention,
    versions: &[String],
    files: &[&OutFile],
) -> Result<Vec<OutFile>, PlanError> {
    // The plan lines of every kept phase wait in one file, in phase order.
    let mut kept: Vec<OutFile> = Vec::new();
    for file in files {
        match kept
            .iter_mut()
            .find(|k| k.role == render::Role::PlanEntry && k.name == file.name)
        {
            Some(entries) if file.role == render::Role::PlanEntry => {
                entries.text.push_str(&file.text)
            }
            _ => kept.push((*file).clone()),
        }
    }
    let manifest = Manifest {
        // From `<folder>/.lockstep-pending/<slug>` back to `<folder>`.
        folder: MIGRATIONS_FOLDER.to_string(),
        convention: convention.name().to_string(),
        versions: versions.to_vec(),
        files: kept.iter().map(|f| f.name.clone()).collect(),
        append: kept
            .iter()
            .filter(|f| f.role == render::Role::PlanEntry)
            .map(|f| f.name.clone())
            .collect(),
    };
    let text = toml::to_string(&manifest).map_err(|e| PlanError(e.to_string()))?;
    let mut out: Vec<OutFile> = kept
        .into_iter()
        .map(|f| OutFile {
            name: format!("{}{SUFFIX}", f.name),
            // Kept as a file of its own until released.
            role: render::Role::Up,
            ..f
        })
        .collect();
    out.push(OutFile {
        name: MANIFEST.to_string(),
        text: format!(
            "# Phases of a `lockstep plan` that deploy in a later release, once every\n# application instance runs the release the earlier phases were for.\n# Move them into the migrations folder with `lockstep release <this folder>`.\n{text}"
        ),
        role: render::Role::Config,
        phase: 0,
    });
    Ok(out)
}

/// The files of the pending folder `dir` as they go into their migrations folder:
/// renumbered after the newest version there when theirs are not newer, and that folder.
pub fn release(dir: &Path) -> Result<(PathBuf, Vec<OutFile>), PlanError> {
    let manifest_path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| PlanError(format!("{}: {e}", manifest_path.display())))?;
    let manifest: Manifest = toml::from_str(&text)
        .map_err(|e| PlanError(format!("{}: {e}", manifest_path.display())))?;
    let convention = Convention::from_name(&manifest.convention).ok_or_else(|| {
        PlanError(format!(
            "{}: unknown convention `{}`",
            manifest_path.display(),
            manifest.convention
        ))
    })?;
    // The names come from a file in the repository: plain file names, or `folder/file`
    // for the layouts with a folder per migration; nothing that climbs or hides.
    let plain = |part: &str| !part.is_empty() && !part.starts_with('.') && !part.contains('\\');
    if let Some(bad) = manifest.files.iter().find(|f| {
        let parts: Vec<&str> = f.split('/').collect();
        parts.len() > 2 || !parts.iter().all(|p| plain(p))
    }) {
        return Err(PlanError(format!(
            "{}: `{bad}` is not a file name",
            manifest_path.display()
        )));
    }
    if manifest.folder != MIGRATIONS_FOLDER {
        return Err(PlanError(format!(
            "{}: folder `{}` is not the folder holding {PENDING_DIR}",
            manifest_path.display(),
            manifest.folder
        )));
    }
    // `../..` from `<folder>/.lockstep-pending/<slug>`, spelled without the dots.
    let folder = dir
        .parent()
        .and_then(Path::parent)
        .filter(|f| !f.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let newest = newest_version(&folder);
    let renumbered: Vec<String> = match &newest {
        Some(newest) if !manifest.versions.iter().all(|v| newer(v, newest)) => {
            let distinct = manifest.versions.len();
            render::versions(convention, newest, distinct)?
        }
        _ => manifest.versions.clone(),
    };
    let rename = |text: &str| -> String {
        let mut text = text.to_string();
        for name in &manifest.files {
            text = text.replace(name, &renamed(name, &manifest.versions, &renumbered));
        }
        text
    };
    let mut files = Vec::new();
    for name in &manifest.files {
        let path = dir.join(format!("{name}{SUFFIX}"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| PlanError(format!("{}: {e}", path.display())))?;
        let role = if manifest.append.contains(name) {
            render::Role::PlanEntry
        } else {
            render::Role::Up
        };
        files.push(OutFile {
            name: renamed(name, &manifest.versions, &renumbered),
            text: rename(&text),
            role,
            phase: 0,
        });
    }
    Ok((folder, files))
}

/// Removes the pending folder once its files are in the migrations folder.
pub fn remove(dir: &Path) -> Result<(), PlanError> {
    std::fs::remove_dir_all(dir).map_err(|e| PlanError(format!("{}: {e}", dir.display())))
}

/// The pending folders of `folder` (for `lockstep check` to mention).
pub fn waiting_in(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder.join(PENDING_DIR)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|dir| {
            std::fs::read_to_string(dir.join(MANIFEST))
                .ok()
                .and_then(|text| toml::from_str::<Manifest>(&text).ok())
                .is_some_and(|m| m.folder == MIGRATIONS_FOLDER)
        })
        .collect();
    found.sort();
    found
}

/// `name` with its version (one of `old`) replaced by the one in the same place in `new`.
fn renamed(name: &str, old: &[String], new: &[String]) -> String {
    old.iter()
        .zip(new)
        .find(|(version, _)| starts_with_version(name, version))
        .map_or_else(
            || name.to_string(),
            |(version, replacement)| name.replacen(version.as_str(), replacement, 1),
        )
}

/// Whether the file name carries `version` right after its prefix letter, if any.
fn starts_with_version(name: &str, version: &str) -> bool {
    let digits = name.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    digits.strip_prefix(version).is_some_and(|rest| {
        rest.starts_with('_')
            || rest
                .strip_prefix('.')
                .is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// The newest version among the migrations of `folder`.
fn newest_version(folder: &Path) -> Option<String> {
    let discovery = discover(&DiscoverRequest {
        paths: vec![folder.to_path_buf()],
        ..DiscoverRequest::default()
    });
    discovery
        .sets
        .iter()
        .flat_map(|set| &set.files)
        .filter_map(|f| f.version.clone())
        .max_by(|a, b| version_order(a, b))
}

/// Versions compare run of digits by run of digits, as numbers: `2.10` after `2.9`,
/// `0009` equal to `9`, `1_2` to `1.2`, Diesel's `2024-01-15-103000` by date and time.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<u128> {
        v.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(u128::MAX))
            .collect()
    };
    parts(a).cmp(&parts(b))
}

fn newer(a: &str, b: &str) -> bool {
    version_order(a, b) == std::cmp::Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_renamed_in_place() {
        let old = ["000005".to_string(), "000006".to_string()];
        let new = ["000012".to_string(), "000013".to_string()];
        assert_eq!(
            renamed("000006_contract_x.down.sql", &old, &new),
            "000013_contract_x.down.sql"
        );
        let old = ["2.3".to_string()];
        let new = ["7.1".to_string()];
        assert_eq!(
            renamed("U2.3__contract_x.sql", &old, &new),
            "U7.1__contract_x.sql"
        );
        assert_eq!(renamed("V2.30__other.sql", &old, &new), "V2.30__other.sql");
        assert!(newer("2.10", "2.9") && !newer("2", "2"));
        assert!(newer("2024-01-15-103001", "2024-01-15-103000"));
        assert_eq!(
            renamed(
                "2024-01-15-103001_contract_x/up.sql",
                &["2024-01-15-103001".to_string()],
                &["2024-02-01-000001".to_string()]
            ),
            "2024-02-01-000001_contract_x/up.sql"
        );
    }
}
