//! Column type normalisation and default-expression volatility.
//!
//! Shared by the token fallback and the `sqlparser` lowering, so both describe a type or a
//! default the same way whichever of them read the statement. Both work on text with a small
//! scanner of their own: they never fail, whatever the input.

use crate::statement::{DataType, Volatility};

/// One lexeme of a type or expression, borrowing the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lexeme<'a> {
    Word(&'a str),
    /// A `"..."` or `` `...` `` identifier, quotes included.
    QuotedIdent(&'a str),
    /// A `'...'` string, quotes included.
    Str(&'a str),
    Number(&'a str),
    Punct(char),
}

fn lex(text: &str) -> Vec<Lexeme<'_>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, ch)) = chars.next() {
        let end_of = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
                      keep: &dyn Fn(char) -> bool| {
            while let Some(&(_, next)) = chars.peek() {
                if !keep(next) {
                    break;
                }
                chars.next();
            }
            chars.peek().map_or(text.len(), |&(at, _)| at)
        };
        if ch.is_whitespace() {
            continue;
        } else if ch.is_alphabetic() || ch == '_' {
            let end = end_of(&mut chars, &|c| c.is_alphanumeric() || c == '_' || c == '$');
            out.push(Lexeme::Word(&text[start..end]));
        } else if ch.is_ascii_digit() {
            let end = end_of(&mut chars, &|c| c.is_ascii_digit() || c == '.');
            out.push(Lexeme::Number(&text[start..end]));
        } else if matches!(ch, '\'' | '"' | '`') {
            let end = quoted_end(text, start, ch);
            while chars.peek().is_some_and(|&(at, _)| at < end) {
                chars.next();
            }
            let quoted = &text[start..end];
            out.push(if ch == '\'' {
                Lexeme::Str(quoted)
            } else {
                Lexeme::QuotedIdent(quoted)
            });
        } else {
            out.push(Lexeme::Punct(ch));
        }
    }
    out
}

/// The byte just past the quote closing the one at `start`; a doubled quote is an escaped
/// quote. An unterminated quote runs to the end of the text.
fn quoted_end(text: &str, start: usize, quote: char) -> usize {
    let mut at = start + quote.len_utf8();
    while let Some(offset) = text.get(at..).and_then(|rest| rest.find(quote)) {
        let close = at + offset + quote.len_utf8();
        if text
            .get(close..)
            .is_some_and(|rest| rest.starts_with(quote))
        {
            at = close + quote.len_utf8();
        } else {
            return close;
        }
    }
    text.len()
}

/// Normalise a column type as written: lower case with single spaces, aliases resolved
/// (`character varying(20)` -> `varchar(20)`, `int4` -> `int`, `timestamp with time zone` ->
/// `timestamptz`, `decimal` -> `numeric`, `float8` -> `double precision`, ...), array
/// suffixes reduced to one `[]`.
///
/// `base` is the type name alone; `args` the numeric arguments (`numeric(10,2)` -> `[10, 2]`).
/// Modifiers that are not arguments (MySQL `unsigned`, `zerofill`, `character set x`,
/// `collate x`) stay in `text` only, after the arguments. String arguments (MySQL `enum` and
/// `set` members) keep their case and quotes in `text`.
pub fn parse_data_type(text: &str) -> DataType {
    let lexemes = lex(text);
    let mut parts = TypeParts::default();
    let mut i = 0;
    while let Some(lexeme) = lexemes.get(i) {
        i += 1;
        if !parts.modifiers.is_empty() {
            parts.push_modifier(lexeme);
            continue;
        }
        match *lexeme {
            Lexeme::Word(word) => {
                let lower = word.to_lowercase();
                let next = lexemes.get(i).copied();
                if lower == "array" {
                    parts.array = true;
                } else if !parts.base_words.is_empty() && starts_modifier(&lower, next) {
                    parts.push_modifier(lexeme);
                } else {
                    parts.push_base_word(lower);
                }
            }
            Lexeme::QuotedIdent(quoted) => parts.push_base_word(quoted.to_string()),
            Lexeme::Punct('.') => parts.glue_next = true,
            Lexeme::Punct('(') => {
                let (group, after) = group_after(&lexemes, i);
                if parts.args_text.is_none() {
                    parts.set_args(group);
                }
                i = after;
            }
            Lexeme::Punct('[') => {
                parts.array = true;
                while lexemes.get(i).is_some_and(|l| *l != Lexeme::Punct(']')) {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
    }
    parts.finish()
}

/// Whether `word` starts the modifiers after a type name (`int unsigned`, `varchar(10)
/// character set utf8mb4`). `binary` is a modifier only after a name (`varchar(10) binary`).
fn starts_modifier(word: &str, next: Option<Lexeme<'_>>) -> bool {
    let next_is_set = matches!(next, Some(Lexeme::Word(w)) if w.eq_ignore_ascii_case("set"));
    match word {
        "unsigned" | "signed" | "zerofill" | "binary" | "charset" | "collate" => true,
        "character" | "char" => next_is_set,
        _ => false,
    }
}

/// The lexemes inside the group opened just before `open_after`, and the index after its
/// closing parenthesis. Nesting is counted, never recursed into.
fn group_after<'l, 'a>(lexemes: &'l [Lexeme<'a>], open_after: usize) -> (&'l [Lexeme<'a>], usize) {
    let mut depth = 1usize;
    let mut i = open_after;
    while let Some(lexeme) = lexemes.get(i) {
        match lexeme {
            Lexeme::Punct('(') => depth += 1,
            Lexeme::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    return (lexemes.get(open_after..i).unwrap_or(&[]), i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    (lexemes.get(open_after..).unwrap_or(&[]), lexemes.len())
}

#[derive(Default)]
struct TypeParts {
    base_words: Vec<String>,
    glue_next: bool,
    args_text: Option<String>,
    args: Vec<u32>,
    modifiers: Vec<String>,
    array: bool,
}

impl TypeParts {
    fn push_base_word(&mut self, word: String) {
        match self.base_words.last_mut() {
            Some(last) if self.glue_next => {
                last.push('.');
                last.push_str(&word);
            }
            _ => self.base_words.push(word),
        }
        self.glue_next = false;
    }

    fn set_args(&mut self, group: &[Lexeme<'_>]) {
        let mut text = String::new();
        let mut previous: Option<Lexeme<'_>> = None;
        for &lexeme in group {
            let joins_tightly = matches!(lexeme, Lexeme::Punct(_))
                || matches!(previous, None | Some(Lexeme::Punct(_)));
            if !joins_tightly {
                text.push(' ');
            }
            push_lexeme(&mut text, lexeme);
            if let Lexeme::Number(number) = lexeme {
                if let Ok(value) = number.parse() {
                    self.args.push(value);
                }
            }
            previous = Some(lexeme);
        }
        self.args_text = Some(text);
    }

    fn push_modifier(&mut self, lexeme: &Lexeme<'_>) {
        let mut text = String::new();
        push_lexeme(&mut text, *lexeme);
        if text == "charset" {
            self.modifiers.push("character".into());
            text = "set".into();
        }
        self.modifiers.push(text);
    }

    fn finish(self) -> DataType {
        let base = canonical_base(&self.base_words.join(" "));
        let mut text = base.clone();
        if let Some(args) = &self.args_text {
            text.push('(');
            text.push_str(args);
            text.push(')');
        }
        for modifier in &self.modifiers {
            text.push(' ');
            text.push_str(modifier);
        }
        if self.array {
            text.push_str("[]");
        }
        DataType {
            text,
            base,
            args: self.args,
            array: self.array,
        }
    }
}

/// Words lower-cased; strings, quoted names and numbers as written.
fn push_lexeme(out: &mut String, lexeme: Lexeme<'_>) {
    match lexeme {
        Lexeme::Word(word) => out.push_str(&word.to_lowercase()),
        Lexeme::QuotedIdent(text) | Lexeme::Str(text) | Lexeme::Number(text) => out.push_str(text),
        Lexeme::Punct(ch) => out.push(ch),
    }
}

fn canonical_base(words: &str) -> String {
    let canonical = match words {
        "character varying" | "char varying" => "varchar",
        "character" | "bpchar" => "char",
        "integer" | "int4" => "int",
        "int8" => "bigint",
        "int2" => "smallint",
        "bool" => "boolean",
        "float8" | "double" => "double precision",
        "float4" => "real",
        "decimal" | "dec" => "numeric",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        "bit varying" => "varbit",
        "serial4" => "serial",
        "serial8" => "bigserial",
        "serial2" => "smallserial",
        other => other,
    };
    canonical.to_string()
}

/// Functions known not to change value from row to row within one statement (stable or
/// immutable builtins) and expression syntax that looks like a call (`cast(...)`).
/// Anything else called in a default (`random()`, `clock_timestamp()`, `gen_random_uuid()`,
/// `uuid_generate_v4()`, `nextval(...)`, MySQL `uuid()`, `rand()`, `sysdate()`, user
/// functions) is treated as volatile: PostgreSQL would have to evaluate it per row.
const STABLE_FUNCTIONS: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtime",
    "localtimestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "utc_timestamp",
    "utc_date",
    "utc_time",
    "curdate",
    "curtime",
    "current_user",
    "current_role",
    "session_user",
    "current_schema",
    "current_database",
    "current_setting",
    "timezone",
    "cast",
    "convert",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "extract",
    "date_part",
    "date_trunc",
    "make_date",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "make_interval",
    "to_timestamp",
    "to_date",
    "to_char",
    "to_number",
    "lower",
    "upper",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "length",
    "char_length",
    "substring",
    "substr",
    "position",
    "overlay",
    "replace",
    "concat",
    "concat_ws",
    "format",
    "left",
    "right",
    "lpad",
    "rpad",
    "md5",
    "encode",
    "decode",
    "abs",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "array",
    "row",
    "array_fill",
    "string_to_array",
    "to_json",
    "to_jsonb",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "json_object",
    "json_array",
    "uuid_generate_v3",
    "uuid_generate_v5",
    "uuid_nil",
    "point",
];

/// Whether a default expression is evaluated once per statement or once per row.
/// Constants, casts, arrays, arithmetic and the stable builtins above are `Stable`; any call
/// to another function makes the whole expression `Volatile`.
pub fn classify_default(expr_text: &str) -> Volatility {
    let lexemes = lex(expr_text);
    let mut i = 0;
    while let Some(lexeme) = lexemes.get(i) {
        i += 1;
        match *lexeme {
            Lexeme::Punct(':') if lexemes.get(i) == Some(&Lexeme::Punct(':')) => {
                i = skip_type_name(&lexemes, i + 1);
            }
            Lexeme::Word(word) if word.eq_ignore_ascii_case("as") => {
                i = skip_type_name(&lexemes, i);
            }
            Lexeme::Word(word) | Lexeme::QuotedIdent(word)
                if lexemes.get(i) == Some(&Lexeme::Punct('(')) =>
            {
                let name = word.trim_matches(['"', '`']).to_lowercase();
                if !STABLE_FUNCTIONS.contains(&name.as_str()) {
                    return Volatility::Volatile;
                }
            }
            _ => {}
        }
    }
    Volatility::Stable
}

/// The index after a type name in a cast (`::character varying(10)[]`, `AS numeric(10,2)`),
/// whose parentheses are arguments, not a call.
fn skip_type_name(lexemes: &[Lexeme<'_>], mut i: usize) -> usize {
    while matches!(
        lexemes.get(i),
        Some(Lexeme::Word(_) | Lexeme::QuotedIdent(_) | Lexeme::Punct('.'))
    ) {
        i += 1;
    }
    if lexemes.get(i) == Some(&Lexeme::Punct('(')) {
        i = group_after(lexemes, i + 1).1;
    }
    while matches!(
        lexemes.get(i),
        Some(Lexeme::Punct('[') | Lexeme::Punct(']') | Lexeme::Number(_))
    ) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str, normalised: &str, base: &str, args: &[u32], array: bool) {
        let data_type = parse_data_type(text);
        assert_eq!(
            data_type,
            DataType {
                text: normalised.to_string(),
                base: base.to_string(),
                args: args.to_vec(),
                array,
            },
            "{text}"
        );
    }

    #[test]
    fn postgres_aliases_are_normalised() {
        check("character varying", "varchar", "varchar", &[], false);
        check(
            "CHARACTER VARYING ( 20 )",
            "varchar(20)",
            "varchar",
            &[20],
            false,
        );
        check("varchar(255)", "varchar(255)", "varchar", &[255], false);
        check("integer", "int", "int", &[], false);
        check("INT4", "int", "int", &[], false);
        check("int8", "bigint", "bigint", &[], false);
        check("int2", "smallint", "smallint", &[], false);
        check("bool", "boolean", "boolean", &[], false);
        check(
            "timestamp without time zone",
            "timestamp",
            "timestamp",
            &[],
            false,
        );
        check(
            "timestamp with time zone",
            "timestamptz",
            "timestamptz",
            &[],
            false,
        );
        check(
            "timestamp(3) with time zone",
            "timestamptz(3)",
            "timestamptz",
            &[3],
            false,
        );
        check("time with time zone", "timetz", "timetz", &[], false);
        check(
            "double precision",
            "double precision",
            "double precision",
            &[],
            false,
        );
        check("float8", "double precision", "double precision", &[], false);
        check("character(10)", "char(10)", "char", &[10], false);
        check("char(10)", "char(10)", "char", &[10], false);
        check(
            "decimal(10, 2)",
            "numeric(10,2)",
            "numeric",
            &[10, 2],
            false,
        );
        check("serial8", "bigserial", "bigserial", &[], false);
        check("text", "text", "text", &[], false);
    }

    #[test]
    fn arrays_and_qualified_names() {
        check("int[]", "int[]", "int", &[], true);
        check("integer[3][]", "int[]", "int", &[], true);
        check("text ARRAY", "text[]", "text", &[], true);
        check(
            "character varying(64)[]",
            "varchar(64)[]",
            "varchar",
            &[64],
            true,
        );
        check(
            "public.citext",
            "public.citext",
            "public.citext",
            &[],
            false,
        );
        check("\"MyType\"", "\"MyType\"", "\"MyType\"", &[], false);
        check(
            "geometry(Point, 4326)",
            "geometry(point,4326)",
            "geometry",
            &[4326],
            false,
        );
    }

    #[test]
    fn mysql_types_keep_modifiers_in_text() {
        check("tinyint(1)", "tinyint(1)", "tinyint", &[1], false);
        check("INT UNSIGNED", "int unsigned", "int", &[], false);
        check(
            "int(11) unsigned zerofill",
            "int(11) unsigned zerofill",
            "int",
            &[11],
            false,
        );
        check(
            "varchar(255) CHARACTER SET utf8mb4",
            "varchar(255) character set utf8mb4",
            "varchar",
            &[255],
            false,
        );
        check(
            "varchar(255) charset utf8mb4 collate utf8mb4_bin",
            "varchar(255) character set utf8mb4 collate utf8mb4_bin",
            "varchar",
            &[255],
            false,
        );
        check(
            "VARBINARY(255) BINARY",
            "varbinary(255) binary",
            "varbinary",
            &[255],
            false,
        );
        check("binary(16)", "binary(16)", "binary", &[16], false);
        check("json", "json", "json", &[], false);
        check(
            "ENUM('Active', 'it''s', 'b')",
            "enum('Active','it''s','b')",
            "enum",
            &[],
            false,
        );
        check("set('a','b')", "set('a','b')", "set", &[], false);
        check("double", "double precision", "double precision", &[], false);
    }

    #[test]
    fn degenerate_types_do_not_fail() {
        check("", "", "", &[], false);
        check("varchar(", "varchar()", "varchar", &[], false);
        check("enum('open", "enum('open)", "enum", &[], false);
    }

    #[test]
    fn stable_defaults() {
        for expr in [
            "0",
            "'pending'",
            "NULL",
            "true",
            "now()",
            "CURRENT_TIMESTAMP",
            "current_timestamp(3)",
            "pg_catalog.now()",
            "'{}'::jsonb",
            "'a'::character varying(10)",
            "CAST('0' AS numeric(10,2))",
            "ARRAY[]::text[]",
            "(now() + interval '1 day')",
            "timezone('utc', now())",
            "statement_timestamp()",
            "-1 * 2",
            "'x'::regclass",
        ] {
            assert_eq!(classify_default(expr), Volatility::Stable, "{expr}");
        }
    }

    #[test]
    fn volatile_defaults() {
        for expr in [
            "random()",
            "clock_timestamp()",
            "timeofday()",
            "gen_random_uuid()",
            "uuid_generate_v4()",
            "public.uuid_generate_v1()",
            "nextval('users_id_seq'::regclass)",
            "(uuid())",
            "floor(random() * 10)",
            "my_function()",
            "CAST(random() AS int)",
        ] {
            assert_eq!(classify_default(expr), Volatility::Volatile, "{expr}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let data_type = parse_data_type(&text);
            prop_assert!(data_type.args.len() <= text.len());
            let _ = classify_default(&text);
        }
    }
}
