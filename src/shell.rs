//! Words for the shell commands lockstep prints (`lockstep plan FILE`, `pt-online-schema-change
//! ... --alter '...'`): each argument one word that names exactly what it should, whatever
//! its characters.

use std::path::Path;

/// `text` as one shell word: as it is when it has no special characters, else in single
/// quotes; a control character (a line break in a name) is written with `$'...'` escapes,
/// so a printed command is one line that runs as shown.
pub fn shell_word(text: &str) -> String {
    shell_bytes(text.as_bytes())
}

/// A path as one shell word, from its own bytes: a name that is not UTF-8 is written with
/// `$'...'` escapes, so the command names the file that exists, not its lossy rendering.
pub fn shell_path(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    shell_bytes(&bytes)
}

fn shell_bytes(bytes: &[u8]) -> String {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_./-+,:@=".contains(b);
    if !bytes.is_empty() && bytes.iter().all(plain) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => {
            format!("'{}'", text.replace('\'', "'\\''"))
        }
        _ => ansi_c_quoted(bytes),
    }
}

/// bash's (and zsh's) `$'...'`: printable ASCII as it is, every other byte as `\xHH`.
fn ansi_c_quoted(bytes: &[u8]) -> String {
    let mut word = String::from("$'");
    for &byte in bytes {
        match byte {
            b'\'' | b'\\' => {
                word.push('\\');
                word.push(byte as char);
            }
            0x20..=0x7e => word.push(byte as char),
            _ => word.push_str(&format!("\\x{byte:02x}")),
        }
    }
    word.push('\'');
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_as_they_are_and_others_are_quoted() {
        assert_eq!(shell_word("orders"), "orders");
        assert_eq!(shell_word("D=shop,t=orders"), "D=shop,t=orders");
        assert_eq!(shell_word("db/V1__a.sql"), "db/V1__a.sql");
        assert_eq!(shell_word("<database>"), "'<database>'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("café"), "'café'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn control_characters_are_escaped_onto_one_line() {
        assert_eq!(shell_word("a\nb"), "$'a\\x0ab'");
        assert_eq!(shell_word("x'\\\u{1b}"), "$'x\\'\\\\\\x1b'");
    }

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_keeps_its_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"db/caf\xe9.sql"));
        assert_eq!(shell_path(path), "$'db/caf\\xe9.sql'");
    }
}
