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
//! [`IDL_MAX_TYPES`] types and [`IDL_MAX_CONST_DEPTH`] steps per constant.

use std::collections::HashMap;

use super::ast::*;
use super::expr::{self, Names};
use super::preprocess::SoftConst;
use super::{Diag, Pos};
use crate::limits::{IDL_MAX_CONST_DEPTH, IDL_MAX_TYPES};
use crate::programs::schema::{
    display_name, EnumDef, Field, Kind, ProcDef, ProgramDef, Schema, StructDef, TypeDef, TypeId,
    UnionDef, VersionDef,
};

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

/// rpcgen's C integer names, as XDR encodes them.
fn builtin_primitive(name: &str) -> Option<TypeId> {
    Some(match name {
        "int8_t" | "int16_t" | "int32_t" => TypeId::INT,
        "u_char" | "u_short" | "u_int" | "u_long" | "uint8_t" | "u_int8_t" | "uint16_t"
        | "u_int16_t" | "uint32_t" | "u_int32_t" => TypeId::UINT,
        "int64_t" | "quad_t" | "longlong_t" => TypeId::HYPER,
        "uint64_t" | "u_int64_t" | "u_quad_t" | "u_longlong_t" => TypeId::UHYPER,
        "bool_t" => TypeId::BOOL,
        _ => return None,
    })
}

/// Types of `<rpc/rpc.h>` that `.x` files use without defining.
fn builtin_named(name: &str) -> Option<(&'static str, Kind)> {
    match name {
        "netobj" => Some(("netobj", Kind::VarOpaque(Some(1024)))),
        "des_block" => Some(("des_block", Kind::FixedOpaque(8))),
        _ => None,
    }
}

/// Constants of `<rpc/rpc.h>` that `.x` files use without defining.
fn builtin_const(name: &str) -> Option<i128> {
    match name {
        "TRUE" => Some(1),
        "FALSE" => Some(0),
        "MAXNETNAMELEN" => Some(255),
        "MAX_NETOBJ_SZ" => Some(1024),
        _ => None,
    }
}

/// How a kind reads in a message.
fn describe(kind: &Kind) -> &'static str {
    match kind {
        Kind::Void => "void",
        Kind::Int => "int",
        Kind::UInt => "unsigned int",
        Kind::Hyper => "hyper",
        Kind::UHyper => "unsigned hyper",
        Kind::Float => "float",
        Kind::Double => "double",
        Kind::Quadruple => "quadruple",
        Kind::Bool => "bool",
        Kind::Enum(_) => "an enum",
        Kind::Struct(_) => "a struct",
        Kind::Union(_) => "a union",
        Kind::FixedOpaque(_) => "fixed-size opaque",
        Kind::VarOpaque(_) => "variable-length opaque",
        Kind::String(_) => "a string",
        Kind::FixedArray { .. } => "a fixed-size array",
        Kind::VarArray { .. } => "a variable-length array",
        Kind::Optional(_) => "optional data",
        Kind::Alias(_) => "a typedef",
    }
}

/// The `i`-th type that `kind` holds by value (not through `*` or `<>`):
/// a struct's fields, a union's discriminant and arms, a fixed array's
/// element, an alias's target.
fn contained(kind: &Kind, i: usize) -> Option<TypeId> {
    match kind {
        Kind::Struct(s) => s.fields.get(i).map(|f| f.ty),
        Kind::Union(u) if i == 0 => Some(u.discriminant.ty),
        Kind::Union(u) => u.arms.get(i - 1).map(|f| f.ty),
        Kind::FixedArray { elem, .. } if i == 0 => Some(*elem),
        Kind::Alias(t) if i == 0 => Some(*t),
        _ => None,
    }
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

    // ---- constants -----------------------------------------------------------

    fn eval_consts(&mut self) -> Result<(), Diag> {
        for i in 0..self.const_order.len() {
            let (name, pos) = self.const_order[i];
            let v = self.const_value(name, pos, 0)?;
            // Above i64::MAX: the same 64 bits (documented in the module).
            self.schema.consts.insert(name.to_string(), v as i64);
        }
        let mut soft: Vec<(&'a String, &'a SoftConst)> = self.soft.iter().collect();
        soft.sort_by_key(|(_, s)| s.pos);
        for (name, s) in soft {
            if self.names.contains_key(name.as_str()) {
                continue; // a const or enum value of the same name wins
            }
            if let Ok(v) = self.const_value(name, s.pos, 0) {
                self.schema.consts.insert(name.clone(), v as i64);
            }
        }
        Ok(())
    }

    /// The value of a number or constant name written at `at`.
    fn value_of(&mut self, v: &Value, at: Pos, depth: usize) -> Result<i128, Diag> {
        match v {
            Value::Num(n) => Ok(*n),
            Value::Name(n) => self.const_value(n, at, depth),
        }
    }

    /// The value of constant `name`, used at `at`.
    fn const_value(&mut self, name: &str, at: Pos, depth: usize) -> Result<i128, Diag> {
        match self.memo.get(name) {
            Some(Memo::Done(v)) => return Ok(*v),
            Some(Memo::Busy) => {
                return Err(Diag::new(
                    at,
                    format!("constant `{name}` is defined in terms of itself"),
                ))
            }
            None => {}
        }
        if depth > IDL_MAX_CONST_DEPTH {
            return Err(Diag::new(
                at,
                format!(
                    "constant `{name}` is defined through more than {IDL_MAX_CONST_DEPTH} other constants"
                ),
            ));
        }
        if let Some((&key, &def)) = self.names.get_key_value(name) {
            self.memo.insert(key, Memo::Busy);
            let r = self.named_const(key, def, at, depth);
            match r {
                Ok(v) => self.memo.insert(key, Memo::Done(v)),
                Err(_) => self.memo.remove(key),
            };
            return r;
        }
        if let Some((key, s)) = self.soft.get_key_value(name) {
            self.memo.insert(key, Memo::Busy);
            let r = expr::eval(
                &s.body,
                &mut SoftNames {
                    b: self,
                    at: s.pos,
                    depth,
                },
            );
            let r = r.map(i128::from).map_err(|e| {
                Diag::new(
                    at,
                    format!(
                        "`{name}` (from the #define at {}) is not an integer constant: {e}",
                        self.at(s.pos)
                    ),
                )
            });
            match r {
                Ok(v) => self.memo.insert(key, Memo::Done(v)),
                Err(_) => self.memo.remove(key.as_str()),
            };
            return r;
        }
        builtin_const(name).ok_or_else(|| Diag::new(at, format!("unknown constant `{name}`")))
    }

    fn named_const(
        &mut self,
        name: &'a str,
        def: Name<'a>,
        at: Pos,
        depth: usize,
    ) -> Result<i128, Diag> {
        match def {
            Name::Type { .. } => Err(Diag::new(at, format!("`{name}` is a type, not a constant"))),
            Name::Const {
                value: ConstValue::Str,
                ..
            } => Err(Diag::new(
                at,
                format!("`{name}` is a string constant, not a number"),
            )),
            Name::Const {
                value: ConstValue::Value(v),
                value_pos,
                pos,
            } => {
                let v = self.value_of(v, value_pos, depth + 1)?;
                if v < i128::from(i64::MIN) || v > i128::from(u64::MAX) {
                    return Err(Diag::new(
                        pos,
                        format!("constant `{name}` = {v} does not fit 64 bits"),
                    ));
                }
                Ok(v)
            }
            Name::Member { members, index, .. } => self.member_value(members, index, depth),
        }
    }

    /// An enum value: its own `= value`, or one more than the previous
    /// member's. Members without a value between the nearest known one and
    /// `index` are memoized on the way, so a long enum costs linear time.
    fn member_value(
        &mut self,
        members: &'a [Member],
        index: usize,
        depth: usize,
    ) -> Result<i128, Diag> {
        // Walk back to the nearest member with a value (written, or known).
        let mut k = index;
        let mut v = loop {
            let m = &members[k];
            if let Some(v) = &m.value {
                break self.value_of(&v.item, v.pos, depth + 1)?;
            }
            if k < index {
                if let Some(Memo::Done(v)) = self.memo.get(m.name.item.as_str()) {
                    break *v;
                }
            }
            if k == 0 {
                break 0; // the first member, without a value, is 0
            }
            k -= 1;
        };
        let fits = |v: i128| (i128::from(i32::MIN)..=i128::from(i32::MAX)).contains(&v);
        for (j, m) in members.iter().enumerate().take(index + 1).skip(k) {
            if j > k {
                v += 1;
            }
            if !fits(v) {
                return Err(Diag::new(
                    m.name.pos,
                    format!(
                        "enum value `{}` = {v} does not fit a 32-bit int",
                        m.name.item
                    ),
                ));
            }
            if j > k && j < index {
                self.memo.insert(&m.name.item, Memo::Done(v));
            }
        }
        Ok(v)
    }
}

impl<'a> Builder<'a> {
    // ---- types ---------------------------------------------------------------

    fn type_id(&self, name: &str) -> TypeId {
        match self.names.get(name) {
            Some(Name::Type { id, .. }) => *id,
            _ => TypeId::VOID, // registered by `register`; not reached
        }
    }

    /// The type a name refers to (`tag` when written `struct X`).
    fn type_ref(&mut self, name: &str, tag: Option<Tag>, at: Pos) -> Result<TypeId, Diag> {
        match self.names.get(name) {
            Some(Name::Type { id, .. }) => {
                if let Some(t) = tag {
                    self.tags.push((*id, t, at));
                }
                return Ok(*id);
            }
            Some(other) => {
                return Err(Diag::new(
                    at,
                    format!(
                        "`{name}` is {} (at {}), not a type",
                        other.what(),
                        self.at(other.pos())
                    ),
                ))
            }
            None => {}
        }
        if let Some(id) = builtin_primitive(name) {
            return Ok(id);
        }
        if let Some((n, kind)) = builtin_named(name) {
            if let Some(&id) = self.builtins.get(n) {
                return Ok(id);
            }
            let def = TypeDef {
                name: Some(n.to_string()),
                kind,
            };
            let id = self.push(def, at)?;
            self.builtins.insert(n, id);
            return Ok(id);
        }
        let what = tag.map_or("type", Tag::word);
        Err(Diag::new(at, format!("unknown {what} `{name}`")))
    }

    /// An anonymous type: equal simple shapes share one id.
    fn anon(&mut self, kind: Kind, pos: Pos) -> Result<TypeId, Diag> {
        let key = match &kind {
            Kind::FixedOpaque(n) => Some(ShapeKey::FixedOpaque(*n)),
            Kind::VarOpaque(n) => Some(ShapeKey::VarOpaque(*n)),
            Kind::String(n) => Some(ShapeKey::String(*n)),
            Kind::FixedArray { elem, len } => Some(ShapeKey::FixedArray(*elem, *len)),
            Kind::VarArray { elem, max } => Some(ShapeKey::VarArray(*elem, *max)),
            Kind::Optional(t) => Some(ShapeKey::Optional(*t)),
            _ => None,
        };
        if let Some(&id) = key.as_ref().and_then(|k| self.interned.get(k)) {
            return Ok(id);
        }
        let id = self.push(TypeDef { name: None, kind }, pos)?;
        if let Some(k) = key {
            self.interned.insert(k, id);
        }
        Ok(id)
    }

    /// The type of a specifier alone (no array or `*`).
    fn spec_type(&mut self, spec: &'a Spec, pos: Pos) -> Result<TypeId, Diag> {
        Ok(match spec {
            Spec::Void => TypeId::VOID,
            Spec::Int => TypeId::INT,
            Spec::UInt => TypeId::UINT,
            Spec::Hyper => TypeId::HYPER,
            Spec::UHyper => TypeId::UHYPER,
            Spec::Float => TypeId::FLOAT,
            Spec::Double => TypeId::DOUBLE,
            Spec::Quadruple => TypeId::QUADRUPLE,
            Spec::Bool => TypeId::BOOL,
            // The parser gives these a shape; alone they are strings<>.
            Spec::Opaque => self.anon(Kind::VarOpaque(None), pos)?,
            Spec::String => self.anon(Kind::String(None), pos)?,
            Spec::Named { name, tag } => self.type_ref(name, *tag, pos)?,
            Spec::Enum(b) => {
                let kind = Kind::Enum(self.enum_def(b)?);
                self.anon(kind, pos)?
            }
            Spec::Struct(b) => {
                let kind = Kind::Struct(self.struct_def(b)?);
                self.anon(kind, pos)?
            }
            Spec::Union(b) => {
                let (u, labels) = self.union_def(b)?;
                let id = self.anon(Kind::Union(u), pos)?;
                self.unions.push(PendingUnion {
                    id,
                    disc_pos: b.discriminant.spec_pos,
                    labels,
                });
                id
            }
        })
    }

    /// The kind of an array or optional shape of `spec`.
    fn shape_kind(&mut self, spec: &'a Spec, pos: Pos, shape: &'a Shape) -> Result<Kind, Diag> {
        Ok(match (spec, shape) {
            (Spec::Opaque, Shape::Fixed(n)) => Kind::FixedOpaque(self.size(n, "size")?),
            (Spec::Opaque, Shape::Var(m)) => Kind::VarOpaque(self.max(m)?),
            (Spec::String, Shape::Var(m)) => Kind::String(self.max(m)?),
            (_, Shape::Fixed(n)) => {
                let elem = self.spec_type(spec, pos)?;
                Kind::FixedArray {
                    elem,
                    len: self.size(n, "size")?,
                }
            }
            (_, Shape::Var(m)) => {
                let elem = self.spec_type(spec, pos)?;
                Kind::VarArray {
                    elem,
                    max: self.max(m)?,
                }
            }
            (_, Shape::Optional) => Kind::Optional(self.spec_type(spec, pos)?),
            (_, Shape::Plain) => {
                let id = self.spec_type(spec, pos)?;
                self.schema.get(id).kind.clone()
            }
        })
    }

    /// The type of a declaration (a field, an arm, a discriminant).
    fn decl_type(&mut self, d: &'a Decl) -> Result<TypeId, Diag> {
        match d.shape {
            Shape::Plain => self.spec_type(&d.spec, d.spec_pos),
            _ => {
                let kind = self.shape_kind(&d.spec, d.spec_pos, &d.shape)?;
                self.anon(kind, d.spec_pos)
            }
        }
    }

    /// An array size: a positive 32-bit constant.
    fn size(&mut self, n: &At<Value>, what: &str) -> Result<u32, Diag> {
        let v = self.value_of(&n.item, n.pos, 0)?;
        match u32::try_from(v) {
            Ok(v) if v > 0 => Ok(v),
            _ => {
                let shown = match &n.item {
                    Value::Num(_) => String::new(),
                    Value::Name(name) => format!("`{name}` = "),
                };
                Err(Diag::new(
                    n.pos,
                    format!("array {what} must be a positive 32-bit constant, not {shown}{v}"),
                ))
            }
        }
    }

    fn max(&mut self, m: &Option<At<Value>>) -> Result<Option<u32>, Diag> {
        m.as_ref().map(|n| self.size(n, "maximum")).transpose()
    }

    fn enum_def(&mut self, body: &'a EnumBody) -> Result<EnumDef, Diag> {
        let mut values = Vec::with_capacity(body.members.len());
        for m in &body.members {
            let v = self.const_value(&m.name.item, m.name.pos, 0)?;
            values.push((m.name.item.clone(), v as i32)); // in range: checked
        }
        Ok(EnumDef::new(values))
    }

    fn struct_def(&mut self, body: &'a StructBody) -> Result<StructDef, Diag> {
        let mut fields = Vec::with_capacity(body.fields.len());
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        for d in &body.fields {
            let ty = self.decl_type(d)?;
            let Some(name) = &d.name else { continue };
            if let Some(first) = seen.insert(&name.item, name.pos) {
                return Err(Diag::new(
                    name.pos,
                    format!(
                        "duplicate field `{}` in the struct (first at {})",
                        name.item,
                        self.at(first)
                    ),
                ));
            }
            fields.push(Field {
                name: name.item.clone(),
                ty,
            });
        }
        Ok(StructDef { fields })
    }

    #[allow(clippy::type_complexity)]
    fn union_def(
        &mut self,
        body: &'a UnionBody,
    ) -> Result<(UnionDef, Vec<(&'a At<Value>, u32)>), Diag> {
        let disc = &body.discriminant;
        let disc_name = disc.name.as_ref().map_or("", |n| n.item.as_str());
        let discriminant = Field {
            name: disc_name.to_string(),
            ty: self.decl_type(disc)?,
        };
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        if let Some(n) = &disc.name {
            seen.insert(&n.item, n.pos);
        }
        let mut arms = Vec::new();
        let mut labels = Vec::new();
        let decls = body
            .arms
            .iter()
            .map(|a| (&a.decl, Some(&a.labels)))
            .chain(body.default.iter().map(|d| (d, None)));
        let mut default = None;
        for (d, arm_labels) in decls {
            let idx = arms.len() as u32;
            let ty = self.decl_type(d)?;
            let name = d.name.as_ref();
            if let Some(n) = name {
                if let Some(first) = seen.insert(&n.item, n.pos) {
                    return Err(Diag::new(
                        n.pos,
                        format!(
                            "duplicate name `{}` in the union (first at {})",
                            n.item,
                            self.at(first)
                        ),
                    ));
                }
            }
            arms.push(Field {
                name: name.map_or(String::new(), |n| n.item.clone()),
                ty,
            });
            match arm_labels {
                Some(ls) => labels.extend(ls.iter().map(|l| (l, idx))),
                None => default = Some(idx),
            }
        }
        let u = UnionDef {
            discriminant,
            arms,
            cases: Vec::new(),
            default,
        };
        Ok((u, labels))
    }

    fn build_types(&mut self, defs: &'a [Def]) -> Result<(), Diag> {
        for def in defs {
            let (id, kind) = match def {
                Def::Enum { name, body } => {
                    (self.type_id(&name.item), Kind::Enum(self.enum_def(body)?))
                }
                Def::Struct { name, body } => (
                    self.type_id(&name.item),
                    Kind::Struct(self.struct_def(body)?),
                ),
                Def::Union { name, body } => {
                    let id = self.type_id(&name.item);
                    let (u, labels) = self.union_def(body)?;
                    self.unions.push(PendingUnion {
                        id,
                        disc_pos: body.discriminant.spec_pos,
                        labels,
                    });
                    (id, Kind::Union(u))
                }
                Def::Typedef(d) => match self.typedef_kind(d)? {
                    Some(k) => k,
                    None => continue,
                },
                Def::Const { .. } | Def::Program(_) => continue,
            };
            self.schema.types[id.index()].kind = kind;
        }
        Ok(())
    }

    /// The id and kind of a typedef, or `None` for `typedef X X;`.
    fn typedef_kind(&mut self, d: &'a Decl) -> Result<Option<(TypeId, Kind)>, Diag> {
        let Some(name) = &d.name else { return Ok(None) };
        let id = match self.names.get(name.item.as_str()) {
            Some(Name::Type { id, pos }) if *pos == name.pos => *id,
            _ => return Ok(None), // a self-typedef: checked later
        };
        let kind = match (&d.spec, &d.shape) {
            (Spec::Named { name: target, tag }, Shape::Plain) => {
                let t = self.type_ref(target, *tag, d.spec_pos)?;
                match self.schema.get(t).name {
                    Some(_) => Kind::Alias(t),
                    None => self.schema.get(t).kind.clone(), // `u_int` and kin
                }
            }
            (Spec::Enum(b), Shape::Plain) => Kind::Enum(self.enum_def(b)?),
            (Spec::Struct(b), Shape::Plain) => Kind::Struct(self.struct_def(b)?),
            (Spec::Union(b), Shape::Plain) => {
                let (u, labels) = self.union_def(b)?;
                self.unions.push(PendingUnion {
                    id,
                    disc_pos: b.discriminant.spec_pos,
                    labels,
                });
                Kind::Union(u)
            }
            _ => self.shape_kind(&d.spec, d.spec_pos, &d.shape)?,
        };
        Ok(Some((id, kind)))
    }

    // ---- whole-schema checks ---------------------------------------------------

    /// `typedef X X;` needs `X` defined by another definition.
    fn check_self_typedefs(&mut self) -> Result<(), Diag> {
        for i in 0..self.self_typedefs.len() {
            let (d, target, tag) = self.self_typedefs[i];
            let defined = matches!(self.names.get(target), Some(Name::Type { .. }));
            if !defined && builtin_named(target).is_none() && builtin_primitive(target).is_none() {
                return Err(Diag::new(
                    d.spec_pos,
                    format!(
                        "`typedef {}{target} {target};` names itself, and `{target}` is not defined elsewhere",
                        tag.map_or(String::new(), |t| format!("{} ", t.word()))
                    ),
                ));
            }
            self.type_ref(target, tag, d.spec_pos)?;
        }
        Ok(())
    }

    /// A typedef that leads back to itself through other typedefs.
    fn check_alias_cycles(&self) -> Result<(), Diag> {
        let types = &self.schema.types;
        let mut state = vec![0u8; types.len()]; // 0 new, 1 on this chain, 2 done
        for start in 0..types.len() {
            let mut chain = Vec::new();
            let mut cur = start;
            while let (0, Kind::Alias(t)) = (state[cur], &types[cur].kind) {
                state[cur] = 1;
                chain.push(cur);
                cur = t.index().min(types.len() - 1);
            }
            if state[cur] == 1 {
                let from = chain.iter().position(|&c| c == cur).unwrap_or(0);
                let mut names: Vec<&str> = chain[from..].iter().map(|&c| self.label(c)).collect();
                names.push(self.label(cur));
                return Err(Diag::new(
                    self.type_pos[cur],
                    format!("typedef cycle: {}", names.join(" -> ")),
                ));
            }
            for c in chain {
                state[c] = 2;
            }
        }
        Ok(())
    }

    fn label(&self, i: usize) -> &str {
        let def = &self.schema.types[i];
        match &def.name {
            Some(n) => n,
            None => match def.kind {
                Kind::Struct(_) => "(inline struct)",
                Kind::Union(_) => "(inline union)",
                Kind::FixedArray { .. } => "(fixed-size array)",
                _ => "(inline type)",
            },
        }
    }

    /// `struct X` must name a struct (after typedefs), and so on.
    fn check_tags(&self) -> Result<(), Diag> {
        for &(id, tag, at) in &self.tags {
            let (_, kind) = self.schema.resolve(id);
            let ok = matches!(
                (tag, kind),
                (Tag::Struct, Kind::Struct(_))
                    | (Tag::Union, Kind::Union(_))
                    | (Tag::Enum, Kind::Enum(_))
            );
            if !ok {
                let name = self.label(id.index());
                return Err(Diag::new(
                    at,
                    format!(
                        "`{} {name}`: `{name}` is {}, not {} {}",
                        tag.word(),
                        describe(kind),
                        if tag == Tag::Enum { "an" } else { "a" },
                        tag.word()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A type that holds itself by value (through struct fields, union arms
    /// and fixed-size arrays only) would have infinite size: recursion must
    /// go through optional data or a variable-length array. Iterative DFS.
    fn check_containment(&self) -> Result<(), Diag> {
        let types = &self.schema.types;
        let n = types.len();
        let mut color = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for root in 0..n {
            if color[root] != 0 {
                continue;
            }
            color[root] = 1;
            stack.push((root, 0));
            while let Some(top) = stack.last_mut() {
                let (node, i) = *top;
                let Some(child) = contained(&types[node].kind, i) else {
                    color[node] = 2;
                    stack.pop();
                    continue;
                };
                top.1 += 1;
                let c = child.index().min(n - 1);
                match color[c] {
                    0 => {
                        color[c] = 1;
                        stack.push((c, 0));
                    }
                    1 => return Err(self.containment_error(&stack, c)),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn containment_error(&self, stack: &[(usize, usize)], back_to: usize) -> Diag {
        let from = stack.iter().position(|&(t, _)| t == back_to).unwrap_or(0);
        let cycle: Vec<usize> = stack[from..].iter().map(|&(t, _)| t).collect();
        // Report at the first-defined named type of the cycle.
        let at = cycle
            .iter()
            .copied()
            .filter(|&t| self.schema.types[t].name.is_some())
            .min_by_key(|&t| self.type_pos[t])
            .unwrap_or(back_to);
        let start = cycle.iter().position(|&t| t == at).unwrap_or(0);
        let mut path: Vec<&str> = cycle[start..]
            .iter()
            .chain(&cycle[..start])
            .map(|&t| self.label(t))
            .collect();
        path.push(self.label(at));
        Diag::new(
            self.type_pos[at],
            format!(
                "`{}` contains itself ({}) through struct fields, union arms or fixed-size \
                 arrays; recursion must go through optional data (`*`) or a variable-length \
                 array (`<>`)",
                self.label(at),
                path.join(" -> ")
            ),
        )
    }

    /// Discriminant types, and case values read as the discriminant's type.
    fn finish_unions(&mut self) -> Result<(), Diag> {
        let pending = std::mem::take(&mut self.unions);
        for p in pending {
            let Kind::Union(u) = &self.schema.get(p.id).kind else {
                continue;
            };
            let disc = u.discriminant.clone();
            let (_, dk) = self.schema.resolve(disc.ty);
            #[derive(PartialEq)]
            enum Class {
                Int,
                UInt,
                Bool,
            }
            let class = match dk {
                Kind::Int | Kind::Enum(_) => Class::Int,
                Kind::UInt => Class::UInt,
                Kind::Bool => Class::Bool,
                other => {
                    return Err(Diag::new(
                        p.disc_pos,
                        format!(
                            "union discriminant `{}` must be int, unsigned int, bool or an enum, not {}",
                            disc.name,
                            describe(other)
                        ),
                    ))
                }
            };
            let type_word = match dk {
                Kind::Enum(_) => "an enum",
                Kind::UInt => "an unsigned int",
                Kind::Bool => "a bool",
                _ => "an int",
            };
            let mut cases = Vec::with_capacity(p.labels.len());
            let mut seen: HashMap<i64, Pos> = HashMap::new();
            for (label, arm) in p.labels {
                let v = self.value_of(&label.item, label.pos, 0)?;
                let two32 = 1i128 << 32;
                let norm = match class {
                    Class::Bool if v == 0 || v == 1 => Some(v),
                    Class::Bool => None,
                    // The case's 32 bits, read as the discriminant's type.
                    Class::Int if (-(1i128 << 31)..(1i128 << 31)).contains(&v) => Some(v),
                    Class::Int if ((1i128 << 31)..two32).contains(&v) => Some(v - two32),
                    Class::UInt if (0..two32).contains(&v) => Some(v),
                    Class::UInt if (-(1i128 << 31)..0).contains(&v) => Some(v + two32),
                    _ => None,
                };
                let Some(norm) = norm.map(|v| v as i64) else {
                    return Err(Diag::new(
                        label.pos,
                        format!(
                            "case value {v} does not fit {type_word} discriminant{}",
                            if class == Class::Bool {
                                " (TRUE or FALSE)"
                            } else {
                                ""
                            }
                        ),
                    ));
                };
                if let Some(first) = seen.insert(norm, label.pos) {
                    return Err(Diag::new(
                        label.pos,
                        format!(
                            "duplicate case value {norm} in the union (first at {})",
                            self.at(first)
                        ),
                    ));
                }
                cases.push((norm, arm));
            }
            cases.sort_unstable();
            if let Kind::Union(u) = &mut self.schema.types[p.id.index()].kind {
                u.cases = cases;
            }
        }
        Ok(())
    }

    // ---- programs ----------------------------------------------------------

    fn number(&mut self, n: &At<Value>, what: &str) -> Result<u32, Diag> {
        let v = self.value_of(&n.item, n.pos, 0)?;
        u32::try_from(v).map_err(|_| {
            Diag::new(
                n.pos,
                format!("{what} number {v} is not an unsigned 32-bit value"),
            )
        })
    }

    fn sig_type(&mut self, s: &'a Sig) -> Result<TypeId, Diag> {
        match s.shape {
            Shape::Plain => self.spec_type(&s.spec, s.pos),
            _ => {
                let kind = self.shape_kind(&s.spec, s.pos, &s.shape)?;
                self.anon(kind, s.pos)
            }
        }
    }

    fn dup<K: std::hash::Hash + Eq + std::fmt::Display>(
        &self,
        seen: &mut HashMap<K, Pos>,
        key: K,
        at: Pos,
        what: &str,
    ) -> Result<(), Diag> {
        let msg = format!("duplicate {what} {key}");
        match seen.insert(key, at) {
            Some(first) => Err(Diag::new(
                at,
                format!("{msg} (first at {})", self.at(first)),
            )),
            None => Ok(()),
        }
    }

    fn programs(&mut self, defs: &'a [Def]) -> Result<(), Diag> {
        let mut numbers = HashMap::new();
        let mut names = HashMap::new();
        for def in defs {
            let Def::Program(p) = def else { continue };
            let number = self.number(&p.number, "program")?;
            self.dup(&mut numbers, number, p.number.pos, "program number")?;
            self.dup(
                &mut names,
                format!("`{}`", p.name.item),
                p.name.pos,
                "program",
            )?;
            let mut versions = Vec::with_capacity(p.versions.len());
            let (mut vnums, mut vnames) = (HashMap::new(), HashMap::new());
            for v in &p.versions {
                let vnum = self.number(&v.number, "version")?;
                self.dup(&mut vnums, vnum, v.number.pos, "version number")?;
                self.dup(
                    &mut vnames,
                    format!("`{}`", v.name.item),
                    v.name.pos,
                    "version",
                )?;
                let mut procedures = Vec::with_capacity(v.procedures.len());
                let (mut pnums, mut pnames) = (HashMap::new(), HashMap::new());
                for pr in &v.procedures {
                    let pnum = self.number(&pr.number, "procedure")?;
                    self.dup(&mut pnums, pnum, pr.number.pos, "procedure number")?;
                    self.dup(
                        &mut pnames,
                        format!("`{}`", pr.name.item),
                        pr.name.pos,
                        "procedure",
                    )?;
                    let result = self.sig_type(&pr.result)?;
                    let mut args = Vec::with_capacity(pr.args.len());
                    for a in &pr.args {
                        args.push(self.sig_type(a)?);
                    }
                    procedures.push(ProcDef {
                        name: pr.name.item.clone(),
                        display: display_name(&pr.name.item).to_string(),
                        number: pnum,
                        args,
                        result,
                    });
                }
                procedures.sort_by_key(|p| p.number);
                versions.push(VersionDef {
                    name: v.name.item.clone(),
                    number: vnum,
                    procedures,
                });
            }
            versions.sort_by_key(|v| v.number);
            self.schema.programs.push(ProgramDef {
                name: p.name.item.clone(),
                number,
                versions,
            });
        }
        Ok(())
    }
}

/// Names in a `#define`'s value: the schema's constants.
struct SoftNames<'b, 'a> {
    b: &'b mut Builder<'a>,
    at: Pos,
    depth: usize,
}

impl Names for SoftNames<'_, '_> {
    fn value(&mut self, name: &str) -> Result<i64, String> {
        self.b
            .const_value(name, self.at, self.depth + 1)
            .map(|v| v as i64)
            .map_err(|d| d.msg)
    }
    fn defined(&mut self, _: &str) -> Option<bool> {
        None
    }
}
