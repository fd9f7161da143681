//! Tokens of one `.x` text, with their line and column.
//!
//! The lexer knows the line structure that rpcgen and cpp give the XDR
//! language: a line whose first character is `%` is C passed through
//! ([`Kind::PassThrough`]), a line whose first non-blank character is `#` is
//! a preprocessor directive ([`Kind::Directive`]); both may continue onto
//! the next line with a backslash at the end (cpp's line splicing). `/* */`
//! and `//` comments are skipped everywhere else. It does not decide what
//! is active: a character that cannot start a token becomes a
//! [`Kind::Bad`] token, an error only if the preprocessor finds it in
//! active text (cpp ignores junk in `#if 0` blocks).
//!
//! Contract: never panics; each call consumes at least one byte or returns
//! [`Kind::Eof`]; the only hard error is an unterminated `/*` comment.
//! Columns count characters from 1.

use super::Diag;

/// A token's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// An identifier or keyword.
    Ident(String),
    /// An unsigned integer literal (decimal, `0x` hex or `0` octal).
    Number(u64),
    /// A `"..."` literal, without its quotes.
    Str(String),
    /// One of `{ } ( ) [ ] < > ; , = : * -`.
    Punct(u8),
    /// A `#` line: the text after the `#`, spliced, comments blanked.
    Directive(String),
    /// A `%` line: the text after the `%`, spliced.
    PassThrough(String),
    /// Text that is not a token, with what is wrong with it.
    Bad(String),
    /// The end of the text.
    Eof,
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: Kind,
    pub line: u32,
    pub col: u32,
}

/// Where the lexer is in its text.
#[derive(Debug, Clone)]
pub(super) struct Cursor {
    pos: usize,
    line: u32,
    col: u32,
    /// Only blanks and comments so far on this line.
    line_start: bool,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            pos: 0,
            line: 1,
            col: 1,
            line_start: true,
        }
    }
}

impl Cursor {
    /// The current line and column.
    pub fn line_col(&self) -> (u32, u32) {
        (self.line, self.col)
    }

    fn peek(&self, text: &[u8], ahead: usize) -> Option<u8> {
        text.get(self.pos + ahead).copied()
    }

    /// Moves past one byte, keeping line and column.
    fn bump(&mut self, text: &[u8]) {
        if let Some(&b) = text.get(self.pos) {
            self.pos += 1;
            if b == b'\n' {
                self.line = self.line.saturating_add(1);
                self.col = 1;
                self.line_start = true;
            } else if b & 0xC0 != 0x80 {
                // Count characters, not UTF-8 continuation bytes.
                self.col = self.col.saturating_add(1);
            }
        }
    }

    /// At a backslash that ends the line (`\` then `\n` or `\r\n`): the
    /// bytes to skip, else 0.
    fn splice_len(&self, text: &[u8]) -> usize {
        match (self.peek(text, 0), self.peek(text, 1), self.peek(text, 2)) {
            (Some(b'\\'), Some(b'\n'), _) => 2,
            (Some(b'\\'), Some(b'\r'), Some(b'\n')) => 3,
            _ => 0,
        }
    }
}

/// The next token of `text` from `cur`.
pub(super) fn next(text: &str, cur: &mut Cursor) -> Result<Token, Diag> {
    let b = text.as_bytes();
    if cur.pos == 0 && text.starts_with('\u{feff}') {
        cur.pos = 3; // a byte-order mark is not text
    }
    loop {
        let Some(c) = cur.peek(b, 0) else {
            return Ok(token(cur, Kind::Eof));
        };
        let (line, col) = cur.line_col();
        let at = |kind| Token { kind, line, col };
        if c == b'%' && col == 1 {
            cur.bump(b);
            return Ok(at(Kind::PassThrough(pass_through(b, cur))));
        }
        if c == b'#' && cur.line_start {
            cur.bump(b);
            return Ok(at(Kind::Directive(directive(b, cur)?)));
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c' => cur.bump(b),
            b'/' if cur.peek(b, 1) == Some(b'*') => block_comment(b, cur)?,
            b'/' if cur.peek(b, 1) == Some(b'/') => {
                while cur.peek(b, 0).is_some_and(|c| c != b'\n') {
                    cur.bump(b);
                }
            }
            _ => {
                let kind = lex_token(text, cur);
                cur.line_start = false;
                return Ok(at(kind));
            }
        }
    }
}

fn token(cur: &Cursor, kind: Kind) -> Token {
    let (line, col) = cur.line_col();
    Token { kind, line, col }
}

/// One token starting at a byte that is not blank and not a comment.
fn lex_token(text: &str, cur: &mut Cursor) -> Kind {
    let b = text.as_bytes();
    let start = cur.pos;
    let c = b[start];
    if c.is_ascii_alphabetic() || c == b'_' {
        while cur
            .peek(b, 0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            cur.bump(b);
        }
        return Kind::Ident(text[start..cur.pos].to_string());
    }
    if c.is_ascii_digit() {
        // Take the whole run, so `08` and `12U` are one bad token rather
        // than two good ones.
        while cur
            .peek(b, 0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            cur.bump(b);
        }
        return match parse_number(&text[start..cur.pos]) {
            Ok(n) => Kind::Number(n),
            Err(e) => Kind::Bad(e),
        };
    }
    if c == b'"' {
        cur.bump(b);
        let mut s = String::new();
        loop {
            match cur.peek(b, 0) {
                None | Some(b'\n') => return Kind::Bad("unterminated string literal".into()),
                Some(b'"') => {
                    cur.bump(b);
                    return Kind::Str(s);
                }
                Some(b'\\') if cur.peek(b, 1).is_some_and(|c| c != b'\n') => {
                    cur.bump(b);
                    let at = cur.pos;
                    cur.bump(b);
                    skip_continuation(b, cur);
                    s.push('\\');
                    s.push_str(&text[at..cur.pos]);
                }
                Some(_) => {
                    let at = cur.pos;
                    cur.bump(b);
                    skip_continuation(b, cur);
                    s.push_str(&text[at..cur.pos]);
                }
            }
        }
    }
    cur.bump(b);
    if b"{}()[]<>;,=:*-".contains(&c) {
        return Kind::Punct(c);
    }
    skip_continuation(b, cur);
    let ch = &text[start..cur.pos];
    Kind::Bad(format!("unexpected character `{}`", ch.escape_debug()))
}

/// Moves past the rest of a multi-byte character.
fn skip_continuation(b: &[u8], cur: &mut Cursor) {
    while cur.peek(b, 0).is_some_and(|c| c & 0xC0 == 0x80) {
        cur.bump(b);
    }
}

/// The value of a number literal: decimal, `0x` hex or `0` octal, as the
/// RFC and C write them, without suffixes.
pub(super) fn parse_number(s: &str) -> Result<u64, String> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(format!("malformed number `{s}`"));
    }
    u64::from_str_radix(digits, radix).map_err(|_| format!("number `{s}` is too large"))
}

/// Skips a `/* */` comment starting at the cursor.
fn block_comment(b: &[u8], cur: &mut Cursor) -> Result<(), Diag> {
    let (line, col) = cur.line_col();
    cur.bump(b);
    cur.bump(b);
    loop {
        match cur.peek(b, 0) {
            None => {
                return Err(Diag::here(
                    line,
                    col,
                    "unterminated comment: `/*` without `*/`",
                ));
            }
            Some(b'*') if cur.peek(b, 1) == Some(b'/') => {
                cur.bump(b);
                cur.bump(b);
                return Ok(());
            }
            Some(_) => cur.bump(b),
        }
    }
}

/// The rest of a `%` line, joined with its spliced continuations.
fn pass_through(b: &[u8], cur: &mut Cursor) -> String {
    let mut out = Vec::new();
    loop {
        match cur.peek(b, 0) {
            None => break,
            Some(b'\n') => {
                cur.bump(b);
                break;
            }
            Some(c) => {
                let n = cur.splice_len(b);
                if n > 0 {
                    (0..n).for_each(|_| cur.bump(b));
                } else {
                    out.push(c);
                    cur.bump(b);
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The rest of a `#` line, as cpp sees it: spliced, with comments
/// replaced by a blank (a `/*` comment may carry the line on), and the
/// newline consumed.
fn directive(b: &[u8], cur: &mut Cursor) -> Result<String, Diag> {
    let mut out = Vec::new();
    let mut quote = None;
    while let Some(c) = cur.peek(b, 0) {
        let n = cur.splice_len(b);
        if n > 0 {
            (0..n).for_each(|_| cur.bump(b));
            continue;
        }
        match c {
            b'\n' => {
                cur.bump(b);
                break;
            }
            b'"' | b'\'' if quote.is_none() => quote = Some(c),
            _ if quote == Some(c) => quote = None,
            b'/' if quote.is_none() && cur.peek(b, 1) == Some(b'*') => {
                block_comment(b, cur)?;
                out.push(b' ');
                continue;
            }
            b'/' if quote.is_none() && cur.peek(b, 1) == Some(b'/') => {
                while cur.peek(b, 0).is_some_and(|c| c != b'\n') {
                    cur.bump(b);
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
        cur.bump(b);
    }
    // The next line starts afresh even if a comment carried this one on.
    cur.line_start = true;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<(Kind, u32, u32)> {
        let mut cur = Cursor::default();
        let mut v = Vec::new();
        loop {
            let t = next(text, &mut cur).unwrap();
            if t.kind == Kind::Eof {
                return v;
            }
            v.push((t.kind, t.line, t.col));
        }
    }

    fn id(s: &str) -> Kind {
        Kind::Ident(s.into())
    }

    #[test]
    fn tokens_carry_line_and_character_column() {
        let toks = all("const X = 0x1F;\n  /* é */ opaque\td<>;");
        assert_eq!(
            toks,
            vec![
                (id("const"), 1, 1),
                (id("X"), 1, 7),
                (Kind::Punct(b'='), 1, 9),
                (Kind::Number(31), 1, 11),
                (Kind::Punct(b';'), 1, 15),
                (id("opaque"), 2, 11),
                (id("d"), 2, 18),
                (Kind::Punct(b'<'), 2, 19),
                (Kind::Punct(b'>'), 2, 20),
                (Kind::Punct(b';'), 2, 21),
            ]
        );
    }

    #[test]
    fn numbers_in_three_radixes_and_bad_ones() {
        assert_eq!(parse_number("0"), Ok(0));
        assert_eq!(parse_number("0170000"), Ok(0o170000));
        assert_eq!(parse_number("0xffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(parse_number("4294967295"), Ok(4294967295));
        assert!(parse_number("08").unwrap_err().contains("malformed"));
        assert!(parse_number("12U").is_err());
        assert!(parse_number("0x").is_err());
        assert!(parse_number("0x1_0").is_err());
        assert!(parse_number("18446744073709551616")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(all("a[08]")[2].0, Kind::Bad("malformed number `08`".into()));
    }

    #[test]
    fn pass_through_lines_only_at_column_one() {
        let toks = all("%#define A 1 \\\n  + 2\nint x;\n %no\n");
        assert_eq!(
            toks[0],
            (Kind::PassThrough("#define A 1   + 2".into()), 1, 1)
        );
        assert_eq!(toks[1], (id("int"), 3, 1));
        // Not at column 1: an ordinary (bad) character.
        assert_eq!(toks[4].1, 4);
        assert!(matches!(&toks[4].0, Kind::Bad(m) if m.contains('%')));
    }

    #[test]
    fn directives_splice_and_blank_comments() {
        let toks = all("  #if A /* x\n y */ && \\\n B // c\nint\n#endif");
        assert_eq!(toks[0], (Kind::Directive("if A   &&  B ".into()), 1, 3));
        assert_eq!(toks[1], (id("int"), 4, 1));
        assert_eq!(toks[2], (Kind::Directive("endif".into()), 5, 1));
        // A '#' after a token is not a directive.
        assert!(matches!(&all("x #if")[1].0, Kind::Bad(_)));
        // Quotes protect comment starters in an include name.
        assert_eq!(
            all("#include \"a/*b.x\"")[0].0,
            Kind::Directive("include \"a/*b.x\"".into())
        );
    }

    #[test]
    fn comments_hide_line_starts() {
        // A '%' or '#' inside a comment is comment text.
        let toks = all("/*\n%not\n#if\n*/ x // %y\n");
        assert_eq!(toks, vec![(id("x"), 4, 4)]);
    }

    #[test]
    fn strings_and_bad_characters() {
        assert_eq!(all(r#""d4\"a0""#)[0].0, Kind::Str(r#"d4\"a0"#.into()));
        assert_eq!(
            all("\"open\nx")[0].0,
            Kind::Bad("unterminated string literal".into())
        );
        assert_eq!(all("@")[0].0, Kind::Bad("unexpected character `@`".into()));
        assert_eq!(all("\u{feff}int")[0], (id("int"), 1, 1));
        assert!(matches!(&all("ü")[0].0, Kind::Bad(m) if m.contains('ü')));
    }

    #[test]
    fn unterminated_comment_is_an_error_where_it_starts() {
        let mut cur = Cursor::default();
        let e = loop {
            match next("int x;\n  /* open\n", &mut cur) {
                Ok(t) if t.kind == Kind::Eof => panic!("no error"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert_eq!((e.pos.line, e.pos.col), (2, 3));
        assert!(e.msg.contains("unterminated comment"));
        let mut cur = Cursor::default();
        assert!(next("#if /* open", &mut cur).is_err());
    }
}
