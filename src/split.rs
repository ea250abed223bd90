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
    /// The bodies of goose `StatementBegin` ... `StatementEnd` regions. goose sends each body
    /// to the server as one query string, but the server still runs its statements one by
    /// one, so they are split like any others; the region only tells how they are sent.
    pub goose_blocks: Vec<Span>,
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

impl Keyword {
    /// Every word of every statement is looked up here, so by a match on the upper-cased
    /// word (a switch on its length, then a comparison), not by a scan of the list.
    fn of(word: &[u8]) -> Keyword {
        let mut upper = [0u8; 12];
        let Some(upper) = upper.get_mut(..word.len()) else {
            return Keyword::Other;
        };
        for (to, from) in upper.iter_mut().zip(word) {
            *to = from.to_ascii_uppercase();
        }
        match &*upper {
            b"CREATE" => Keyword::Create,
            b"OR" => Keyword::Or,
            b"REPLACE" => Keyword::Replace,
            b"DEFINER" => Keyword::Definer,
            b"AGGREGATE" => Keyword::Aggregate,
            b"CURRENT_USER" => Keyword::CurrentUser,
            b"PROCEDURE" => Keyword::Procedure,
            b"FUNCTION" => Keyword::Function,
            b"TRIGGER" => Keyword::Trigger,
            b"EVENT" => Keyword::Event,
            b"BEGIN" => Keyword::Begin,
            b"END" => Keyword::End,
            b"CASE" => Keyword::Case,
            b"IF" => Keyword::If,
            b"WHILE" => Keyword::While,
            b"LOOP" => Keyword::Loop,
            b"REPEAT" => Keyword::Repeat,
            b"THEN" => Keyword::Then,
            b"ELSE" => Keyword::Else,
            b"DO" => Keyword::Do,
            b"ROW" => Keyword::Row,
            b"COPY" => Keyword::Copy,
            b"FROM" => Keyword::From,
            b"STDIN" => Keyword::Stdin,
            _ => Keyword::Other,
        }
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

/// The end of the opening PostgreSQL `$tag$` at `at` of `bytes`, if that is what it is (a
/// `$` followed by a digit is a parameter such as `$1`).
pub fn dollar_tag_end(bytes: &[u8], at: usize) -> Option<usize> {
    let peek = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut i = at + 1;
    if is_dollar_tag_start(peek(i)) {
        while is_dollar_tag_byte(peek(i)) {
            i += 1;
        }
    }
    (peek(i) == b'$').then_some(i + 1)
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
    /// Where the body of the open goose `StatementBegin` region starts.
    goose_region: Option<usize>,
    goose_blocks: Vec<Span>,
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
            goose_region: None,
            goose_blocks: Vec::new(),
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
        if let Some(start) = self.goose_region.take() {
            self.goose_blocks.push(Span::new(start, self.text.len()));
        }
        self.problems.sort_by_key(|problem| problem.offset);
        Split {
            statements: self.statements,
            problems: self.problems,
            goose_blocks: self.goose_blocks,
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

    /// A terminator does not split inside a routine body or (PostgreSQL, as psql does)
    /// parentheses. A custom MySQL `DELIMITER` always splits: the file's author chose it for
    /// that.
    fn terminator_splits(&self) -> bool {
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
                self.goose_region = Some(line_end);
            }
            Some(GooseMark::StatementEnd) => {
                if let Some(start) = self.goose_region.take() {
                    self.finish_statement();
                    self.goose_blocks.push(Span::new(start, at));
                }
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

    fn dollar_tag_end(&self, at: usize) -> Option<usize> {
        dollar_tag_end(self.bytes, at)
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
mod tests;
