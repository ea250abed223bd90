//! Writing the files lockstep produces (reports, phase files, a config): never over a
//! file the user did not ask to replace, never through a link planted in the repository,
//! and never half-written.

use std::io::Write;
use std::path::Path;

/// Refuses to write over `path` unless it is absent, or a regular file and `force` is set:
/// a symlink, device or FIFO at that name (perhaps committed by a stranger) is never
/// replaced, and an existing report is never lost to a mistyped path.
pub fn check_replaceable(path: &Path, force: bool) -> Result<(), String> {
    // `symlink_metadata`: a link is judged as itself, not by what it points to.
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: cannot write: {e}", path.display())),
        Ok(meta) if !meta.file_type().is_file() => Err(format!(
            "{} exists and is not a regular file; refusing to replace it",
            path.display()
        )),
        Ok(_) if !force => Err(format!(
            "{} already exists; pass --force to replace it",
            path.display()
        )),
        Ok(_) => Ok(()),
    }
}

/// Writes `bytes` to a new, randomly named file beside `path` (created exclusively, so a
/// planted symlink cannot redirect it), then renames it over `path`, so a reader never
/// sees half a file. A replaced file keeps its permissions; see [`check_replaceable`].
pub fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<(), String> {
    check_replaceable(path, force)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let failed = |e: std::io::Error| format!("{}: cannot write: {e}", path.display());
    let mut temp = temp_file_in(dir).map_err(failed)?;
    temp.write_all(bytes).map_err(failed)?;
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file()
            .set_permissions(meta.permissions())
            .map_err(failed)?;
    }
    temp.as_file().sync_all().map_err(failed)?;
    // On failure the temporary file is removed when `temp` drops.
    temp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// A temporary file with the permissions a plain create would give (0666 less the umask),
/// not the owner-only default of temporary files: reports and phase files are shared.
fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".lockstep-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn atomic_writes_ignore_a_symlink_planted_at_a_guessable_name() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        // The name the writer once used: a stranger could commit a link there.
        let planted = format!(".report.json.lockstep-{}.tmp", std::process::id());
        symlink(&victim, dir.path().join(planted)).unwrap();
        let report = dir.path().join("report.json");
        write_atomically(&report, b"{}", false).unwrap();
        assert_eq!(std::fs::read_to_string(&report).unwrap(), "{}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".lockstep-"))
            .count();
        assert_eq!(
            leftovers, 0,
            "the temporary file is renamed, not left behind"
        );
    }
}
