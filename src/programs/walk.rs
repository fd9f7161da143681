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

use super::schema::{Field, Kind, Schema, Tables, TypeId};
use crate::limits::Limits;
use crate::rpc::xdr::padded;

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
    let mut w = Walker {
        schema,
        tables: schema.tables(),
        cur: Cursor::new(body),
        stack: Vec::new(),
        mute: None,
        nodes: 0,
        limits: *limits,
        v,
    };
    match w.run(types) {
        Ok(()) if w.cur.pos < w.cur.len => Err(BodyError {
            offset: w.cur.pos,
            kind: BodyErrorKind::Malformed(Malformation::TrailingBytes),
        }),
        Ok(()) | Err(Halt::Stop) => Ok(w.cur.pos),
        Err(Halt::Error(e)) => Err(e),
    }
}

/// Why the engine unwinds: a visitor's stop, or an error.
enum Halt {
    Stop,
    Error(BodyError),
}

impl From<BodyError> for Halt {
    fn from(e: BodyError) -> Self {
        Halt::Error(e)
    }
}

/// A position in a body: the held bytes, and the virtual position, which
/// may be past them (never past `len`).
struct Cursor<'a> {
    data: &'a [u8],
    len: u64,
    missing: Missing,
    pos: u64,
}

impl<'a> Cursor<'a> {
    fn new(body: &BodyBytes<'a>) -> Self {
        // A body that claims fewer bytes than it holds is held to its length.
        let held = usize::try_from(body.len).map_or(body.data.len(), |l| l.min(body.data.len()));
        Cursor {
            data: &body.data[..held],
            len: body.len,
            missing: body.missing,
            pos: 0,
        }
    }

    /// The error for a read of `n` bytes at the position that cannot be
    /// served: past the length the body is short (`Truncated`), else the
    /// bytes are missing for the reason the body gives.
    #[cold]
    fn cut(&self, n: u64) -> BodyError {
        let kind = if self.pos.saturating_add(n) > self.len {
            BodyErrorKind::Truncated
        } else {
            match self.missing {
                Missing::None | Missing::Snaplen => BodyErrorKind::Truncated,
                Missing::Gap => BodyErrorKind::Gap,
                Missing::NotKept => BodyErrorKind::Limit,
            }
        };
        BodyError {
            offset: self.pos,
            kind,
        }
    }

    /// The `N` held bytes at the position, which then moves past them.
    #[inline(always)]
    fn take<const N: usize>(&mut self) -> Result<[u8; N], BodyError> {
        let at = usize::try_from(self.pos).unwrap_or(usize::MAX);
        match self
            .data
            .get(at..at.saturating_add(N))
            .and_then(|b| <[u8; N]>::try_from(b).ok())
        {
            Some(b) => {
                self.pos += N as u64;
                Ok(b)
            }
            None => Err(self.cut(N as u64)),
        }
    }

    #[inline(always)]
    fn u32(&mut self) -> Result<u32, BodyError> {
        self.take::<4>().map(u32::from_be_bytes)
    }

    #[inline(always)]
    fn u64(&mut self) -> Result<u64, BodyError> {
        self.take::<8>().map(u64::from_be_bytes)
    }

    /// An XDR bool; anything but 0 or 1 is `BadBool` at its offset.
    #[inline(always)]
    fn bool(&mut self) -> Result<bool, BodyError> {
        let at = self.pos;
        match self.u32()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed(at, Malformation::BadBool)),
        }
    }

    /// A length or count at most `max`: `TooLong` at its offset otherwise.
    #[inline(always)]
    fn count(&mut self, max: Option<u32>) -> Result<u32, BodyError> {
        let at = self.pos;
        let n = self.u32()?;
        match max {
            Some(m) if n > m => Err(malformed(at, Malformation::TooLong)),
            _ => Ok(n),
        }
    }

    /// `n` bytes of opaque data and their padding: the held prefix of them.
    /// Only the end of the padded data must lie within the body's length.
    #[inline(always)]
    fn opaque(&mut self, n: u32) -> Result<&'a [u8], BodyError> {
        let wire = padded(n as usize) as u64;
        let at = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let end = at.saturating_add(n as usize);
        let held = match self.data.get(at..end) {
            Some(all) => all,
            None => self.data.get(at..).unwrap_or(&[]),
        };
        self.skip(wire)?;
        Ok(held)
    }

    /// Moves `n` bytes on without reading them (they must be within `len`).
    #[inline(always)]
    fn skip(&mut self, n: u64) -> Result<(), BodyError> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.len => {
                self.pos = end;
                Ok(())
            }
            _ => Err(self.cut(n)),
        }
    }
}

fn malformed(offset: u64, m: Malformation) -> BodyError {
    BodyError {
        offset,
        kind: BodyErrorKind::Malformed(m),
    }
}

/// A discriminant read as its type says: `int`, `unsigned int`, an enum,
/// `bool`, and (beyond RFC 4506) `hyper` and `unsigned hyper`. Any other
/// kind, which a checked schema does not allow, reads as `unsigned int`.
/// The encoder writes discriminants by the same rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiscKind<'s> {
    Int,
    UInt,
    Hyper,
    UHyper,
    Bool,
    Enum(&'s super::schema::EnumDef),
}

impl<'s> DiscKind<'s> {
    pub(crate) fn of(schema: &'s Schema, ty: TypeId) -> Self {
        match schema.resolve(ty).1 {
            Kind::Int => DiscKind::Int,
            Kind::Hyper => DiscKind::Hyper,
            Kind::UHyper => DiscKind::UHyper,
            Kind::Bool => DiscKind::Bool,
            Kind::Enum(def) => DiscKind::Enum(def),
            _ => DiscKind::UInt,
        }
    }
}

/// An open compound value.
enum Frame<'s> {
    /// A struct: its fields (without the link, for a list element) and the
    /// next one to walk.
    Struct {
        ty: TypeId,
        fields: &'s [Field],
        next: u32,
    },
    /// A union whose arm is still to walk (`Some`) or done.
    Union { ty: TypeId, arm: Option<&'s Field> },
    /// An array with `left` elements to walk.
    Array { ty: TypeId, elem: TypeId, left: u32 },
    /// A recursive optional list: each step reads the "more" bool (the
    /// optional's, then each element's link) and walks one element.
    List {
        ty: TypeId,
        elem: TypeId,
        fields: &'s [Field],
    },
}

struct Walker<'s, 'a, 'v, V: Visitor + ?Sized> {
    schema: &'s Schema,
    tables: &'s Tables,
    cur: Cursor<'a>,
    stack: Vec<Frame<'s>>,
    /// While skipping: `(depth, end_visible)`. Events are counted but not
    /// delivered until a pop brings the stack back to `depth`; then the
    /// popped frame's end event is delivered if `end_visible` (a skip after
    /// a begin event) and not if the skip began before the value.
    mute: Option<(usize, bool)>,
    nodes: u32,
    limits: WalkLimits,
    v: &'v mut V,
}

impl<'s, 'a, V: Visitor + ?Sized> Walker<'s, 'a, '_, V> {
    /// Counts one node against the limit.
    #[inline(always)]
    fn tick(&mut self) -> Result<(), Halt> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(Halt::Error(BodyError {
                offset: self.cur.pos,
                kind: BodyErrorKind::Limit,
            }));
        }
        Ok(())
    }

    /// Delivers one event (unless muted) and returns `Continue` or `Skip`.
    #[inline(always)]
    fn emit(&mut self, ev: Event<'a, 's>) -> Result<Flow, Halt> {
        self.tick()?;
        if self.mute.is_some() {
            return Ok(Flow::Continue);
        }
        match self.v.event(self.schema, ev) {
            Flow::Stop => Err(Halt::Stop),
            f => Ok(f),
        }
    }

    /// Opens a compound value: pushes `frame` and delivers its begin event;
    /// a `Skip` mutes until the frame is popped.
    #[inline(always)]
    fn open(&mut self, frame: Frame<'s>, ev: Event<'a, 's>) -> Result<(), Halt> {
        if self.stack.len() >= self.limits.max_depth as usize {
            return Err(Halt::Error(BodyError {
                offset: self.cur.pos,
                kind: BodyErrorKind::Limit,
            }));
        }
        self.stack.push(frame);
        if self.emit(ev)? == Flow::Skip {
            self.mute = Some((self.stack.len() - 1, true));
        }
        Ok(())
    }

    /// Closes the innermost compound value with its end event.
    #[inline(always)]
    fn close(&mut self, ev: Event<'a, 's>) -> Result<(), Halt> {
        self.stack.pop();
        if let Some((depth, visible)) = self.mute {
            if self.stack.len() == depth {
                self.mute = None;
                if !visible {
                    return self.tick();
                }
            }
        }
        self.emit(ev).map(drop)
    }

    /// Walks one value of type `ty` without events. A type of fixed size
    /// is skipped without reading it, and so is a counted array of them.
    fn skip_value(&mut self, ty: TypeId) -> Result<(), Halt> {
        let depth = self.stack.len();
        self.mute = Some((depth, false));
        self.value(ty)?;
        if self.stack.len() == depth {
            self.mute = None;
        }
        Ok(())
    }

    /// Walks the top-level types, then returns.
    fn run(&mut self, types: &[TypeId]) -> Result<(), Halt> {
        let mut top = types.iter();
        loop {
            let next = match self.stack.last_mut() {
                None => match top.next() {
                    Some(&t) => t,
                    None => return Ok(()),
                },
                Some(Frame::Struct { ty, fields, next }) => {
                    let Some(f) = fields.get(*next as usize) else {
                        let ty = *ty;
                        self.close(Event::StructEnd { ty })?;
                        continue;
                    };
                    *next += 1;
                    if self.is_void(f.ty) {
                        continue;
                    }
                    let ev = Event::Field {
                        name: &f.name,
                        ty: f.ty,
                    };
                    if self.emit(ev)? == Flow::Skip {
                        self.skip_value(f.ty)?;
                        continue;
                    }
                    f.ty
                }
                Some(Frame::Union { ty, arm }) => {
                    let Some(f) = arm.take() else {
                        let ty = *ty;
                        self.close(Event::UnionEnd { ty })?;
                        continue;
                    };
                    let ev = Event::Field {
                        name: &f.name,
                        ty: f.ty,
                    };
                    if self.emit(ev)? == Flow::Skip {
                        self.skip_value(f.ty)?;
                        continue;
                    }
                    f.ty
                }
                Some(Frame::Array { ty, elem, left }) => {
                    if *left == 0 {
                        let ty = *ty;
                        self.close(Event::ArrayEnd { ty })?;
                        continue;
                    }
                    *left -= 1;
                    let elem = *elem;
                    self.tick()?;
                    elem
                }
                Some(&mut Frame::List { ty, elem, fields }) => {
                    if self.cur.bool()? {
                        let frame = Frame::Struct {
                            ty: elem,
                            fields,
                            next: 0,
                        };
                        self.open(frame, Event::StructBegin { ty: elem })?;
                    } else {
                        self.close(Event::ArrayEnd { ty })?;
                    }
                    continue;
                }
            };
            self.value(next)?;
        }
    }

    #[inline(always)]
    fn is_void(&self, ty: TypeId) -> bool {
        matches!(self.schema.get(self.tables.resolve(ty)).kind, Kind::Void)
    }

    /// Walks a scalar value, or opens a compound one (its inside is walked
    /// by `run`). `ty` is the type as declared where the value sits.
    fn value(&mut self, ty: TypeId) -> Result<(), Halt> {
        let mut ty = ty;
        // Chains of optional data (`T **`, a type that is its own optional)
        // loop here rather than recurse.
        loop {
            let rid = self.tables.resolve(ty);
            let kind = &self.schema.get(rid).kind;
            if self.mute.is_some() {
                if let Some(n) = self.tables.fixed_size(rid) {
                    self.tick()?;
                    return Ok(self.cur.skip(n.into())?);
                }
                if let Kind::VarArray { elem, max } = kind {
                    if let Some(n) = self.tables.fixed_size(self.tables.resolve(*elem)) {
                        self.tick()?;
                        let count = self.cur.count(*max)?;
                        return Ok(self.cur.skip(u64::from(count) * u64::from(n))?);
                    }
                }
            }
            let c = &mut self.cur;
            let ev = match kind {
                Kind::Void => return Ok(()),
                Kind::Int => Event::Int {
                    ty,
                    value: (c.u32()? as i32).into(),
                },
                Kind::UInt => Event::UInt {
                    ty,
                    value: c.u32()?.into(),
                },
                Kind::Hyper => Event::Int {
                    ty,
                    value: c.u64()? as i64,
                },
                Kind::UHyper => Event::UInt {
                    ty,
                    value: c.u64()?,
                },
                Kind::Float => Event::Float {
                    ty,
                    value: f32::from_bits(c.u32()?).into(),
                },
                Kind::Double => Event::Float {
                    ty,
                    value: f64::from_bits(c.u64()?),
                },
                Kind::Quadruple => Event::Opaque {
                    ty,
                    data: c.opaque(16)?,
                    len: 16,
                },
                Kind::Bool => Event::Bool {
                    ty,
                    value: c.bool()?,
                },
                Kind::Enum(def) => {
                    let value = c.u32()? as i32;
                    Event::Enum {
                        ty,
                        value,
                        name: def.name_of(value),
                    }
                }
                Kind::FixedOpaque(n) => Event::Opaque {
                    ty,
                    data: c.opaque(*n)?,
                    len: (*n).into(),
                },
                Kind::VarOpaque(max) => {
                    let n = c.count(*max)?;
                    Event::Opaque {
                        ty,
                        data: c.opaque(n)?,
                        len: n.into(),
                    }
                }
                Kind::String(max) => {
                    let n = c.count(*max)?;
                    Event::Str {
                        ty,
                        data: c.opaque(n)?,
                        len: n.into(),
                    }
                }
                Kind::Struct(def) => {
                    let frame = Frame::Struct {
                        ty,
                        fields: &def.fields,
                        next: 0,
                    };
                    return self.open(frame, Event::StructBegin { ty });
                }
                Kind::Union(def) => return self.union(ty, def),
                Kind::FixedArray { elem, len } => {
                    let frame = Frame::Array {
                        ty,
                        elem: *elem,
                        left: *len,
                    };
                    let ev = Event::ArrayBegin {
                        ty,
                        len: *len,
                        list: false,
                    };
                    return self.open(frame, ev);
                }
                Kind::VarArray { elem, max } => {
                    let len = c.count(*max)?;
                    let frame = Frame::Array {
                        ty,
                        elem: *elem,
                        left: len,
                    };
                    let ev = Event::ArrayBegin {
                        ty,
                        len,
                        list: false,
                    };
                    return self.open(frame, ev);
                }
                Kind::Optional(target) => {
                    let target = *target;
                    let elem = self.tables.resolve(target);
                    if let (Some(link), Kind::Struct(def)) =
                        (self.tables.list_link(elem), &self.schema.get(elem).kind)
                    {
                        let frame = Frame::List {
                            ty,
                            elem: target,
                            fields: def.fields.get(..link).unwrap_or(&[]),
                        };
                        let ev = Event::ArrayBegin {
                            ty,
                            len: 0,
                            list: true,
                        };
                        return self.open(frame, ev);
                    }
                    if !c.bool()? {
                        self.emit(Event::Null { ty })?;
                        return Ok(());
                    }
                    if self.emit(Event::Present { ty })? == Flow::Skip {
                        return self.skip_value(target);
                    }
                    ty = target;
                    continue;
                }
                // `resolve` follows aliases; a cycle resolved to void.
                Kind::Alias(_) => return Ok(()),
            };
            self.emit(ev)?;
            return Ok(());
        }
    }

    /// Reads a union's discriminant, picks the arm and opens the union.
    fn union(&mut self, ty: TypeId, def: &'s super::schema::UnionDef) -> Result<(), Halt> {
        let at = self.cur.pos;
        let c = &mut self.cur;
        let (value, value_name) = match DiscKind::of(self.schema, def.discriminant.ty) {
            DiscKind::Int => ((c.u32()? as i32).into(), None),
            DiscKind::UInt => (c.u32()?.into(), None),
            DiscKind::Hyper | DiscKind::UHyper => (c.u64()? as i64, None),
            DiscKind::Bool => (c.bool()?.into(), None),
            DiscKind::Enum(e) => {
                let v = c.u32()? as i32;
                (v.into(), e.name_of(v))
            }
        };
        let Some(arm) = def.arm(value) else {
            return Err(malformed(at, Malformation::NoArm).into());
        };
        let frame = Frame::Union {
            ty,
            arm: (!self.is_void(arm.ty)).then_some(arm),
        };
        let ev = Event::UnionBegin {
            ty,
            discriminant: &def.discriminant,
            value,
            value_name,
            arm,
        };
        self.open(frame, ev)
    }
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
