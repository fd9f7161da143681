//! Types: named definitions filled into their reserved ids, inline shapes
//! interned, rpcgen's built-in C names.

use super::*;

/// rpcgen's C integer names, as XDR encodes them.
pub(super) fn builtin_primitive(name: &str) -> Option<TypeId> {
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
pub(super) fn builtin_named(name: &str) -> Option<(&'static str, Kind)> {
    match name {
        "netobj" => Some(("netobj", Kind::VarOpaque(Some(1024)))),
        "des_block" => Some(("des_block", Kind::FixedOpaque(8))),
        _ => None,
    }
}

impl<'a> Builder<'a> {
    // ---- types ---------------------------------------------------------------

    pub(super) fn type_id(&self, name: &str) -> TypeId {
        match self.names.get(name) {
            Some(Name::Type { id, .. }) => *id,
            _ => TypeId::VOID, // registered by `register`; not reached
        }
    }

    /// The type a name refers to (`tag` when written `struct X`).
    pub(super) fn type_ref(
        &mut self,
        name: &str,
        tag: Option<Tag>,
        at: Pos,
    ) -> Result<TypeId, Diag> {
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
    pub(super) fn anon(&mut self, kind: Kind, pos: Pos) -> Result<TypeId, Diag> {
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
    pub(super) fn spec_type(&mut self, spec: &'a Spec, pos: Pos) -> Result<TypeId, Diag> {
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
    pub(super) fn shape_kind(
        &mut self,
        spec: &'a Spec,
        pos: Pos,
        shape: &'a Shape,
    ) -> Result<Kind, Diag> {
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
    pub(super) fn decl_type(&mut self, d: &'a Decl) -> Result<TypeId, Diag> {
        match d.shape {
            Shape::Plain => self.spec_type(&d.spec, d.spec_pos),
            _ => {
                let kind = self.shape_kind(&d.spec, d.spec_pos, &d.shape)?;
                self.anon(kind, d.spec_pos)
            }
        }
    }

    /// An array size: a positive 32-bit constant.
    pub(super) fn size(&mut self, n: &At<Value>, what: &str) -> Result<u32, Diag> {
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

    pub(super) fn max(&mut self, m: &Option<At<Value>>) -> Result<Option<u32>, Diag> {
        m.as_ref().map(|n| self.size(n, "maximum")).transpose()
    }

    pub(super) fn enum_def(&mut self, body: &'a EnumBody) -> Result<EnumDef, Diag> {
        let mut values = Vec::with_capacity(body.members.len());
        for m in &body.members {
            let v = self.const_value(&m.name.item, m.name.pos, 0)?;
            values.push((m.name.item.clone(), v as i32)); // in range: checked
        }
        Ok(EnumDef::new(values))
    }

    pub(super) fn struct_def(&mut self, body: &'a StructBody) -> Result<StructDef, Diag> {
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
    pub(super) fn union_def(
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

    pub(super) fn build_types(&mut self, defs: &'a [Def]) -> Result<(), Diag> {
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
    pub(super) fn typedef_kind(&mut self, d: &'a Decl) -> Result<Option<(TypeId, Kind)>, Diag> {
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
}
