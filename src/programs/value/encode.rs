//! [`Value`] -> XDR bytes through the schema: the inverse of a walk.
//!
//! Numbers are accepted in either signed or unsigned form when they fit the
//! type (an `unsigned int` from `Int(5)`), enums take any `i32` (values not
//! in the enum are allowed, as on the wire), everything else must have the
//! shape of its type; lengths are checked against the declared maxima.

use super::{Value, ValueError};
use crate::limits::VALUE_MAX_DEPTH;
use crate::programs::schema::{Field, Kind, Schema, TypeId};
use crate::programs::walk::DiscKind;
use crate::rpc::xdr::XdrWriter;

/// Appends the XDR encoding of `v` as type `ty` to `out`. On error, `out`
/// holds a prefix of the encoding (truncate it to its old length to drop
/// it).
pub fn encode(schema: &Schema, ty: TypeId, v: &Value, out: &mut Vec<u8>) -> Result<(), ValueError> {
    Encoder { schema }.value(ty, v, &mut XdrWriter::new(out), 0)
}

/// Encodes `v` as the sequence `types`, by [`super::decode`]'s convention:
/// one type takes `v` itself; several take a [`Value::Struct`] with one
/// value per non-void type; a void type writes nothing.
pub fn encode_all(
    schema: &Schema,
    types: &[TypeId],
    v: &Value,
    out: &mut Vec<u8>,
) -> Result<(), ValueError> {
    match types {
        [] => Ok(()),
        [ty] => encode(schema, *ty, v, out),
        _ => {
            let Value::Struct(values) = v else {
                return Err(wrong("a struct of the arguments", v));
            };
            let mut values = values.iter();
            for (i, &ty) in types.iter().enumerate() {
                if matches!(schema.resolve(ty).1, Kind::Void) {
                    continue;
                }
                let Some(v) = values.next() else {
                    return Err(ValueError::new(format!("no value for argument {}", i + 1)));
                };
                encode(schema, ty, v, out).map_err(|e| e.at_index(i))?;
            }
            match values.next() {
                Some(_) => Err(ValueError::new("more values than arguments")),
                None => Ok(()),
            }
        }
    }
}

/// The shape of a value, for error messages.
pub(crate) fn shape(v: &Value) -> &'static str {
    match v {
        Value::Void => "void",
        Value::Int(_) | Value::UInt(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Bool(_) => "a bool",
        Value::Enum(_) => "an enum value",
        Value::Opaque(_) => "opaque data",
        Value::Str(_) => "a string",
        Value::Struct(_) => "a struct",
        Value::Union { .. } => "a union",
        Value::Array(_) => "an array",
        Value::Optional(_) => "optional data",
    }
}

fn wrong(expected: &str, got: &Value) -> ValueError {
    ValueError::new(format!("expected {expected}, got {}", shape(got)))
}

/// A number of `v` as `i128`, when it is an integer (or an enum value).
fn integer(v: &Value) -> Option<i128> {
    match *v {
        Value::Int(i) => Some(i.into()),
        Value::UInt(u) => Some(u.into()),
        Value::Enum(e) => Some(e.into()),
        _ => None,
    }
}

/// `v` as an integer in `lo..=hi`.
fn ranged(v: &Value, lo: i128, hi: i128, what: &str) -> Result<i128, ValueError> {
    let n = integer(v).ok_or_else(|| wrong(what, v))?;
    if n < lo || n > hi {
        return Err(ValueError::new(format!("{n} is out of range for {what}")));
    }
    Ok(n)
}

fn check_max(len: usize, max: Option<u32>, what: &str) -> Result<(), ValueError> {
    match max {
        Some(m) if len > m as usize => Err(ValueError::new(format!(
            "{len} {what} over the maximum {m}"
        ))),
        _ if len > u32::MAX as usize => Err(ValueError::new(format!("{len} {what}: too many"))),
        _ => Ok(()),
    }
}

struct Encoder<'s> {
    schema: &'s Schema,
}

impl<'s> Encoder<'s> {
    fn value(
        &self,
        ty: TypeId,
        v: &Value,
        w: &mut XdrWriter<'_>,
        depth: usize,
    ) -> Result<(), ValueError> {
        if depth > VALUE_MAX_DEPTH {
            return Err(ValueError::new("nested too deep"));
        }
        let (rid, kind) = self.schema.resolve(ty);
        match kind {
            Kind::Void => match v {
                Value::Void => {}
                _ => return Err(wrong("void", v)),
            },
            Kind::Int => {
                let n = ranged(v, i32::MIN.into(), i32::MAX.into(), "an int")?;
                w.put_i32(n as i32);
            }
            Kind::UInt => {
                let n = ranged(v, 0, u32::MAX.into(), "an unsigned int")?;
                w.put_u32(n as u32);
            }
            Kind::Hyper => {
                let n = ranged(v, i64::MIN.into(), i64::MAX.into(), "a hyper")?;
                w.put_i64(n as i64);
            }
            Kind::UHyper => {
                let n = ranged(v, 0, u64::MAX.into(), "an unsigned hyper")?;
                w.put_u64(n as u64);
            }
            Kind::Float => match v {
                Value::Float(f) => {
                    w.put_u32((*f as f32).to_bits());
                }
                _ => return Err(wrong("a number", v)),
            },
            Kind::Double => match v {
                Value::Float(f) => {
                    w.put_u64(f.to_bits());
                }
                _ => return Err(wrong("a number", v)),
            },
            Kind::Bool => match v {
                Value::Bool(b) => {
                    w.put_bool(*b);
                }
                _ => return Err(wrong("a bool", v)),
            },
            Kind::Enum(_) => {
                let n = ranged(v, i32::MIN.into(), i32::MAX.into(), "an enum value")?;
                w.put_i32(n as i32);
            }
            Kind::Quadruple => self.fixed_opaque(v, 16, w)?,
            Kind::FixedOpaque(n) => self.fixed_opaque(v, *n, w)?,
            Kind::VarOpaque(max) => match v {
                Value::Opaque(d) => {
                    check_max(d.len(), *max, "bytes")?;
                    w.put_opaque_var(d);
                }
                _ => return Err(wrong("opaque data", v)),
            },
            Kind::String(max) => match v {
                Value::Str(d) => {
                    check_max(d.len(), *max, "bytes")?;
                    w.put_string(d);
                }
                _ => return Err(wrong("a string", v)),
            },
            Kind::Struct(def) => match v {
                Value::Struct(values) => self.fields(&def.fields, values, w, depth)?,
                _ => return Err(wrong("a struct", v)),
            },
            Kind::Union(def) => {
                let Value::Union { discriminant, arm } = v else {
                    return Err(wrong("a union", v));
                };
                let d = Value::Int(*discriminant);
                let name = &def.discriminant.name;
                match DiscKind::of(self.schema, def.discriminant.ty) {
                    DiscKind::Int | DiscKind::Enum(_) => {
                        let n = ranged(&d, i32::MIN.into(), i32::MAX.into(), "an int")
                            .map_err(|e| e.with_root(name))?;
                        w.put_i32(n as i32);
                    }
                    DiscKind::UInt => {
                        let n = ranged(&d, 0, u32::MAX.into(), "an unsigned int")
                            .map_err(|e| e.with_root(name))?;
                        w.put_u32(n as u32);
                    }
                    DiscKind::Bool => {
                        let n = ranged(&d, 0, 1, "a bool").map_err(|e| e.with_root(name))?;
                        w.put_bool(n == 1);
                    }
                    // A discriminant value is an i64; an unsigned hyper's
                    // bits are kept as they are.
                    DiscKind::Hyper | DiscKind::UHyper => {
                        w.put_i64(*discriminant);
                    }
                }
                let Some(f) = def.arm(*discriminant) else {
                    return Err(ValueError::new(format!(
                        "no arm for the discriminant {discriminant}"
                    )));
                };
                self.value(f.ty, arm, w, depth + 1).map_err(|e| {
                    if f.name.is_empty() {
                        e
                    } else {
                        e.with_root(&f.name)
                    }
                })?;
            }
            Kind::FixedArray { elem, len } => {
                let Value::Array(items) = v else {
                    return Err(wrong("an array", v));
                };
                if items.len() != *len as usize {
                    return Err(ValueError::new(format!(
                        "{} elements, the array has exactly {len}",
                        items.len()
                    )));
                }
                self.elements(*elem, items, w, depth)?;
            }
            Kind::VarArray { elem, max } => {
                let Value::Array(items) = v else {
                    return Err(wrong("an array", v));
                };
                check_max(items.len(), *max, "elements")?;
                w.put_u32(items.len() as u32);
                self.elements(*elem, items, w, depth)?;
            }
            Kind::Optional(target) => {
                let elem = self.schema.tables().resolve(*target);
                if let (Some(link), Kind::Struct(def)) = (
                    self.schema.tables().list_link(elem),
                    &self.schema.get(elem).kind,
                ) {
                    let Value::Array(items) = v else {
                        return Err(wrong("an array (a list)", v));
                    };
                    let fields = def.fields.get(..link).unwrap_or(&[]);
                    for (i, item) in items.iter().enumerate() {
                        let Value::Struct(values) = item else {
                            return Err(wrong("a struct", item).at_index(i));
                        };
                        w.put_bool(true);
                        self.fields(fields, values, w, depth)
                            .map_err(|e| e.at_index(i))?;
                    }
                    w.put_bool(false);
                    return Ok(());
                }
                match v {
                    Value::Optional(None) => {
                        w.put_bool(false);
                    }
                    Value::Optional(Some(inner)) => {
                        w.put_bool(true);
                        self.value(*target, inner, w, depth + 1)?;
                    }
                    _ => return Err(wrong("optional data", v)),
                }
            }
            Kind::Alias(_) => {
                // `resolve` stops only at a cycle, which a checked schema
                // does not have.
                return Err(ValueError::new(format!("type {} is an alias cycle", rid.0)));
            }
        }
        Ok(())
    }

    fn fixed_opaque(&self, v: &Value, n: u32, w: &mut XdrWriter<'_>) -> Result<(), ValueError> {
        match v {
            Value::Opaque(d) if d.len() == n as usize => {
                w.put_opaque_fixed(d);
                Ok(())
            }
            Value::Opaque(d) => Err(ValueError::new(format!(
                "{} bytes, the type has exactly {n}",
                d.len()
            ))),
            _ => Err(wrong("opaque data", v)),
        }
    }

    /// A struct's non-void `fields` from `values`, one each, in order.
    fn fields(
        &self,
        fields: &[Field],
        values: &[Value],
        w: &mut XdrWriter<'_>,
        depth: usize,
    ) -> Result<(), ValueError> {
        let mut values = values.iter();
        for f in fields {
            if matches!(self.schema.resolve(f.ty).1, Kind::Void) {
                continue;
            }
            let Some(v) = values.next() else {
                return Err(ValueError::new("missing").with_root(&f.name));
            };
            self.value(f.ty, v, w, depth + 1)
                .map_err(|e| e.with_root(&f.name))?;
        }
        match values.len() {
            0 => Ok(()),
            n => Err(ValueError::new(format!("{n} values more than the fields"))),
        }
    }

    fn elements(
        &self,
        elem: TypeId,
        items: &[Value],
        w: &mut XdrWriter<'_>,
        depth: usize,
    ) -> Result<(), ValueError> {
        for (i, item) in items.iter().enumerate() {
            self.value(elem, item, w, depth + 1)
                .map_err(|e| e.at_index(i))?;
        }
        Ok(())
    }
}
