//! Splits a migration file into statements with exact byte spans.
//!
//! One forward scan over the bytes, with no recursion and no backtracking beyond the current
//! line, so any input splits in linear time. The scanner knows each dialect's lexical hazards
//! (strings, quoted identifiers, dollar quotes, nested and conditional comments) and the
//! client-side conventions migration files rely on: psql meta-command lines, the MySQL
//! client's `DELIMITER` command, goose `StatementBegin`/`StatementEnd` regions, and routine
//! bodies whose inner `;` belong to the routine. It never fails: an unterminated quote or
//! comment becomes a [`SplitProblem`] and the rest of the file one statement, which is what
//! the server would see.

use crate::dialect::Dialect;
use crate::span::Span;

/// The pieces of one file, in file order, and the lexical problems met on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub statements: Vec<RawStatement>,
    pub problems: Vec<SplitProblem>,
}

/// One piece of a file: a statement without its terminator, or a client command line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RawStatement {
    pub span: Span,
    pub kind: RawKind,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RawKind {
    /// SQL that the client sends to the server.
    Sql,
    /// A psql meta-command line such as `\set` or `\connect`.
    PsqlMeta,
    /// A MySQL client `DELIMITER x` line.
    Delimiter,
}

/// A quote or comment that never closes; `offset` is the byte offset of its opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitProblem {
    pub kind: SplitProblemKind,
    pub offset: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitProblemKind {
    UnterminatedString,
    UnterminatedQuotedIdentifier,
    /// `tag` is the text between the two `$` of the opening delimiter (empty for `$$`).
    UnterminatedDollarQuote {
        tag: String,
    },
    UnterminatedComment,
}

impl SplitProblemKind {
    pub fn describe(&self) -> String {
        match self {
            SplitProblemKind::UnterminatedString => "unterminated string literal".to_string(),
            SplitProblemKind::UnterminatedQuotedIdentifier => {
                "unterminated quoted identifier".to_string()
            }
            SplitProblemKind::UnterminatedDollarQuote { tag } => {
                format!("unterminated dollar-quoted string ${tag}$")
            }
            SplitProblemKind::UnterminatedComment => "unterminated block comment".to_string(),
        }
    }
}

/// Splits `text` into statements and client command lines as `dialect`'s command-line client
/// would send them.
pub fn split(text: &str, dialect: Dialect) -> Split {
    let mut splitter = Splitter::new(text, dialect);
    while let Some(&byte) = splitter.bytes.get(splitter.pos) {
        splitter.step(byte);
    }
    splitter.finish()
}

/// The few keywords that decide where routine bodies open and close.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Keyword {
    Create,
    Or,
    Replace,
    Definer,
    Aggregate,
    CurrentUser,
    Procedure,
    Function,
    Trigger,
    Event,
    Begin,
    End,
    Case,
    If,
    While,
    Loop,
    Repeat,
    Then,
    Else,
    Do,
    Row,
    Copy,
    From,
    Stdin,
    Other,
}

const KEYWORDS: [(&str, Keyword); 24] = [
    ("CREATE", Keyword::Create),
    ("OR", Keyword::Or),
    ("REPLACE", Keyword::Replace),
    ("DEFINER", Keyword::Definer),
    ("AGGREGATE", Keyword::Aggregate),
    ("CURRENT_USER", Keyword::CurrentUser),
    ("PROCEDURE", Keyword::Procedure),
    ("FUNCTION", Keyword::Function),
    ("TRIGGER", Keyword::Trigger),
    ("EVENT", Keyword::Event),
    ("BEGIN", Keyword::Begin),
    ("END", Keyword::End),
    ("CASE", Keyword::Case),
    ("IF", Keyword::If),
    ("WHILE", Keyword::While),
    ("LOOP", Keyword::Loop),
    ("REPEAT", Keyword::Repeat),
    ("THEN", Keyword::Then),
    ("ELSE", Keyword::Else),
    ("DO", Keyword::Do),
    ("ROW", Keyword::Row),
    ("COPY", Keyword::Copy),
    ("FROM", Keyword::From),
    ("STDIN", Keyword::Stdin),
];

impl Keyword {
    fn of(word: &[u8]) -> Keyword {
        KEYWORDS
            .iter()
            .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))
            .map_or(Keyword::Other, |&(_, keyword)| keyword)
    }
}

/// A significant token, reduced to what routine-body tracking needs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Keyword),
    Punct(u8),
    /// A string, quoted identifier, dollar quote or numbered parameter.
    Literal,
}

/// How far the statement's opening words show it to be a routine definition.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Header {
    Start,
    AfterCreate,
    Routine,
    NotRoutine,
}

/// How far the statement's words show it to be a PostgreSQL `COPY ... FROM STDIN`, whose
/// data lines follow it in the file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum CopyProgress {
    Start,
    SawCopy,
    FromStdin,
    NotFromStdin,
}

/// An open block inside a routine body. A `CASE` expression is told apart from block
/// statements because its `THEN`/`ELSE` are followed by expressions (where `IF(...)` is a
/// function), not by statements.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Block {
    Compound,
    CaseExpression,
}

/// The statement being scanned.
#[derive(Debug)]
struct Pending {
    start: usize,
    end: usize,
    header: Header,
    blocks: Vec<Block>,
    paren_depth: u32,
    prev: Option<Token>,
    copy: CopyProgress,
}

impl Pending {
    fn new(start: usize) -> Pending {
        Pending {
            start,
            end: start,
            header: Header::Start,
            blocks: Vec::new(),
            paren_depth: 0,
            prev: None,
            copy: CopyProgress::Start,
        }
    }

    fn observe(&mut self, token: Token, dialect: Dialect) {
        self.header = self.next_header(token, dialect);
        self.copy = match (self.copy, token) {
            (CopyProgress::Start, Token::Word(Keyword::Copy)) => CopyProgress::SawCopy,
            (CopyProgress::Start, _) => CopyProgress::NotFromStdin,
            (CopyProgress::SawCopy, Token::Word(Keyword::Stdin))
                if self.prev == Some(Token::Word(Keyword::From)) =>
            {
                CopyProgress::FromStdin
            }
            (progress, _) => progress,
        };
        if self.header == Header::Routine {
            self.track_block(token, dialect);
        }
        match token {
            Token::Punct(b'(') => self.paren_depth += 1,
            Token::Punct(b')') => self.paren_depth = self.paren_depth.saturating_sub(1),
            _ => {}
        }
        self.prev = Some(token);
    }

    /// `CREATE [OR REPLACE] [DEFINER = user] [AGGREGATE] PROCEDURE|FUNCTION|...` marks a
    /// routine; any other word after `CREATE` rules it out.
    fn next_header(&self, token: Token, dialect: Dialect) -> Header {
        match self.header {
            Header::Start if token == Token::Word(Keyword::Create) => Header::AfterCreate,
            Header::Start => Header::NotRoutine,
            Header::AfterCreate => match token {
                Token::Word(Keyword::Procedure | Keyword::Function) => Header::Routine,
                Token::Word(Keyword::Trigger | Keyword::Event) if dialect == Dialect::Mysql => {
                    Header::Routine
                }
                Token::Word(
                    Keyword::Or
                    | Keyword::Replace
                    | Keyword::Definer
                    | Keyword::Aggregate
                    | Keyword::CurrentUser,
                )
                | Token::Punct(b'=' | b'@' | b'(' | b')')
                | Token::Literal => Header::AfterCreate,
                Token::Word(_) if matches!(self.prev, Some(Token::Punct(b'=' | b'@'))) => {
                    Header::AfterCreate
                }
                _ => Header::NotRoutine,
            },
            settled => settled,
        }
    }

    /// Follows `BEGIN ... END` nesting in a routine. PostgreSQL only has `BEGIN ATOMIC` and
    /// `CASE` expressions; MySQL adds `IF`, `CASE`, `LOOP`, `WHILE` and `REPEAT` statements,
    /// which open a block only where a statement may start (`IF(...)` is also a function and
    /// `END IF` closes with the `END`).
    fn track_block(&mut self, token: Token, dialect: Dialect) {
        let Token::Word(keyword) = token else {
            return;
        };
        let mysql = dialect == Dialect::Mysql;
        match keyword {
            Keyword::Begin => self.blocks.push(Block::Compound),
            Keyword::Case if self.prev == Some(Token::Word(Keyword::End)) => {}
            Keyword::Case if mysql && self.at_statement_start() => {
                self.blocks.push(Block::Compound)
            }
            Keyword::Case if !self.blocks.is_empty() => self.blocks.push(Block::CaseExpression),
            Keyword::If | Keyword::While | Keyword::Loop | Keyword::Repeat
                if mysql && self.at_statement_start() =>
            {
                self.blocks.push(Block::Compound)
            }
            Keyword::End => {
                self.blocks.pop();
            }
            _ => {}
        }
    }

    /// Whether the next token starts a statement of a MySQL routine body.
    fn at_statement_start(&self) -> bool {
        match self.prev {
            Some(Token::Punct(b';' | b':')) => true,
            Some(Token::Word(
                Keyword::Begin | Keyword::Do | Keyword::Loop | Keyword::Repeat | Keyword::Row,
            )) => true,
            Some(Token::Word(Keyword::Then | Keyword::Else)) => {
                self.blocks.last() != Some(&Block::CaseExpression)
            }
            _ => false,
        }
    }
}

/// A goose annotation that changes how statements are delimited.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum GooseMark {
    StatementBegin,
    StatementEnd,
}

/// `comment` is a whole `--` line comment.
fn goose_mark(comment: &str) -> Option<GooseMark> {
    let body = comment.strip_prefix("--")?.trim_start();
    let command = strip_prefix_ignore_case(body, "+goose")?.trim_start();
    if strip_prefix_ignore_case(command, "StatementBegin").is_some() {
        Some(GooseMark::StatementBegin)
    } else if strip_prefix_ignore_case(command, "StatementEnd").is_some() {
        Some(GooseMark::StatementEnd)
    } else {
        None
    }
}

fn strip_prefix_ignore_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// Identifier bytes in both dialects: letters, digits, `_`, `$` and any non-ASCII byte.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

fn is_dollar_tag_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_dollar_tag_byte(byte: u8) -> bool {
    is_dollar_tag_start(byte) || byte.is_ascii_digit()
}

struct Splitter<'a> {
    text: &'a str,
    bytes: &'a [u8],
    dialect: Dialect,
    /// Where the content starts, after a byte-order mark.
    body_start: usize,
    pos: usize,
    /// The statement terminator: always `;` for PostgreSQL, the current `DELIMITER` for MySQL.
    delimiter: &'a str,
    in_goose_region: bool,
    /// The opening of the MySQL `/*! ... */` conditional comment being scanned.
    conditional_comment: Option<usize>,
    pending: Option<Pending>,
    statements: Vec<RawStatement>,
    problems: Vec<SplitProblem>,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, dialect: Dialect) -> Splitter<'a> {
        let body_start = if text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        Splitter {
            text,
            bytes: text.as_bytes(),
            dialect,
            body_start,
            pos: body_start,
            delimiter: ";",
            in_goose_region: false,
            conditional_comment: None,
            pending: None,
            statements: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn mysql(&self) -> bool {
        self.dialect == Dialect::Mysql
    }

    /// The byte at `at`, or 0 past the end.
    fn peek(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(0)
    }

    /// Scans the construct starting with `byte` at `self.pos`; always advances.
    fn step(&mut self, byte: u8) {
        let at = self.pos;
        if byte.is_ascii_whitespace() {
            self.pos += 1;
            return;
        }
        if self.client_command(at, byte) {
            return;
        }
        if let Some(len) = self.terminator_len(at) {
            self.pos = at + len;
            self.terminate();
            return;
        }
        let next = self.peek(at + 1);
        match byte {
            b'-' if next == b'-' && self.dash_comment_starts(at) => self.line_comment(at),
            b'#' if self.mysql() => self.line_comment(at),
            b'/' if next == b'*' => self.block_comment(at),
            b'*' if next == b'/' && self.conditional_comment.is_some() => {
                self.conditional_comment = None;
                self.pos = at + 2;
                self.extend(at, at + 2);
            }
            b'\'' => self.quoted(at, at, self.mysql(), SplitProblemKind::UnterminatedString),
            b'"' if self.mysql() => self.quoted(at, at, true, SplitProblemKind::UnterminatedString),
            b'"' => self.quoted(
                at,
                at,
                false,
                SplitProblemKind::UnterminatedQuotedIdentifier,
            ),
            b'`' if self.mysql() => self.quoted(
                at,
                at,
                false,
                SplitProblemKind::UnterminatedQuotedIdentifier,
            ),
            b'$' if !self.mysql() => self.dollar(at),
            _ if is_word_byte(byte) => self.word(at, byte),
            _ => {
                self.pos = at + 1;
                self.token(at, at + 1, Token::Punct(byte));
            }
        }
    }

    fn finish(mut self) -> Split {
        if let Some(open) = self.conditional_comment {
            self.problems.push(SplitProblem {
                kind: SplitProblemKind::UnterminatedComment,
                offset: open as u32,
            });
            self.extend(open, self.text.trim_end().len());
        }
        self.finish_statement();
        self.problems.sort_by_key(|problem| problem.offset);
        Split {
            statements: self.statements,
            problems: self.problems,
        }
    }

    fn push(&mut self, start: usize, end: usize, kind: RawKind) {
        self.statements.push(RawStatement {
            span: Span::new(start, end),
            kind,
        });
    }

    fn finish_statement(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.push(pending.start, pending.end, RawKind::Sql);
        }
    }

    /// Makes `[start, end)` part of the current statement, opening one if needed.
    fn extend(&mut self, start: usize, end: usize) -> &mut Pending {
        let pending = self.pending.get_or_insert_with(|| Pending::new(start));
        pending.end = end;
        pending
    }

    fn token(&mut self, start: usize, end: usize, token: Token) {
        let dialect = self.dialect;
        self.extend(start, end).observe(token, dialect);
    }

    /// Records a quote or comment opened at `open` that never closes: the rest of the file
    /// joins the statement that started at `token_start` (or before).
    fn unterminated(&mut self, kind: SplitProblemKind, open: usize, token_start: usize) {
        self.problems.push(SplitProblem {
            kind,
            offset: open as u32,
        });
        self.extend(token_start, self.text.trim_end().len());
        self.pos = self.bytes.len();
    }

    fn terminator_len(&self, at: usize) -> Option<usize> {
        if self.conditional_comment.is_some() {
            return None;
        }
        let rest = self.bytes.get(at..)?;
        rest.starts_with(self.delimiter.as_bytes())
            .then_some(self.delimiter.len())
    }

    /// Ends the statement at a terminator, or records the `;` inside it when the terminator
    /// does not split.
    fn terminate(&mut self) {
        if !self.terminator_splits() {
            if let Some(pending) = self.pending.as_mut() {
                pending.observe(Token::Punct(b';'), self.dialect);
            }
            return;
        }
        let copy_data_follows = !self.mysql()
            && self
                .pending
                .as_ref()
                .is_some_and(|pending| pending.copy == CopyProgress::FromStdin);
        self.finish_statement();
        if copy_data_follows {
            self.skip_copy_data();
        }
    }

    /// A terminator does not split inside a goose region, a routine body or (PostgreSQL, as
    /// psql does) parentheses. A custom MySQL `DELIMITER` always splits: the file's author
    /// chose it for that.
    fn terminator_splits(&self) -> bool {
        if self.in_goose_region {
            return false;
        }
        let Some(pending) = self.pending.as_ref() else {
            return true;
        };
        let inside_block = !pending.blocks.is_empty() || (!self.mysql() && pending.paren_depth > 0);
        self.delimiter != ";" || !inside_block
    }

    /// Whether nothing but spaces and tabs precede `at` on its line.
    fn at_line_start(&self, at: usize) -> bool {
        self.bytes.get(self.body_start..at).is_some_and(|before| {
            before
                .iter()
                .rev()
                .take_while(|&&byte| byte != b'\n')
                .all(|&byte| byte == b' ' || byte == b'\t')
        })
    }

    /// The offset of the newline ending the line that holds `at`, or the end of the text.
    fn line_end(&self, at: usize) -> usize {
        self.bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&byte| byte == b'\n'))
            .map_or(self.bytes.len(), |offset| at + offset)
    }

    /// The text from `start` to the end of its line, without trailing whitespace.
    fn line_content_end(&self, start: usize, line_end: usize) -> usize {
        start
            + self
                .text
                .get(start..line_end)
                .unwrap_or("")
                .trim_end()
                .len()
    }

    /// Handles a psql meta-command or MySQL `DELIMITER` line starting at `at`.
    fn client_command(&mut self, at: usize, byte: u8) -> bool {
        if self.conditional_comment.is_some() {
            return false;
        }
        match (self.dialect, byte) {
            (Dialect::Postgres, b'\\') if self.at_line_start(at) => {
                self.psql_meta(at);
                true
            }
            (Dialect::Mysql, b'd' | b'D') if self.pending.is_none() && self.at_line_start(at) => {
                self.delimiter_command(at)
            }
            _ => false,
        }
    }

    /// psql runs a meta-command line on its own; a statement still open before it ends there,
    /// since the spans must not overlap (and `\g`-style commands do send the buffer).
    fn psql_meta(&mut self, at: usize) {
        self.finish_statement();
        let line_end = self.line_end(at);
        let end = self.line_content_end(at, line_end);
        self.push(at, end, RawKind::PsqlMeta);
        self.pos = line_end;
        let command = self.text.get(at..end).unwrap_or("").to_ascii_lowercase();
        if command.starts_with("\\copy") && command.contains(" from stdin") {
            self.skip_copy_data();
        }
    }

    /// psql reads the lines after `COPY ... FROM STDIN` (or `\copy`) as table data up to a
    /// `\.` line; they are neither SQL nor statements, so they produce no piece.
    fn skip_copy_data(&mut self) {
        let mut line_start = self.line_end(self.pos) + 1;
        while line_start < self.bytes.len() {
            let line_end = self.line_end(line_start);
            let line = self.text.get(line_start..line_end).unwrap_or("");
            line_start = line_end + 1;
            if line.trim_end() == "\\." {
                break;
            }
        }
        self.pos = line_start.min(self.bytes.len());
    }

    /// `DELIMITER x` at the start of a line between statements (elsewhere the word can be a
    /// column name).
    fn delimiter_command(&mut self, at: usize) -> bool {
        const COMMAND: &str = "DELIMITER";
        let after = at + COMMAND.len();
        let is_command = self
            .bytes
            .get(at..after)
            .is_some_and(|word| word.eq_ignore_ascii_case(COMMAND.as_bytes()))
            && matches!(self.peek(after), b' ' | b'\t' | b'\r' | b'\n' | 0);
        if !is_command {
            return false;
        }
        let line_end = self.line_end(at);
        let text = self.text;
        if let Some(delimiter) = text
            .get(after..line_end)
            .and_then(|argument| argument.split_ascii_whitespace().next())
        {
            self.delimiter = delimiter;
        }
        let end = self.line_content_end(at, line_end);
        self.push(at, end, RawKind::Delimiter);
        self.pos = line_end;
        true
    }

    /// MySQL only starts a `--` comment when whitespace or a control character follows.
    fn dash_comment_starts(&self, at: usize) -> bool {
        let after = self.peek(at + 2);
        !self.mysql() || after.is_ascii_whitespace() || after.is_ascii_control()
    }

    fn line_comment(&mut self, at: usize) {
        let line_end = self.line_end(at);
        self.pos = line_end;
        if self.conditional_comment.is_some() || !self.at_line_start(at) {
            return;
        }
        match self.text.get(at..line_end).and_then(goose_mark) {
            Some(GooseMark::StatementBegin) => {
                self.finish_statement();
                self.in_goose_region = true;
            }
            Some(GooseMark::StatementEnd) if self.in_goose_region => {
                self.finish_statement();
                self.in_goose_region = false;
            }
            _ => {}
        }
    }

    fn block_comment(&mut self, at: usize) {
        let conditional_marker_len = match (self.peek(at + 2), self.peek(at + 3)) {
            (b'!', _) => 3,
            (b'M', b'!') => 4,
            _ => 0,
        };
        if self.mysql() && conditional_marker_len > 0 && self.conditional_comment.is_none() {
            self.open_conditional_comment(at, at + conditional_marker_len);
            return;
        }
        match self.comment_end(at) {
            Some(end) => self.pos = end,
            None => self.unterminated(SplitProblemKind::UnterminatedComment, at, at),
        }
    }

    /// MySQL runs the text of `/*!NNNNN ... */` as SQL, so it is scanned as part of the
    /// statement; the version number is skipped so it is not taken for the first word.
    fn open_conditional_comment(&mut self, at: usize, after_marker: usize) {
        let mut end = after_marker;
        while self.peek(end).is_ascii_digit() {
            end += 1;
        }
        self.conditional_comment = Some(at);
        self.pos = end;
        self.extend(at, end);
    }

    /// The end of the block comment opened at `open`. PostgreSQL nests block comments;
    /// MySQL does not.
    fn comment_end(&self, open: usize) -> Option<usize> {
        let nested = !self.mysql();
        let mut depth = 0usize;
        let mut i = open;
        while let (Some(&first), Some(&second)) = (self.bytes.get(i), self.bytes.get(i + 1)) {
            match (first, second) {
                (b'/', b'*') if nested || depth == 0 => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => i += 1,
            }
        }
        None
    }

    /// A string or quoted identifier whose quote is at `open`; `token_start` is before any
    /// prefix such as PostgreSQL's `E`.
    fn quoted(
        &mut self,
        token_start: usize,
        open: usize,
        backslash_escapes: bool,
        problem: SplitProblemKind,
    ) {
        match self.closing_quote(open, backslash_escapes) {
            Some(end) => {
                self.pos = end;
                self.token(token_start, end, Token::Literal);
            }
            None => self.unterminated(problem, open, token_start),
        }
    }

    /// The end of the quoted run opened at `open` (a doubled quote stands for itself).
    fn closing_quote(&self, open: usize, backslash_escapes: bool) -> Option<usize> {
        let quote = self.peek(open);
        let mut i = open + 1;
        while let Some(&byte) = self.bytes.get(i) {
            let escaped = backslash_escapes && byte == b'\\';
            let doubled = byte == quote && self.peek(i + 1) == quote;
            if escaped || doubled {
                i += 2;
            } else if byte == quote {
                return Some(i + 1);
            } else {
                i += 1;
            }
        }
        None
    }

    /// PostgreSQL `$tag$ ... $tag$`; a `$` not opening one is a parameter such as `$1`.
    fn dollar(&mut self, at: usize) {
        let Some(body_start) = self.dollar_tag_end(at) else {
            let mut end = at + 1;
            while self.peek(end).is_ascii_digit() {
                end += 1;
            }
            self.pos = end;
            let token = if end > at + 1 {
                Token::Literal
            } else {
                Token::Punct(b'$')
            };
            self.token(at, end, token);
            return;
        };
        let delimiter = self.text.get(at..body_start).unwrap_or("$$");
        let close = self
            .text
            .get(body_start..)
            .and_then(|body| body.find(delimiter));
        match close {
            Some(offset) => {
                let end = body_start + offset + delimiter.len();
                self.pos = end;
                self.token(at, end, Token::Literal);
            }
            None => {
                let tag = delimiter.trim_matches('$').to_string();
                self.unterminated(SplitProblemKind::UnterminatedDollarQuote { tag }, at, at);
            }
        }
    }

    /// The end of the opening `$tag$` at `at`, if that is what it is.
    fn dollar_tag_end(&self, at: usize) -> Option<usize> {
        let mut i = at + 1;
        if is_dollar_tag_start(self.peek(i)) {
            while is_dollar_tag_byte(self.peek(i)) {
                i += 1;
            }
        }
        (self.peek(i) == b'$').then_some(i + 1)
    }

    fn word(&mut self, at: usize, first: u8) {
        let mut end = at + 1;
        while is_word_byte(self.peek(end)) && !self.custom_delimiter_at(end) {
            end += 1;
        }
        let escape_string_prefix = matches!(first, b'E' | b'e') && end == at + 1;
        if !self.mysql() && escape_string_prefix && self.peek(end) == b'\'' {
            self.quoted(at, end, true, SplitProblemKind::UnterminatedString);
            return;
        }
        self.pos = end;
        let keyword = self.bytes.get(at..end).map_or(Keyword::Other, Keyword::of);
        self.token(at, end, Token::Word(keyword));
    }

    /// The MySQL client finds its delimiter even glued to a word, as in `END$$`.
    fn custom_delimiter_at(&self, at: usize) -> bool {
        self.delimiter != ";" && self.terminator_len(at).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(src: &str, dialect: Dialect) -> Vec<&str> {
        split(src, dialect)
            .statements
            .iter()
            .map(|statement| statement.span.text(src))
            .collect()
    }

    fn pieces(src: &str, dialect: Dialect) -> Vec<(RawKind, &str)> {
        split(src, dialect)
            .statements
            .iter()
            .map(|statement| (statement.kind, statement.span.text(src)))
            .collect()
    }

    fn pg(src: &str) -> Vec<&str> {
        texts(src, Dialect::Postgres)
    }

    fn my(src: &str) -> Vec<&str> {
        texts(src, Dialect::Mysql)
    }

    fn only_problem(src: &str, dialect: Dialect) -> SplitProblem {
        let problems = split(src, dialect).problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        problems[0].clone()
    }

    fn offset_of(src: &str, needle: &str) -> u32 {
        src.find(needle).expect("needle in source") as u32
    }

    #[test]
    fn statements_end_before_the_terminator_and_the_last_may_lack_one() {
        assert_eq!(pg("SELECT 1; SELECT 2"), ["SELECT 1", "SELECT 2"]);
        assert_eq!(my("SELECT 1;\n\nSELECT 2;\n"), ["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn leading_and_trailing_comments_are_trimmed_inner_ones_kept() {
        let src = "-- head\n/* c */ SELECT /* in; */ 1 -- tail;\n; ;; -- only\n";
        assert_eq!(pg(src), ["SELECT /* in; */ 1"]);
        assert_eq!(my(src), ["SELECT /* in; */ 1"]);
    }

    #[test]
    fn empty_statements_and_comment_only_files_produce_nothing() {
        for src in ["", ";;", " ; \n ;", "-- x\n/* y */\n", "\u{feff}"] {
            assert_eq!(pg(src), Vec::<&str>::new(), "{src:?}");
            assert_eq!(my(src), Vec::<&str>::new(), "{src:?}");
        }
    }

    #[test]
    fn postgres_strings_double_their_quotes_and_only_e_strings_use_backslashes() {
        assert_eq!(
            pg("INSERT INTO t VALUES ('a;b''c;'); SELECT 2"),
            ["INSERT INTO t VALUES ('a;b''c;')", "SELECT 2"]
        );
        assert_eq!(
            pg(r"SELECT E'it\'s; fine', e'\\'; SELECT 'plain\'; SELECT 3;"),
            [
                r"SELECT E'it\'s; fine', e'\\'",
                r"SELECT 'plain\'",
                "SELECT 3"
            ]
        );
    }

    #[test]
    fn postgres_dollar_quotes_hide_semicolons_but_parameters_do_not_open_them() {
        let src = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                   SELECT $tag$ a $$ ; $tag$;\n\
                   PREPARE p AS SELECT $1; SELECT a$b$ FROM t; SELECT $x$;$x$";
        assert_eq!(
            pg(src),
            [
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
                "SELECT $tag$ a $$ ; $tag$",
                "PREPARE p AS SELECT $1",
                "SELECT a$b$ FROM t",
                "SELECT $x$;$x$",
            ]
        );
    }

    #[test]
    fn postgres_quoted_identifiers_double_their_quotes() {
        assert_eq!(
            pg(r#"CREATE TABLE "we;ird""x" (a int); SELECT 1"#),
            [r#"CREATE TABLE "we;ird""x" (a int)"#, "SELECT 1"]
        );
    }

    #[test]
    fn postgres_block_comments_nest() {
        assert_eq!(
            pg("/* a /* b; */ still; */ SELECT 1; SELECT /* x /* y */ ; */ 2;"),
            ["SELECT 1", "SELECT /* x /* y */ ; */ 2"]
        );
    }

    #[test]
    fn mysql_block_comments_do_not_nest() {
        assert_eq!(
            my("/* a /* b */ SELECT 1; SELECT 2"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn psql_meta_command_lines_are_their_own_pieces() {
        let src = "\\set ON_ERROR_STOP on\nSELECT 1;\n  \\connect db \r\nSELECT 2\n\\gset\nSELECT a \\ b;";
        assert_eq!(
            pieces(src, Dialect::Postgres),
            [
                (RawKind::PsqlMeta, "\\set ON_ERROR_STOP on"),
                (RawKind::Sql, "SELECT 1"),
                (RawKind::PsqlMeta, "\\connect db"),
                (RawKind::Sql, "SELECT 2"),
                (RawKind::PsqlMeta, "\\gset"),
                (RawKind::Sql, "SELECT a \\ b"),
            ]
        );
    }

    #[test]
    fn copy_from_stdin_data_lines_are_skipped() {
        let src = "COPY users (id, name) FROM stdin; -- data follows\n\
                   1\tO'Brien; the first\n2\t/* not a comment\n\\.\n\
                   SELECT 1;\n\
                   \\copy users FROM STDIN\n3\t'x\n\\.\r\n\
                   COPY users TO stdout; COPY users FROM '/tmp/u'; SELECT 2";
        assert_eq!(
            pieces(src, Dialect::Postgres),
            [
                (RawKind::Sql, "COPY users (id, name) FROM stdin"),
                (RawKind::Sql, "SELECT 1"),
                (RawKind::PsqlMeta, "\\copy users FROM STDIN"),
                (RawKind::Sql, "COPY users TO stdout"),
                (RawKind::Sql, "COPY users FROM '/tmp/u'"),
                (RawKind::Sql, "SELECT 2"),
            ]
        );
        assert_eq!(split(src, Dialect::Postgres).problems, []);
        let unended = "COPY t FROM stdin;\n1\t'\n";
        assert_eq!(pg(unended), ["COPY t FROM stdin"]);
    }

    #[test]
    fn postgres_begin_atomic_bodies_keep_their_semicolons() {
        let src = "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
                   BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n  SELECT 3;\nEND;\n\
                   BEGIN;\nSELECT 4;\nCOMMIT;";
        assert_eq!(
            pg(src),
            [
                "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
                 BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n  SELECT 3;\nEND",
                "BEGIN",
                "SELECT 4",
                "COMMIT",
            ]
        );
    }

    #[test]
    fn postgres_semicolons_inside_parentheses_do_not_split_as_in_psql() {
        let src = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); \
                   INSERT INTO b VALUES (2)); SELECT 1;";
        assert_eq!(
            pg(src),
            [
                "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); \
                 INSERT INTO b VALUES (2))",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn goose_statement_regions_are_one_statement_in_both_dialects() {
        let src = "-- +goose Up\nSELECT 0;\n-- +goose StatementBegin\n\
                   CREATE FUNCTION f() RETURNS trigger AS 'BEGIN; END' LANGUAGE plpgsql;\n\
                   SELECT 1;\n-- +goose StatementEnd\nSELECT 2;\n";
        let expected = [
            "SELECT 0",
            "CREATE FUNCTION f() RETURNS trigger AS 'BEGIN; END' LANGUAGE plpgsql;\nSELECT 1",
            "SELECT 2",
        ];
        assert_eq!(pg(src), expected);
        assert_eq!(my(src), expected);
    }

    #[test]
    fn crlf_and_byte_order_mark_keep_spans_in_the_original_text() {
        let src = "\u{feff}SELECT 1;\r\n-- c\r\nSELECT\r\n  2\r\n";
        for dialect in [Dialect::Postgres, Dialect::Mysql] {
            let split = split(src, dialect);
            assert_eq!(split.statements[0].span, Span::new(3, 11));
            assert_eq!(texts(src, dialect), ["SELECT 1", "SELECT\r\n  2"]);
        }
        let meta = "\u{feff}\\set x 1\r\nSELECT 1\r\n";
        assert_eq!(
            pieces(meta, Dialect::Postgres),
            [(RawKind::PsqlMeta, "\\set x 1"), (RawKind::Sql, "SELECT 1")]
        );
    }

    #[test]
    fn unterminated_string_swallows_the_rest_of_the_file() {
        let src = "SELECT 1; SELECT 'abc;\nSELECT 2;\n";
        assert_eq!(pg(src), ["SELECT 1", "SELECT 'abc;\nSELECT 2;"]);
        let problem = only_problem(src, Dialect::Postgres);
        assert_eq!(problem.kind, SplitProblemKind::UnterminatedString);
        assert_eq!(problem.offset, offset_of(src, "'"));

        let escaped = r"SELECT E'it\';";
        let problem = only_problem(escaped, Dialect::Postgres);
        assert_eq!(problem.offset, offset_of(escaped, "'"));
        assert_eq!(pg(escaped), [escaped]);

        let mysql = "SELECT \"a\\\";";
        let problem = only_problem(mysql, Dialect::Mysql);
        assert_eq!(problem.kind, SplitProblemKind::UnterminatedString);
        assert_eq!(problem.offset, 7);
    }

    #[test]
    fn unterminated_quoted_identifiers_are_reported_at_their_quote() {
        let src = "SELECT 1;\nSELECT \"a;";
        assert_eq!(pg(src), ["SELECT 1", "SELECT \"a;"]);
        let problem = only_problem(src, Dialect::Postgres);
        assert_eq!(problem.kind, SplitProblemKind::UnterminatedQuotedIdentifier);
        assert_eq!(problem.offset, offset_of(src, "\""));

        let src = "SELECT `a``;";
        let problem = only_problem(src, Dialect::Mysql);
        assert_eq!(problem.kind, SplitProblemKind::UnterminatedQuotedIdentifier);
        assert_eq!(problem.offset, 7);
    }

    #[test]
    fn unterminated_dollar_quote_names_its_tag() {
        let src = "SELECT 1;\nCREATE FUNCTION f() AS $fn$ SELECT 1; $$ \n";
        assert_eq!(
            pg(src),
            ["SELECT 1", "CREATE FUNCTION f() AS $fn$ SELECT 1; $$"]
        );
        let problem = only_problem(src, Dialect::Postgres);
        assert_eq!(
            problem.kind,
            SplitProblemKind::UnterminatedDollarQuote {
                tag: "fn".to_string()
            }
        );
        assert_eq!(problem.offset, offset_of(src, "$fn$"));
        assert_eq!(
            problem.kind.describe(),
            "unterminated dollar-quoted string $fn$"
        );
    }

    #[test]
    fn unterminated_block_comment_becomes_the_last_statement() {
        let src = "SELECT 1; /* x /* y */ ;\n";
        assert_eq!(pg(src), ["SELECT 1", "/* x /* y */ ;"]);
        let problem = only_problem(src, Dialect::Postgres);
        assert_eq!(problem.kind, SplitProblemKind::UnterminatedComment);
        assert_eq!(problem.offset, 10);
        assert_eq!(split(src, Dialect::Mysql).problems, []);

        let conditional = "SELECT 1; /*!40101 SET a = 1; ";
        assert_eq!(my(conditional), ["SELECT 1", "/*!40101 SET a = 1;"]);
        assert_eq!(only_problem(conditional, Dialect::Mysql).offset, 10);
    }

    #[test]
    fn deep_nesting_neither_recurses_nor_slows_down() {
        let comments = format!("{}{} SELECT 1", "/*".repeat(10_000), "*/".repeat(10_000));
        assert_eq!(pg(&comments), ["SELECT 1"]);
        let parens = format!(
            "SELECT {}1{}; SELECT 2",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert_eq!(pg(&parens).len(), 2);
        let blocks = format!(
            "CREATE PROCEDURE p() {} SELECT 1; {}; SELECT 2",
            "BEGIN ".repeat(10_000),
            "END ".repeat(10_000)
        );
        assert_eq!(my(&blocks).len(), 2);
    }

    #[test]
    fn mysql_backticks_double_their_quotes() {
        assert_eq!(
            my("CREATE TABLE `a;``b` (x int); SELECT 1"),
            ["CREATE TABLE `a;``b` (x int)", "SELECT 1"]
        );
    }

    #[test]
    fn mysql_comments_hash_and_dash_dash_with_whitespace_only() {
        let src = "SELECT 1--2;\nSELECT 2 # c;\n;--\tc;\nSELECT 3;--";
        assert_eq!(my(src), ["SELECT 1--2", "SELECT 2", "SELECT 3"]);
        assert_eq!(pg("SELECT 1--2;\nSELECT 3"), ["SELECT 1--2;\nSELECT 3"]);
    }

    #[test]
    fn mysql_strings_accept_backslash_and_doubled_quotes() {
        let src = r#"INSERT INTO t VALUES ('it\'s; ok', "dq \" ; x", 'a''b;'); SELECT 2;"#;
        assert_eq!(
            my(src),
            [
                r#"INSERT INTO t VALUES ('it\'s; ok', "dq \" ; x", 'a''b;')"#,
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn mysql_has_no_dollar_quotes() {
        assert_eq!(my("SELECT $$ ; SELECT 2"), ["SELECT $$", "SELECT 2"]);
        assert_eq!(pg("SELECT $$ ; SELECT 2"), ["SELECT $$ ; SELECT 2"]);
    }

    #[test]
    fn mysql_conditional_comments_stay_in_the_statement() {
        let src = "/*!40101 SET NAMES utf8 */;\n\
                   /*!50003 CREATE*/ /*!50020 DEFINER=`root`@`%`*/ /*!50003 TRIGGER t BEFORE \
                   INSERT ON x FOR EACH ROW SET NEW.a = 1 */;\n\
                   /*!40101 SET a = 1; SET b = 2 */; /*M!100101 SET c = 3 */;\n\
                   SELECT /*+ BKA(t) */ 1;";
        assert_eq!(
            my(src),
            [
                "/*!40101 SET NAMES utf8 */",
                "/*!50003 CREATE*/ /*!50020 DEFINER=`root`@`%`*/ /*!50003 TRIGGER t BEFORE \
                 INSERT ON x FOR EACH ROW SET NEW.a = 1 */",
                "/*!40101 SET a = 1; SET b = 2 */",
                "/*M!100101 SET c = 3 */",
                "SELECT /*+ BKA(t) */ 1",
            ]
        );
    }

    #[test]
    fn mysql_delimiter_lines_change_the_terminator() {
        let src = "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND$$\n\
                   delimiter //\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END //\n\
                   DELIMITER ;\nSELECT 2;";
        assert_eq!(
            pieces(src, Dialect::Mysql),
            [
                (RawKind::Delimiter, "DELIMITER $$"),
                (
                    RawKind::Sql,
                    "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND"
                ),
                (RawKind::Delimiter, "delimiter //"),
                (
                    RawKind::Sql,
                    "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END"
                ),
                (RawKind::Delimiter, "DELIMITER ;"),
                (RawKind::Sql, "SELECT 2"),
            ]
        );
    }

    #[test]
    fn mysql_delimiter_word_inside_a_statement_is_a_column_name() {
        let src = "CREATE TABLE t (\ndelimiter varchar(3)\n);\nSELECT 1";
        assert_eq!(
            my(src),
            ["CREATE TABLE t (\ndelimiter varchar(3)\n)", "SELECT 1"]
        );
    }

    #[test]
    fn mysql_routine_bodies_without_delimiter_keep_their_semicolons() {
        let body = "CREATE DEFINER=`root`@`localhost` PROCEDURE p(IN n INT)\n\
                    BEGIN\n\
                    \x20 DECLARE i INT DEFAULT 0;\n\
                    \x20 lbl: WHILE i < n DO\n\
                    \x20   IF i = 2 THEN SET i = i + 1; ITERATE lbl; END IF;\n\
                    \x20   SET i = IF(i > 5, i, i + 1);\n\
                    \x20   CASE WHEN i > 3 THEN SELECT 1; ELSE IF i > 1 THEN SELECT 2; END IF; END CASE;\n\
                    \x20 END WHILE lbl;\n\
                    \x20 l2: LOOP LEAVE l2; END LOOP l2;\n\
                    \x20 REPEAT SET i = i - 1; UNTIL i = 0 END REPEAT;\n\
                    \x20 SELECT CASE WHEN i = 0 THEN IF(1, 2, 3) ELSE IF(4, 5, 6) END;\n\
                    \x20 BEGIN END;\n\
                    END";
        let src = format!("{body};\nBEGIN;\nSELECT 1;\nCOMMIT;");
        assert_eq!(my(&src), [body, "BEGIN", "SELECT 1", "COMMIT"]);
    }

    #[test]
    fn mysql_triggers_events_and_functions_without_delimiter() {
        assert_eq!(
            my("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1; SELECT 1;"),
            [
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1",
                "SELECT 1"
            ]
        );
        assert_eq!(
            my(
                "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW IF NEW.a > 0 THEN \
                SET NEW.b = 1; END IF; SELECT 1;"
            ),
            [
                "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW IF NEW.a > 0 THEN \
                 SET NEW.b = 1; END IF",
                "SELECT 1"
            ]
        );
        assert_eq!(
            my("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END; SELECT 1"),
            [
                "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END",
                "SELECT 1"
            ]
        );
        assert_eq!(
            my("CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1; SELECT f();"),
            [
                "CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1",
                "SELECT f()"
            ]
        );
    }

    #[test]
    fn begin_outside_a_routine_is_a_transaction() {
        let src = "BEGIN;\nCREATE TABLE IF NOT EXISTS t (a int);\nDROP TABLE IF EXISTS t;\nCOMMIT;";
        let expected = [
            "BEGIN",
            "CREATE TABLE IF NOT EXISTS t (a int)",
            "DROP TABLE IF EXISTS t",
            "COMMIT",
        ];
        assert_eq!(my(src), expected);
        assert_eq!(pg(src), expected);
    }

    #[test]
    fn problems_describe_themselves() {
        assert_eq!(
            SplitProblemKind::UnterminatedString.describe(),
            "unterminated string literal"
        );
        assert_eq!(
            SplitProblemKind::UnterminatedDollarQuote { tag: String::new() }.describe(),
            "unterminated dollar-quoted string $$"
        );
    }

    /// The first whitespace-separated word of each statement of `fixture`.
    fn first_words(fixture: &str, dialect: Dialect) -> Vec<(RawKind, &str)> {
        split(fixture, dialect)
            .statements
            .iter()
            .map(|statement| {
                let text = statement.span.text(fixture);
                let first = text.split_ascii_whitespace().next().unwrap_or("");
                (statement.kind, first)
            })
            .collect()
    }

    type FirstWords = Vec<(RawKind, &'static str)>;

    #[test]
    fn fixtures_split_into_the_expected_statements() {
        use RawKind::{Delimiter, PsqlMeta, Sql};
        let cases: [(&str, &str, Dialect, FirstWords); 7] = [
            (
                "dollar_quoted_function.sql",
                include_str!("../fixtures/splitter/dollar_quoted_function.sql"),
                Dialect::Postgres,
                vec![(Sql, "CREATE"), (Sql, "CREATE"), (Sql, "COMMENT")],
            ),
            (
                "psql_meta_commands.sql",
                include_str!("../fixtures/splitter/psql_meta_commands.sql"),
                Dialect::Postgres,
                vec![
                    (PsqlMeta, "\\set"),
                    (Sql, "SET"),
                    (PsqlMeta, "\\if"),
                    (Sql, "CREATE"),
                    (PsqlMeta, "\\endif"),
                ],
            ),
            (
                "mysql_delimiter_procedure.sql",
                include_str!("../fixtures/splitter/mysql_delimiter_procedure.sql"),
                Dialect::Mysql,
                vec![
                    (Sql, "DROP"),
                    (Delimiter, "DELIMITER"),
                    (Sql, "CREATE"),
                    (Delimiter, "DELIMITER"),
                    (Sql, "CALL"),
                ],
            ),
            (
                "mysql_conditional_comments.sql",
                include_str!("../fixtures/splitter/mysql_conditional_comments.sql"),
                Dialect::Mysql,
                vec![
                    (Sql, "/*!40101"),
                    (Sql, "/*!40014"),
                    (Sql, "CREATE"),
                    (Sql, "/*!40101"),
                ],
            ),
            (
                "goose_statement_block.sql",
                include_str!("../fixtures/splitter/goose_statement_block.sql"),
                Dialect::Postgres,
                vec![
                    (Sql, "CREATE"),
                    (Sql, "CREATE"),
                    (Sql, "DROP"),
                    (Sql, "DROP"),
                ],
            ),
            (
                "unterminated_string.sql",
                include_str!("../fixtures/splitter/unterminated_string.sql"),
                Dialect::Postgres,
                vec![(Sql, "CREATE"), (Sql, "INSERT")],
            ),
            (
                "crlf_bom.sql",
                include_str!("../fixtures/splitter/crlf_bom.sql"),
                Dialect::Postgres,
                vec![(Sql, "CREATE"), (Sql, "ALTER")],
            ),
        ];
        for (name, fixture, dialect, expected) in cases {
            assert_eq!(first_words(fixture, dialect), expected, "{name}");
        }
        let unterminated = include_str!("../fixtures/splitter/unterminated_string.sql");
        assert_eq!(
            only_problem(unterminated, Dialect::Postgres).kind,
            SplitProblemKind::UnterminatedString
        );
        let crlf_bom = include_str!("../fixtures/splitter/crlf_bom.sql");
        assert!(crlf_bom.starts_with('\u{feff}') && crlf_bom.contains("\r\n"));
    }

    /// The invariants every split keeps, whatever the input.
    fn assert_well_formed(src: &str, dialect: Dialect) -> Result<(), TestCaseError> {
        let split = split(src, dialect);
        let mut previous_end = 0;
        for statement in &split.statements {
            let (start, end) = (statement.span.start as usize, statement.span.end as usize);
            prop_assert!(start < end, "empty span {statement:?}");
            prop_assert!(end <= src.len(), "span out of bounds {statement:?}");
            prop_assert!(src.is_char_boundary(start) && src.is_char_boundary(end));
            prop_assert!(start >= previous_end, "overlapping {statement:?}");
            previous_end = end;
        }
        for problem in &split.problems {
            prop_assert!((problem.offset as usize) < src.len());
        }
        Ok(())
    }

    const FRAGMENTS: &[&str] = &[
        "'",
        "\"",
        "`",
        "$$",
        "$a$",
        "$1",
        "/*",
        "*/",
        "/*!",
        "/*M!",
        ";",
        "--",
        "-- ",
        "#",
        "\n",
        "\r\n",
        "\\",
        "\\set x\n",
        "E'",
        "\\'",
        "BEGIN ",
        "END ",
        "CREATE PROCEDURE p() ",
        "CREATE FUNCTION ",
        "IF ",
        "CASE ",
        "THEN ",
        "(",
        ")",
        "DELIMITER $$\n",
        "DELIMITER ;\n",
        "-- +goose StatementBegin\n",
        "-- +goose StatementEnd\n",
        "x",
        " ",
        "é",
        "\u{feff}",
    ];

    proptest! {
        #[test]
        fn arbitrary_text_splits_into_ordered_in_bounds_spans(src in any::<String>()) {
            assert_well_formed(&src, Dialect::Postgres)?;
            assert_well_formed(&src, Dialect::Mysql)?;
        }

        #[test]
        fn sql_fragment_mixes_split_into_ordered_in_bounds_spans(
            parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..60)
        ) {
            let src = parts.concat();
            assert_well_formed(&src, Dialect::Postgres)?;
            assert_well_formed(&src, Dialect::Mysql)?;
        }
    }
}
