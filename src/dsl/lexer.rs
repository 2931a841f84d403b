//! The lexer: text → tokens with spans. It never stops at an error: a bad character or an
//! unterminated string becomes a diagnostic and lexing goes on.
//!
//! Keywords are contextual: the lexer yields identifiers and the parser decides, so a field
//! called `present` and the test `is present` can live side by side. Identifiers may contain
//! `-` between two letters or digits (kebab-case measure ids such as
//! `core.pain-intensity-quantified`); write subtraction with spaces (`a - b`).

use super::diagnostic::Diagnostic;
use super::span::Span;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A name or contextual keyword.
    Ident(String),
    /// A decimal literal, as written.
    Number(String),
    /// A string literal, unescaped.
    Str(String),
    /// A date literal `@YYYY-MM-DD`, as written after the `@`.
    Date(String),
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    DotDot,
    Colon,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    /// A character the lexer rejected (already reported).
    Error,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token reads in a message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Number(n) => format!("number `{n}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Date(d) => format!("date `@{d}`"),
            Tok::Eof => "end of file".into(),
            Tok::Error => "an invalid character".into(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::DotDot => "..",
            Tok::Colon => ":",
            Tok::Eq => "=",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            _ => "",
        }
    }
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
}

/// Lexes `text` into tokens (always ending with `Eof`) and the diagnostics found on the way.
pub(crate) fn lex(text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        diags: Vec::new(),
    };
    lx.run();
    (lx.tokens, lx.diags)
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.pos
            .checked_add(k)
            .and_then(|i| self.bytes.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Moves past `n` bytes. The position never passes the text's length plus a few bytes,
    /// and a text is at most `isize::MAX` bytes: the addition never saturates.
    fn bump(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.tokens.push(Token {
            tok,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) {
        while let Some(&c) = self.bytes.get(self.pos) {
            let start = self.pos;
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(1),
                b'#' => {
                    while self.bytes.get(self.pos).is_some_and(|&b| b != b'\n') {
                        self.bump(1);
                    }
                }
                b'"' => self.string(),
                b'@' => self.date(),
                b'0'..=b'9' => self.number(),
                c if is_ident_start(c) => self.ident(),
                _ => self.punct(start, c),
            }
        }
        let end = self.bytes.len();
        self.tokens.push(Token {
            tok: Tok::Eof,
            span: Span::new(end, end),
        });
    }

    fn punct(&mut self, start: usize, c: u8) {
        let two = |lx: &mut Self, tok: Tok| {
            lx.bump(2);
            lx.push(tok, start);
        };
        let one = |lx: &mut Self, tok: Tok| {
            lx.bump(1);
            lx.push(tok, start);
        };
        match (c, self.peek(1)) {
            (b'.', b'.') => two(self, Tok::DotDot),
            (b'!', b'=') => two(self, Tok::Ne),
            (b'<', b'=') => two(self, Tok::Le),
            (b'>', b'=') => two(self, Tok::Ge),
            (b'{', _) => one(self, Tok::LBrace),
            (b'}', _) => one(self, Tok::RBrace),
            (b'(', _) => one(self, Tok::LParen),
            (b')', _) => one(self, Tok::RParen),
            (b'[', _) => one(self, Tok::LBracket),
            (b']', _) => one(self, Tok::RBracket),
            (b',', _) => one(self, Tok::Comma),
            (b'.', _) => one(self, Tok::Dot),
            (b':', _) => one(self, Tok::Colon),
            (b'=', _) => one(self, Tok::Eq),
            (b'<', _) => one(self, Tok::Lt),
            (b'>', _) => one(self, Tok::Gt),
            (b'+', _) => one(self, Tok::Plus),
            (b'-', _) => one(self, Tok::Minus),
            (b'*', _) => one(self, Tok::Star),
            (b'/', _) => one(self, Tok::Slash),
            _ => {
                // Skip the whole (possibly multi-byte) character.
                let len = self.text[start..].chars().next().map_or(1, char::len_utf8);
                self.bump(len);
                self.push(Tok::Error, start);
                let shown = &self.text[start..self.pos];
                let mut d = Diagnostic::error(
                    "E0001",
                    Span::new(start, self.pos),
                    format!("unexpected character `{}`", shown.escape_debug()),
                );
                if c == b'!' {
                    d = d.with_help("write `!=` for not equal, or `not` for negation");
                } else if c == b'&' || c == b'|' {
                    d = d.with_help("write `and` / `or`");
                } else if c == b'\'' {
                    d = d.with_help("strings use double quotes");
                }
                self.diags.push(d);
            }
        }
    }

    fn ident(&mut self) {
        let start = self.pos;
        let mut previous = None;
        while let Some(&c) = self.bytes.get(self.pos) {
            // A hyphen joins two alphanumeric runs (kebab-case ids).
            let joining_hyphen = c == b'-'
                && previous.is_some_and(is_ident_char)
                && self.peek(1).is_ascii_alphanumeric();
            if !(is_ident_char(c) || joining_hyphen) {
                break;
            }
            previous = Some(c);
            self.bump(1);
        }
        let text = self.text[start..self.pos].to_owned();
        self.push(Tok::Ident(text), start);
    }

    fn number(&mut self) {
        let start = self.pos;
        while self.peek(0).is_ascii_digit() {
            self.bump(1);
        }
        if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            self.bump(1);
            while self.peek(0).is_ascii_digit() {
                self.bump(1);
            }
        }
        let text = self.text[start..self.pos].to_owned();
        self.push(Tok::Number(text), start);
    }

    fn date(&mut self) {
        let start = self.pos;
        self.bump(1);
        let body = self.pos;
        while self.peek(0).is_ascii_digit() || self.peek(0) == b'-' {
            self.bump(1);
        }
        let text = self.text[body..self.pos].to_owned();
        if crate::chart::Date::parse(&text).is_none() {
            self.diags.push(
                Diagnostic::error("E0002", Span::new(start, self.pos), "invalid date literal")
                    .with_help("write a real calendar date as `@YYYY-MM-DD`"),
            );
        }
        self.push(Tok::Date(text), start);
    }

    fn string(&mut self) {
        let start = self.pos;
        self.bump(1);
        let mut out = String::new();
        loop {
            let at = self.pos;
            let Some(c) = self.text[self.pos..].chars().next() else {
                self.diags.push(
                    Diagnostic::error("E0003", Span::new(start, self.pos), "unterminated string")
                        .with_help("close the string with `\"`"),
                );
                break;
            };
            self.bump(c.len_utf8());
            match c {
                '"' => break,
                '\n' => {
                    self.diags.push(
                        Diagnostic::error("E0003", Span::new(start, at), "unterminated string")
                            .with_help("strings end on the line they start; close it with `\"`"),
                    );
                    break;
                }
                '\\' => {
                    let esc_start = at;
                    match self.text[self.pos..].chars().next() {
                        Some(e @ ('"' | '\\')) => {
                            out.push(e);
                            self.bump(1);
                        }
                        Some('n') => {
                            out.push('\n');
                            self.bump(1);
                        }
                        Some(other) => {
                            self.bump(other.len_utf8());
                            self.diags.push(
                                Diagnostic::error(
                                    "E0004",
                                    Span::new(esc_start, self.pos),
                                    "unknown escape in string",
                                )
                                .with_help("the escapes are `\\\"`, `\\\\` and `\\n`"),
                            );
                        }
                        None => {}
                    }
                }
                c => out.push(c),
            }
        }
        self.push(Tok::Str(out), start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let (t, d) = lex(s);
        assert!(d.is_empty(), "{d:?}");
        t.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn kebab_case_ids_are_one_identifier_and_spaced_minus_subtracts() {
        assert_eq!(
            toks("core.pain-intensity a - b x-1"),
            vec![
                Tok::Ident("core".into()),
                Tok::Dot,
                Tok::Ident("pain-intensity".into()),
                Tok::Ident("a".into()),
                Tok::Minus,
                Tok::Ident("b".into()),
                Tok::Ident("x-1".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn literals_and_operators() {
        assert_eq!(
            toks(r#"@2024-02-29 3.50 "a\"b" <= != .. # comment"#),
            vec![
                Tok::Date("2024-02-29".into()),
                Tok::Number("3.50".into()),
                Tok::Str("a\"b".into()),
                Tok::Le,
                Tok::Ne,
                Tok::DotDot,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn errors_are_collected_and_lexing_goes_on() {
        let (t, d) = lex("a & b @2023-02-29 \"open\nc é");
        assert!(t.iter().any(|t| t.tok == Tok::Error));
        let codes: Vec<_> = d.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["E0001", "E0002", "E0003", "E0001"]);
        assert!(t.iter().any(|t| t.tok == Tok::Ident("c".into())));
    }
}
