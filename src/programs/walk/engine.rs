//! The walk engine behind [`super::walk`]: a cursor over the held bytes
//! with a virtual position past them, and an explicit stack of open
//! compounds (no recursion the input controls). See the parent module for
//! the contract.

use super::{
    BodyBytes, BodyError, BodyErrorKind, Event, Flow, Malformation, Missing, Visitor, WalkLimits,
};
use crate::programs::schema::{EnumDef, Field, Kind, Schema, Tables, TypeId, UnionDef};
use crate::rpc::xdr::padded;
use smallvec::SmallVec;

/// Open compounds kept on the walker's own stack before it spills to the
/// heap (deeper bodies still walk, up to `WalkLimits::max_depth`).
const INLINE_DEPTH: usize = 16;

/// The walk itself: see [`super::walk`]. Also returns the nodes it
/// counted against [`WalkLimits::max_nodes`], skipped values included.
pub(super) fn run<V: Visitor + ?Sized>(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    v: &mut V,
) -> (Result<u64, BodyError>, u32) {
    let mut w = Walker {
        schema,
        tables: schema.tables(),
        cur: Cursor::new(body),
        stack: SmallVec::new(),
        mute: None,
        nodes: 0,
        limits: *limits,
        v,
    };
    let r = match w.run(types) {
        Ok(()) if w.cur.pos < w.cur.len => Err(BodyError {
            offset: w.cur.pos,
            kind: BodyErrorKind::Malformed(Malformation::TrailingBytes),
        }),
        Ok(()) | Err(Halt::Stop) => Ok(w.cur.pos),
        Err(Halt::Error(e)) => Err(e),
    };
    (r, w.nodes)
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
    Enum(&'s EnumDef),
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
    /// Inline up to [`INLINE_DEPTH`] levels: most bodies are shallower,
    /// and a walk then allocates nothing (it runs several times per RPC).
    stack: SmallVec<[Frame<'s>; INLINE_DEPTH]>,
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
    fn union(&mut self, ty: TypeId, def: &'s UnionDef) -> Result<(), Halt> {
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
