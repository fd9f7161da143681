//! The walker: body bytes + a schema type -> events for a [`Visitor`].
//!
//! API skeleton (the implementation lands with the body engine): the types
//! below are the contract between the walker and its visitors (the JSON
//! writer, the text summary, fact extraction, the value builder).
//!
//! Contract: zero-copy (opaque and string events borrow the body), never
//! allocates from a wire length, never panics, and is bounded by
//! [`WalkLimits`] in depth, nodes and time. A body cut short (snapshot
//! length, TCP gap, bytes rpcscope did not keep) walks as far as its bytes
//! go and ends in a [`BodyError`] saying where and why.

use super::schema::{Field, Schema, TypeId};

/// Why bytes of a body past what is held are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Missing {
    /// Nothing is missing: `data.len() == len`.
    #[default]
    None,
    /// The capture's snapshot length cut the packet.
    Snaplen,
    /// A TCP gap: bytes were never captured.
    Gap,
    /// rpcscope kept only a prefix (`Limits::record_keep`, the kept-body cap).
    NotKept,
}

/// The bytes of one body (call arguments or reply results) as held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyBytes<'a> {
    /// The bytes held: a prefix of the body.
    pub data: &'a [u8],
    /// The body's length on the wire (`>= data.len()`).
    pub len: u64,
    /// Why `data` is shorter than `len`, when it is.
    pub missing: Missing,
}

impl<'a> BodyBytes<'a> {
    /// A body held whole.
    pub fn whole(data: &'a [u8]) -> Self {
        BodyBytes {
            data,
            len: data.len() as u64,
            missing: Missing::None,
        }
    }
}

/// Bounds on one walk (from [`crate::limits::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkLimits {
    /// Nesting depth of structs, unions, arrays and optional data.
    pub max_depth: u32,
    /// Events per walk: bounds time and output size on hostile bodies.
    pub max_nodes: u32,
}

/// What the visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Skip the inside of the compound value just begun (struct, union arm,
    /// array or list, optional value): the walker moves past its bytes
    /// without events. Same as `Continue` after a scalar.
    Skip,
    /// End the walk now (not an error).
    Stop,
}

/// One step of a walk. `ty` is the type as declared at that place (before
/// aliases are followed), so semantics can recognise `nfs_fh3` or `fhandle`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'a, 's> {
    StructBegin {
        ty: TypeId,
    },
    StructEnd {
        ty: TypeId,
    },
    /// The next value is the struct field (or union arm) `name`.
    Field {
        name: &'s str,
        ty: TypeId,
    },
    /// A union: its discriminant (name, value and its enum name if any) and
    /// the arm chosen (a `void` arm has type `TypeId::VOID`). The arm's
    /// value follows after a `Field` event unless it is void.
    UnionBegin {
        ty: TypeId,
        discriminant: &'s Field,
        value: i64,
        value_name: Option<&'s str>,
        arm: &'s Field,
    },
    UnionEnd {
        ty: TypeId,
    },
    /// An array of `len` elements, or (`list`) a recursive optional list
    /// (`entry3 *nextentry`) flattened to an array; `len` is 0 for a list.
    ArrayBegin {
        ty: TypeId,
        len: u32,
        list: bool,
    },
    ArrayEnd {
        ty: TypeId,
    },
    /// Optional data that is absent.
    Null {
        ty: TypeId,
    },
    Int {
        ty: TypeId,
        value: i64,
    },
    UInt {
        ty: TypeId,
        value: u64,
    },
    Float {
        ty: TypeId,
        value: f64,
    },
    Bool {
        ty: TypeId,
        value: bool,
    },
    Enum {
        ty: TypeId,
        value: i32,
        name: Option<&'s str>,
    },
    /// Opaque data: `len` bytes on the wire of which `data` (a prefix) is
    /// held.
    Opaque {
        ty: TypeId,
        data: &'a [u8],
        len: u64,
    },
    /// A string, like opaque.
    Str {
        ty: TypeId,
        data: &'a [u8],
        len: u64,
    },
}

/// Receives the events of a walk.
pub trait Visitor {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow;
}

/// Why a body did not decode to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyError {
    /// Byte offset in the body where decoding stopped.
    pub offset: u64,
    pub kind: BodyErrorKind,
}

/// The kinds of [`BodyError`]; `name()` is the JSON `body_error.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyErrorKind {
    /// Cut by the snapshot length.
    Truncated,
    /// Bytes lost in a TCP gap.
    Gap,
    /// rpcscope kept only a prefix of a long body, or a walk limit was hit.
    Limit,
    /// The bytes break the type: an invalid bool, a discriminant with no
    /// arm, a length over the declared maximum, bytes after the end.
    Malformed(Malformation),
}

/// What exactly was malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformation {
    BadBool,
    NoArm,
    TooLong,
    TrailingBytes,
}

impl BodyErrorKind {
    /// The JSON name.
    pub fn name(&self) -> &'static str {
        match self {
            BodyErrorKind::Truncated => "truncated",
            BodyErrorKind::Gap => "gap",
            BodyErrorKind::Limit => "limit",
            BodyErrorKind::Malformed(_) => "malformed",
        }
    }
}

/// Walks `body` as the types `types` in sequence (a procedure's arguments,
/// or its one result type), calling `v` for each step. Returns the bytes
/// consumed, or where and why the walk stopped short. A visitor's
/// [`Flow::Stop`] ends the walk with `Ok`.
pub fn walk<V: Visitor + ?Sized>(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    v: &mut V,
) -> Result<u64, BodyError> {
    // Skeleton: the engine replaces this.
    let _ = (schema, types, limits, v);
    Err(BodyError {
        offset: 0,
        kind: BodyErrorKind::Limit,
    })
    .or(if body.len == 0 {
        Ok(0)
    } else {
        Err(BodyError {
            offset: 0,
            kind: BodyErrorKind::Limit,
        })
    })
}
