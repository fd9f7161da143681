//! The C preprocessor subset between the lexer and the parser: includes,
//! conditionals and defines, over a stack of files.
//!
//! Yields the tokens of active text from the file and its includes, in
//! order, each with its [`Pos`]. Directives and `%` lines are consumed here:
//! `#include` pushes the callback's text, `#if`/`#ifdef`/`#ifndef`/`#elif`/
//! `#else`/`#endif` decide what is active, `#define`/`#undef` keep macros
//! for `#if`, and both `#define NAME value` and `%#define NAME value` are
//! remembered as candidate constants ([`SoftConst`]) for the resolver.
//! `RPC_HDR` is predefined as 1, as under `rpcgen -h`.
//!
//! `%#include "x.h"` (or `<dir/x.h>`) is C, but it is also how one `.x`
//! file uses the types of another: it includes the header rpcgen made from
//! `x.x` (`nis_callback.x` uses `nis_object` through `%#include
//! <rpcsvc/nis.h>`). So the callback is asked for `x.x` (`dir/x.x`): when it
//! has it, the file is read as if `#include`d, once (a file already read is
//! skipped, as the header's include guard would); when it has not, the line
//! is C and ignored (`<rpc/types.h>`).
//!
//! Contract: never panics; total text (file plus includes) is bounded by
//! [`IDL_MAX_INPUT`], include depth by [`IDL_MAX_INCLUDE_DEPTH`], `#if`
//! nesting per file by [`IDL_MAX_IF_DEPTH`], and a macro's evaluation for
//! `#if` by [`IDL_MAX_CONST_DEPTH`] steps; each is an error when exceeded.
//! An include cycle is an error naming the chain.

use std::borrow::Cow;
use std::collections::HashMap;

use super::expr::{self, Names};
use super::lexer::{self, Cursor, Kind};
use super::{Diag, Include, Pos};
use crate::limits::{IDL_MAX_CONST_DEPTH, IDL_MAX_IF_DEPTH, IDL_MAX_INCLUDE_DEPTH, IDL_MAX_INPUT};

/// A token of active text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PTok {
    /// Never `Directive`, `PassThrough` or `Bad`.
    pub kind: Kind,
    pub pos: Pos,
}

/// A `#define NAME value` or `%#define NAME value`: a constant if `value`
/// turns out to be an integer expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SoftConst {
    pub body: String,
    pub pos: Pos,
}

/// One `#if` block being read.
#[derive(Debug, Clone)]
struct Cond {
    /// Where its `#if` is.
    pos: Pos,
    /// The text around the block is active.
    parent: bool,
    /// Some branch was taken already.
    taken: bool,
    /// The current branch is active.
    active: bool,
    else_seen: bool,
}

struct Frame<'t> {
    file: u32,
    text: Cow<'t, str>,
    cur: Cursor,
    conds: Vec<Cond>,
}

/// See the module docs.
pub(super) struct Preprocessor<'t, 'a, 'b> {
    include: &'a mut Include<'b>,
    frames: Vec<Frame<'t>>,
    files: Vec<String>,
    file_index: HashMap<String, u32>,
    macros: HashMap<String, String>,
    soft: HashMap<String, SoftConst>,
    total: usize,
    pending: Option<Diag>,
}

impl<'t, 'a, 'b> Preprocessor<'t, 'a, 'b> {
    /// Reads `text`, displayed as `file`.
    pub fn new(text: &'t str, file: &str, include: &'a mut Include<'b>) -> Self {
        let pending = (text.len() > IDL_MAX_INPUT).then(|| {
            Diag::here(
                1,
                1,
                format!(
                    "the file is {} bytes; at most {IDL_MAX_INPUT} are read",
                    text.len()
                ),
            )
        });
        Preprocessor {
            include,
            frames: vec![Frame {
                file: 0,
                text: Cow::Borrowed(if pending.is_some() { "" } else { text }),
                cur: Cursor::default(),
                conds: Vec::new(),
            }],
            files: vec![file.to_string()],
            file_index: HashMap::from([(file.to_string(), 0)]),
            macros: HashMap::from([("RPC_HDR".to_string(), "1".to_string())]),
            soft: HashMap::new(),
            total: text.len(),
            pending,
        }
    }

    /// Display names of the files read, indexed by [`Pos::file`].
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The `#define`s and `%#define`s in force at the end of the input.
    pub fn soft_consts(&self) -> &HashMap<String, SoftConst> {
        &self.soft
    }

    fn active(&self) -> bool {
        self.frames
            .last()
            .and_then(|f| f.conds.last())
            .is_none_or(|c| c.active)
    }

    /// The next token of active text; `Eof` (repeatedly) at the end of the
    /// main file.
    pub fn next(&mut self) -> Result<PTok, Diag> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        loop {
            let depth = self.frames.len();
            let Some(frame) = self.frames.last_mut() else {
                return Err(Diag::here(1, 1, "internal: no input"));
            };
            let file = frame.file;
            let tok = lexer::next(&frame.text, &mut frame.cur).map_err(|mut d| {
                d.pos.file = file;
                d
            })?;
            let pos = Pos {
                file,
                line: tok.line,
                col: tok.col,
            };
            match tok.kind {
                Kind::Eof => {
                    if let Some(c) = frame.conds.last() {
                        return Err(Diag::new(
                            c.pos,
                            "unterminated conditional: no #endif before the end of the file",
                        ));
                    }
                    if depth == 1 {
                        return Ok(PTok {
                            kind: Kind::Eof,
                            pos,
                        });
                    }
                    self.frames.pop();
                }
                Kind::Directive(d) => self.directive(&d, pos)?,
                Kind::PassThrough(p) => {
                    if self.active() {
                        self.pass_through(&p, pos)?;
                    }
                }
                _ if !self.active() => {}
                Kind::Bad(msg) => return Err(Diag::new(pos, msg)),
                kind => return Ok(PTok { kind, pos }),
            }
        }
    }

    fn conds(&mut self) -> &mut Vec<Cond> {
        // `frames` is never empty while reading.
        let last = self.frames.len().saturating_sub(1);
        &mut self.frames[last].conds
    }

    fn directive(&mut self, text: &str, pos: Pos) -> Result<(), Diag> {
        let t = text.trim_start();
        let (name, rest) = split_ident(t);
        let active = self.active();
        let err = |msg: String| Diag::new(pos, msg);
        match name {
            "if" | "ifdef" | "ifndef" => {
                if self.conds().len() >= IDL_MAX_IF_DEPTH {
                    return Err(err(format!(
                        "#if blocks nest deeper than {IDL_MAX_IF_DEPTH}"
                    )));
                }
                let value = active
                    && match name {
                        "if" => self.eval_if(rest).map_err(|m| err(format!("#if: {m}")))? != 0,
                        _ => {
                            let (n, _) = split_ident(rest.trim_start());
                            if n.is_empty() {
                                return Err(err(format!("#{name} needs a name")));
                            }
                            self.macros.contains_key(n) == (name == "ifdef")
                        }
                    };
                self.conds().push(Cond {
                    pos,
                    parent: active,
                    taken: value,
                    active: value,
                    else_seen: false,
                });
            }
            "elif" => {
                let Some(c) = self.conds().last().cloned() else {
                    return Err(err("#elif without #if".into()));
                };
                if c.else_seen {
                    return Err(err("#elif after #else".into()));
                }
                let value = c.parent
                    && !c.taken
                    && self.eval_if(rest).map_err(|m| err(format!("#elif: {m}")))? != 0;
                if let Some(c) = self.conds().last_mut() {
                    c.active = value;
                    c.taken |= value;
                }
            }
            "else" | "endif" => {
                let conds = self.conds();
                let Some(c) = conds.last_mut() else {
                    return Err(err(format!("#{name} without #if")));
                };
                if name == "endif" {
                    conds.pop();
                } else if c.else_seen {
                    return Err(err("#else after #else".into()));
                } else {
                    c.else_seen = true;
                    c.active = c.parent && !c.taken;
                    c.taken = true;
                }
            }
            _ if !active => {}
            "include" => self.include(rest.trim(), pos)?,
            "define" => {
                let (n, body) = split_ident(rest.trim_start());
                if n.is_empty() || n.as_bytes()[0].is_ascii_digit() {
                    return Err(err("#define needs a name".into()));
                }
                if body.starts_with('(') {
                    return Err(err(format!(
                        "#define {n}(...): function-like macros are not supported"
                    )));
                }
                let body = body.trim().to_string();
                self.soft.insert(
                    n.to_string(),
                    SoftConst {
                        body: body.clone(),
                        pos,
                    },
                );
                self.macros.insert(n.to_string(), body);
            }
            "undef" => {
                let (n, _) = split_ident(rest.trim_start());
                self.macros.remove(n);
                self.soft.remove(n);
            }
            "error" => return Err(err(format!("#error{}", rest.trim_end()))),
            // #pragma, #ident, #line, #warning, line markers, `#` alone.
            _ => {}
        }
        Ok(())
    }

    fn eval_if(&self, text: &str) -> Result<i64, String> {
        expr::eval(
            text,
            &mut MacroNames {
                macros: &self.macros,
                depth: 0,
                memo: &mut HashMap::new(),
            },
        )
    }

    /// `%#define NAME value` defines a constant for the generated C, and
    /// `%#include "x.h"` brings in the types of `x.x` (see the module docs).
    fn pass_through(&mut self, text: &str, pos: Pos) -> Result<(), Diag> {
        let Some(t) = text.trim_start().strip_prefix('#') else {
            return Ok(());
        };
        let (word, rest) = split_ident(t.trim_start());
        match word {
            "define" => {
                let (n, body) = split_ident(rest.trim_start());
                if n.is_empty() || body.starts_with('(') {
                    return Ok(()); // not a constant: C's business
                }
                self.soft.insert(
                    n.to_string(),
                    SoftConst {
                        body: body.trim().to_string(),
                        pos,
                    },
                );
            }
            "include" => {
                let Some(header) = include_operand(rest.trim()) else {
                    return Ok(());
                };
                let Some(stem) = header.strip_suffix(".h") else {
                    return Ok(());
                };
                let name = format!("{stem}.x");
                // A header the callback cannot map to a `.x` file is C's
                // business (`<rpc/types.h>`); one already read is skipped,
                // as rpcgen's headers guard against a second inclusion.
                let from = self.current_file();
                if let Ok((display, text)) = (self.include)(&name, &from) {
                    if !self.file_index.contains_key(&display) {
                        self.push_file(&name, display, text, pos)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn current_file(&self) -> String {
        self.frames
            .last()
            .and_then(|f| self.files.get(f.file as usize))
            .cloned()
            .unwrap_or_default()
    }

    fn include(&mut self, operand: &str, pos: Pos) -> Result<(), Diag> {
        let Some(name) = include_operand(operand) else {
            return Err(Diag::new(
                pos,
                format!("#include expects \"file\" or <file>, found `{operand}`"),
            ));
        };
        let from = self.current_file();
        let (display, text) = (self.include)(name, &from)
            .map_err(|e| Diag::new(pos, format!("cannot include \"{name}\": {e}")))?;
        self.push_file(name, display, text, pos)
    }

    /// Starts reading an included file, within the bounds.
    fn push_file(
        &mut self,
        name: &str,
        display: String,
        text: String,
        pos: Pos,
    ) -> Result<(), Diag> {
        if self.frames.len() > IDL_MAX_INCLUDE_DEPTH {
            return Err(Diag::new(
                pos,
                format!("#include \"{name}\": includes nest deeper than {IDL_MAX_INCLUDE_DEPTH}"),
            ));
        }
        let chain: Vec<&str> = self
            .frames
            .iter()
            .map(|f| self.files[f.file as usize].as_str())
            .collect();
        if chain.contains(&display.as_str()) {
            return Err(Diag::new(
                pos,
                format!("include cycle: {} -> {display}", chain.join(" -> ")),
            ));
        }
        self.total = self.total.saturating_add(text.len());
        if self.total > IDL_MAX_INPUT {
            return Err(Diag::new(
                pos,
                format!(
                    "#include \"{name}\": the input with its includes passes {IDL_MAX_INPUT} bytes"
                ),
            ));
        }
        let file = match self.file_index.get(&display) {
            Some(&i) => i,
            None => {
                let i = self.files.len() as u32;
                self.file_index.insert(display.clone(), i);
                self.files.push(display);
                i
            }
        };
        self.frames.push(Frame {
            file,
            text: Cow::Owned(text),
            cur: Cursor::default(),
            conds: Vec::new(),
        });
        Ok(())
    }
}

/// The name in `"name"` or `<name>`.
fn include_operand(operand: &str) -> Option<&str> {
    let name = match operand.as_bytes().first() {
        Some(b'"') => operand[1..].split_once('"').map(|(n, _)| n),
        Some(b'<') => operand[1..].split_once('>').map(|(n, _)| n),
        _ => None,
    };
    name.filter(|n| !n.is_empty())
}

/// Splits a leading identifier (or run of identifier characters) off `s`.
fn split_ident(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Names in `#if`: macros, expanded (bounded in depth, each once per
/// expression), undefined ones 0.
struct MacroNames<'m, 'c> {
    macros: &'m HashMap<String, String>,
    depth: usize,
    memo: &'c mut HashMap<String, i64>,
}

impl Names for MacroNames<'_, '_> {
    fn value(&mut self, name: &str) -> Result<i64, String> {
        let Some(body) = self.macros.get(name) else {
            return Ok(0);
        };
        if let Some(&v) = self.memo.get(name) {
            return Ok(v);
        }
        if body.is_empty() {
            return Err(format!("`{name}` is defined as nothing"));
        }
        if self.depth >= IDL_MAX_CONST_DEPTH {
            return Err(format!(
                "`{name}`: macros nest deeper than {IDL_MAX_CONST_DEPTH}"
            ));
        }
        let v = expr::eval(
            body,
            &mut MacroNames {
                macros: self.macros,
                depth: self.depth + 1,
                memo: self.memo,
            },
        )
        .map_err(|e| format!("`{name}`: {e}"))?;
        self.memo.insert(name.to_string(), v);
        Ok(v)
    }

    fn defined(&mut self, name: &str) -> Option<bool> {
        Some(self.macros.contains_key(name))
    }
}
