//! Masking of template placeholders before parsing.
//!
//! Migration tools substitute placeholders such as `{{ .Schema }}` (Go templates),
//! `${schema}` (Flyway) or `{$NAMESPACE}` (PHP runners) before running a file, and they sit
//! where an identifier goes. Neither `sqlparser` nor the fallback can read them, so each one is
//! replaced by an identifier of exactly the same byte length: every span found in the masked
//! text is then also a span of the original text.
//!
//! The replacement is `x_` followed by the placeholder's ASCII letters and digits, every other
//! byte becoming `_` (`${schema}` -> `x_schema_`). It is a valid unquoted identifier in both
//! dialects, and distinct placeholders usually stay distinct names in the replayed schema.
//! Placeholders are masked everywhere, comments and strings included: the length is unchanged,
//! so doing so is harmless.

/// Longest `${...}` / `{$...}` placeholder considered; longer brace runs are left alone.
const MAX_SHORT_PLACEHOLDER: usize = 200;

/// Replace template placeholders by identifiers of exactly the same byte length, so that spans
/// stay exact: Go templates `{{ ... }}` (may contain spaces, quotes, dots), `${name}` and
/// `{$NAME}` (Flyway / PHP style). Returns `None` when the text has none (no allocation).
pub fn mask(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let placeholders = placeholder_ranges(bytes);
    if placeholders.is_empty() {
        return None;
    }
    let mut out = bytes.to_vec();
    for range in placeholders {
        write_identifier(&mut out[range.clone()], &bytes[range]);
    }
    // Only ASCII replaced whole placeholders that start and end on ASCII braces, so the
    // result is valid UTF-8; the fallible conversion keeps that reasoning checked.
    String::from_utf8(out).ok()
}

/// Each placeholder of `text` as `(the identifier it is masked as, the placeholder as
/// written)`, so that what lockstep prints can show the placeholder, not the mask.
pub fn masked_names(text: &str) -> Vec<(String, String)> {
    let bytes = text.as_bytes();
    placeholder_ranges(bytes)
        .into_iter()
        .filter_map(|range| {
            let mut masked = bytes[range.clone()].to_vec();
            write_identifier(&mut masked, &bytes[range.clone()]);
            Some((
                String::from_utf8(masked).ok()?,
                text.get(range)?.to_string(),
            ))
        })
        .collect()
}

/// The byte ranges of the placeholders in `bytes`, in order.
fn placeholder_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    // Every form holds a `{`: one search of the bytes settles almost every statement, which
    // the byte-by-byte walk below took 4% of a run's instructions to settle.
    if !bytes.contains(&b'{') {
        return Vec::new();
    }
    // Past the last `}}` no Go template can close: stops a quadratic search on unclosed `{{`.
    let last_close = find_last(bytes, b"}}");
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match placeholder_len(bytes, i, last_close) {
            Some(len) => {
                ranges.push(i..i + len);
                i += len;
            }
            None => i += 1,
        }
    }
    ranges
}

/// The byte length of the placeholder starting at `start`, if one does.
fn placeholder_len(bytes: &[u8], start: usize, last_close: Option<usize>) -> Option<usize> {
    let rest = bytes.get(start..)?;
    if rest.starts_with(b"{{") {
        if last_close? < start + 2 {
            return None;
        }
        let close = find(rest.get(2..)?, b"}}")?;
        Some(close + 4)
    } else if rest.starts_with(b"${") || rest.starts_with(b"{$") {
        let inner = rest.get(2..)?;
        let close = inner
            .iter()
            .take(MAX_SHORT_PLACEHOLDER)
            .position(|&b| b == b'}' || b == b'{' || b == b'\n')?;
        let closed_by_brace = inner.get(close) == Some(&b'}');
        (closed_by_brace && close > 0).then_some(close + 3)
    } else {
        None
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn write_identifier(out: &mut [u8], placeholder: &[u8]) {
    for (index, (slot, &original)) in out.iter_mut().zip(placeholder).enumerate() {
        *slot = if index == 0 {
            b'x'
        } else if original.is_ascii_alphanumeric() {
            original
        } else {
            b'_'
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masked_names_pair_each_mask_with_the_placeholder_as_written() {
        assert_eq!(
            masked_names("ALTER TABLE {{ .Schema }}.t, ${x}.u"),
            [
                ("x___Schema___".to_string(), "{{ .Schema }}".to_string()),
                ("x_x_".to_string(), "${x}".to_string())
            ]
        );
        assert!(masked_names("SELECT 1").is_empty());
        // As written, line break included: a fix applies it as SQL; what is printed is
        // escaped with the rest of the finding (`Finding::escape_controls`).
        assert_eq!(masked_names("{{\n.S }}")[0].1, "{{\n.S }}");
    }

    #[test]
    fn text_without_placeholders_is_not_copied() {
        assert_eq!(mask("ALTER TABLE users ADD COLUMN a int"), None);
        assert_eq!(mask("SELECT '{' || $1 || '}'"), None);
        assert_eq!(mask("SELECT '${}' , '{$}'"), None);
    }

    #[test]
    fn go_template_becomes_an_identifier_of_the_same_length() {
        let sql =
            r#"CREATE INDEX IF NOT EXISTS idx ON {{ index .Options "Namespace" }}.users (email)"#;
        let masked = mask(sql).unwrap();
        assert_eq!(masked.len(), sql.len());
        assert_eq!(
            masked,
            "CREATE INDEX IF NOT EXISTS idx ON x__index__Options__Namespace____.users (email)"
        );
    }

    #[test]
    fn flyway_and_php_placeholders() {
        assert_eq!(
            mask("ALTER TABLE ${schema}.t ADD c int").unwrap(),
            "ALTER TABLE x_schema_.t ADD c int"
        );
        assert_eq!(
            mask("ALTER TABLE {$NAMESPACE}_user.user ADD c int").unwrap(),
            "ALTER TABLE x_NAMESPACE__user.user ADD c int"
        );
        assert_eq!(
            mask("SET search_path = ${flyway:defaultSchema}").unwrap(),
            "SET search_path = x_flyway_defaultSchema_"
        );
    }

    #[test]
    fn several_placeholders_and_non_ascii_content() {
        let sql = "UPDATE {{.Tablé}} SET a = '{$x}'";
        let masked = mask(sql).unwrap();
        assert_eq!(masked.len(), sql.len());
        assert_eq!(masked, "UPDATE x__Tabl____ SET a = 'x_x_'");
    }

    #[test]
    fn unclosed_placeholders_are_left_alone() {
        assert_eq!(mask("SELECT '{{ open"), None);
        assert_eq!(mask("SELECT '${open"), None);
        assert_eq!(mask("SELECT '${a\n}'"), None);
        assert_eq!(mask("}} {{ no close after"), None);
        assert_eq!(mask(&"{{".repeat(50_000)), None);
    }

    proptest! {
        #[test]
        fn mask_keeps_length_and_char_boundaries(text in any::<String>()) {
            check_mask_invariants(&text);
        }

        #[test]
        fn mask_keeps_invariants_on_brace_heavy_text(
            text in r"([{}$x. é\n]|\{\{|\}\}|\$\{|\{\$){0,40}"
        ) {
            check_mask_invariants(&text);
        }
    }

    fn check_mask_invariants(text: &str) {
        if let Some(masked) = mask(text) {
            assert_eq!(masked.len(), text.len());
            for offset in 0..=text.len() {
                if text.is_char_boundary(offset) {
                    assert!(masked.is_char_boundary(offset), "boundary {offset} lost");
                }
            }
        }
    }
}
