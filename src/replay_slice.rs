//! Which statements of the files a `--since` run only replays it must parse.
//!
//! The reported files read part of the schema the earlier files leave: the tables, indexes,
//! constraints and functions they name, and what those names lead to. An earlier statement
//! that changes none of that cannot change a finding, so it is left unparsed. Walking the
//! replayed statements backwards, a statement is kept when it writes a name some later
//! reader (a reported file, or a statement already kept) mentions; a kept statement is a
//! reader too, so everything its own replay reads is kept as well.
//!
//! Names are compared as words, folded to lower case whether quoted or not (so `"Users"` and
//! `users` are one name here, more than the server would match), and every word also
//! stands for each prefix before a `_` (`orders_pkey` and `orders_id_seq` for `orders`:
//! PostgreSQL names a key, index or sequence it creates after its table).
//!
//! Only statements of a few shapes are ever left out, and only when every name they write
//! sits where this module reads it:
//! - `ALTER TABLE t ...` writes `t`, the constraints it names and the new name of a
//!   `RENAME TO`; it is always parsed when it attaches, detaches or inherits tables, moves
//!   schema or tablespace, or names an index;
//! - `CREATE TABLE t (...)` with nothing after its columns, and no `LIKE`;
//! - `CREATE [UNIQUE] INDEX [name] ON t`;
//! - `CREATE [OR REPLACE] FUNCTION|PROCEDURE f`;
//! - `UPDATE t SET ...` without `FROM`;
//! - a `DO` block whose statements all are such.
//!
//! A foreign key's `REFERENCES u` adds the key to `u`'s list of referencing tables, which
//! only a statement that alters or drops `u` itself reads (a plan lists the keys that block
//! it): such a statement is kept when a reader names `u` anywhere but after `REFERENCES`.
//!
//! The rules that read the catalogue beyond the names a statement gives (`DROP TYPE` asks
//! whether any column still uses the type, a schema rename lists every table in the
//! schema) and names written in ways words cannot match (`U&"..."` escapes; names long
//! enough that PostgreSQL shortens them) turn the slice off: every statement is parsed.

use crate::dialect::Dialect;
use crate::parse;
use crate::split::{dollar_tag_end, split};
use crate::statement::fold_unquoted;
use std::collections::HashSet;
use std::ops::Range;

/// The longest name compared as a word: PostgreSQL shortens names past 63 bytes, and the
/// names it derives for keys and sequences before that, so a longer one may be written in
/// two ways.
const LONGEST_NAME: usize = 56;

/// The names later statements read, as the backward walk has found them.
#[derive(Debug, Default)]
pub struct Readers {
    /// Every word a reader mentions: whatever it names, its state is read.
    named: HashSet<Box<str>>,
    /// The words a reader mentions other than right after `REFERENCES`: the tables whose
    /// list of referencing keys may be read.
    altered: HashSet<Box<str>>,
}

/// Why the slice cannot be used: a reader reads what names do not lead to.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsliceable;

impl Readers {
    /// The readers of the reported files' texts.
    pub fn of_reported<'a>(
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Readers, Unsliceable> {
        let mut readers = Readers::default();
        for text in texts {
            for raw in split(text, Dialect::Postgres).statements {
                let sql = raw.span.text(text);
                if reads_beyond_names(sql) {
                    return Err(Unsliceable);
                }
                readers.add(sql)?;
            }
        }
        Ok(readers)
    }

    /// Whether the replay-only statement `sql`, which [`written`] read as `written`, must
    /// be parsed; when it must, what it reads joins the readers. `Err` when it reads in a
    /// way names cannot follow: nothing may be left out then.
    pub fn keep(&mut self, sql: &str, written: &Written) -> Result<bool, Unsliceable> {
        let kept = match written {
            Written::Nothing => false,
            Written::Unknown => true,
            Written::Names { names, referenced } => {
                let name = |range: &Range<u32>| &sql[range.start as usize..range.end as usize];
                names.iter().any(|n| contains_folded(&self.named, name(n)))
                    || referenced
                        .iter()
                        .any(|n| contains_folded(&self.altered, name(n)))
            }
        };
        if kept {
            self.add(sql)?;
        }
        Ok(kept)
    }

    /// Adds every word of `text` to the names read (and all but a foreign key's target to
    /// those altered). The words inside strings count too: a `DO` block's body is one.
    fn add(&mut self, text: &str) -> Result<(), Unsliceable> {
        if contains_unicode_escape(text) {
            return Err(Unsliceable);
        }
        let tokens = tokenize(text);
        let Some(tokens) = tokens else {
            for word in raw_words(text) {
                self.read(word, true)?;
            }
            return Ok(());
        };
        // Whether the next word is (part of) the name after `REFERENCES`: in
        // `REFERENCES s.u` the schema and the table both are.
        let mut referenced_next = false;
        let mut in_reference = false;
        for token in tokens {
            match token {
                Token::Word(word) => {
                    in_reference = referenced_next;
                    referenced_next = word.eq_ignore_ascii_case("references");
                    self.read(word, !in_reference)?;
                }
                Token::Punct(b'.') => {
                    referenced_next = in_reference;
                    in_reference = false;
                }
                Token::Str(content) => {
                    (referenced_next, in_reference) = (false, false);
                    for word in raw_words(content) {
                        self.read(word, true)?;
                    }
                }
                Token::Punct(_) | Token::Other => (referenced_next, in_reference) = (false, false),
            }
        }
        Ok(())
    }

    fn read(&mut self, word: &str, altered: bool) -> Result<(), Unsliceable> {
        if word.len() > LONGEST_NAME {
            return Err(Unsliceable);
        }
        let word = fold_unquoted(word);
        let prefixes = word
            .match_indices('_')
            .map(|(i, _)| &word[..i])
            .filter(|p| !p.is_empty());
        for name in prefixes.chain(std::iter::once(word.as_ref())) {
            if !self.named.contains(name) {
                self.named.insert(name.into());
            }
            if altered && !self.altered.contains(name) {
                self.altered.insert(name.into());
            }
        }
        Ok(())
    }
}

/// A reported statement that reads the catalogue past the names it gives: `DROP TYPE` and
/// `DROP DOMAIN` look for columns of the type in every table, `ALTER SCHEMA` lists every
/// table of the schema. Inside a string (a `DO` block's body) or text this reader does not
/// follow, any mention of the second word counts.
fn reads_beyond_names(text: &str) -> bool {
    const SECOND: [&str; 3] = ["type", "domain", "schema"];
    let mut pending = vec![text];
    while let Some(text) = pending.pop() {
        let Some(tokens) = tokenize(text) else {
            if raw_words(text).any(|w| SECOND.iter().any(|k| w.eq_ignore_ascii_case(k))) {
                return true;
            }
            continue;
        };
        let reads = tokens.windows(2).any(|pair| match pair {
            [Token::Word(first), Token::Word(second)] => {
                let drops = first.eq_ignore_ascii_case("drop");
                let alters = first.eq_ignore_ascii_case("alter");
                (drops
                    && (second.eq_ignore_ascii_case("type")
                        || second.eq_ignore_ascii_case("domain")))
                    || ((drops || alters) && second.eq_ignore_ascii_case("schema"))
            }
            _ => false,
        });
        if reads {
            return true;
        }
        pending.extend(tokens.iter().filter_map(|t| match t {
            Token::Str(content) => Some(*content),
            _ => None,
        }));
    }
    false
}

/// `U&"d\0061ta"` names `data` without the word.
fn contains_unicode_escape(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0].eq_ignore_ascii_case(&b'u') && w[1] == b'&')
}

/// Whether `set` holds `name` folded.
fn contains_folded(set: &HashSet<Box<str>>, name: &str) -> bool {
    set.contains(fold_unquoted(name).as_ref())
}

/// What the backward walk needs of one replayed statement, read ahead of it (and so on
/// every core).
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// The replay ignores the statement whatever its syntax.
    Nothing,
    /// A shape this module does not read: always parsed.
    Unknown,
    /// It changes only what `names` name, and adds foreign keys to `referenced` (byte
    /// ranges of the statement).
    Names {
        names: Vec<Range<u32>>,
        referenced: Vec<Range<u32>>,
    },
}

/// Reads what the replayed statement `sql` writes.
pub fn written(sql: &str) -> Written {
    if parse::replay_ignores(sql) {
        return Written::Nothing;
    }
    let range = |name: &str| {
        let start = name.as_ptr() as usize - sql.as_ptr() as usize;
        start as u32..(start + name.len()) as u32
    };
    match shape(sql) {
        Shape::Kept => Written::Unknown,
        Shape::Writes { names, referenced } => Written::Names {
            names: names.into_iter().map(range).collect(),
            referenced: referenced.into_iter().map(range).collect(),
        },
    }
}

/// The runs of name characters in `text`, wherever they are.
fn raw_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_name_char(c))
        .filter(|w| !w.is_empty())
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// What a replay-only statement writes, as far as its shape tells.
#[derive(Debug, PartialEq, Eq)]
enum Shape<'a> {
    /// A shape this module does not read: always parsed.
    Kept,
    /// It changes only what `names` name, and adds foreign keys to `referenced`.
    Writes {
        names: Vec<&'a str>,
        referenced: Vec<&'a str>,
    },
}

fn shape(sql: &str) -> Shape<'_> {
    let Some(tokens) = tokenize(sql) else {
        return Shape::Kept;
    };
    let mut tokens = tokens.as_slice();
    while let [rest @ .., Token::Punct(b';')] = tokens {
        tokens = rest;
    }
    let mut c = Cursor { tokens, at: 0 };
    let shaped = if c.keyword("ALTER") && c.keyword("TABLE") {
        alter_table(c)
    } else if c.restart() && c.keyword("CREATE") {
        create(c)
    } else if c.restart() && c.keyword("UPDATE") {
        update(c)
    } else if c.restart() && c.keyword("DO") {
        do_block(sql)
    } else {
        None
    };
    shaped.unwrap_or(Shape::Kept)
}

fn alter_table<'a>(mut c: Cursor<'a, '_>) -> Option<Shape<'a>> {
    c.keywords(&["IF", "EXISTS"]);
    c.keyword("ONLY");
    let table = c.name()?;
    let mut names = vec![table];
    let mut referenced = Vec::new();
    const MOVES: &[&str] = &[
        "SCHEMA",
        "ATTACH",
        "DETACH",
        "INHERIT",
        "OF",
        "LIKE",
        "PARTITION",
        "INDEX",
        "TABLESPACE",
    ];
    let mut previous: Option<&str> = None;
    while let Some(token) = c.next() {
        let Token::Word(word) = *token else {
            previous = None;
            continue;
        };
        if MOVES.iter().any(|k| word.eq_ignore_ascii_case(k)) {
            return None;
        }
        // `RENAME TO x` names the table anew; `RENAME [COLUMN] a TO b` renames a column,
        // which only statements naming the table read.
        let renames_table = word.eq_ignore_ascii_case("TO")
            && previous.is_some_and(|p| p.eq_ignore_ascii_case("RENAME"));
        if word.eq_ignore_ascii_case("CONSTRAINT") || renames_table {
            names.push(c.name()?);
            previous = None;
        } else if word.eq_ignore_ascii_case("REFERENCES") {
            referenced.push(c.name()?);
            previous = None;
        } else {
            previous = Some(word);
        }
    }
    Some(Shape::Writes { names, referenced })
}

fn create<'a>(mut c: Cursor<'a, '_>) -> Option<Shape<'a>> {
    if c.keyword("TABLE") {
        return create_table(c);
    }
    c.keywords(&["OR", "REPLACE"]);
    if c.keyword("FUNCTION") || c.keyword("PROCEDURE") {
        return Some(Shape::Writes {
            names: vec![c.name()?],
            referenced: Vec::new(),
        });
    }
    c.keyword("UNIQUE");
    if !c.keyword("INDEX") {
        return None;
    }
    c.keyword("CONCURRENTLY");
    c.keywords(&["IF", "NOT", "EXISTS"]);
    let mut names = Vec::new();
    if !c.keyword("ON") {
        names.push(c.word()?);
        if !c.keyword("ON") {
            return None;
        }
    }
    c.keyword("ONLY");
    names.push(c.name()?);
    Some(Shape::Writes {
        names,
        referenced: Vec::new(),
    })
}

fn create_table<'a>(mut c: Cursor<'a, '_>) -> Option<Shape<'a>> {
    c.keywords(&["IF", "NOT", "EXISTS"]);
    let mut names = vec![c.name()?];
    let mut referenced = Vec::new();
    if c.next() != Some(&Token::Punct(b'(')) {
        return None;
    }
    let mut depth = 1;
    while depth > 0 {
        match c.next()? {
            Token::Punct(b'(') => depth += 1,
            Token::Punct(b')') => depth -= 1,
            Token::Word(word) if word.eq_ignore_ascii_case("LIKE") => return None,
            Token::Word(word) if word.eq_ignore_ascii_case("CONSTRAINT") => names.push(c.name()?),
            Token::Word(word) if word.eq_ignore_ascii_case("REFERENCES") => {
                referenced.push(c.name()?)
            }
            _ => {}
        }
    }
    // `PARTITION BY`, `INHERITS`, `WITH (...)` and the like: not read here.
    if c.next().is_some() {
        return None;
    }
    Some(Shape::Writes { names, referenced })
}

fn update<'a>(mut c: Cursor<'a, '_>) -> Option<Shape<'a>> {
    c.keyword("ONLY");
    let table = c.name()?;
    // `UPDATE t SET a = b FROM u`: the copy may come from another table.
    while let Some(token) = c.next() {
        if matches!(token, Token::Word(w) if w.eq_ignore_ascii_case("FROM")) {
            return None;
        }
    }
    Some(Shape::Writes {
        names: vec![table],
        referenced: Vec::new(),
    })
}

/// A `DO` block writes what the statements the replay reads in its body write.
fn do_block(sql: &str) -> Option<Shape<'_>> {
    let mut names = Vec::new();
    let mut referenced = Vec::new();
    for piece in parse::do_block_statements(sql)? {
        match shape(piece) {
            Shape::Kept => return None,
            Shape::Writes {
                names: n,
                referenced: r,
            } => {
                names.extend(n);
                referenced.extend(r);
            }
        }
    }
    Some(Shape::Writes { names, referenced })
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    /// A name or keyword, without its quotes.
    Word(&'a str),
    /// A string's content, without its quotes.
    Str(&'a str),
    Punct(u8),
    /// A number or parameter.
    Other,
}

/// PostgreSQL's tokens of `sql`, without whitespace and comments; `None` for anything this
/// reader does not follow (an unterminated quote or comment, a quoted name with a quote or
/// a character no unquoted name has).
fn tokenize(sql: &str) -> Option<Vec<Token<'_>>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b if b.is_ascii_whitespace() => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |e| i + e + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                loop {
                    match (bytes.get(i)?, bytes.get(i + 1)) {
                        (b'/', Some(b'*')) => {
                            depth += 1;
                            i += 2;
                        }
                        (b'*', Some(b'/')) => {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => i += 1,
                    }
                }
            }
            b'\'' => {
                let (content, end) = quoted(sql, i, b'\'')?;
                tokens.push(Token::Str(content));
                i = end;
            }
            b'"' => {
                let (content, end) = quoted(sql, i, b'"')?;
                if content.is_empty() || !content.chars().all(is_name_char) {
                    return None;
                }
                tokens.push(Token::Word(content));
                i = end;
            }
            b'$' => match dollar_tag_end(bytes, i) {
                Some(tag_end) => {
                    let tag = &sql[i..tag_end];
                    let body = tag_end + sql[tag_end..].find(tag)?;
                    tokens.push(Token::Str(&sql[tag_end..body]));
                    i = body + tag.len();
                }
                None => {
                    tokens.push(Token::Other);
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            },
            b'0'..=b'9' => {
                tokens.push(Token::Other);
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
            }
            _ if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &sql[start..i];
                if bytes.get(i) == Some(&b'\'') {
                    // A string with a prefix: `E'...'` takes backslash escapes, `B'...'`,
                    // `X'...'` and `N'...'` are plain.
                    let (content, end) = match word {
                        "E" | "e" => escaped(sql, i)?,
                        "B" | "b" | "X" | "x" | "N" | "n" => quoted(sql, i, b'\'')?,
                        _ => return None,
                    };
                    tokens.push(Token::Str(content));
                    i = end;
                    continue;
                }
                // `U&"..."` and `U&'...'` spell names and strings with escapes.
                if !word.chars().all(is_name_char)
                    || word.eq_ignore_ascii_case("u") && bytes.get(i) == Some(&b'&')
                {
                    return None;
                }
                tokens.push(Token::Word(word));
            }
            _ => {
                tokens.push(Token::Punct(b));
                i += 1;
            }
        }
    }
    Some(tokens)
}

/// The content of the quote opening at `start` (a doubled quote stays doubled) and where
/// the quote ends.
fn quoted(sql: &str, start: usize, quote: u8) -> Option<(&str, usize)> {
    let bytes = sql.as_bytes();
    let mut i = start + 1;
    loop {
        let close = i + memchr::memchr(quote, &bytes[i..])?;
        if bytes.get(close + 1) == Some(&quote) {
            i = close + 2;
            continue;
        }
        return Some((&sql[start + 1..close], close + 1));
    }
}

/// The content of the `E'...'` string whose quote opens at `start`, and where it ends.
fn escaped(sql: &str, start: usize) -> Option<(&str, usize)> {
    let bytes = sql.as_bytes();
    let mut i = start + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return Some((&sql[start + 1..i], i + 1)),
            _ => i += 1,
        }
    }
}

struct Cursor<'a, 't> {
    tokens: &'t [Token<'a>],
    at: usize,
}

impl<'a> Cursor<'a, '_> {
    fn next(&mut self) -> Option<&Token<'a>> {
        let token = self.tokens.get(self.at)?;
        self.at += 1;
        Some(token)
    }

    fn restart(&mut self) -> bool {
        self.at = 0;
        true
    }

    /// Steps over the keyword `keyword` (upper case) when it comes next.
    fn keyword(&mut self, keyword: &str) -> bool {
        let is = matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword));
        if is {
            self.at += 1;
        }
        is
    }

    /// Steps over `keywords` when they all come next, in order.
    fn keywords(&mut self, keywords: &[&str]) -> bool {
        let start = self.at;
        if keywords.iter().all(|k| self.keyword(k)) {
            return true;
        }
        self.at = start;
        false
    }

    fn word(&mut self) -> Option<&'a str> {
        match self.tokens.get(self.at)? {
            Token::Word(word) if word.len() <= LONGEST_NAME => {
                self.at += 1;
                Some(word)
            }
            _ => None,
        }
    }

    /// A possibly qualified name: its last part, which is what names compare by.
    fn name(&mut self) -> Option<&'a str> {
        let mut last = self.word()?;
        while self.tokens.get(self.at) == Some(&Token::Punct(b'.')) {
            self.at += 1;
            last = self.word()?;
        }
        Some(last)
    }
}

#[cfg(test)]
mod tests;
