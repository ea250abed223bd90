//! What `lockstep --version` says: the release, the commit it was built from, and the
//! server versions it models, so a bug report carries all three.

use std::sync::LazyLock;

/// The commit, when the build knew it (see `build.rs`).
pub const COMMIT: Option<&str> = option_env!("LOCKSTEP_COMMIT");

/// The text after `lockstep ` for `--version` (`-V` prints only the release).
pub static LONG: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (commit {})\nservers: {}",
        env!("CARGO_PKG_VERSION"),
        COMMIT.unwrap_or("unknown"),
        crate::config::supported_versions()
    )
});
