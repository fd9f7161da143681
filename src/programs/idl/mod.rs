//! The XDR language parser: `.x` text -> checked [`Schema`].
//!
//! Reads the language of RFC 4506 section 6 with what rpcgen accepts in
//! practice: `const`, `typedef`, `enum`, `struct` and `union` definitions,
//! inline (anonymous) `enum`/`struct`/`union` types inside declarations,
//! rpcgen's `program`/`version` blocks (with `-N` style multi-argument
//! procedures), `%` pass-through lines, `/* */` and `//` comments, and a
//! small C preprocessor: `#include`, `#define`/`#undef`, `#if`/`#ifdef`/
//! `#ifndef`/`#elif`/`#else`/`#endif`.
//!
//! ```
//! use rpcscope::programs::idl;
//! use rpcscope::programs::schema::Kind;
//!
//! let s = idl::parse(
//!     "const MAXNAME = 255;
//!      typedef string name<MAXNAME>;
//!      program ECHOPROG { version ECHOVERS {
//!          name ECHOPROC_ECHO(name) = 1;
//!      } = 1; } = 0x20000099;",
//!     "echo.x",
//! )
//! .unwrap();
//! let name = s.lookup("name").unwrap();
//! assert_eq!(s.get(name).kind, Kind::String(Some(255)));
//! let echo = s.program(0x20000099).unwrap().version(1).unwrap().procedure(1).unwrap();
//! assert_eq!((echo.display.as_str(), echo.args.as_slice()), ("ECHO", &[name][..]));
//! ```
//!
//! # How a file is read
//! - **The preprocessor** works like `cpp` under `rpcgen -h`: `RPC_HDR` is
//!   defined (as 1), so blocks a file keeps for its C header are read.
//!   `#include "f"` and `#include <f>` go through the caller's callback (the
//!   library never opens files); `#if` takes C integer expressions with
//!   `defined`, where an undefined name is 0. Other directives (`#pragma`,
//!   `#line`, ...) are ignored; `#error` is an error. Macros are **not**
//!   expanded in XDR text: a `#define NAME value` whose value is an integer
//!   expression makes `NAME` a constant, and so does a `%#define` line
//!   (C that rpcgen copies into its header, which the generated code
//!   compiles against: `nlm_prot.x` defines `LM_MAXSTRLEN` that way).
//!   A `const` or enum value of the same name wins over either.
//!   `%#include "x.h"` is how one `.x` file uses another's types (through
//!   the header rpcgen makes of `x.x`): the callback is asked for `x.x`, and
//!   what it has is read once, like an `#include`; what it has not is C.
//! - **Names** of types and constants share one namespace (RFC 4506
//!   section 6.4) and may be used before they are defined. Enum values are
//!   constants. rpcgen's C names are built in where no definition of the
//!   file shadows them: `char`, `short`, `long` (and `u_char`, `u_int`,
//!   `int32_t`, `uint32_t`, ...) are 32-bit integers as XDR encodes them,
//!   `int64_t`/`uint64_t`/`quad_t` are hypers, `bool_t` is `bool`; the types
//!   `netobj` (`opaque<1024>`) and `des_block` (`opaque[8]`) and the
//!   constants `TRUE`, `FALSE`, `MAXNETNAMELEN` (255) and `MAX_NETOBJ_SZ`
//!   (1024) come from `<rpc/rpc.h>`, which rpcgen's output includes.
//! - **Constants** are 64-bit: values from `i64::MIN` to `u64::MAX` are
//!   accepted, and one above `i64::MAX` (`0xffffffffffffffff`) is kept in
//!   [`Schema::consts`] as the same 64 bits, as C would. A string constant
//!   (`const HEXMODULUS = "d4a0...";`) is accepted and not kept. Enum values
//!   without `= value` count up from the previous one, as in C and rpcgen.
//!
//! # What the schema holds
//! A typedef of a primitive or of a shape (`typedef opaque fhandle[32];`,
//! `typedef unsigned hyper uint64;`, `typedef struct x *xptr;`) is a named
//! type of that shape; a typedef of another named type (`typedef nfs_fh3
//! dirfh;`) is a [`Kind::Alias`]; `typedef struct x x;` names nothing new.
//! Inline types are anonymous (`name: None`), and equal anonymous shapes
//! (two `opaque data<>` fields) share one id. Struct fields and union arms
//! keep the `.x` member names. Program blocks stay in file order; versions
//! and procedures are sorted by number; [`ProcDef::display`] is
//! [`display_name`] of the `.x` name.
//!
//! # Checks
//! Every error is an [`IdlError`] at a file, line and column, saying what
//! was expected and what was found: syntax (garbage, unterminated comments,
//! input ending inside a definition, a misplaced `void`), unknown type or
//! constant names, a name defined twice, duplicate struct fields or union
//! arm names, duplicate case values, a union discriminant that is not
//! `int`, `unsigned int`, `bool` or an enum (after typedefs), case values
//! that do not fit it, array sizes and maxima that are not positive 32-bit
//! constants, typedef cycles, a type that contains itself other than
//! through optional data (`*`) or a variable-length array (`<>`), and
//! duplicate program, version or procedure numbers or names.
//!
//! Contract: never panics, on any text or callback answers. Work and memory
//! are bounded by the input size ([`IDL_MAX_INPUT`](crate::limits::IDL_MAX_INPUT),
//! over the file and its includes), the include depth, the nesting of
//! inline types and `#if`s, the number of types and the depth of constant
//! definitions (`IDL_MAX_*` in [`crate::limits`]); past one, the result is
//! an error saying which.

mod ast;
mod expr;
pub mod invariants;
mod lexer;
mod parser;
mod preprocess;
mod resolve;
#[cfg(test)]
mod tests;

use std::fmt;

use super::schema::Schema;
#[allow(unused_imports)] // doc links
use super::schema::{display_name, Kind, ProcDef};

/// Why a `.x` text did not load, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdlError {
    /// The file's display name (the one given to [`parse`], or the one an
    /// include callback returned).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for IdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for IdlError {}

/// Answers an `#include`: given the name as written (between the quotes or
/// angle brackets) and the display name of the including file, the display
/// name and text of the included file, or why it cannot be had.
pub type Include<'a> = dyn FnMut(&str, &str) -> Result<(String, String), String> + 'a;

/// Parses and checks one `.x` text; `file` names it in errors. An
/// `#include` is an error here: use [`parse_with`].
pub fn parse(text: &str, file: &str) -> Result<Schema, IdlError> {
    parse_with(text, file, &mut |name, _| {
        Err(format!(
            "cannot include \"{name}\": no include callback (the caller parses one file alone)"
        ))
    })
}

/// Parses and checks one `.x` text, reading `#include`d files through
/// `include` (see [`Include`]).
pub fn parse_with(text: &str, file: &str, include: &mut Include<'_>) -> Result<Schema, IdlError> {
    let mut pre = preprocess::Preprocessor::new(text, file, include);
    let result = parser::parse(&mut pre).and_then(|defs| {
        let soft = pre.soft_consts();
        resolve::build(&defs, soft, pre.files())
    });
    result.map_err(|d| d.into_error(pre.files()))
}

/// A place in the input: file (index into the preprocessor's file table),
/// line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Pos {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

impl Pos {
    /// `file:line:col`, for messages that point at a second place.
    fn show(self, files: &[String]) -> String {
        let file = files.get(self.file as usize).map_or("?", |s| s.as_str());
        format!("{file}:{}:{}", self.line, self.col)
    }
}

/// An error inside the parser, before file indexes become names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diag {
    pub pos: Pos,
    pub msg: String,
}

impl Diag {
    fn new(pos: Pos, msg: impl Into<String>) -> Self {
        Diag {
            pos,
            msg: msg.into(),
        }
    }

    /// An error at a line and column of a file the caller fills in.
    fn here(line: u32, col: u32, msg: impl Into<String>) -> Self {
        Diag::new(Pos { file: 0, line, col }, msg)
    }

    fn into_error(self, files: &[String]) -> IdlError {
        IdlError {
            file: files
                .get(self.pos.file as usize)
                .cloned()
                .unwrap_or_default(),
            line: self.pos.line,
            col: self.pos.col,
            message: self.msg,
        }
    }
}
