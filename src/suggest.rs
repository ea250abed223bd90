//! "Did you mean": the known name closest to a mistyped one, for rule ids in ignore
//! comments, `[rules]` and `lockstep explain`.

/// How alike two names must be (Jaro-Winkler, 0 to 1) to be offered; clap uses the same
/// bar for its subcommand suggestions, so a guess is offered only when it is a likely typo.
const SIMILAR_ENOUGH: f64 = 0.8;

/// The candidate most like `word`, when one is alike enough to be a typo of it.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score >= SIMILAR_ENOUGH)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// `" (did you mean `x`?)"` when a candidate is close to `word`, else nothing: appended
/// right after the unknown `word` in a message.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|candidate| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_name_it_misspells() {
        let names = ["drop-column", "drop-table", "rename-column"];
        assert_eq!(closest("drop-colum", names), Some("drop-column"));
        assert_eq!(closest("rename-columns", names), Some("rename-column"));
    }

    #[test]
    fn an_unrelated_word_gets_no_guess() {
        assert_eq!(closest("banana", ["drop-column", "drop-table"]), None);
        assert_eq!(hint("banana", ["drop-column"]), "");
    }
}
