//! JSON (as the body writer makes it, or as a user types it) -> [`Value`]
//! through the schema.
//!
//! Accepted: everything [`crate::programs::json`] writes, except bulk data
//! written without its bytes (`{"len": N}` alone) and cut strings (the
//! marker is read as text). In detail: enum values by name or number; opaque
//! data as a hex string or an object with `"hex"` (a bulk or file-handle
//! object: `"len"`, if present, must match, `"hash"` is ignored, `"held"`
//! short of `"len"` is refused); a file-handle struct as such an object or
//! as the object of its fields; unions as `{discriminant: name or number,
//! arm: value}`; a list as an array of its elements (or `null`); strings
//! with the writer's `\xNN` escapes turned back into bytes (a string whose
//! text holds `\x41` reads back as `A`; the writer writes a backslash that
//! comes before `x` as `\x5c`, so what it wrote reads back exactly);
//! `null` for a float that was not finite (it reads as NaN); text opaque
//! data ([`Role::TEXT`], NFSv4's `utf8string`) as a string, as the writer
//! writes it; and with [`from_json_with`], attribute bags and typed opaques
//! decoded as [`crate::programs::attrs`] renders them (`attr_vals` as an
//! object of named attributes, re-encoded in bit order; `attr_N` and
//! `undecoded` members as the hex of their bytes; `attrmask`, when given,
//! must agree with the attributes named).

use serde_json::Value as Json;

use super::{Value, ValueError};
use crate::limits::{MAX_BAG_BITS, VALUE_MAX_DEPTH};
use crate::programs::attrs::{Bag, Bags, Switched, NO_BAGS};
use crate::programs::roles::{Role, Roles};
use crate::programs::schema::{Field, Kind, Schema, TypeId};
use crate::programs::walk::DiscKind;

/// Reads `json` as a value of type `ty`. Errors name the place and the
/// reason (`what.name: expected a string`); name the root with
/// [`ValueError::with_root`].
pub fn from_json(
    schema: &Schema,
    ty: TypeId,
    json: &Json,
    roles: &Roles,
) -> Result<Value, ValueError> {
    from_json_with(schema, ty, json, roles, &NO_BAGS)
}

/// [`from_json`] that also reads the attribute bags and typed opaques of
/// `bags` in their decoded form (see the module docs).
pub fn from_json_with(
    schema: &Schema,
    ty: TypeId,
    json: &Json,
    roles: &Roles,
    bags: &Bags,
) -> Result<Value, ValueError> {
    Reader {
        schema,
        roles,
        bags,
    }
    .value(ty, json, 0)
}

/// Reads `json` as the sequence `types`, by [`super::decode`]'s
/// convention and the JSON writer's: one type reads `json` itself; several
/// (rpcgen `-N` arguments) read the writer's object `{"arg1": .., "arg2":
/// ..}`, keyed by the argument's position among all the types, or a JSON
/// array with one element per non-void type, into a [`Value::Struct`];
/// none reads `null` as [`Value::Void`]. Errors name the argument
/// (`arg2.name: ...`, or `[1].name: ...` in the array form).
pub fn from_json_all(
    schema: &Schema,
    types: &[TypeId],
    json: &Json,
    roles: &Roles,
) -> Result<Value, ValueError> {
    match types {
        [] => match json {
            Json::Null => Ok(Value::Void),
            _ => Err(wrong("null (no arguments)", json)),
        },
        [ty] => from_json(schema, *ty, json, roles),
        _ => {
            let real = || {
                types
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| !matches!(schema.resolve(**t).1, Kind::Void))
            };
            let count = real().count();
            match json {
                Json::Object(m) => {
                    let mut values = Vec::with_capacity(count);
                    for (i, &t) in real() {
                        let key = format!("arg{}", i + 1);
                        let Some(j) = m.get(&key) else {
                            return Err(ValueError::new("missing").with_root(&key));
                        };
                        values.push(from_json(schema, t, j, roles).map_err(|e| e.with_root(&key))?);
                    }
                    if m.len() != count {
                        if let Some(k) = m
                            .keys()
                            .find(|k| !real().any(|(i, _)| **k == format!("arg{}", i + 1)))
                        {
                            return Err(ValueError::new(format!("unknown argument {k:?}")));
                        }
                    }
                    Ok(Value::Struct(values))
                }
                Json::Array(items) => {
                    if items.len() != count {
                        return Err(ValueError::new(format!(
                            "{} values for {count} arguments",
                            items.len(),
                        )));
                    }
                    let values = real()
                        .zip(items)
                        .enumerate()
                        .map(|(i, ((_, &t), j))| {
                            from_json(schema, t, j, roles).map_err(|e| e.at_index(i))
                        })
                        .collect::<Result<_, _>>()?;
                    Ok(Value::Struct(values))
                }
                _ => Err(wrong("an object {\"arg1\": .., ..} of the arguments", json)),
            }
        }
    }
}

fn kind_of(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn wrong(expected: &str, got: &Json) -> ValueError {
    ValueError::new(format!("expected {expected}, got {}", kind_of(got)))
}

/// Lowercase or uppercase hex to bytes.
fn unhex(s: &str) -> Result<Vec<u8>, ValueError> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(ValueError::new("hex of an odd length"));
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    b.chunks_exact(2)
        .map(|p| match (digit(p[0]), digit(p[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(ValueError::new(format!("not hex: {s:?}"))),
        })
        .collect()
}

/// A JSON string back to bytes, `\xNN` escapes included.
fn string_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            if let Some(Ok(v)) = b.get(i + 2..i + 4).map(|h| {
                std::str::from_utf8(h)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(())
            }) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// An integer in `lo..=hi` from a JSON number (or `true`/`false` when
/// `bools`).
fn int_in(j: &Json, lo: i128, hi: i128, what: &str) -> Result<i128, ValueError> {
    let n: i128 = match j {
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into(),
            (_, Some(u)) => u.into(),
            _ => return Err(ValueError::new(format!("expected {what}, got {n}"))),
        },
        _ => return Err(wrong(what, j)),
    };
    if n < lo || n > hi {
        return Err(ValueError::new(format!("{n} is out of range for {what}")));
    }
    Ok(n)
}

struct Reader<'s, 'r> {
    schema: &'s Schema,
    roles: &'r Roles,
    bags: &'r Bags,
}

impl Reader<'_, '_> {
    fn value(&self, ty: TypeId, j: &Json, depth: usize) -> Result<Value, ValueError> {
        if depth > VALUE_MAX_DEPTH {
            return Err(ValueError::new("nested too deep"));
        }
        let (_, kind) = self.schema.resolve(ty);
        Ok(match kind {
            Kind::Void => match j {
                Json::Null => Value::Void,
                _ => return Err(wrong("null (void)", j)),
            },
            Kind::Int => Value::Int(int_in(j, i32::MIN.into(), i32::MAX.into(), "an int")? as i64),
            Kind::UInt => Value::UInt(int_in(j, 0, u32::MAX.into(), "an unsigned int")? as u64),
            Kind::Hyper => {
                Value::Int(int_in(j, i64::MIN.into(), i64::MAX.into(), "a hyper")? as i64)
            }
            Kind::UHyper => Value::UInt(int_in(j, 0, u64::MAX.into(), "an unsigned hyper")? as u64),
            // A float is read at its own precision: "0.1" is the float
            // nearest 0.1, as the writer's shortest form means it.
            Kind::Float => match j {
                Json::Number(n) => {
                    Value::Float(n.as_f64().map_or(f64::NAN, |f| f64::from(f as f32)))
                }
                Json::Null => Value::Float(f64::NAN),
                _ => return Err(wrong("a number", j)),
            },
            Kind::Double => match j {
                Json::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
                Json::Null => Value::Float(f64::NAN),
                _ => return Err(wrong("a number", j)),
            },
            Kind::Bool => match j {
                Json::Bool(b) => Value::Bool(*b),
                _ => return Err(wrong("true or false", j)),
            },
            Kind::Enum(def) => match j {
                Json::String(s) => match def.value_of(s) {
                    Some(v) => Value::Enum(v),
                    None => {
                        return Err(ValueError::new(format!("{s:?} is not a value of the enum")))
                    }
                },
                _ => Value::Enum(int_in(
                    j,
                    i32::MIN.into(),
                    i32::MAX.into(),
                    "an enum name or number",
                )? as i32),
            },
            Kind::Quadruple => Value::Opaque(self.opaque(j, Some(16), Some(16))?),
            Kind::FixedOpaque(n) if self.is_text(ty) && j.is_string() => {
                let b = string_bytes(j.as_str().unwrap_or(""));
                if b.len() != *n as usize {
                    return Err(ValueError::new(format!(
                        "{} bytes, the type has exactly {n}",
                        b.len()
                    )));
                }
                Value::Opaque(b)
            }
            Kind::VarOpaque(max) if self.is_text(ty) && j.is_string() => {
                let b = string_bytes(j.as_str().unwrap_or(""));
                check_max(b.len(), *max, "bytes")?;
                Value::Opaque(b)
            }
            Kind::FixedOpaque(n) => Value::Opaque(self.opaque(j, Some(*n), Some(*n))?),
            Kind::VarOpaque(max) => Value::Opaque(self.opaque(j, None, *max)?),
            Kind::String(max) => match j {
                Json::String(s) => {
                    let b = string_bytes(s);
                    check_max(b.len(), *max, "bytes")?;
                    Value::Str(b)
                }
                _ => return Err(wrong("a string", j)),
            },
            Kind::Struct(def) => {
                let roles = self.roles.of(self.schema, ty);
                if roles & Role::FILE_HANDLE.bits() != 0 {
                    if let Some(v) = self.handle_struct(&def.fields, j, depth)? {
                        return Ok(v);
                    }
                }
                if roles & Role::INNER.bits() != 0 {
                    if let Some(bag) = self.bags.get(self.schema, ty) {
                        if let Some(v) = self.bag(bag, &def.fields, j, depth)? {
                            return Ok(v);
                        }
                    }
                    if let Some(sw) = self.bags.switched(self.schema, ty) {
                        if let Some(v) = self.switched(sw, &def.fields, j, depth)? {
                            return Ok(v);
                        }
                    }
                }
                Value::Struct(self.fields(&def.fields, j, depth)?)
            }
            Kind::Union(def) => {
                let Json::Object(m) = j else {
                    return Err(wrong("an object (a union)", j));
                };
                let dname = &def.discriminant.name;
                let Some(dj) = m.get(dname) else {
                    return Err(ValueError::new(format!("no discriminant {dname:?}")));
                };
                let d = self
                    .discriminant(def.discriminant.ty, dj)
                    .map_err(|e| e.with_root(dname))?;
                let Some(arm) = def.arm(d) else {
                    return Err(ValueError::new(format!("no arm for the discriminant {d}"))
                        .with_root(dname));
                };
                let void = matches!(self.schema.resolve(arm.ty).1, Kind::Void);
                let armv = if void {
                    Value::Void
                } else {
                    let Some(aj) = m.get(&arm.name) else {
                        return Err(ValueError::new(format!("no arm {:?}", arm.name)));
                    };
                    self.value(arm.ty, aj, depth + 1)
                        .map_err(|e| e.with_root(&arm.name))?
                };
                let expected = 1 + usize::from(!void);
                if m.len() != expected {
                    if let Some(k) = m.keys().find(|k| *k != dname && (void || **k != arm.name)) {
                        return Err(ValueError::new(format!("unknown member {k:?}")));
                    }
                }
                Value::Union {
                    discriminant: d,
                    arm: Box::new(armv),
                }
            }
            Kind::FixedArray { elem, len } => {
                let items = self.elements(*elem, j, depth)?;
                if items.len() != *len as usize {
                    return Err(ValueError::new(format!(
                        "{} elements, the array has exactly {len}",
                        items.len()
                    )));
                }
                Value::Array(items)
            }
            Kind::VarArray { elem, max } => {
                let items = self.elements(*elem, j, depth)?;
                check_max(items.len(), *max, "elements")?;
                Value::Array(items)
            }
            Kind::Optional(target) => {
                let tables = self.schema.tables();
                let elem = tables.resolve(*target);
                if let (Some(link), Kind::Struct(def)) =
                    (tables.list_link(elem), &self.schema.get(elem).kind)
                {
                    let fields = def.fields.get(..link).unwrap_or(&[]);
                    let items = match j {
                        Json::Null => return Ok(Value::Array(Vec::new())),
                        Json::Array(a) => a,
                        _ => return Err(wrong("an array (a list)", j)),
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let v = self
                            .fields(fields, item, depth)
                            .map_err(|e| e.at_index(i))?;
                        out.push(Value::Struct(v));
                    }
                    return Ok(Value::Array(out));
                }
                match j {
                    Json::Null => Value::Optional(None),
                    _ => Value::Optional(Some(Box::new(self.value(*target, j, depth + 1)?))),
                }
            }
            Kind::Alias(_) => return Err(ValueError::new("alias cycle")),
        })
    }

    /// A `FixedOpaque`/`VarOpaque` type that holds text.
    fn is_text(&self, ty: TypeId) -> bool {
        self.roles.of(self.schema, ty) & Role::TEXT.bits() != 0
    }

    /// An attribute bag whose values are given as an object of named
    /// attributes; `None` when they are given as hex (the plain path).
    fn bag(
        &self,
        bag: &Bag,
        fields: &[Field],
        j: &Json,
        depth: usize,
    ) -> Result<Option<Value>, ValueError> {
        let Json::Object(m) = j else { return Ok(None) };
        let Some(Json::Object(attrs)) = m.get(&bag.vals) else {
            return Ok(None);
        };
        if attrs.contains_key("hex") && !bag.attrs.iter().flatten().any(|a| a.name == "hex") {
            return Ok(None);
        }
        let err = |e: ValueError| e.with_root(&bag.vals);
        // (bit, bytes) of each member, `raw` for attr_N / undecoded.
        let mut parts: Vec<(usize, bool, Vec<u8>)> = Vec::with_capacity(attrs.len());
        for (name, v) in attrs {
            let raw_bit = name
                .strip_prefix("attr_")
                .and_then(|n| n.parse::<usize>().ok());
            if let Some(bit) = raw_bit.filter(|&b| b <= MAX_BAG_BITS) {
                let b = self
                    .opaque(v, None, None)
                    .map_err(|e| err(e.with_root(name)))?;
                parts.push((bit, true, b));
                continue;
            }
            if name == "undecoded" {
                let b = self
                    .opaque(v, None, None)
                    .map_err(|e| err(e.with_root(name)))?;
                parts.push((usize::MAX, true, b));
                continue;
            }
            let Some((bit, attr)) = bag
                .attrs
                .iter()
                .enumerate()
                .find_map(|(i, a)| a.as_ref().filter(|a| a.name == *name).map(|a| (i, a)))
            else {
                return Err(err(ValueError::new(format!("unknown attribute {name:?}"))));
            };
            let value = self
                .value(attr.ty, v, depth + 2)
                .map_err(|e| err(e.with_root(name)))?;
            let mut b = Vec::new();
            super::encode(self.schema, attr.ty, &value, &mut b)
                .map_err(|e| err(e.with_root(name)))?;
            parts.push((bit, false, b));
        }
        parts.sort_by_key(|p| (p.0, p.1));
        let stop = parts.iter().find(|p| p.1 && p.0 != usize::MAX).map(|p| p.0);
        let mut words = [0u32; MAX_BAG_BITS / 32];
        for &(bit, raw, _) in &parts {
            if !raw {
                words[bit / 32] |= 1 << (bit % 32);
            }
        }
        let given = m.get(&bag.mask);
        if stop.is_some() && given.is_none() {
            return Err(ValueError::new(format!(
                "{:?} is needed with an attr_N member",
                bag.mask
            )));
        }
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            if matches!(self.schema.resolve(f.ty).1, Kind::Void) {
                continue;
            }
            if f.name == bag.vals {
                out.push(Value::Opaque(
                    parts.iter().flat_map(|p| p.2.clone()).collect(),
                ));
            } else if f.name == bag.mask {
                let mask = match given {
                    Some(g) => self
                        .value(f.ty, g, depth + 1)
                        .map_err(|e| e.with_root(&f.name))?,
                    None => {
                        let n = words.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1);
                        Value::Array(words[..n].iter().map(|&w| Value::UInt(w.into())).collect())
                    }
                };
                check_mask(&mask, &words, stop).map_err(|e| e.with_root(&f.name))?;
                out.push(mask);
            } else {
                let Some(fj) = m.get(&f.name) else {
                    return Err(ValueError::new("missing").with_root(&f.name));
                };
                out.push(
                    self.value(f.ty, fj, depth + 1)
                        .map_err(|e| e.with_root(&f.name))?,
                );
            }
        }
        Ok(Some(Value::Struct(out)))
    }

    /// A typed opaque whose content is given decoded (not as hex): encoded
    /// by the type its enum names. `None` for the plain path.
    fn switched(
        &self,
        sw: &Switched,
        fields: &[Field],
        j: &Json,
        depth: usize,
    ) -> Result<Option<Value>, ValueError> {
        let Json::Object(m) = j else { return Ok(None) };
        let Some(body) = m.get(&sw.body) else {
            return Ok(None);
        };
        if body.is_string() || body.get("hex").is_some() {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(fields.len());
        let mut tag = None;
        for f in fields {
            if matches!(self.schema.resolve(f.ty).1, Kind::Void) {
                continue;
            }
            let Some(fj) = m.get(&f.name) else {
                return Err(ValueError::new("missing").with_root(&f.name));
            };
            if f.name == sw.body {
                let Some(&(_, ty)) = tag.and_then(|t| sw.cases.iter().find(|(v, _)| *v == t))
                else {
                    return Err(ValueError::new(format!(
                        "no type for this {:?}: give the bytes as hex",
                        sw.tag
                    ))
                    .with_root(&f.name));
                };
                let v = self
                    .value(ty, fj, depth + 1)
                    .map_err(|e| e.with_root(&f.name))?;
                let mut b = Vec::new();
                super::encode(self.schema, ty, &v, &mut b).map_err(|e| e.with_root(&f.name))?;
                out.push(Value::Opaque(b));
                continue;
            }
            let v = self
                .value(f.ty, fj, depth + 1)
                .map_err(|e| e.with_root(&f.name))?;
            if f.name == sw.tag {
                if let Value::Enum(t) = v {
                    tag = Some(t);
                }
            }
            out.push(v);
        }
        Ok(Some(Value::Struct(out)))
    }

    /// A discriminant by its type's rule.
    fn discriminant(&self, ty: TypeId, j: &Json) -> Result<i64, ValueError> {
        Ok(match DiscKind::of(self.schema, ty) {
            DiscKind::Bool => match j {
                Json::Bool(b) => (*b).into(),
                _ => int_in(j, 0, 1, "true or false")? as i64,
            },
            DiscKind::Enum(def) => match j {
                Json::String(s) => match def.value_of(s) {
                    Some(v) => v.into(),
                    None => {
                        return Err(ValueError::new(format!("{s:?} is not a value of the enum")))
                    }
                },
                _ => int_in(
                    j,
                    i32::MIN.into(),
                    i32::MAX.into(),
                    "an enum name or number",
                )? as i64,
            },
            DiscKind::Int => int_in(j, i32::MIN.into(), i32::MAX.into(), "an int")? as i64,
            DiscKind::UInt => int_in(j, 0, u32::MAX.into(), "an unsigned int")? as i64,
            DiscKind::Hyper => int_in(j, i64::MIN.into(), i64::MAX.into(), "a hyper")? as i64,
            // Discriminants are i64: an unsigned hyper keeps its bits.
            DiscKind::UHyper => int_in(j, 0, u64::MAX.into(), "an unsigned hyper")? as u64 as i64,
        })
    }

    /// Opaque data: a hex string or `{"hex": ..}` (see the module docs),
    /// `exact` bytes or at most `max`.
    fn opaque(
        &self,
        j: &Json,
        exact: Option<u32>,
        max: Option<u32>,
    ) -> Result<Vec<u8>, ValueError> {
        let bytes = match j {
            Json::String(s) => unhex(s)?,
            Json::Object(m) => {
                let Some(hex) = m.get("hex") else {
                    return Err(ValueError::new(
                        "bulk data without its bytes (\"hex\" is needed)",
                    ));
                };
                let Json::String(hex) = hex else {
                    return Err(wrong("a hex string", hex).with_root("hex"));
                };
                let bytes = unhex(hex).map_err(|e| e.with_root("hex"))?;
                let len = match m.get("len") {
                    Some(l) => Some(
                        int_in(l, 0, u32::MAX.into(), "a length")
                            .map_err(|e| e.with_root("len"))?,
                    ),
                    None => None,
                };
                if let Some(len) = len {
                    if len != bytes.len() as i128 {
                        return Err(ValueError::new(format!(
                            "only {} of {len} bytes are given",
                            bytes.len()
                        )));
                    }
                }
                bytes
            }
            _ => return Err(wrong("a hex string", j)),
        };
        if let Some(n) = exact {
            if bytes.len() != n as usize {
                return Err(ValueError::new(format!(
                    "{} bytes, the type has exactly {n}",
                    bytes.len()
                )));
            }
        }
        check_max(bytes.len(), max, "bytes")?;
        Ok(bytes)
    }

    /// A file-handle struct given as a handle (`{"hex": ..}` or a hex
    /// string): its one non-void field is opaque. `None` when `j` is the
    /// object of the struct's fields instead.
    fn handle_struct(
        &self,
        fields: &[Field],
        j: &Json,
        depth: usize,
    ) -> Result<Option<Value>, ValueError> {
        let is_handle = match j {
            Json::String(_) => true,
            Json::Object(m) => m.contains_key("hex") && !fields.iter().any(|f| f.name == "hex"),
            _ => false,
        };
        if !is_handle {
            return Ok(None);
        }
        let mut real = fields
            .iter()
            .filter(|f| !matches!(self.schema.resolve(f.ty).1, Kind::Void));
        let (Some(f), None) = (real.next(), real.next()) else {
            return Err(ValueError::new(
                "a file handle given as hex for a struct that is not one opaque field",
            ));
        };
        let v = self
            .value(f.ty, j, depth + 1)
            .map_err(|e| e.with_root(&f.name))?;
        Ok(Some(Value::Struct(vec![v])))
    }

    /// The values of a struct's non-void `fields` from a JSON object.
    fn fields(&self, fields: &[Field], j: &Json, depth: usize) -> Result<Vec<Value>, ValueError> {
        let Json::Object(m) = j else {
            return Err(wrong("an object", j));
        };
        let mut out = Vec::with_capacity(fields.len());
        let mut used = 0;
        for f in fields {
            if matches!(self.schema.resolve(f.ty).1, Kind::Void) {
                continue;
            }
            let Some(fj) = m.get(&f.name) else {
                return Err(ValueError::new("missing").with_root(&f.name));
            };
            used += 1;
            out.push(
                self.value(f.ty, fj, depth + 1)
                    .map_err(|e| e.with_root(&f.name))?,
            );
        }
        if used != m.len() {
            if let Some(k) = m.keys().find(|k| !fields.iter().any(|f| f.name == **k)) {
                return Err(ValueError::new(format!("unknown field {k:?}")));
            }
        }
        Ok(out)
    }

    fn elements(&self, elem: TypeId, j: &Json, depth: usize) -> Result<Vec<Value>, ValueError> {
        let Json::Array(a) = j else {
            return Err(wrong("an array", j));
        };
        a.iter()
            .enumerate()
            .map(|(i, e)| self.value(elem, e, depth + 1).map_err(|e| e.at_index(i)))
            .collect()
    }
}

/// The bitmap given must set exactly the bits of the attributes named,
/// below the raw `stop` bit (the bits from it on are the raw bytes').
fn check_mask(mask: &Value, named: &[u32], stop: Option<usize>) -> Result<(), ValueError> {
    let Value::Array(words) = mask else {
        return Ok(());
    };
    for (i, w) in words.iter().enumerate() {
        let Value::UInt(w) = w else { continue };
        let mut w = *w as u32;
        if let Some(stop) = stop {
            // Keep only the bits below `stop`.
            let lo = i * 32;
            w = match stop.checked_sub(lo) {
                Some(k) if k < 32 => w & ((1u32 << k) - 1),
                Some(_) => w,
                None => 0,
            };
        }
        if w != named.get(i).copied().unwrap_or(0) {
            return Err(ValueError::new(
                "the bitmap does not match the attributes given",
            ));
        }
    }
    Ok(())
}

fn check_max(len: usize, max: Option<u32>, what: &str) -> Result<(), ValueError> {
    match max {
        Some(m) if len > m as usize => Err(ValueError::new(format!(
            "{len} {what} over the maximum {m}"
        ))),
        _ => Ok(()),
    }
}
