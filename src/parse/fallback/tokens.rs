//! The fallback's view of a statement: `sqlparser`'s tokens without whitespace and comments,
//! each with its byte span, and a cursor to walk them.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token};

use crate::dialect::Dialect;
use crate::parse::lexer;
use crate::statement::{Ident, ObjectName};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Word {
        value: String,
        quote: Option<char>,
        /// A keyword `sqlparser` knows (unquoted only).
        keyword: bool,
    },
    Number,
    /// Any string literal; `dollar_tag` is `Some` for `$tag$...$tag$` strings.
    Str {
        value: String,
        dollar_tag: Option<String>,
    },
    LParen,
    RParen,
    Comma,
    Period,
    Eq,
    Semicolon,
    /// Anything else, as `sqlparser` prints it (`*`, `@`, `::`, operators).
    Other(String),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Spanned {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Spanned {
    fn new(tok: Tok, start: usize, end: usize) -> Spanned {
        Spanned {
            tok,
            start,
            end: end.max(start),
        }
    }
}

/// Tokenize `text`; `None` when the tokenizer rejects it (an unterminated string or quoted
/// name), since what follows the fault cannot be classified honestly.
pub(super) fn tokenize(text: &str, dialect: Dialect) -> Option<Vec<Spanned>> {
    let mut out = match from_lexer(text, dialect) {
        Some(tokens) => tokens,
        None => by_sqlparser(text, dialect)?,
    };
    while out.last().is_some_and(|t| t.tok == Tok::Semicolon) {
        out.pop();
    }
    Some(out)
}

/// [`tokenize`] from the lexer's byte ranges, for the statements it reads.
fn from_lexer(text: &str, dialect: Dialect) -> Option<Vec<Spanned>> {
    let tokens = lexer::significant_by_bytes(text, dialect)?;
    Some(
        tokens
            .into_iter()
            .filter_map(|(token, start, end)| Some(Spanned::new(convert(token)?, start, end)))
            .collect(),
    )
}

/// [`tokenize`] from `sqlparser`'s tokens, whose line/column spans become byte offsets.
fn by_sqlparser(text: &str, dialect: Dialect) -> Option<Vec<Spanned>> {
    let tokens = lexer::by_sqlparser(text, dialect).ok()?;
    let mut locator = ByteLocator::new(text);
    let mut out = Vec::with_capacity(tokens.len());
    for token in tokens {
        let Some(tok) = convert(token.token) else {
            continue;
        };
        let start = locator.byte_of(token.span.start);
        let end = locator.byte_of(token.span.end);
        out.push(Spanned::new(tok, start, end));
    }
    Some(out)
}

fn convert(token: Token) -> Option<Tok> {
    Some(match token {
        Token::Whitespace(_) | Token::EOF => return None,
        Token::Word(word) => Tok::Word {
            keyword: word.quote_style.is_none() && word.keyword != Keyword::NoKeyword,
            quote: word.quote_style,
            value: word.value,
        },
        Token::Number(..) => Tok::Number,
        Token::DollarQuotedString(dollar) => Tok::Str {
            value: dollar.value,
            dollar_tag: Some(dollar.tag.unwrap_or_default()),
        },
        Token::SingleQuotedString(value)
        | Token::DoubleQuotedString(value)
        | Token::EscapedStringLiteral(value)
        | Token::NationalStringLiteral(value)
        | Token::UnicodeStringLiteral(value)
        | Token::HexStringLiteral(value)
        | Token::SingleQuotedByteStringLiteral(value)
        | Token::DoubleQuotedByteStringLiteral(value) => Tok::Str {
            value,
            dollar_tag: None,
        },
        Token::LParen => Tok::LParen,
        Token::RParen => Tok::RParen,
        Token::Comma => Tok::Comma,
        Token::Period => Tok::Period,
        Token::Eq => Tok::Eq,
        Token::SemiColon => Tok::Semicolon,
        other => Tok::Other(other.to_string()),
    })
}

/// Turns the tokenizer's 1-based line/column (counted in characters) into byte offsets,
/// walking forward from the last answer since tokens come in order.
struct ByteLocator<'a> {
    text: &'a str,
    line: u64,
    column: u64,
    byte: usize,
}

impl<'a> ByteLocator<'a> {
    fn new(text: &'a str) -> ByteLocator<'a> {
        ByteLocator {
            text,
            line: 1,
            column: 1,
            byte: 0,
        }
    }

    fn byte_of(&mut self, location: Location) -> usize {
        let target = (location.line, location.column);
        if target < (self.line, self.column) {
            *self = ByteLocator::new(self.text);
        }
        while (self.line, self.column) < target {
            let Some(ch) = self
                .text
                .get(self.byte..)
                .and_then(|rest| rest.chars().next())
            else {
                break;
            };
            if ch == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
            self.byte += ch.len_utf8();
        }
        self.byte
    }
}

/// A position in a run of tokens. Sub-cursors (a parenthesised group, one comma-separated
/// item) share the statement text so that spans stay file-exact.
#[derive(Clone, Copy)]
pub(super) struct Cursor<'a> {
    text: &'a str,
    toks: &'a [Spanned],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str, toks: &'a [Spanned]) -> Cursor<'a> {
        Cursor { text, toks, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn peek(&self) -> Option<&'a Tok> {
        self.peek_at(0)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&'a Tok> {
        self.toks.get(self.pos + ahead).map(|t| &t.tok)
    }

    pub fn advance(&mut self) -> Option<&'a Tok> {
        let tok = self.peek()?;
        self.pos += 1;
        Some(tok)
    }

    /// Whether the token `ahead` is the unquoted word `keyword` (any case).
    pub fn is_kw_at(&self, ahead: usize, keyword: &str) -> bool {
        matches!(self.peek_at(ahead), Some(Tok::Word { value, quote: None, .. })
            if value.eq_ignore_ascii_case(keyword))
    }

    pub fn is_kw(&self, keyword: &str) -> bool {
        self.is_kw_at(0, keyword)
    }

    pub fn is_any_kw(&self, keywords: &[&str]) -> bool {
        keywords.iter().any(|k| self.is_kw(k))
    }

    pub fn eat_kw(&mut self, keyword: &str) -> bool {
        let found = self.is_kw(keyword);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Consume the whole keyword sequence, or nothing.
    pub fn eat_kws(&mut self, keywords: &[&str]) -> bool {
        let found = keywords
            .iter()
            .enumerate()
            .all(|(ahead, k)| self.is_kw_at(ahead, k));
        if found {
            self.pos += keywords.len();
        }
        found
    }

    pub fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.peek() == Some(tok);
        if found {
            self.pos += 1;
        }
        found
    }

    /// The next unquoted word, upper-cased, not consumed.
    pub fn peek_keyword(&self) -> Option<String> {
        match self.peek()? {
            Tok::Word {
                value, quote: None, ..
            } => Some(value.to_uppercase()),
            _ => None,
        }
    }

    /// The next unquoted word, upper-cased, consumed.
    pub fn keyword(&mut self) -> Option<String> {
        match self.peek()? {
            Tok::Word {
                value, quote: None, ..
            } => {
                self.pos += 1;
                Some(value.to_uppercase())
            }
            _ => None,
        }
    }

    /// The next word as an identifier (keywords are valid names in most positions).
    pub fn ident(&mut self) -> Option<Ident> {
        match self.peek()? {
            Tok::Word { value, quote, .. } => {
                self.pos += 1;
                Some(Ident {
                    value: value.clone(),
                    quote: *quote,
                })
            }
            _ => None,
        }
    }

    /// `name`, `schema.name` or `db.schema.name` (the last two parts are kept).
    pub fn object_name(&mut self) -> Option<ObjectName> {
        let mut name = self.ident()?;
        let mut schema = None;
        while self.peek() == Some(&Tok::Period) && matches!(self.peek_at(1), Some(Tok::Word { .. }))
        {
            self.pos += 1;
            schema = Some(name);
            name = self.ident()?;
        }
        Some(ObjectName { schema, name })
    }

    /// A comma-separated list of names; `skip_after` is called after each to skip per-name
    /// decorations (`ONLY`, `*`, a column list).
    pub fn object_names(&mut self, skip_after: impl Fn(&mut Cursor<'a>)) -> Vec<ObjectName> {
        let mut names = Vec::new();
        loop {
            self.eat_kw("ONLY");
            let Some(name) = self.object_name() else {
                break;
            };
            names.push(name);
            skip_after(self);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        names
    }

    /// At `(`: a cursor over the tokens inside the matching `)`, consumed. An unbalanced
    /// group runs to the end.
    pub fn group(&mut self) -> Option<Cursor<'a>> {
        if self.peek() != Some(&Tok::LParen) {
            return None;
        }
        let open = self.pos;
        let mut depth = 0usize;
        while let Some(tok) = self.advance() {
            match tok {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        let inner = self.toks.get(open + 1..self.pos - 1)?;
                        return Some(Cursor::new(self.text, inner));
                    }
                }
                _ => {}
            }
        }
        Some(Cursor::new(self.text, self.toks.get(open + 1..)?))
    }

    /// Every word among the remaining tokens, as an identifier, keywords included.
    pub fn words(&self) -> Vec<Ident> {
        let rest = self.toks.get(self.pos..).unwrap_or(&[]);
        rest.iter()
            .filter_map(|t| match &t.tok {
                Tok::Word { value, quote, .. } => Some(Ident {
                    value: value.clone(),
                    quote: *quote,
                }),
                _ => None,
            })
            .collect()
    }

    /// Consume one token, or a whole parenthesised group.
    pub fn skip_one(&mut self) {
        if self.group().is_none() {
            self.advance();
        }
    }

    /// `(a, b DESC, ...)`: the leading name of each item.
    pub fn ident_list(&mut self) -> Option<Vec<Ident>> {
        let group = self.group()?;
        Some(
            group
                .split_commas()
                .into_iter()
                .filter_map(|mut item| item.ident())
                .collect(),
        )
    }

    /// The remaining tokens split on commas outside parentheses.
    pub fn split_commas(&self) -> Vec<Cursor<'a>> {
        let rest = self.toks.get(self.pos..).unwrap_or(&[]);
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut item_start = 0;
        for (i, spanned) in rest.iter().enumerate() {
            match spanned.tok {
                Tok::LParen => depth += 1,
                Tok::RParen => depth = depth.saturating_sub(1),
                Tok::Comma if depth == 0 => {
                    items.push(Cursor::new(self.text, &rest[item_start..i]));
                    item_start = i + 1;
                }
                _ => {}
            }
        }
        if item_start < rest.len() || !items.is_empty() {
            items.push(Cursor::new(self.text, &rest[item_start..]));
        }
        items
    }

    /// Whether `keyword` occurs among the remaining tokens outside parentheses.
    pub fn has_top_level_kw(&self, keyword: &str) -> bool {
        let mut probe = *self;
        while !probe.at_end() {
            if probe.is_kw(keyword) {
                return true;
            }
            probe.skip_one();
        }
        false
    }

    /// The remaining tokens before the first position outside parentheses where `stop`
    /// holds, and the tokens from there (`None` when it never holds).
    pub fn split_before(
        &self,
        stop: impl Fn(&Cursor<'a>) -> bool,
    ) -> (Cursor<'a>, Option<Cursor<'a>>) {
        let mut probe = *self;
        probe.skip_until(stop);
        match (
            self.toks.get(self.pos..probe.pos),
            self.toks.get(probe.pos..),
        ) {
            (Some(before), Some(from)) if !probe.at_end() => (
                Cursor::new(self.text, before),
                Some(Cursor::new(self.text, from)),
            ),
            _ => (*self, None),
        }
    }

    /// Consume tokens (groups whole) until `stop` holds or the end.
    pub fn skip_until(&mut self, stop: impl Fn(&Cursor<'a>) -> bool) {
        while !self.at_end() && !stop(self) {
            self.skip_one();
        }
    }

    /// A position to measure text from with [`Cursor::text_since`].
    pub fn mark(&self) -> usize {
        self.pos
    }

    /// Back to a position taken with [`Cursor::mark`].
    pub fn rewind(&mut self, mark: usize) {
        self.pos = mark;
    }

    /// The source text of the tokens consumed since `mark` (comments between them included).
    pub fn text_since(&self, mark: usize) -> &'a str {
        self.text_of(mark, self.pos)
    }

    /// The source text of the tokens not consumed yet.
    pub fn rest_text(&self) -> &'a str {
        self.text_of(self.pos, self.toks.len())
    }

    /// The source text of the whole run of tokens.
    pub fn full_text(&self) -> &'a str {
        self.text_of(0, self.toks.len())
    }

    /// From the start of token `from` to the end of token `to - 1`; empty when `from >= to`.
    fn text_of(&self, from: usize, to: usize) -> &'a str {
        if from >= to {
            return "";
        }
        match (self.toks.get(from), self.toks.get(to - 1)) {
            (Some(first), Some(last)) => self.text.get(first.start..last.end).unwrap_or(""),
            _ => "",
        }
    }

    /// The byte span of the token at the cursor.
    pub fn span(&self) -> Option<(usize, usize)> {
        self.toks.get(self.pos).map(|t| (t.start, t.end))
    }

    /// Up to `limit` leading words naming an unrecognised clause: the first word always,
    /// then the following words `sqlparser` knows as keywords (so names and values, which are
    /// rarely keywords, are left out: `OWNER TO bob` -> `OWNER TO`).
    pub fn leading_words(&self, limit: usize) -> String {
        let mut words: Vec<String> = Vec::new();
        let mut probe = *self;
        while words.len() < limit {
            match probe.advance() {
                Some(Tok::Word {
                    value,
                    quote: None,
                    keyword,
                }) if words.is_empty() || *keyword => words.push(value.to_uppercase()),
                _ => break,
            }
        }
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte ranges straight from the lexer, and byte ranges worked out from `sqlparser`'s
    /// line/column spans, agree on every statement the lexer reads.
    fn both_ways_agree(text: &str) -> bool {
        let Some(direct) = from_lexer(text, Dialect::Postgres) else {
            return false;
        };
        assert_eq!(
            Some(direct),
            by_sqlparser(text, Dialect::Postgres),
            "{text:?}"
        );
        true
    }

    #[test]
    fn byte_ranges_from_the_lexer_are_those_of_sqlparser_spans() {
        for text in [
            "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  RETURN 'ünïcode';\nEND\n$$ LANGUAGE plpgsql;",
            "INSERT INTO t (a, \"B\") VALUES (1, 'x\r\ny'), (2.5, '') -- tail ✓\n;",
            "/* é\n */ COMMENT ON TABLE t IS 'it''s';",
        ] {
            assert!(both_ways_agree(text), "{text:?}");
        }
        let mut agreed = 0;
        for (_, text) in crate::parse::fixture_texts() {
            for raw in crate::split::split(&text, Dialect::Postgres).statements {
                agreed += usize::from(both_ways_agree(raw.span.text(&text)));
            }
        }
        assert!(agreed > 500, "only {agreed} statements compared");
    }
}
