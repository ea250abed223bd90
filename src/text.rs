//! Searches in migration text that copy nothing: discovery, the parser and the report ask
//! them of every file.

/// Whether `text` holds `needle` in any ASCII case.
pub fn contains_ignore_ascii_case(text: &str, needle: &str) -> bool {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    // Only where the first letter is, in either case: comparing at every byte of every
    // file was about 1.5% of a one-folder run's work.
    memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), text).any(|at| {
        text.get(at..at + needle.len())
            .is_some_and(|window| window.eq_ignore_ascii_case(needle))
    })
}

#[cfg(test)]
mod tests {
    use super::contains_ignore_ascii_case as contains;

    #[test]
    fn a_needle_is_found_in_any_case_anywhere_in_the_text() {
        assert!(contains("SET LOCK_TIMEOUT = '2s';", "lock_timeout"));
        assert!(contains("set lock_timeout", "lock_timeout"));
        assert!(contains("-- lock_time\nSET Lock_Timeout", "lock_timeout"));
        assert!(contains("-- +GOOSE Up", "+goose"));
        assert!(contains("x", ""));
        assert!(!contains("SET lock_time", "lock_timeout"));
        assert!(!contains("SET lock_wait_timeout = 5;", "lock_timeout"));
        assert!(!contains("-- goose Up", "+goose"));
        assert!(!contains("", "lock_timeout"));
    }
}
