//! Reading a file that a stranger may have committed. A `.sql` name promises nothing: it
//! can be a FIFO (reading it waits forever for a writer), a link to `/dev/zero` (endless),
//! or simply huge. Only regular files are read, and only up to a size limit.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

/// The default of `max-file-size`: far above any hand-written migration, and above the
/// largest generated dumps lockstep is tested on (50 MB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("skipped: not a regular file but {0}")]
    NotRegular(&'static str),
    #[error("skipped: {size} bytes, over the max-file-size limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
}

/// The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    check(&std::fs::metadata(path)?, limit)?;
    let file = open_nonblocking(path)?;
    // Checked again on what was opened, in case the name was swapped in between.
    let size = check(&file.metadata()?, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // One byte past the limit tells a file that grew after the check.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    if read > limit {
        return Err(ReadError::TooLarge { size: read, limit });
    }
    Ok(bytes)
}

/// The file's size, when it is a regular file within `limit`.
fn check(meta: &Metadata, limit: u64) -> Result<u64, ReadError> {
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular(kind(meta)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(meta.len())
}

fn kind(meta: &Metadata) -> &'static str {
    let file_type = meta.file_type();
    if file_type.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Opened so that a FIFO swapped in after the check cannot block the open; reads from a
/// regular file are unaffected by the flag.
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("V1.sql");
        std::fs::write(&path, "SELECT 1;\n").unwrap();
        assert_eq!(read_file(&path, 100).unwrap(), b"SELECT 1;\n");
        assert_eq!(read_file(&path, 10).unwrap(), b"SELECT 1;\n");
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("V1.sql");
        std::fs::write(&path, "SELECT 1;\n").unwrap();
        let err = read_file(&path, 9).unwrap_err();
        assert!(
            matches!(err, ReadError::TooLarge { size: 10, limit: 9 }),
            "{err}"
        );
    }

    #[test]
    fn devices_and_folders_are_not_read() {
        // /dev/zero never ends: reading it would fill memory.
        let err = read_file(Path::new("/dev/zero"), u64::MAX).unwrap_err();
        assert_eq!(err.to_string(), "skipped: not a regular file but a device");
        let dir = tempfile::tempdir().unwrap();
        let err = read_file(dir.path(), u64::MAX).unwrap_err();
        assert_eq!(err.to_string(), "skipped: not a regular file but a folder");
    }
}
