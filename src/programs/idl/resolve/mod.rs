//! Syntax tree -> checked [`Schema`]: names, constants, interned types,
//! and the checks that need the whole file.
//!
//! In order: every definition's name is entered in one namespace (types,
//! constants and enum values; a second definition is an error); constants
//! are evaluated (through names, memoized, cycles and depth bounded); every
//! named type gets its id before any is built, so names may be used before
//! their definition; then types are built (inline shapes interned), and the
//! whole-schema checks run: `typedef X X` and `struct X` references,
//! typedef cycles, types containing themselves, union discriminants and
//! case values, and programs.
//!
//! Contract: never panics; returns the first error found in that order;
//! graph walks are iterative (no recursion on hostile depth); at most
//! [`IDL_MAX_TYPES`] types and [`IDL_MAX_CONST_DEPTH`](crate::limits::IDL_MAX_CONST_DEPTH)
//! steps per constant.

use std::collections::HashMap;

use super::ast::*;
use super::preprocess::SoftConst;
use super::{Diag, Pos};
use crate::limits::IDL_MAX_TYPES;
use crate::programs::schema::{
    display_name, EnumDef, Field, Kind, ProcDef, ProgramDef, Schema, StructDef, TypeDef, TypeId,
    UnionDef, VersionDef,
};

mod checks;
mod consts;
mod programs;
mod types;

/// Builds and checks the schema of `defs`; `soft` are the `#define`s that
/// may serve as constants, `files` name the positions.
pub(super) fn build(
    defs: &[Def],
    soft: &HashMap<String, SoftConst>,
    files: &[String],
) -> Result<Schema, Diag> {
    let mut b = Builder {
        schema: Schema::new(),
        files,
        soft,
        names: HashMap::new(),
        const_order: Vec::new(),
        memo: HashMap::new(),
        type_pos: vec![Pos::default(); TypeId::FIRST_DECLARED as usize],
        interned: HashMap::new(),
        builtins: HashMap::new(),
        unions: Vec::new(),
        tags: Vec::new(),
        self_typedefs: Vec::new(),
    };
    b.register(defs)?;
    b.eval_consts()?;
    b.build_types(defs)?;
    b.check_self_typedefs()?;
    b.check_alias_cycles()?;
    b.check_tags()?;
    b.check_containment()?;
    b.finish_unions()?;
    b.programs(defs)?;
    Ok(b.schema)
}

/// What a name in the namespace is.
#[derive(Debug, Clone, Copy)]
enum Name<'a> {
    Type {
        id: TypeId,
        pos: Pos,
    },
    Const {
        pos: Pos,
        value: &'a ConstValue,
        value_pos: Pos,
    },
    Member {
        pos: Pos,
        members: &'a [Member],
        index: usize,
    },
}

impl Name<'_> {
    fn pos(&self) -> Pos {
        match self {
            Name::Type { pos, .. } | Name::Const { pos, .. } | Name::Member { pos, .. } => *pos,
        }
    }
    fn what(&self) -> &'static str {
        match self {
            Name::Type { .. } => "a type",
            Name::Const { .. } => "a constant",
            Name::Member { .. } => "an enum value",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Memo {
    Busy,
    Done(i128),
}

/// A union whose case values wait for every type to be built.
struct PendingUnion<'a> {
    id: TypeId,
    disc_pos: Pos,
    labels: Vec<(&'a At<Value>, u32)>,
}

/// Anonymous shapes that are interned (equal ones share an id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ShapeKey {
    FixedOpaque(u32),
    VarOpaque(Option<u32>),
    String(Option<u32>),
    FixedArray(TypeId, u32),
    VarArray(TypeId, Option<u32>),
    Optional(TypeId),
}

struct Builder<'a> {
    schema: Schema,
    files: &'a [String],
    soft: &'a HashMap<String, SoftConst>,
    names: HashMap<&'a str, Name<'a>>,
    /// Constants and enum values in definition order.
    const_order: Vec<(&'a str, Pos)>,
    memo: HashMap<&'a str, Memo>,
    /// Where each type is defined (primitives: a default).
    type_pos: Vec<Pos>,
    interned: HashMap<ShapeKey, TypeId>,
    builtins: HashMap<&'static str, TypeId>,
    unions: Vec<PendingUnion<'a>>,
    /// `struct X`-style references: the type must be of that kind.
    tags: Vec<(TypeId, Tag, Pos)>,
    /// `typedef X X;` (or `typedef struct X X;`): names nothing new.
    self_typedefs: Vec<(&'a Decl, &'a str, Option<Tag>)>,
}

impl<'a> Builder<'a> {
    fn at(&self, pos: Pos) -> String {
        pos.show(self.files)
    }

    // ---- names -------------------------------------------------------------

    fn define(&mut self, name: &'a At<String>, what: Name<'a>) -> Result<(), Diag> {
        if let Some(old) = self.names.get(name.item.as_str()) {
            return Err(Diag::new(
                name.pos,
                format!(
                    "`{}` is already defined, as {} at {}",
                    name.item,
                    old.what(),
                    self.at(old.pos())
                ),
            ));
        }
        self.names.insert(&name.item, what);
        Ok(())
    }

    fn push(&mut self, def: TypeDef, pos: Pos) -> Result<TypeId, Diag> {
        if self.schema.types.len() >= IDL_MAX_TYPES {
            return Err(Diag::new(
                pos,
                format!("more than {IDL_MAX_TYPES} types in one schema"),
            ));
        }
        self.type_pos.push(pos);
        Ok(self.schema.push(def))
    }

    fn define_type(&mut self, name: &'a At<String>) -> Result<(), Diag> {
        if let Some(old) = self.names.get(name.item.as_str()) {
            return self.define(name, *old); // the duplicate error
        }
        let def = TypeDef {
            name: Some(name.item.clone()),
            kind: Kind::Void,
        };
        let id = self.push(def, name.pos)?;
        self.define(name, Name::Type { id, pos: name.pos })
    }

    fn members(&mut self, body: &'a EnumBody) -> Result<(), Diag> {
        for (index, m) in body.members.iter().enumerate() {
            let pos = m.name.pos;
            self.define(
                &m.name,
                Name::Member {
                    pos,
                    members: &body.members,
                    index,
                },
            )?;
            self.const_order.push((&m.name.item, pos));
        }
        Ok(())
    }

    /// Enters the enum values of inline enums anywhere inside `spec`.
    fn register_inline(&mut self, spec: &'a Spec) -> Result<(), Diag> {
        match spec {
            Spec::Enum(b) => self.members(b),
            Spec::Struct(b) => b
                .fields
                .iter()
                .try_for_each(|f| self.register_inline(&f.spec)),
            Spec::Union(u) => self.register_union(u),
            _ => Ok(()),
        }
    }

    fn register_union(&mut self, u: &'a UnionBody) -> Result<(), Diag> {
        self.register_inline(&u.discriminant.spec)?;
        for arm in &u.arms {
            self.register_inline(&arm.decl.spec)?;
        }
        match &u.default {
            Some(d) => self.register_inline(&d.spec),
            None => Ok(()),
        }
    }

    fn register(&mut self, defs: &'a [Def]) -> Result<(), Diag> {
        for def in defs {
            match def {
                Def::Const { name, value } => {
                    self.define(
                        name,
                        Name::Const {
                            pos: name.pos,
                            value: &value.item,
                            value_pos: value.pos,
                        },
                    )?;
                    if let ConstValue::Value(_) = value.item {
                        self.const_order.push((&name.item, name.pos));
                    }
                }
                Def::Typedef(d) => {
                    let Some(name) = &d.name else { continue };
                    match (&d.spec, &d.shape) {
                        (Spec::Named { name: target, tag }, Shape::Plain)
                            if *target == name.item =>
                        {
                            self.self_typedefs.push((d, target, *tag));
                        }
                        _ => {
                            self.define_type(name)?;
                            self.register_inline(&d.spec)?;
                        }
                    }
                }
                Def::Enum { name, body } => {
                    self.define_type(name)?;
                    self.members(body)?;
                }
                Def::Struct { name, body } => {
                    self.define_type(name)?;
                    for f in &body.fields {
                        self.register_inline(&f.spec)?;
                    }
                }
                Def::Union { name, body } => {
                    self.define_type(name)?;
                    self.register_union(body)?;
                }
                Def::Program(_) => {}
            }
        }
        Ok(())
    }
}
