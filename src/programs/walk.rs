//! The walker: body bytes + a schema type -> events for a [`Visitor`].
//!
//! The types below are the contract between the walker and its visitors
//! (the JSON writer, the text summary, fact extraction, the value builder);
//! [`walk`] is the one engine that reads every program body.
//!
//! Contract: zero-copy (opaque and string events borrow the body), never
//! allocates from a wire length, never panics, and is bounded by
//! [`WalkLimits`] in depth, nodes and time. A body cut short (snapshot
//! length, TCP gap, bytes rpcscope did not keep) walks as far as its bytes
//! go and ends in a [`BodyError`] saying where and why.
//!
//! How values become events (XDR as in RFC 4506):
//! - a struct is `StructBegin`, then per field `Field` and the field's
//!   value, then `StructEnd`; a union is `UnionBegin` (discriminant and arm),
//!   `Field` and the arm's value unless the arm is void, then `UnionEnd`;
//!   arrays are `ArrayBegin`, the elements, `ArrayEnd`;
//! - `void` makes no event at all, not even its `Field` (a void struct
//!   member, a void arm, a void top-level type);
//! - optional data is `Null`, or `Present` then the value; a recursive
//!   optional list (`entry3 *entries` where `struct entry3 { ...; entry3
//!   *nextentry; }`) is one `ArrayBegin { list: true }` whose elements are
//!   the structs without their link field, read in a loop however long;
//! - every event carries the type as declared at its place, aliases not
//!   followed, so semantics can recognise `nfs_fh3` or `fhandle`.
//!
//! Bytes past the held prefix: opaque data and strings that run past the
//! held bytes but fit in the body's length give their held prefix and the
//! walk goes on at the virtual position past them (bulk WRITE data is
//! normally not kept); so does a value skipped with [`Flow::Skip`] whose
//! size is known without reading it. The first read that needs a missing
//! byte ends the walk with the kind [`Missing`] says, at that offset; a read
//! past the body's length is `Truncated`.
//!
//! [`WalkLimits::max_nodes`] counts every event, every array element and
//! every event a skip suppresses, so a skipped hostile array costs no more
//! than a visited one. Depth counts open structs, unions, arrays and lists;
//! a list's elements do not nest, and chains of optional data loop.

mod engine;

pub(crate) use engine::DiscKind;

use super::schema::{Field, Schema, TypeId};
use crate::limits::Limits;

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
    /// without events. After a begin event the matching end event is still
    /// delivered; after `Field` or `Present` the whole value that follows
    /// is skipped (no begin, no end). Same as `Continue` after a scalar or
    /// an end.
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
    /// The next value is the struct field (or union arm) `name` (never
    /// sent for a void one).
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
    /// Optional data that is present: its value follows (`ty` is the
    /// optional type). [`Flow::Skip`] skips the value. Not sent for a
    /// recursive optional list, which is an `ArrayBegin { list: true }`.
    Present {
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

impl From<&Limits> for WalkLimits {
    fn from(l: &Limits) -> Self {
        WalkLimits {
            max_depth: l.body_max_depth,
            max_nodes: l.body_max_nodes,
        }
    }
}

/// Walks `body` as the types `types` in sequence (a procedure's arguments,
/// or its one result type), calling `v` for each step. Returns the bytes
/// consumed, or where and why the walk stopped short. A visitor's
/// [`Flow::Stop`] ends the walk with `Ok` (the bytes consumed so far).
///
/// A walk that ends before the body's length is
/// `Malformed(TrailingBytes)` at the offset where the values ended: that
/// offset is the consumed length, and the events were all delivered, so a
/// caller that expects bytes after the body (an RPCSEC_GSS integrity
/// checksum) may take the error's offset and ignore the error.
pub fn walk<V: Visitor + ?Sized>(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    v: &mut V,
) -> Result<u64, BodyError> {
    engine::run(schema, types, body, limits, v).0
}

/// [`walk`], also returning the nodes the walk counted against
/// [`WalkLimits::max_nodes`] (values a visitor skipped included), for a
/// caller that shares one budget between several walks.
pub fn walk_counted<V: Visitor + ?Sized>(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    v: &mut V,
) -> (Result<u64, BodyError>, u32) {
    engine::run(schema, types, body, limits, v)
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "walk_flow_tests.rs"]
mod flow_tests;
