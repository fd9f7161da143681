//! One compound, operation by operation: see [`walk_compound`].

use std::ops::Range;

use super::{Side, Stop};
use crate::programs::roles::{Role, Roles};
use crate::programs::schema::{Kind, Schema, TypeId};
use crate::programs::walk::{
    walk_counted, BodyBytes, BodyError, BodyErrorKind, Event, Flow, Malformation, Missing, Visitor,
    WalkLimits,
};

/// The roles an operation's walk reads (status, file handle, names, bulk
/// data); values that cannot hold one, a watched field name or a list are
/// skipped unread (see [`watches_kind`] and [`Roles::mark_watched`]).
pub const WATCH_ROLES: u8 =
    Role::STATUS.bits() | Role::FILE_HANDLE.bits() | Role::FILE_NAME.bits() | Role::BULK.bits();

/// The field (or union arm) names whose values an operation's walk keeps
/// ([`named`] matches the same names).
#[cfg(test)]
const WATCHED_FIELDS: [(&str, Named); 6] = [
    ("offset", Named::Offset),
    ("count", Named::Count),
    ("eof", Named::Eof),
    ("cb_program", Named::CbProgram),
    ("csa_cb_program", Named::CbProgram),
    ("bca_cb_program", Named::CbProgram),
];

/// Which watched field `name` is, if any. (A `match` on the names of
/// [`WATCHED_FIELDS`], which compiles to a length switch: this runs on
/// every field an operation's walk meets; a unit test keeps the two lists
/// the same.)
fn named(name: &str) -> Named {
    match name {
        "offset" => Named::Offset,
        "count" => Named::Count,
        "eof" => Named::Eof,
        "cb_program" | "csa_cb_program" | "bca_cb_program" => Named::CbProgram,
        _ => Named::Other,
    }
}

/// Types an operation's walk must enter whatever their roles: a struct or
/// union with a watched field or arm name, and optional data (recursive
/// lists, whose elements are counted). A skipped value is still checked
/// where the walker checks (a bool, a length, a discriminant); only values
/// that can fail for lack of bytes alone are passed over unread.
pub fn watches_kind(kind: &Kind) -> bool {
    match kind {
        Kind::Struct(st) => st.fields.iter().any(|f| named(&f.name) != Named::Other),
        Kind::Union(u) => u.arms.iter().any(|a| named(&a.name) != Named::Other),
        Kind::Optional(_) => true,
        _ => false,
    }
}

/// What one operation carries, as far as semantics and summaries care.
/// Byte slices borrow the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Op<'a> {
    /// The operation number.
    pub op: u32,
    /// Its status (results), the first status-role value inside it.
    pub status: Option<i32>,
    /// The first file handle in it, outside arrays (PUTFH's, GETFH's).
    pub fh: Option<&'a [u8]>,
    /// The first two names (`component4`) outside arrays: LOOKUP's,
    /// OPEN's claim, CREATE's, REMOVE's, RENAME's old and new.
    pub names: [Option<&'a [u8]>; 2],
    /// Fields named `offset`, `count`, `eof` (READ, WRITE, COMMIT).
    pub offset: Option<u64>,
    pub count: Option<u64>,
    pub eof: Option<bool>,
    /// The length of its bulk data (WRITE's, READ's).
    pub data_len: Option<u64>,
    /// Where its bulk data starts in the body, when captured that far.
    pub data_at: Option<usize>,
    /// The callback program a client announces (SETCLIENTID,
    /// CREATE_SESSION, BACKCHANNEL_CTL).
    pub cb_program: Option<u32>,
    /// Elements of its first list (READDIR entries).
    pub entries: u32,
}

/// One side of a compound, walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walked<'a> {
    /// The status heading the results, with its type.
    pub status: Option<(TypeId, i32)>,
    /// `minorversion` (arguments).
    pub minorversion: Option<u32>,
    /// `tag`.
    pub tag: Option<&'a [u8]>,
    /// The number of operations the array announces.
    pub announced: Option<u32>,
    /// The operations decoded, in order. An operation the schema has no arm
    /// for is listed (its number only), then decoding stops.
    pub ops: Vec<Op<'a>>,
    /// Where and why decoding stopped before the array's end.
    pub stop: Option<Stop>,
}

/// Reads one side of a compound from `body` (see the module docs of
/// [`super`]): the header, then at most `max_ops` operations.
pub fn walk_compound<'a>(
    schema: &Schema,
    roles: &Roles,
    side: &Side<'_>,
    body: &BodyBytes<'a>,
    limits: &WalkLimits,
    max_ops: usize,
) -> Walked<'a> {
    let mut w = Walked::default();
    let mut budget = limits.max_nodes;
    let mut at = 0u64;
    for f in side.header {
        let mut v = OpVisitor::new(roles, body.data, false);
        let (r, nodes) = walk_at(schema, f.ty, body, at, limits, budget, &mut v);
        match r {
            Ok(n) => at += n,
            Err(e) => {
                w.stop = Some(Stop {
                    op_index: 0,
                    error: e,
                });
                return w;
            }
        }
        budget = budget.saturating_sub(v.spent(nodes));
        if let Some(s) = v.status_ty.zip(v.op.status) {
            w.status = w.status.or(Some(s));
        }
        match f.name.as_str() {
            "minorversion" => w.minorversion = v.last_uint.map(|u| u as u32),
            "tag" => w.tag = v.first_bytes.and_then(|r| body.data.get(r)),
            _ => {}
        }
    }
    let count = match read_u32(body, at) {
        Ok(n) => n,
        Err(error) => {
            w.stop = Some(Stop { op_index: 0, error });
            return w;
        }
    };
    if side.max.is_some_and(|m| count > m) {
        w.stop = Some(Stop {
            op_index: 0,
            error: BodyError {
                offset: at,
                kind: BodyErrorKind::Malformed(Malformation::TooLong),
            },
        });
        return w;
    }
    w.announced = Some(count);
    at += 4;
    for i in 0..count {
        let stop = |error| Stop { op_index: i, error };
        if w.ops.len() >= max_ops {
            w.stop = Some(stop(BodyError {
                offset: at,
                kind: BodyErrorKind::Limit,
            }));
            break;
        }
        let opnum = match read_u32(body, at) {
            Ok(n) => n,
            Err(e) => {
                w.stop = Some(stop(e));
                break;
            }
        };
        let Some(arm) = side.ops.arm(i64::from(opnum as i32)) else {
            w.ops.push(Op {
                op: opnum,
                ..Op::default()
            });
            w.stop = Some(stop(BodyError {
                offset: at,
                kind: BodyErrorKind::Malformed(Malformation::NoArm),
            }));
            break;
        };
        at += 4;
        let mut v = OpVisitor::new(roles, body.data, true);
        let (mut r, mut nodes) = walk_at(schema, arm.ty, body, at, limits, budget, &mut v);
        let held = body.data.len() as u64;
        if r.as_ref().map_or(true, |n| at.saturating_add(*n) > held) {
            // A value skipped unread fails where it starts, and passes over
            // bytes that are not held; entering every value finds the field
            // that failed, as it always did.
            v = OpVisitor::new(roles, body.data, false);
            (r, nodes) = walk_at(schema, arm.ty, body, at, limits, budget, &mut v);
        }
        budget = budget.saturating_sub(v.spent(nodes));
        w.ops.push(v.finish(opnum, body.data));
        match r {
            Ok(n) => at += n,
            Err(e) => {
                w.stop = Some(stop(e));
                break;
            }
        }
    }
    w
}

/// Walks one value of type `ty` at `at` of `body`; returns the bytes it
/// took (values that end before the body does are fine: more follows),
/// and the nodes the walk counted.
fn walk_at(
    schema: &Schema,
    ty: TypeId,
    body: &BodyBytes<'_>,
    at: u64,
    limits: &WalkLimits,
    budget: u32,
    v: &mut OpVisitor<'_>,
) -> (Result<u64, BodyError>, u32) {
    let held = body
        .data
        .get(
            usize::try_from(at)
                .unwrap_or(usize::MAX)
                .min(body.data.len())..,
        )
        .unwrap_or(&[]);
    let rest = BodyBytes {
        data: held,
        len: body.len.saturating_sub(at),
        missing: body.missing,
    };
    let limits = WalkLimits {
        max_nodes: budget,
        ..*limits
    };
    let (r, nodes) = walk_counted(schema, &[ty], &rest, &limits, v);
    let r = match r {
        Ok(n) => Ok(n),
        Err(e) if e.kind == BodyErrorKind::Malformed(Malformation::TrailingBytes) => Ok(e.offset),
        Err(e) => Err(BodyError {
            offset: at + e.offset,
            ..e
        }),
    };
    (r, nodes)
}

/// A 32-bit word at `at`, or why it cannot be read (the walker's rule:
/// past the body's length it is cut short; within it, missing as the body
/// says).
fn read_u32(body: &BodyBytes<'_>, at: u64) -> Result<u32, BodyError> {
    let i = usize::try_from(at).unwrap_or(usize::MAX);
    if let Some(b) = body.data.get(i..i.saturating_add(4)) {
        if let Ok(w) = <[u8; 4]>::try_from(b) {
            if at + 4 <= body.len {
                return Ok(u32::from_be_bytes(w));
            }
        }
    }
    let kind = if at.saturating_add(4) > body.len {
        BodyErrorKind::Truncated
    } else {
        match body.missing {
            Missing::None | Missing::Snaplen => BodyErrorKind::Truncated,
            Missing::Gap => BodyErrorKind::Gap,
            Missing::NotKept => BodyErrorKind::Limit,
        }
    };
    Err(BodyError { offset: at, kind })
}

/// Which named field's value comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Other,
    Offset,
    Count,
    Eof,
    CbProgram,
}

/// The visitor of one operation (or header field).
struct OpVisitor<'r> {
    roles: &'r Roles,
    base: usize,
    base_len: usize,
    op: Op<'static>,
    fh: Option<Range<usize>>,
    names: [Option<Range<usize>>; 2],
    first_bytes: Option<Range<usize>>,
    last_uint: Option<u64>,
    status_ty: Option<TypeId>,
    field: Named,
    /// Open compounds, innermost last: true for arrays and lists.
    open: smallvec::SmallVec<[bool; 32]>,
    /// Arrays and lists open now.
    arrays: u32,
    /// The first list seen is open at this depth; `Some(usize::MAX)` once
    /// it closed.
    list: Option<usize>,
    events: u32,
    /// Skip the values that cannot hold what an operation keeps (not for
    /// the header, whose first bytes and last number are read).
    skip: bool,
}

impl<'r> OpVisitor<'r> {
    fn new(roles: &'r Roles, data: &[u8], skip: bool) -> Self {
        OpVisitor {
            roles,
            base: data.as_ptr() as usize,
            base_len: data.len(),
            op: Op::default(),
            fh: None,
            names: [None, None],
            first_bytes: None,
            last_uint: None,
            status_ty: None,
            field: Named::Other,
            open: smallvec::SmallVec::new(),
            arrays: 0,
            list: None,
            events: 0,
            skip,
        }
    }

    /// What a walk of `nodes` nodes takes from the compound's budget: twice
    /// the events delivered (array elements count too), and never less
    /// than the nodes the walker counted, skipped values included.
    fn spent(&self, nodes: u32) -> u32 {
        self.events.saturating_mul(2).max(nodes)
    }

    /// Where `part` (lent by the walker from the body) sits in the body.
    fn range(&self, part: &[u8]) -> Option<Range<usize>> {
        let start = (part.as_ptr() as usize).checked_sub(self.base)?;
        let end = start.checked_add(part.len())?;
        (end <= self.base_len).then_some(start..end)
    }

    fn finish<'a>(self, opnum: u32, data: &'a [u8]) -> Op<'a> {
        let get = |r: &Option<Range<usize>>| r.clone().and_then(|r| data.get(r));
        Op {
            op: opnum,
            fh: get(&self.fh),
            names: [get(&self.names[0]), get(&self.names[1])],
            ..self.op
        }
    }

    fn status(&mut self, ty: TypeId, value: i32) {
        if self.op.status.is_none() {
            self.op.status = Some(value);
            self.status_ty = Some(ty);
        }
    }

    fn begin(&mut self, array: bool, list: bool) {
        self.open.push(array);
        if array {
            self.arrays += 1;
        }
        if list && self.list.is_none() {
            self.list = Some(self.open.len());
        }
    }

    fn end(&mut self) {
        if self.list == Some(self.open.len()) {
            self.list = Some(usize::MAX);
        }
        if self.open.pop() == Some(true) {
            self.arrays = self.arrays.saturating_sub(1);
        }
    }
}

impl Visitor for OpVisitor<'_> {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        self.events = self.events.saturating_add(1);
        match ev {
            Event::Field { name, ty } => {
                self.field = named(name);
                if self.skip && self.field == Named::Other && !self.roles.watched(ty) {
                    return Flow::Skip;
                }
                return Flow::Continue;
            }
            Event::Present { ty } if self.skip && !self.roles.watched(ty) => {
                self.field = Named::Other;
                return Flow::Skip;
            }
            // An operation whose whole value holds nothing kept (GETATTR's
            // or ACCESS's arguments, SEQUENCE's): walked unseen, as a
            // skipped field is.
            Event::StructBegin { ty } | Event::UnionBegin { ty, .. }
                if self.skip && self.open.is_empty() && !self.roles.watched(ty) =>
            {
                self.begin(false, false);
                return Flow::Skip;
            }
            Event::StructBegin { .. } => {
                if self.list.is_some_and(|d| d == self.open.len()) {
                    self.op.entries = self.op.entries.saturating_add(1);
                }
                self.begin(false, false);
            }
            Event::UnionBegin {
                discriminant,
                value,
                ..
            } => {
                if self.roles.has(discriminant.ty, Role::STATUS) {
                    self.status(discriminant.ty, value as i32);
                }
                self.begin(false, false);
            }
            Event::ArrayBegin { list, .. } => self.begin(true, list),
            Event::StructEnd { .. } | Event::UnionEnd { .. } | Event::ArrayEnd { .. } => self.end(),
            Event::Enum { ty, value, .. } if self.roles.has(ty, Role::STATUS) => {
                self.status(ty, value);
            }
            Event::UInt { value, .. } => {
                self.last_uint = Some(value);
                match self.field {
                    Named::Offset => self.op.offset = self.op.offset.or(Some(value)),
                    Named::Count => self.op.count = self.op.count.or(Some(value)),
                    Named::CbProgram => {
                        self.op.cb_program = self.op.cb_program.or(u32::try_from(value).ok())
                    }
                    _ => {}
                }
            }
            Event::Bool { value, .. } if self.field == Named::Eof => {
                self.op.eof = self.op.eof.or(Some(value));
            }
            Event::Opaque { ty, data, len } | Event::Str { ty, data, len } => {
                let whole = data.len() as u64 == len;
                if self.first_bytes.is_none() && whole {
                    self.first_bytes = self.range(data);
                }
                let roles = self.roles.of(schema, ty);
                if roles & Role::BULK.bits() != 0 && self.op.data_len.is_none() {
                    self.op.data_len = Some(len);
                    self.op.data_at = self.range(data).map(|r| r.start);
                }
                if self.arrays == 0 && whole {
                    if self.roles.has(ty, Role::FILE_HANDLE) {
                        if self.fh.is_none() {
                            self.fh = self.range(data);
                        }
                    } else if self.roles.has(ty, Role::FILE_NAME) {
                        let r = self.range(data);
                        if let Some(slot) = self.names.iter_mut().find(|n| n.is_none()) {
                            *slot = r;
                        }
                    }
                }
            }
            _ => {}
        }
        self.field = Named::Other;
        Flow::Continue
    }
}

#[cfg(test)]
mod named_tests {
    use super::*;

    #[test]
    fn named_matches_the_watched_field_list() {
        for (name, kind) in WATCHED_FIELDS {
            assert_eq!(named(name), kind, "{name}");
        }
        for other in [
            "",
            "offse",
            "offsets",
            "Count",
            "cb_programs",
            "eo",
            "stateid",
        ] {
            assert_eq!(named(other), Named::Other, "{other}");
        }
    }
}
