//! NFSv4 COMPOUNDs (RFC 7530, RFC 8881, RFC 7862) and CB_COMPOUNDs: the
//! operations inside one RPC call, read through the program's `.x`
//! description.
//!
//! A compound's arguments are a header (`tag`, `minorversion`, and for
//! callbacks `callback_ident`) and an array of operations, each a union
//! arm chosen by its operation number; its results are a header (the
//! compound's `status`, `tag`) and an array of per-operation results, which
//! stops after the first operation that failed. [`Shape`] finds that layout
//! in a schema (a struct whose last field is a variable array of unions),
//! so nothing here names an NFSv4 type: a user's `.x` for the same program
//! works the same.
//!
//! [`walk_compound`] reads one compound operation by operation: the header
//! and each operation's arm go through the body walker, so an operation
//! the schema does not know (no arm), a body cut by the snapshot length and
//! the [`crate::limits::Limits::max_compound_ops`] bound all end the list
//! with the operations decoded before, and say where ([`Walked::stop`]).
//! For each operation it keeps what semantics and summaries use: its
//! status, the file handle and names it carries, offset/count/eof, the
//! callback program a client announces. Values that cannot hold any of
//! those ([`watches_kind`], [`WATCH_ROLES`]: stateids, times, attribute
//! masks, SEQUENCE's arguments) are skipped unread; the record is the same
//! as when every value is entered (the `nfs4_compound` fuzz target checks
//! it), only less of the budget is spent.
//!
//! [`Compound`] is the owned record of one exchange (operations of the
//! call, per-operation statuses of the reply) that rides in
//! [`crate::event::BodyFacts`]; [`main_op`] gives the operation that names
//! a compound, by the tiers tshark uses for `nfs.main_opcode` (see
//! [`tier`]).
//!
//! Contract: never panics; the operations kept are at most `max_ops`; the
//! per-operation walks share one budget of the walk's node limit.

mod extract;
pub mod summary;
mod tiers;

pub use extract::{walk_compound, watches_kind, Op, Walked, WATCH_ROLES};
pub use tiers::{main_op, main_ops, tier};

use super::registry::VersionEntry;
use super::schema::{Field, Kind, Schema, TypeId, UnionDef};
use super::semantics;
use super::walk::BodyError;

/// The NFS program.
pub const NFS_PROGRAM: u32 = 100003;
/// The callback program number Linux and most clients use (RFC 7530 lets
/// the client choose it).
pub const CB_PROGRAM: u32 = 0x4000_0000;

/// Operation numbers the semantics act on (RFC 7530 / 8881 / 7862
/// `nfs_opnum4`).
pub mod op {
    pub const ACCESS: u32 = 3;
    pub const CLOSE: u32 = 4;
    pub const COMMIT: u32 = 5;
    pub const CREATE: u32 = 6;
    pub const GETATTR: u32 = 9;
    pub const GETFH: u32 = 10;
    pub const LINK: u32 = 11;
    pub const LOOKUP: u32 = 15;
    pub const LOOKUPP: u32 = 16;
    pub const NVERIFY: u32 = 17;
    pub const OPEN: u32 = 18;
    pub const OPENATTR: u32 = 19;
    pub const PUTFH: u32 = 22;
    pub const PUTPUBFH: u32 = 23;
    pub const PUTROOTFH: u32 = 24;
    pub const READ: u32 = 25;
    pub const READDIR: u32 = 26;
    pub const REMOVE: u32 = 28;
    pub const RENAME: u32 = 29;
    pub const RESTOREFH: u32 = 31;
    pub const SAVEFH: u32 = 32;
    pub const SECINFO: u32 = 33;
    pub const SETCLIENTID: u32 = 35;
    pub const WRITE: u32 = 38;
    pub const BACKCHANNEL_CTL: u32 = 40;
    pub const CREATE_SESSION: u32 = 43;
    pub const SEQUENCE: u32 = 53;
    /// Callback operations (`nfs_cb_opnum4`).
    pub const CB_RECALL: u32 = 4;
    pub const CB_SEQUENCE: u32 = 11;
}

/// The layout of one side of a compound: the header fields before the
/// operation array, and the operation union.
#[derive(Debug, Clone, Copy)]
pub struct Side<'s> {
    /// Header fields, in order (`tag`, `minorversion`; `status`, `tag`).
    pub header: &'s [Field],
    /// The operation union (`nfs_argop4`, `nfs_resop4`).
    pub ops: &'s UnionDef,
    /// The operation array's declared maximum (`<>`: none).
    pub max: Option<u32>,
}

/// Where a compound procedure keeps its operations, in arguments and in
/// results.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'s> {
    pub args: Side<'s>,
    pub result: Side<'s>,
    /// A callback program (CB_COMPOUND): its operations have their own
    /// numbers and tiers.
    pub callback: bool,
}

impl<'s> Shape<'s> {
    /// The shape of `procedure` of `entry`, when its semantics call it a
    /// compound and its types have the layout (see the module docs).
    pub fn of(entry: &'s VersionEntry, procedure: u32) -> Option<Shape<'s>> {
        if !entry
            .semantics
            .compounds
            .contains(&(entry.version, procedure))
        {
            return None;
        }
        let p = entry.procedure(procedure)?;
        let schema = entry.schema();
        let [arg] = p.args[..] else { return None };
        Some(Shape {
            args: side(schema, arg)?,
            result: side(schema, p.result)?,
            callback: std::ptr::eq(entry.semantics, &semantics::NFS_CB),
        })
    }

    /// The enum numbering the operations (the argument union's
    /// discriminant): names come from it.
    pub fn op_enum(&self) -> TypeId {
        self.args.ops.discriminant.ty
    }
}

/// A struct whose last field is a variable array of unions switching on a
/// 32-bit value.
fn side(schema: &Schema, ty: TypeId) -> Option<Side<'_>> {
    let Kind::Struct(st) = schema.resolve(ty).1 else {
        return None;
    };
    let (last, header) = st.fields.split_last()?;
    let Kind::VarArray { elem, max } = schema.resolve(last.ty).1 else {
        return None;
    };
    let Kind::Union(u) = schema.resolve(*elem).1 else {
        return None;
    };
    match schema.resolve(u.discriminant.ty).1 {
        Kind::Int | Kind::UInt | Kind::Enum(_) => {}
        _ => return None,
    }
    Some(Side {
        header,
        ops: u,
        max: *max,
    })
}

/// The name of operation `op` in the enum `op_enum` (`OP_READ`).
pub fn op_name(schema: &Schema, op_enum: TypeId, op: u32) -> Option<&str> {
    match schema.resolve(op_enum).1 {
        Kind::Enum(e) => e.name_of(op as i32),
        _ => None,
    }
}

/// The operations named `name` (`READ`, `OP_READ`, `CB_RECALL`; any case)
/// in the compounds of `registry`'s programs (of `program` only, when
/// given), as `(callback, operation number)`.
pub fn ops_named(
    registry: &super::registry::Registry,
    program: Option<u32>,
    name: &str,
) -> Vec<(bool, u32)> {
    let mut out = Vec::new();
    for e in registry.versions() {
        if program.is_some_and(|p| p != e.program) {
            continue;
        }
        for &(v, q) in e.semantics.compounds {
            let Some(shape) = (v == e.version).then(|| Shape::of(e, q)).flatten() else {
                continue;
            };
            let Kind::Enum(en) = e.schema().resolve(shape.op_enum()).1 else {
                continue;
            };
            for (n, value) in &en.values {
                let hit = n.eq_ignore_ascii_case(name) || short_name(n).eq_ignore_ascii_case(name);
                let key = (shape.callback, *value as u32);
                if hit && !out.contains(&key) {
                    out.push(key);
                }
            }
        }
    }
    out
}

/// An operation's name without its `OP_` prefix (`READ`, `CB_RECALL`), for
/// text.
pub fn short_name(name: &str) -> &str {
    name.strip_prefix("OP_").unwrap_or(name)
}

/// Where decoding of one side of a compound stopped short: the index of
/// the operation it stopped in (or before), and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub op_index: u32,
    pub error: BodyError,
}

/// What an exchange's compound did: its operations and, once the reply is
/// in, the compound's status and each operation's. Owned and small (a few
/// bytes an operation), kept with a pending call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compound {
    /// A CB_COMPOUND (callback operation numbers).
    pub callback: bool,
    /// The enum naming the operations, in the exchange's schema.
    pub op_enum: TypeId,
    /// The call's minor version.
    pub minorversion: Option<u32>,
    /// The call's operations, when the call was decoded.
    pub call_ops: Option<Vec<u32>>,
    /// Where the call's operations stopped short.
    pub call_stop: Option<Stop>,
    /// The compound's status (`nfsstat4`) and its type.
    pub status: Option<(TypeId, i32)>,
    /// The reply's operations and their statuses, when decoded.
    pub results: Option<Vec<(u32, Option<i32>)>>,
    /// Where the reply's operations stopped short.
    pub reply_stop: Option<Stop>,
}

impl Compound {
    /// The record of a call, from its walked arguments.
    pub fn from_call(shape: &Shape<'_>, w: &Walked<'_>) -> Self {
        Compound {
            callback: shape.callback,
            op_enum: shape.op_enum(),
            minorversion: w.minorversion,
            call_ops: Some(w.ops.iter().map(|o| o.op).collect()),
            call_stop: w.stop,
            status: None,
            results: None,
            reply_stop: None,
        }
    }

    /// A copy with the reply's walked results added (`self` may be a call
    /// record, or `None` for a reply whose call was not decoded).
    pub fn with_reply(call: Option<&Compound>, shape: &Shape<'_>, w: &Walked<'_>) -> Self {
        let mut c = call.cloned().unwrap_or(Compound {
            callback: shape.callback,
            op_enum: shape.op_enum(),
            minorversion: None,
            call_ops: None,
            call_stop: None,
            status: None,
            results: None,
            reply_stop: None,
        });
        c.status = w.status;
        c.results = Some(w.ops.iter().map(|o| (o.op, o.status)).collect());
        c.reply_stop = w.stop;
        c
    }

    /// The operations, in order: the call's, else the reply's.
    pub fn ops(&self) -> Vec<u32> {
        match (&self.call_ops, &self.results) {
            (Some(c), _) => c.clone(),
            (None, Some(r)) => r.iter().map(|&(op, _)| op).collect(),
            (None, None) => Vec::new(),
        }
    }

    /// Calls `f` with each operation in order (no allocation).
    pub fn for_each_op(&self, mut f: impl FnMut(u32)) {
        match (&self.call_ops, &self.results) {
            (Some(c), _) => c.iter().for_each(|&op| f(op)),
            (None, Some(r)) => r.iter().for_each(|&(op, _)| f(op)),
            (None, None) => {}
        }
    }

    /// The operation that names the compound (see [`main_op`]).
    pub fn main_op(&self) -> Option<u32> {
        match (&self.call_ops, &self.results) {
            (Some(c), _) => main_op(self.callback, c.iter().copied()),
            (None, Some(r)) => main_op(self.callback, r.iter().map(|&(op, _)| op)),
            (None, None) => None,
        }
    }

    /// True when the compound holds operation `op`.
    pub fn contains(&self, op: u32) -> bool {
        let mut hit = false;
        self.for_each_op(|o| hit |= o == op);
        hit
    }

    /// Memory the record holds, for the kept-bytes budget.
    pub fn heap_bytes(&self) -> usize {
        self.call_ops.as_ref().map_or(0, |v| v.len() * 4)
            + self.results.as_ref().map_or(0, |v| v.len() * 12)
    }
}

#[cfg(test)]
mod round_trip_tests;
#[cfg(test)]
pub(crate) mod testdata;
#[cfg(test)]
mod tests;
