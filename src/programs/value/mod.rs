//! Owned body values: a tree built from a walk, written back as XDR through
//! the schema, read from the JSON the body writer makes, and generated at
//! random for tests and fuzzers.
//!
//! The analyzer does not build trees (visitors stream); values are for what
//! must be kept or made: call arguments a reply's meaning depends on, the
//! reference server's replies, the `call` client's arguments typed as JSON,
//! structurally valid fuzzer bodies, and round-trip tests.
//!
//! A [`Value`] has the shape the JSON writer gives a body, so the two map
//! one to one: `void` is absent (a struct's [`Value::Struct`] holds its
//! non-void fields only; a void arm is [`Value::Void`]), and a recursive
//! optional list is an [`Value::Array`] of its elements, each a
//! [`Value::Struct`] without the link field.
//!
//! Contract: [`ValueBuilder`] holds at most one value per walk event (the
//! walk is bounded by [`WalkLimits`]) and copies only held body bytes;
//! it and [`encode`], [`from_json`] and [`arbitrary_value`] nest at most
//! [`VALUE_MAX_DEPTH`] levels (lists loop) and never panic;
//! their errors name the place (`entries[3].name`) and the reason.

mod arbitrary;
mod encode;
mod from_json;

pub use arbitrary::{arbitrary_value, Rng};
pub use encode::{encode, encode_all};
pub use from_json::{from_json, from_json_all, from_json_with};

use std::fmt;

use crate::limits::VALUE_MAX_DEPTH;

use super::schema::{Kind, Schema, TypeId};
use super::walk::{
    walk, BodyBytes, BodyError, BodyErrorKind, Event, Flow, Missing, Visitor, WalkLimits,
};

/// One body value. See the module docs for how XDR maps to it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `void`: a void union arm, a void type.
    Void,
    /// `int` and `hyper`.
    Int(i64),
    /// `unsigned int` and `unsigned hyper`.
    UInt(u64),
    /// `float` and `double`.
    Float(f64),
    /// `bool`.
    Bool(bool),
    /// An enum's value (named or not).
    Enum(i32),
    /// Fixed and variable opaque data, and `quadruple` (16 bytes).
    Opaque(Vec<u8>),
    /// `string` bytes (not necessarily UTF-8).
    Str(Vec<u8>),
    /// A struct's non-void fields in order (a list element: without the
    /// link field).
    Struct(Vec<Value>),
    /// A union: the discriminant read as its type says, and the arm.
    Union { discriminant: i64, arm: Box<Value> },
    /// Fixed and variable arrays, and recursive optional lists.
    Array(Vec<Value>),
    /// Optional data (not a recursive list).
    Optional(Option<Box<Value>>),
}

/// Typed accessors, for code that reads a value decoded through a schema it
/// knows (the reference server reads its arguments so): `None` when the
/// value does not have that shape.
impl Value {
    /// An `int`, `unsigned int`, `hyper` or enum value that fits a `u32`.
    pub fn as_u32(&self) -> Option<u32> {
        match *self {
            Value::UInt(u) => u32::try_from(u).ok(),
            Value::Int(i) => u32::try_from(i).ok(),
            Value::Enum(e) => u32::try_from(e).ok(),
            _ => None,
        }
    }

    /// A `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes of opaque data or a string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Opaque(b) | Value::Str(b) => Some(b),
            _ => None,
        }
    }

    /// The members of a struct (non-void, in order).
    pub fn as_struct(&self) -> Option<&[Value]> {
        match self {
            Value::Struct(v) => Some(v),
            _ => None,
        }
    }

    /// A struct of exactly `N` members, for slice patterns:
    /// `let [prog, vers, prot, port] = v.fields()?;`.
    pub fn fields<const N: usize>(&self) -> Option<&[Value; N]> {
        self.as_struct()?.try_into().ok()
    }

    /// The elements of an array or list.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(v) => Some(v),
            _ => None,
        }
    }
}

/// Where and why a value does not fit its type (encoding, JSON input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The place in the value: `what.name`, `entries[3].cookie`; empty for
    /// the value itself.
    pub path: String,
    /// Why: `expected a string`, `4 elements over the maximum 2`.
    pub reason: String,
}

/// An encoding error: see [`ValueError`].
pub type EncodeError = ValueError;

impl ValueError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        ValueError {
            path: String::new(),
            reason: reason.into(),
        }
    }

    /// The error as seen from the struct or union member `name` holding
    /// the value: `name.path`. Callers name the root the same way
    /// (`e.with_root("args")` reads `args.what.name: ...`).
    pub fn with_root(mut self, name: &str) -> Self {
        self.path = if self.path.is_empty() {
            name.to_string()
        } else if self.path.starts_with('[') {
            format!("{name}{}", self.path)
        } else {
            format!("{name}.{}", self.path)
        };
        self
    }

    /// The error as seen from the array holding the value at `index`.
    pub(crate) fn at_index(mut self, index: usize) -> Self {
        self.path = if self.path.is_empty() || self.path.starts_with('[') {
            format!("[{index}]{}", self.path)
        } else {
            format!("[{index}].{}", self.path)
        };
        self
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

impl std::error::Error for ValueError {}

/// Reads `types` of `body` into a value: one type gives its value (a void
/// type [`Value::Void`]); several give a [`Value::Struct`] of the values of
/// the non-void ones (rpcgen `-N` arguments), none gives `Void`. A body not
/// held whole fails at its first missing byte even where the walk could go
/// on past it (use [`ValueBuilder`] directly to keep prefixes).
pub fn decode(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
) -> Result<Value, BodyError> {
    let mut b = ValueBuilder::new();
    let end = walk(schema, types, body, limits, &mut b)?;
    if b.too_deep {
        return Err(BodyError {
            offset: end,
            kind: BodyErrorKind::Limit,
        });
    }
    let held = body.data.len() as u64;
    if end > held && held < body.len {
        let kind = match body.missing {
            Missing::None | Missing::Snaplen => BodyErrorKind::Truncated,
            Missing::Gap => BodyErrorKind::Gap,
            Missing::NotKept => BodyErrorKind::Limit,
        };
        return Err(BodyError { offset: held, kind });
    }
    let mut values = b.finish();
    Ok(match types {
        [_] => values.pop().unwrap_or(Value::Void),
        [] => Value::Void,
        _ => Value::Struct(values),
    })
}

/// A compound value being built.
#[derive(Debug)]
enum Partial {
    Struct(Vec<Value>),
    Union {
        discriminant: i64,
        arm: Option<Value>,
    },
    /// An array; `void_len` is the element count when the elements are void
    /// (they make no events, so the end fills them in).
    Array {
        items: Vec<Value>,
        void_len: u32,
    },
    /// Optional data is present: the next value completed is wrapped.
    Present,
}

/// A [`Visitor`] that builds [`Value`]s: one per top-level type walked
/// (void types make none). Never skips; stops the walk only when values
/// nest deeper than [`VALUE_MAX_DEPTH`] (chains of optional data, which the
/// walker loops through, can), so that no recursion over the tree (drop,
/// encode) can overflow the stack: [`ValueBuilder::too_deep`] says so.
#[derive(Debug, Default)]
pub struct ValueBuilder {
    stack: Vec<Partial>,
    done: Vec<Value>,
    too_deep: bool,
}

impl ValueBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        ValueBuilder::default()
    }

    /// Whether the walk was stopped because values nested too deep.
    pub fn too_deep(&self) -> bool {
        self.too_deep
    }

    /// The completed top-level values, and, after a walk that stopped
    /// short, the value being built closed as it stands (its missing
    /// members absent), so it may not encode.
    pub fn finish(mut self) -> Vec<Value> {
        while let Some(p) = self.stack.pop() {
            let v = match p {
                Partial::Struct(v) => Value::Struct(v),
                Partial::Union { discriminant, arm } => Value::Union {
                    discriminant,
                    arm: Box::new(arm.unwrap_or(Value::Void)),
                },
                Partial::Array { items, .. } => Value::Array(items),
                Partial::Present => continue,
            };
            self.complete(v);
        }
        self.done
    }

    /// Hands a finished value to its parent.
    fn complete(&mut self, mut v: Value) {
        loop {
            match self.stack.last_mut() {
                Some(Partial::Present) => {
                    self.stack.pop();
                    v = Value::Optional(Some(Box::new(v)));
                }
                Some(Partial::Struct(items)) | Some(Partial::Array { items, .. }) => {
                    items.push(v);
                    return;
                }
                Some(Partial::Union { arm, .. }) => {
                    *arm = Some(v);
                    return;
                }
                None => {
                    self.done.push(v);
                    return;
                }
            }
        }
    }
}

impl Visitor for ValueBuilder {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        if self.stack.len() >= VALUE_MAX_DEPTH {
            self.too_deep = true;
            return Flow::Stop;
        }
        let v = match ev {
            Event::Field { .. } => return Flow::Continue,
            Event::StructBegin { .. } => {
                self.stack.push(Partial::Struct(Vec::new()));
                return Flow::Continue;
            }
            Event::UnionBegin { value, .. } => {
                self.stack.push(Partial::Union {
                    discriminant: value,
                    arm: None,
                });
                return Flow::Continue;
            }
            Event::ArrayBegin { ty, len, list } => {
                let void_elems = !list
                    && match schema.resolve(ty).1 {
                        Kind::FixedArray { elem, .. } | Kind::VarArray { elem, .. } => {
                            matches!(schema.resolve(*elem).1, Kind::Void)
                        }
                        _ => false,
                    };
                self.stack.push(Partial::Array {
                    items: Vec::new(),
                    void_len: if void_elems { len } else { 0 },
                });
                return Flow::Continue;
            }
            Event::Present { .. } => {
                self.stack.push(Partial::Present);
                return Flow::Continue;
            }
            Event::StructEnd { .. } | Event::UnionEnd { .. } | Event::ArrayEnd { .. } => {
                match self.stack.pop() {
                    Some(Partial::Struct(v)) => Value::Struct(v),
                    Some(Partial::Union { discriminant, arm }) => Value::Union {
                        discriminant,
                        arm: Box::new(arm.unwrap_or(Value::Void)),
                    },
                    Some(Partial::Array {
                        mut items,
                        void_len,
                    }) => {
                        // Every element was counted by the walk's node
                        // limit, so this is bounded.
                        if void_len > 0 {
                            items.resize(void_len as usize, Value::Void);
                        }
                        Value::Array(items)
                    }
                    Some(Partial::Present) | None => return Flow::Continue,
                }
            }
            Event::Null { .. } => Value::Optional(None),
            Event::Int { value, .. } => Value::Int(value),
            Event::UInt { value, .. } => Value::UInt(value),
            Event::Float { value, .. } => Value::Float(value),
            Event::Bool { value, .. } => Value::Bool(value),
            Event::Enum { value, .. } => Value::Enum(value),
            Event::Opaque { data, .. } => Value::Opaque(data.to_vec()),
            Event::Str { data, .. } => Value::Str(data.to_vec()),
        };
        self.complete(v);
        Flow::Continue
    }
}

#[cfg(test)]
mod tests;
