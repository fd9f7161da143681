//! C integer constant expressions: the condition of `#if`/`#elif`, and the
//! value of `#define NAME value` and `%#define NAME value` lines when a
//! `.x` file uses `NAME` as a constant.
//!
//! Integers are `i64` (cpp's `intmax_t`); literals may carry C's `u`/`l`
//! suffixes; a literal above `i64::MAX` wraps as in C. Operators, by
//! precedence: `||`, `&&`, `|`, `^`, `&`, `== !=`, `< > <= >=`, `<< >>`,
//! `+ -`, `* / %`, then unary `! ~ - +` and parentheses. `defined NAME` and
//! `defined(NAME)` work where the caller allows them (`#if`).
//!
//! Contract: never panics (overflow, division by zero and wild shifts are
//! errors, not wraps); recursion is bounded by
//! [`IDL_MAX_NESTING`](crate::limits::IDL_MAX_NESTING) levels of
//! parentheses and unary operators, and names are resolved through the
//! caller's [`Names`], which bounds its own depth.

use crate::limits::IDL_MAX_NESTING;

/// How names in an expression get their values.
pub(super) trait Names {
    /// The value of `name`, or why it has none.
    fn value(&mut self, name: &str) -> Result<i64, String>;
    /// Whether `name` is defined, or `None` when `defined` is not allowed.
    fn defined(&mut self, name: &str) -> Option<bool>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Num(i64),
    Name(&'a str),
    Op(&'static str),
}

const OPS: [&str; 24] = [
    "||", "&&", "==", "!=", "<=", ">=", "<<", ">>", "|", "^", "&", "<", ">", "+", "-", "*", "/",
    "%", "!", "~", "(", ")", "?", ":",
];

fn tokenize(text: &str) -> Result<Vec<Tok<'_>>, String> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if text[i..].starts_with("/*") {
            i = match text[i + 2..].find("*/") {
                Some(j) => i + 2 + j + 2,
                None => return Err("unterminated comment".into()),
            };
        } else if text[i..].starts_with("//") {
            break;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let lit = text[start..i].trim_end_matches(['u', 'U', 'l', 'L']);
            let v = super::lexer::parse_number(lit)?;
            out.push(Tok::Num(v as i64)); // above i64::MAX wraps, as in C
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(&text[start..i]));
        } else if let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) {
            out.push(Tok::Op(op));
            i += op.len();
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(format!("unexpected `{}` in expression", ch.escape_debug()));
        }
    }
    Ok(out)
}

/// Evaluates `text` as a C integer constant expression.
pub(super) fn eval(text: &str, names: &mut dyn Names) -> Result<i64, String> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Err("empty expression".into());
    }
    let mut p = Eval {
        toks: &toks,
        at: 0,
        depth: 0,
        names,
    };
    let v = p.binary(0)?;
    match p.toks.get(p.at) {
        None => Ok(v),
        Some(t) => Err(format!("unexpected {} in expression", show(t))),
    }
}

fn show(t: &Tok<'_>) -> String {
    match t {
        Tok::Num(n) => format!("number {n}"),
        Tok::Name(n) => format!("`{n}`"),
        Tok::Op(o) => format!("`{o}`"),
    }
}

/// Binary operators by precedence level, loosest first.
const LEVELS: [&[&str]; 10] = [
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", ">", "<=", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

struct Eval<'t, 'a, 'n> {
    toks: &'t [Tok<'a>],
    at: usize,
    depth: usize,
    names: &'n mut dyn Names,
}

impl Eval<'_, '_, '_> {
    fn peek_op(&self) -> Option<&'static str> {
        match self.toks.get(self.at) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }

    fn binary(&mut self, level: usize) -> Result<i64, String> {
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut lhs = self.binary(level + 1)?;
        while let Some(op) = self.peek_op().filter(|o| ops.contains(o)) {
            self.at += 1;
            let rhs = self.binary(level + 1)?;
            lhs = apply(op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > IDL_MAX_NESTING {
            return Err(format!(
                "expression nests deeper than {IDL_MAX_NESTING} levels"
            ));
        }
        let v = self.unary_inner();
        self.depth -= 1;
        v
    }

    fn unary_inner(&mut self) -> Result<i64, String> {
        let overflow = || "overflow in constant expression".to_string();
        let tok = self.toks.get(self.at).cloned();
        self.at += 1;
        match tok {
            Some(Tok::Num(n)) => Ok(n),
            Some(Tok::Op("!")) => Ok((self.unary()? == 0) as i64),
            Some(Tok::Op("~")) => Ok(!self.unary()?),
            Some(Tok::Op("-")) => self.unary()?.checked_neg().ok_or_else(overflow),
            Some(Tok::Op("+")) => self.unary(),
            Some(Tok::Op("(")) => {
                let v = self.binary(0)?;
                self.expect(")")?;
                Ok(v)
            }
            Some(Tok::Name("defined")) => {
                let paren = self.peek_op() == Some("(");
                if paren {
                    self.at += 1;
                }
                let name = match self.toks.get(self.at) {
                    Some(Tok::Name(n)) => *n,
                    _ => return Err("`defined` needs a name".into()),
                };
                self.at += 1;
                if paren {
                    self.expect(")")?;
                }
                match self.names.defined(name) {
                    Some(d) => Ok(d as i64),
                    None => Err("`defined` is only for #if".into()),
                }
            }
            Some(Tok::Name(n)) => self.names.value(n),
            Some(t) => Err(format!("unexpected {} in expression", show(&t))),
            None => Err("expression ends early".into()),
        }
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.peek_op() == Some(op) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected `{op}` in expression"))
        }
    }
}

fn apply(op: &str, a: i64, b: i64) -> Result<i64, String> {
    let overflow = || "overflow in constant expression".to_string();
    let shift = |b: i64| {
        u32::try_from(b)
            .ok()
            .filter(|&s| s < 64)
            .ok_or_else(|| format!("shift by {b} is out of range"))
    };
    Ok(match op {
        "||" => (a != 0 || b != 0) as i64,
        "&&" => (a != 0 && b != 0) as i64,
        "|" => a | b,
        "^" => a ^ b,
        "&" => a & b,
        "==" => (a == b) as i64,
        "!=" => (a != b) as i64,
        "<" => (a < b) as i64,
        ">" => (a > b) as i64,
        "<=" => (a <= b) as i64,
        ">=" => (a >= b) as i64,
        "<<" => a.wrapping_shl(shift(b)?),
        ">>" => a >> shift(b)?,
        "+" => a.checked_add(b).ok_or_else(overflow)?,
        "-" => a.checked_sub(b).ok_or_else(overflow)?,
        "*" => a.checked_mul(b).ok_or_else(overflow)?,
        "/" | "%" if b == 0 => return Err("division by zero".into()),
        "/" => a.checked_div(b).ok_or_else(overflow)?,
        "%" => a.checked_rem(b).ok_or_else(overflow)?,
        _ => return Err(format!("`{op}` is not supported")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, i64>, bool);

    impl Names for Map {
        fn value(&mut self, name: &str) -> Result<i64, String> {
            // Undefined names are 0, as in cpp's #if.
            Ok(self.0.get(name).copied().unwrap_or(0))
        }
        fn defined(&mut self, name: &str) -> Option<bool> {
            self.1.then(|| self.0.contains_key(name))
        }
    }

    fn ev(text: &str) -> Result<i64, String> {
        let mut m = Map(HashMap::from([("ONE", 1), ("LM", 1024)]), true);
        eval(text, &mut m)
    }

    #[test]
    fn precedence_and_operators_follow_c() {
        assert_eq!(ev("LM+1"), Ok(1025));
        assert_eq!(ev("1 + 2 * 3"), Ok(7));
        assert_eq!(ev("(1 + 2) * 3"), Ok(9));
        assert_eq!(ev("1 << 4 | 1"), Ok(17));
        assert_eq!(ev("10 - 4 - 3"), Ok(3));
        assert_eq!(ev("-7 / 2"), Ok(-3));
        assert_eq!(ev("-7 % 2"), Ok(-1));
        assert_eq!(ev("!0 && ~0 == -1"), Ok(1));
        assert_eq!(ev("2 > 1 == 1"), Ok(1));
        assert_eq!(ev("0x10UL >> 2"), Ok(4));
        assert_eq!(ev("6 ^ 3 & 2"), Ok(4));
        assert_eq!(ev("0 || 0"), Ok(0));
        assert_eq!(ev("1 <= 1 && 2 >= 3"), Ok(0));
        assert_eq!(ev("1 != 1"), Ok(0));
        assert_eq!(ev("0xffffffffffffffff"), Ok(-1));
        assert_eq!(ev("+3 /* c */ // rest"), Ok(3));
    }

    #[test]
    fn defined_and_undefined_names() {
        assert_eq!(ev("defined ONE"), Ok(1));
        assert_eq!(ev("defined(TWO)"), Ok(0));
        assert_eq!(ev("!defined(TWO) && TWO == 0"), Ok(1));
        let mut m = Map(HashMap::new(), false);
        assert!(eval("defined X", &mut m)
            .unwrap_err()
            .contains("only for #if"));
    }

    #[test]
    fn errors_are_values_not_panics() {
        for (text, want) in [
            ("", "empty"),
            ("1 +", "ends early"),
            ("(1", "expected `)`"),
            ("1 2", "unexpected number 2"),
            ("1 / 0", "division by zero"),
            ("1 % 0", "division by zero"),
            ("1 << 64", "out of range"),
            ("1 >> -1", "out of range"),
            ("0x7fffffffffffffff + 1", "overflow"),
            ("-(0x7fffffffffffffff) - 2", "overflow"),
            ("3000000000 * 3000000000 * 3", "overflow"),
            ("1 ? 2 : 3", "unexpected `?`"),
            ("1 @ 2", "unexpected `@`"),
            ("08", "malformed"),
            ("defined", "needs a name"),
            ("/* open", "unterminated"),
            (")", "unexpected `)`"),
        ] {
            let e = ev(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
        let deep = "(".repeat(100_000) + "1";
        assert!(ev(&deep).unwrap_err().contains("deeper"));
        let deep = "!".repeat(100_000) + "1";
        assert!(ev(&deep).unwrap_err().contains("deeper"));
    }
}
