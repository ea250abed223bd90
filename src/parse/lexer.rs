//! `sqlparser`'s tokens, read byte by byte for the PostgreSQL text migrations are made of.
//!
//! Tokenizing was about a third of a one-folder run: `sqlparser`'s tokenizer walks characters
//! through a peekable iterator and asks its dialect about each one. Migration statements are
//! mostly plain words, names, numbers, strings, dollar-quoted bodies and punctuation, so this
//! reader handles exactly that subset and gives the very tokens, with the very line/column
//! spans, that `sqlparser` gives. At the first thing outside the subset (an operator that
//! could continue, `B'...'`, a numeric escape in `E'...'`, an exponent, a placeholder, a
//! non-ASCII character outside a string, `COPY`, an unterminated quote) it stops, and the
//! whole statement goes to `sqlparser`'s tokenizer, errors included. MySQL statements always
//! do: its tokenizer has more special cases (backslash escapes, names that start with
//! digits, comment hints).

use std::ops::Range;
use std::sync::OnceLock;

use sqlparser::ast::DollarQuotedString;
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::keywords::{Keyword, ALL_KEYWORDS, ALL_KEYWORDS_INDEX};
use sqlparser::tokenizer::{
    Location, Span, Token, TokenWithSpan, Tokenizer, TokenizerError, Whitespace, Word,
};

use crate::dialect::Dialect;

/// The tokens of `sql` with their spans, as `sqlparser`'s tokenizer returns them.
pub fn tokenize(sql: &str, dialect: Dialect) -> Result<Vec<TokenWithSpan>, TokenizerError> {
    match dialect {
        Dialect::Postgres => postgres_subset(sql).map_or_else(|| by_sqlparser(sql, dialect), Ok),
        Dialect::Mysql => by_sqlparser(sql, dialect),
    }
}

/// `sqlparser`'s own tokenizer, whatever the text.
pub fn by_sqlparser(sql: &str, dialect: Dialect) -> Result<Vec<TokenWithSpan>, TokenizerError> {
    match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location(),
        Dialect::Mysql => Tokenizer::new(&MySqlDialect {}, sql).tokenize_with_location(),
    }
}

/// The tokens of `sql` other than whitespace and comments, each with its byte range: what
/// [`tokenize`] gives, without line/column spans to convert. `None` for MySQL and for text
/// outside the subset.
pub fn significant_by_bytes(sql: &str, dialect: Dialect) -> Option<Vec<(Token, usize, usize)>> {
    if dialect != Dialect::Postgres {
        return None;
    }
    let mut tokens = Vec::with_capacity(sql.len() / 6);
    lex(sql, |token, bytes, _| {
        if !matches!(token, Token::Whitespace(_)) {
            tokens.push((token, bytes.start, bytes.end));
        }
    })?;
    Some(tokens)
}

/// The tokens of `sql`, or `None` where it leaves the subset this reader handles.
fn postgres_subset(sql: &str) -> Option<Vec<TokenWithSpan>> {
    let mut tokens = Vec::with_capacity(sql.len() / 3);
    lex(sql, |token, _, span| {
        tokens.push(TokenWithSpan::new(token, span))
    })?;
    Some(tokens)
}

/// Hands each token of `sql` to `sink` with its byte range and its line/column span;
/// `None` at the first thing outside the subset.
fn lex(sql: &str, mut sink: impl FnMut(Token, Range<usize>, Span)) -> Option<()> {
    let mut lexer = Lexer {
        sql,
        bytes: sql.as_bytes(),
        at: 0,
        line: 1,
        column: 1,
    };
    while lexer.at < sql.len() {
        let (start, location) = (lexer.at, lexer.location());
        let token = lexer.token()?;
        sink(
            token,
            start..lexer.at,
            Span::new(location, lexer.location()),
        );
    }
    Some(())
}

struct Lexer<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// 1-based, as `sqlparser` counts: a line ends at `\n`, a column is a character.
    line: u64,
    column: u64,
}

impl Lexer<'_> {
    fn location(&self) -> Location {
        Location::new(self.line, self.column)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    /// Steps over `count` bytes that hold no line break and no multi-byte character.
    fn skip_ascii(&mut self, count: usize) {
        self.at += count;
        self.column += count as u64;
    }

    /// Steps to `end` over any text, counting lines and characters.
    fn skip_to(&mut self, end: usize) {
        for &byte in &self.bytes[self.at..end] {
            if byte == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if byte & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
        self.at = end;
    }

    /// One ASCII token of `len` bytes.
    fn ascii(&mut self, len: usize, token: Token) -> Option<Token> {
        self.skip_ascii(len);
        Some(token)
    }

    fn token(&mut self) -> Option<Token> {
        let byte = self.bytes[self.at];
        match byte {
            b' ' => self.ascii(1, Token::Whitespace(Whitespace::Space)),
            b'\t' => self.ascii(1, Token::Whitespace(Whitespace::Tab)),
            b'\n' | b'\r' => {
                let len = if byte == b'\r' && self.peek(1) == Some(b'\n') {
                    2
                } else {
                    1
                };
                self.skip_to(self.at + len);
                Some(Token::Whitespace(Whitespace::Newline))
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.word(),
            b'0'..=b'9' => self.number(),
            b'.' => match self.peek(1) {
                Some(b'0'..=b'9' | b'_') => None,
                _ => self.ascii(1, Token::Period),
            },
            b'\'' => {
                let value = self.quoted(b'\'')?;
                Some(Token::SingleQuotedString(value))
            }
            b'"' => {
                let value = self.quoted(b'"')?;
                Some(Token::Word(Word {
                    value,
                    quote_style: Some('"'),
                    keyword: Keyword::NoKeyword,
                }))
            }
            b'$' => self.dollar_quoted(),
            b'-' => match self.peek(1) {
                Some(b'-') => self.line_comment(),
                Some(next) if is_operator_part(next) => None,
                _ => self.ascii(1, Token::Minus),
            },
            b'/' => match self.peek(1) {
                Some(b'*') => self.block_comment(),
                _ => self.ascii(1, Token::Div),
            },
            b'=' => match self.peek(1) {
                Some(b'>' | b'=') => None,
                _ => self.ascii(1, Token::Eq),
            },
            b':' => match self.peek(1) {
                Some(b':') => self.ascii(2, Token::DoubleColon),
                Some(b'=') => self.ascii(2, Token::Assignment),
                _ => self.ascii(1, Token::Colon),
            },
            b'<' => match self.peek(1) {
                Some(b'=') => match self.peek(2) {
                    Some(b'+' | b'-') => self.ascii(2, Token::LtEq),
                    Some(next) if is_operator_part(next) => None,
                    _ => self.ascii(2, Token::LtEq),
                },
                Some(b'>') => self.operator(2, Token::Neq),
                Some(b'+') => self.ascii(1, Token::Lt),
                Some(b'|') => None,
                _ => self.operator(1, Token::Lt),
            },
            b'>' => match self.peek(1) {
                Some(b'=') => self.operator(2, Token::GtEq),
                _ => self.operator(1, Token::Gt),
            },
            b'!' => match self.peek(1) {
                Some(b'=') => self.ascii(2, Token::Neq),
                _ => None,
            },
            b'(' => self.ascii(1, Token::LParen),
            b')' => self.ascii(1, Token::RParen),
            b',' => self.ascii(1, Token::Comma),
            b';' => self.ascii(1, Token::SemiColon),
            b'+' => self.ascii(1, Token::Plus),
            b'*' => self.ascii(1, Token::Mul),
            b'[' => self.ascii(1, Token::LBracket),
            b']' => self.ascii(1, Token::RBracket),
            _ => None,
        }
    }

    /// An operator of `len` bytes that `sqlparser` would extend into a custom operator if
    /// another operator character followed.
    fn operator(&mut self, len: usize, token: Token) -> Option<Token> {
        match self.peek(len) {
            Some(next) if is_operator_part(next) => None,
            _ => self.ascii(len, token),
        }
    }

    fn word(&mut self) -> Option<Token> {
        if matches!(self.bytes[self.at], b'e' | b'E') && self.peek(1) == Some(b'\'') {
            return self.escaped_string();
        }
        // `B'...'`, `B"..."`, `X'...'`, `N'...'`, `U&'...'`: literals with their own rules.
        if matches!(
            self.bytes[self.at],
            b'b' | b'B' | b'x' | b'X' | b'n' | b'N' | b'u' | b'U'
        ) && matches!(self.peek(1), Some(b'\'' | b'"' | b'&'))
        {
            return None;
        }
        let start = self.at;
        let end = start
            + self.bytes[start..]
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$'))
                .unwrap_or(self.bytes.len() - start);
        // A non-ASCII letter continues a PostgreSQL name.
        if self.bytes.get(end).is_some_and(|&b| !b.is_ascii()) {
            return None;
        }
        let value = &self.sql[start..end];
        let keyword = keyword(value.as_bytes());
        // `COPY ... FROM STDIN` makes `sqlparser` read the data lines after the `;`.
        if keyword == Keyword::COPY {
            return None;
        }
        self.skip_ascii(end - start);
        Some(Token::Word(Word {
            value: value.to_string(),
            quote_style: None,
            keyword,
        }))
    }

    /// Digits with an optional fraction; exponents, `_` separators, `0x`-style prefixes
    /// and a `L` suffix are left to `sqlparser`.
    fn number(&mut self) -> Option<Token> {
        let digits = |from: usize| {
            from + self.bytes[from..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(self.bytes.len() - from)
        };
        let start = self.at;
        let mut end = digits(start);
        if end - start == 1
            && self.bytes[start] == b'0'
            && matches!(
                self.bytes.get(end),
                Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
            )
        {
            return None;
        }
        if self.bytes.get(end) == Some(&b'_') {
            return None;
        }
        if self.bytes.get(end) == Some(&b'.') {
            end = digits(end + 1);
        }
        if matches!(self.bytes.get(end), Some(b'_' | b'e' | b'E' | b'L')) {
            return None;
        }
        let value = self.sql[start..end].to_string();
        self.skip_ascii(end - start);
        Some(Token::Number(value, false))
    }

    /// A `'string'` or `"name"`: the text between the quotes, a doubled quote read as one.
    fn quoted(&mut self, quote: u8) -> Option<String> {
        let open = self.at;
        let mut from = open + 1;
        let mut doubled = false;
        let close = loop {
            let found = from + memchr::memchr(quote, &self.bytes[from..])?;
            if self.bytes.get(found + 1) == Some(&quote) {
                doubled = true;
                from = found + 2;
            } else {
                break found;
            }
        };
        let inside = &self.sql[open + 1..close];
        let value = if doubled {
            let one = (quote as char).to_string();
            inside.replace(&one.repeat(2), &one)
        } else {
            inside.to_string()
        };
        self.skip_to(close + 1);
        Some(value)
    }

    /// `E'...'` with the C-style escapes `sqlparser` reads (`\n`, `\t`, `\'`, `\\`, ...);
    /// numeric and Unicode escapes are left to it, as is a `\` before a NUL or a
    /// non-ASCII character.
    fn escaped_string(&mut self) -> Option<Token> {
        let mut value = String::new();
        let mut from = self.at + 2;
        loop {
            let stop = from + memchr::memchr2(b'\'', b'\\', &self.bytes[from..])?;
            value.push_str(&self.sql[from..stop]);
            if self.bytes[stop] == b'\'' {
                if self.bytes.get(stop + 1) == Some(&b'\'') {
                    value.push('\'');
                    from = stop + 2;
                    continue;
                }
                self.skip_to(stop + 1);
                return Some(Token::EscapedStringLiteral(value));
            }
            value.push(match *self.bytes.get(stop + 1)? {
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' | b'U' | b'x' | b'0'..=b'7' | 0 | 0x80.. => return None,
                other => other as char,
            });
            from = stop + 2;
        }
    }

    /// `$$...$$` or `$tag$...$tag$`; a `$1` placeholder is left to `sqlparser`.
    fn dollar_quoted(&mut self) -> Option<Token> {
        let open = self.at;
        let tag_end = open
            + 1
            + self.bytes[open + 1..]
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
                .unwrap_or(self.bytes.len() - open - 1);
        if self.bytes.get(tag_end) != Some(&b'$') {
            return None;
        }
        let delimiter = &self.sql[open..=tag_end];
        let body = tag_end + 1;
        let close = body + memchr::memmem::find(&self.bytes[body..], delimiter.as_bytes())?;
        let tag = &self.sql[open + 1..tag_end];
        let token = Token::DollarQuotedString(DollarQuotedString {
            value: self.sql[body..close].to_string(),
            tag: (!tag.is_empty()).then(|| tag.to_string()),
        });
        self.skip_to(close + delimiter.len());
        Some(token)
    }

    /// `-- ...` up to the line break, which is a token of its own.
    fn line_comment(&mut self) -> Option<Token> {
        let text = self.at + 2;
        let end = text
            + memchr::memchr2(b'\n', b'\r', &self.bytes[text..]).unwrap_or(self.bytes.len() - text);
        let comment = self.sql[text..end].to_string();
        self.skip_to(end);
        Some(Token::Whitespace(Whitespace::SingleLineComment {
            comment,
            prefix: "--".to_string(),
        }))
    }

    /// `/* ... */`, nested as PostgreSQL nests them; unterminated is left to `sqlparser`.
    fn block_comment(&mut self) -> Option<Token> {
        let text = self.at + 2;
        let mut depth = 1;
        let mut at = text;
        let close = loop {
            let pair = self.bytes.get(at..at + 2)?;
            match pair {
                b"/*" => {
                    depth += 1;
                    at += 2;
                }
                b"*/" => {
                    depth -= 1;
                    if depth == 0 {
                        break at;
                    }
                    at += 2;
                }
                _ => at += 1,
            }
        };
        let comment = self.sql[text..close].to_string();
        self.skip_to(close + 2);
        Some(Token::Whitespace(Whitespace::MultiLineComment(comment)))
    }
}

/// The characters PostgreSQL's custom operators are made of: after one of these, `sqlparser`
/// reads a longer operator.
fn is_operator_part(byte: u8) -> bool {
    matches!(
        byte,
        b'+' | b'-'
            | b'*'
            | b'/'
            | b'<'
            | b'>'
            | b'='
            | b'~'
            | b'!'
            | b'@'
            | b'#'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
    )
}

/// The longest keyword `sqlparser` knows is shorter than this (checked where the table is
/// built).
const KEYWORD_MAX: usize = 64;

/// `sqlparser`'s keyword for an unquoted word in any ASCII case, by hash instead of its
/// binary search with a case-folding comparison at every step.
pub(super) fn keyword(word: &[u8]) -> Keyword {
    if word.len() >= KEYWORD_MAX {
        return Keyword::NoKeyword;
    }
    let mut upper = [0u8; KEYWORD_MAX];
    for (to, from) in upper.iter_mut().zip(word) {
        *to = from.to_ascii_uppercase();
    }
    let upper = &upper[..word.len()];
    let table = keyword_table();
    let mask = table.len() - 1;
    let mut slot = hash(upper) & mask;
    loop {
        match table[slot] {
            0 => return Keyword::NoKeyword,
            entry => {
                let index = entry as usize - 1;
                if ALL_KEYWORDS[index].as_bytes() == upper {
                    return ALL_KEYWORDS_INDEX[index];
                }
            }
        }
        slot = (slot + 1) & mask;
    }
}

/// An open-addressed table of keyword indexes plus one (0 is an empty slot), at most a
/// quarter full.
fn keyword_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let size = (ALL_KEYWORDS.len() * 4).next_power_of_two();
        let mut table = vec![0u16; size];
        for (index, keyword) in ALL_KEYWORDS.iter().enumerate() {
            assert!(
                keyword.len() < KEYWORD_MAX,
                "{keyword} is longer than KEYWORD_MAX"
            );
            let mut slot = hash(keyword.as_bytes()) & (size - 1);
            while table[slot] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            table[slot] = u16::try_from(index + 1).expect("fewer than 65535 keywords");
        }
        table
    })
}

/// FNV-1a: words are short, and this needs no state.
fn hash(bytes: &[u8]) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as usize
}

#[cfg(test)]
mod tests;
