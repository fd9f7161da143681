//! Tokens -> syntax tree: a recursive-descent parser for RFC 4506 section
//! 6 and rpcgen's `program` blocks.
//!
//! Grammar (RFC 4506 6.3, with rpcgen's additions marked +):
//! ```text
//! definition  = "const" NAME "=" (value | STRING+) ";"
//!             | "typedef" declaration ";"
//!             | "enum" NAME enum-body ";" | "struct" NAME struct-body ";"
//!             | "union" NAME union-body ";" | program+ ";"
//! declaration = type NAME | type NAME "[" value "]" | type NAME "<" [value] ">"
//!             | "opaque" NAME ("[" value "]" | "<" [value] ">")
//!             | "string" NAME "<" [value] ">" | type "*" NAME | "void"
//! type        = ["unsigned"] ("int" | "hyper" | "char"+ | "short"+ | "long"+)
//!             | "unsigned" | "float" | "double" | "quadruple" | "bool"
//!             | "enum" enum-body | "struct" struct-body | "union" union-body
//!             | ["struct" | "union" | "enum"] NAME
//! enum-body   = "{" NAME ["=" value] ("," NAME ["=" value])* "}"   (+ "= value" optional)
//! struct-body = "{" (declaration ";")+ "}"
//! union-body  = "switch" "(" declaration ")" "{" ("case" value ":")+ declaration ";" ...
//!               ["default" ":" declaration ";"] "}"
//! program     = "program" NAME "{" version+ "}" "=" value
//! version     = "version" NAME "{" procedure+ "}" "=" value ";"
//! procedure   = sig NAME "(" ("void" | arg ("," arg)*) ")" "=" value ";"
//! arg         = sig ["*"] [NAME] ["<" [value] ">"]       (+ several args, names)
//! value       = ["-"] NUMBER | NAME
//! ```
//! `void` is a declaration only as a union arm; the discriminant and struct
//! fields need a real type.
//!
//! Contract: never panics; the first syntax error ends the parse with what
//! was expected and what was found; inline types nest at most
//! [`IDL_MAX_NESTING`] deep (each level is one recursion).

use super::ast::*;
use super::lexer::Kind;
use super::preprocess::{PTok, Preprocessor};
use super::{Diag, Pos};
use crate::limits::IDL_MAX_NESTING;

/// Words the language reserves (RFC 4506 6.4, plus rpcgen's).
const KEYWORDS: &[&str] = &[
    "bool",
    "case",
    "char",
    "const",
    "default",
    "double",
    "enum",
    "float",
    "hyper",
    "int",
    "long",
    "opaque",
    "program",
    "quadruple",
    "short",
    "string",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "version",
    "void",
];

/// Parses every definition of the preprocessor's tokens.
pub(super) fn parse(pre: &mut Preprocessor<'_, '_, '_>) -> Result<Vec<Def>, Diag> {
    let tok = pre.next()?;
    let mut p = Parser { pre, tok, depth: 0 };
    let mut defs = Vec::new();
    while p.tok.kind != Kind::Eof {
        defs.push(p.definition()?);
    }
    Ok(defs)
}

struct Parser<'p, 't, 'a, 'b> {
    pre: &'p mut Preprocessor<'t, 'a, 'b>,
    /// The current token (one-token lookahead).
    tok: PTok,
    /// Inline types being parsed.
    depth: usize,
}

/// How a token reads in a message.
fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Ident(s) if KEYWORDS.contains(&s.as_str()) => format!("keyword `{s}`"),
        Kind::Ident(s) => format!("`{s}`"),
        Kind::Number(n) => format!("number {n}"),
        Kind::Str(_) => "a string literal".into(),
        Kind::Punct(c) => format!("`{}`", *c as char),
        Kind::Eof => "end of input".into(),
        Kind::Directive(_) | Kind::PassThrough(_) | Kind::Bad(_) => "unexpected text".into(),
    }
}

impl Parser<'_, '_, '_, '_> {
    fn advance(&mut self) -> Result<PTok, Diag> {
        let next = self.pre.next()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn fail(&self, expected: &str) -> Diag {
        Diag::new(
            self.tok.pos,
            format!("expected {expected}, found {}", describe(&self.tok.kind)),
        )
    }

    fn keyword(&self) -> Option<&str> {
        match &self.tok.kind {
            Kind::Ident(s) if KEYWORDS.contains(&s.as_str()) => Some(s),
            _ => None,
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok.kind, Kind::Ident(s) if s == kw)
    }

    fn is_punct(&self, c: u8) -> bool {
        self.tok.kind == Kind::Punct(c)
    }

    fn eat_kw(&mut self, kw: &str) -> Result<bool, Diag> {
        let yes = self.is_kw(kw);
        if yes {
            self.advance()?;
        }
        Ok(yes)
    }

    fn eat(&mut self, c: u8) -> Result<bool, Diag> {
        let yes = self.is_punct(c);
        if yes {
            self.advance()?;
        }
        Ok(yes)
    }

    /// Requires punctuation `c`; `after` says what it ends or follows.
    fn expect(&mut self, c: u8, after: &str) -> Result<(), Diag> {
        if self.eat(c)? {
            Ok(())
        } else {
            Err(self.fail(&format!("`{}` {after}", c as char)))
        }
    }

    fn expect_kw(&mut self, kw: &str, context: &str) -> Result<(), Diag> {
        if self.eat_kw(kw)? {
            Ok(())
        } else {
            Err(self.fail(&format!("`{kw}` {context}")))
        }
    }

    /// An identifier that is not a keyword.
    fn ident(&mut self, what: &str) -> Result<At<String>, Diag> {
        match &self.tok.kind {
            Kind::Ident(_) if self.keyword().is_none() => {
                let t = self.advance()?;
                let Kind::Ident(s) = t.kind else {
                    return Err(Diag::new(t.pos, "internal: identifier expected"));
                };
                Ok(At {
                    item: s,
                    pos: t.pos,
                })
            }
            _ => Err(self.fail(what)),
        }
    }

    /// Runs `f` one inline-type level deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Diag>) -> Result<T, Diag> {
        if self.depth >= IDL_MAX_NESTING {
            return Err(Diag::new(
                self.tok.pos,
                format!("inline types nest deeper than {IDL_MAX_NESTING} levels"),
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn definition(&mut self) -> Result<Def, Diag> {
        let def = match self.keyword() {
            Some("const") => {
                self.advance()?;
                let name = self.ident("a constant name after `const`")?;
                self.expect(b'=', "after the constant's name")?;
                let pos = self.tok.pos;
                let value = if let Kind::Str(_) = self.tok.kind {
                    self.advance()?;
                    ConstValue::Str
                } else {
                    ConstValue::Value(self.value("a number, a constant name or a string")?.item)
                };
                Def::Const {
                    name,
                    value: At { item: value, pos },
                }
            }
            Some("typedef") => {
                self.advance()?;
                Def::Typedef(self.declaration(false)?)
            }
            Some("enum") => {
                self.advance()?;
                let name = self.ident("a name after `enum`")?;
                Def::Enum {
                    name,
                    body: self.nested(Self::enum_body)?,
                }
            }
            Some("struct") => {
                self.advance()?;
                let name = self.ident("a name after `struct`")?;
                Def::Struct {
                    name,
                    body: self.nested(Self::struct_body)?,
                }
            }
            Some("union") => {
                self.advance()?;
                let name = self.ident("a name after `union`")?;
                Def::Union {
                    name,
                    body: Box::new(self.nested(Self::union_body)?),
                }
            }
            Some("program") => Def::Program(self.program()?),
            _ => {
                return Err(self.fail(
                    "a definition (`const`, `typedef`, `enum`, `struct`, `union` or `program`)",
                ))
            }
        };
        self.expect(b';', "at the end of the definition")?;
        Ok(def)
    }

    /// `["-"] NUMBER | NAME`.
    fn value(&mut self, what: &str) -> Result<At<Value>, Diag> {
        let pos = self.tok.pos;
        let negative = self.eat(b'-')?;
        let item = match &self.tok.kind {
            Kind::Number(n) => {
                let n = *n as i128;
                self.advance()?;
                Value::Num(if negative { -n } else { n })
            }
            Kind::Ident(_) if !negative => Value::Name(self.ident(what)?.item),
            _ if negative => return Err(self.fail("a number after `-`")),
            _ => return Err(self.fail(what)),
        };
        Ok(At { item, pos })
    }

    /// A type specifier; inline `enum`/`struct`/`union` bodies only where
    /// `inline` allows them.
    fn spec(&mut self, inline: bool) -> Result<(Spec, Pos), Diag> {
        let pos = self.tok.pos;
        let Some(kw) = self.keyword().map(str::to_string) else {
            let name = self.ident("a type")?.item;
            return Ok((Spec::Named { name, tag: None }, pos));
        };
        self.advance()?;
        let spec = match kw.as_str() {
            "unsigned" => {
                if self.eat_kw("hyper")? {
                    Spec::UHyper
                } else {
                    for w in ["int", "char", "short", "long"] {
                        if self.eat_kw(w)? {
                            break;
                        }
                    }
                    Spec::UInt
                }
            }
            "short" | "long" => {
                self.eat_kw("int")?;
                Spec::Int
            }
            "int" | "char" => Spec::Int,
            "hyper" => Spec::Hyper,
            "float" => Spec::Float,
            "double" => Spec::Double,
            "quadruple" => Spec::Quadruple,
            "bool" => Spec::Bool,
            "opaque" => Spec::Opaque,
            "string" => Spec::String,
            "void" => Spec::Void,
            "enum" | "struct" | "union" => {
                let tag = match kw.as_str() {
                    "enum" => Tag::Enum,
                    "struct" => Tag::Struct,
                    _ => Tag::Union,
                };
                let body_starts = match tag {
                    Tag::Union => self.is_kw("switch"),
                    _ => self.is_punct(b'{'),
                };
                if !body_starts {
                    let name = self.ident(&format!("a type name after `{kw}`"))?.item;
                    return Ok((
                        Spec::Named {
                            name,
                            tag: Some(tag),
                        },
                        pos,
                    ));
                }
                if !inline {
                    return Err(Diag::new(
                        self.tok.pos,
                        format!(
                            "an inline `{kw}` definition is not allowed in a procedure; \
                             define the type and use its name"
                        ),
                    ));
                }
                match tag {
                    Tag::Enum => Spec::Enum(self.nested(Self::enum_body)?),
                    Tag::Struct => Spec::Struct(self.nested(Self::struct_body)?),
                    Tag::Union => Spec::Union(Box::new(self.nested(Self::union_body)?)),
                }
            }
            _ => {
                return Err(Diag::new(
                    pos,
                    format!("expected a type, found keyword `{kw}`"),
                ))
            }
        };
        Ok((spec, pos))
    }

    /// A declaration; `void` only where `allow_void` (union arms).
    fn declaration(&mut self, allow_void: bool) -> Result<Decl, Diag> {
        let (spec, spec_pos) = self.spec(true)?;
        if spec == Spec::Void {
            if !allow_void {
                return Err(Diag::new(
                    spec_pos,
                    "`void` is only allowed as a union arm or in a procedure's signature",
                ));
            }
            return Ok(Decl {
                spec,
                spec_pos,
                name: None,
                shape: Shape::Plain,
            });
        }
        let shape;
        let name;
        if self.eat(b'*')? {
            if matches!(spec, Spec::Opaque | Spec::String) {
                return Err(Diag::new(
                    spec_pos,
                    "optional data (`*`) of opaque or string needs a typedef of the array first",
                ));
            }
            name = self.ident("a name after `*`")?;
            if self.is_punct(b'[') || self.is_punct(b'<') {
                return Err(Diag::new(
                    self.tok.pos,
                    "no arrays of optional data: make a typedef of the `*` type first",
                ));
            }
            shape = Shape::Optional;
        } else {
            name = self.ident("a name in the declaration")?;
            shape = if self.eat(b'[')? {
                let n = self.value("an array size (a number or constant)")?;
                self.expect(b']', "after the array size")?;
                Shape::Fixed(n)
            } else if self.eat(b'<')? {
                if self.eat(b'>')? {
                    Shape::Var(None)
                } else {
                    let n = self.value("a maximum size (a number or constant) or `>`")?;
                    self.expect(b'>', "after the maximum size")?;
                    Shape::Var(Some(n))
                }
            } else {
                Shape::Plain
            };
        }
        match (&spec, &shape) {
            (Spec::Opaque, Shape::Plain) => Err(Diag::new(
                name.pos,
                format!("opaque `{}` needs a size: `[n]` or `<n>`", name.item),
            )),
            (Spec::String, Shape::Plain | Shape::Fixed(_)) => Err(Diag::new(
                name.pos,
                format!(
                    "string `{}` needs a maximum length: `<n>` or `<>`",
                    name.item
                ),
            )),
            _ => Ok(Decl {
                spec,
                spec_pos,
                name: Some(name),
                shape,
            }),
        }
    }

    fn enum_body(&mut self) -> Result<EnumBody, Diag> {
        self.expect(b'{', "to open the enum")?;
        let mut members = Vec::new();
        loop {
            let name = self.ident("an enum value name")?;
            let value = if self.eat(b'=')? {
                Some(self.value("a number or constant name after `=`")?)
            } else {
                None
            };
            members.push(Member { name, value });
            if !self.eat(b',')? {
                break;
            }
        }
        self.expect(b'}', "or `,` in the enum")?;
        Ok(EnumBody { members })
    }

    fn struct_body(&mut self) -> Result<StructBody, Diag> {
        self.expect(b'{', "to open the struct")?;
        let mut fields = Vec::new();
        loop {
            fields.push(self.declaration(false)?);
            self.expect(b';', "after the struct field")?;
            if self.eat(b'}')? {
                return Ok(StructBody { fields });
            }
        }
    }

    fn union_body(&mut self) -> Result<UnionBody, Diag> {
        self.expect_kw("switch", "to start the union")?;
        self.expect(b'(', "after `switch`")?;
        let discriminant = self.declaration(false)?;
        self.expect(b')', "after the discriminant")?;
        self.expect(b'{', "to open the union's cases")?;
        if !self.is_kw("case") {
            return Err(self.fail("`case`"));
        }
        let mut arms = Vec::new();
        while self.eat_kw("case")? {
            let mut labels = Vec::new();
            loop {
                labels.push(self.value("a case value (a number or constant)")?);
                self.expect(b':', "after the case value")?;
                if !self.eat_kw("case")? {
                    break;
                }
            }
            let decl = self.declaration(true)?;
            self.expect(b';', "after the union arm")?;
            arms.push(Arm { labels, decl });
        }
        let default = if self.eat_kw("default")? {
            self.expect(b':', "after `default`")?;
            let d = self.declaration(true)?;
            self.expect(b';', "after the default arm")?;
            Some(d)
        } else {
            None
        };
        self.expect(b'}', "to close the union (`default` comes last)")?;
        Ok(UnionBody {
            discriminant,
            arms,
            default,
        })
    }

    fn program(&mut self) -> Result<Program, Diag> {
        self.advance()?; // `program`
        let name = self.ident("a program name")?;
        self.expect(b'{', "to open the program")?;
        let mut versions = Vec::new();
        loop {
            self.expect_kw("version", "in the program")?;
            let vname = self.ident("a version name")?;
            self.expect(b'{', "to open the version")?;
            let mut procedures = Vec::new();
            loop {
                procedures.push(self.procedure()?);
                if self.eat(b'}')? {
                    break;
                }
            }
            self.expect(b'=', "and the version number after the version")?;
            let number = self.value("a version number")?;
            self.expect(b';', "after the version number")?;
            versions.push(Version {
                name: vname,
                procedures,
                number,
            });
            if self.eat(b'}')? {
                break;
            }
        }
        self.expect(b'=', "and the program number after the program")?;
        let number = self.value("a program number")?;
        Ok(Program {
            name,
            versions,
            number,
        })
    }

    fn procedure(&mut self) -> Result<Procedure, Diag> {
        let result = self.sig(true)?;
        let name = self.ident("a procedure name")?;
        self.expect(b'(', "after the procedure name")?;
        let mut args = Vec::new();
        loop {
            let arg = self.sig(false)?;
            if arg.spec == Spec::Void {
                if !args.is_empty() || self.is_punct(b',') {
                    return Err(Diag::new(
                        arg.pos,
                        "`void` cannot be one of several arguments",
                    ));
                }
            } else {
                args.push(arg);
            }
            if !self.eat(b',')? {
                break;
            }
        }
        self.expect(b')', "or `,` after the arguments")?;
        self.expect(b'=', "and the procedure number")?;
        let number = self.value("a procedure number")?;
        self.expect(b';', "after the procedure number")?;
        Ok(Procedure {
            name,
            result,
            args,
            number,
        })
    }

    /// A result type (`result`) or an argument: a type, `*`, an optional
    /// name, and `<n>` for strings.
    fn sig(&mut self, result: bool) -> Result<Sig, Diag> {
        let (spec, pos) = self.spec(false)?;
        let mut shape = Shape::Plain;
        match spec {
            Spec::Opaque => {
                return Err(Diag::new(
                    pos,
                    "opaque cannot be a procedure's argument or result: use a typedef",
                ))
            }
            Spec::Void => {}
            _ if result => {}
            _ => {
                if self.eat(b'*')? {
                    if spec == Spec::String {
                        return Err(Diag::new(pos, "no optional string arguments"));
                    }
                    shape = Shape::Optional;
                }
                if matches!(&self.tok.kind, Kind::Ident(_)) && self.keyword().is_none() {
                    self.advance()?; // the argument's name: not kept
                }
                if self.is_punct(b'<') || self.is_punct(b'[') {
                    if spec != Spec::String || !self.eat(b'<')? {
                        return Err(Diag::new(
                            self.tok.pos,
                            "arrays cannot be procedure arguments: use a typedef",
                        ));
                    }
                    let max = if self.is_punct(b'>') {
                        None
                    } else {
                        Some(self.value("a maximum length or `>`")?)
                    };
                    self.expect(b'>', "after the maximum length")?;
                    shape = Shape::Var(max);
                }
            }
        }
        if spec == Spec::String && shape == Shape::Plain {
            shape = Shape::Var(None); // `string` alone is `string<>`, as in rpcgen
        }
        Ok(Sig { spec, pos, shape })
    }
}
