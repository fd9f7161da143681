//! NFSv4 semantics in the tracker: the current filehandle followed through
//! a COMPOUND (for paths), and callback program numbers learned from
//! clients.
//!
//! NFSv4 has no LOOKUP that returns a handle: a compound sets a *current
//! filehandle* and each operation acts on it or moves it (RFC 7530
//! section 16.2.3). Following it:
//!
//! | operation | current filehandle after it |
//! |---|---|
//! | PUTFH h | h |
//! | PUTROOTFH | the root, path `/` (handle not yet known) |
//! | PUTPUBFH, OPENATTR | unknown |
//! | LOOKUP n, CREATE n, OPEN (claim with a name) n | n in the current directory |
//! | LOOKUPP | the parent (when it was reached by a name in this compound) |
//! | SAVEFH / RESTOREFH | saved / restored |
//! | GETFH | unchanged; the reply names its handle |
//! | anything else | unchanged |
//!
//! A GETFH result then teaches the path table what its handle is: `n` in
//! the directory handle it was looked up in, or an absolute path when the
//! compound started at PUTROOTFH (`PUTROOTFH LOOKUP export GETFH` teaches
//! `/export`). A RENAME moves the handle known by the saved directory's old
//! name, and a REMOVE forgets the handle known by its name in the current
//! directory. Only operations the reply shows succeeded teach anything.
//!
//! The call's `path` is, before any reply, the object of the last
//! operation of the compound's best tier (see
//! [`crate::programs::nfs4::tier`]): `dir/name` for an operation that
//! names an object in the current directory (LOOKUP, OPEN, CREATE, REMOVE,
//! LINK, SECINFO; RENAME's old name in the saved directory), else the
//! current filehandle's path.
//!
//! Contract: bounded by the operations decoded (`Limits::max_compound_ops`)
//! and the path table's own bounds; callback numbers kept are at most
//! [`MAX_CB_PROGRAMS`], and only in the transient range 0x40000000 to
//! 0x5fffffff (RFC 5531), never a number the registry defines.

use std::collections::VecDeque;
use std::sync::Arc;

use super::paths::{push_component, Paths};
use crate::limits::{MAX_CB_PROGRAMS, MAX_PATH_DEPTH};
use crate::programs::nfs4::{op, tier, Op, Walked, CB_PROGRAM};
use crate::programs::registry::Registry;

/// Where the names followed from start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base<'a> {
    Unknown,
    /// The root (PUTROOTFH): path `/`.
    Root,
    /// A handle.
    Fh(&'a [u8]),
}

/// A current (or saved) filehandle.
#[derive(Debug, Clone)]
struct Cur<'a> {
    base: Base<'a>,
    /// Names looked up from `base` in this compound.
    names: Vec<&'a [u8]>,
}

impl<'a> Cur<'a> {
    fn unknown() -> Self {
        Cur {
            base: Base::Unknown,
            names: Vec::new(),
        }
    }

    fn at(base: Base<'a>) -> Self {
        Cur {
            base,
            names: Vec::new(),
        }
    }

    /// The handle, when known.
    fn fh(&self) -> Option<&'a [u8]> {
        match (self.base, self.names.is_empty()) {
            (Base::Fh(h), true) => Some(h),
            _ => None,
        }
    }

    fn child(&mut self, name: &'a [u8]) {
        if self.base != Base::Unknown && self.names.len() < MAX_PATH_DEPTH {
            self.names.push(name);
        } else {
            *self = Cur::unknown();
        }
    }

    fn parent(&mut self) {
        if self.names.pop().is_none() {
            *self = Cur::unknown();
        }
    }

    /// The path, when the base's is known.
    fn path(&self, paths: &mut Paths) -> Option<String> {
        let mut s = String::new();
        match self.base {
            Base::Unknown => return None,
            Base::Root => s.push('/'),
            Base::Fh(h) => {
                if !paths.write_path(h, &mut s) {
                    return None;
                }
            }
        }
        for n in &self.names {
            push_component(&mut s, n);
        }
        Some(s)
    }
}

/// True for an operation that makes its first name the current
/// filehandle (a name in the current directory).
fn moves_to_name(o: &Op<'_>) -> bool {
    matches!(o.op, op::LOOKUP | op::CREATE | op::OPEN) && o.names[0].is_some()
}

/// How `o` (on the call side) moves the current filehandle.
fn step<'a>(o: &Op<'a>, cur: &mut Cur<'a>, saved: &mut Cur<'a>) {
    match o.op {
        op::PUTFH => *cur = o.fh.map_or_else(Cur::unknown, |h| Cur::at(Base::Fh(h))),
        op::PUTROOTFH => *cur = Cur::at(Base::Root),
        op::PUTPUBFH | op::OPENATTR => *cur = Cur::unknown(),
        op::LOOKUPP => cur.parent(),
        op::SAVEFH => *saved = cur.clone(),
        op::RESTOREFH => *cur = saved.clone(),
        _ if moves_to_name(o) => {
            if let Some(n) = o.names[0] {
                cur.child(n);
            }
        }
        _ => {}
    }
}

/// The path and handle hash of the object a compound's call acts on (see
/// the module docs).
pub(super) fn call_path(
    paths: &mut Paths,
    callback: bool,
    w: &Walked<'_>,
) -> (Option<Arc<str>>, Option<u32>) {
    let first_fh = w.ops.iter().find_map(|o| o.fh);
    let Some(best) = w.ops.iter().map(|o| tier(callback, o.op)).min() else {
        return (None, first_fh.map(crc32fast::hash));
    };
    let Some(last) = w.ops.iter().rposition(|o| tier(callback, o.op) == best) else {
        return (None, first_fh.map(crc32fast::hash));
    };
    let (mut cur, mut saved) = (Cur::unknown(), Cur::unknown());
    for o in &w.ops[..last] {
        step(o, &mut cur, &mut saved);
    }
    let target = &w.ops[last];
    let fh = cur.fh().or(first_fh).map(crc32fast::hash);
    if callback {
        return (None, target.fh.or(first_fh).map(crc32fast::hash));
    }
    let path = match target.op {
        op::RENAME => target.names[0].and_then(|n| {
            let mut p = saved.path(paths)?;
            push_component(&mut p, n);
            Some(p)
        }),
        op::LOOKUP | op::CREATE | op::OPEN | op::REMOVE | op::LINK | op::SECINFO
            if target.names[0].is_some() =>
        {
            target.names[0].and_then(|n| {
                let mut p = cur.path(paths)?;
                push_component(&mut p, n);
                Some(p)
            })
        }
        op::PUTFH => target.fh.and_then(|h| paths.path(h)).map(|p| p.to_string()),
        op::PUTROOTFH => Some("/".to_string()),
        _ => cur.path(paths),
    };
    (path.map(|p| Arc::from(super::paths::bounded(&p))), fh)
}

/// Whether [`learn`] can change the path table for this reply: only its
/// GETFH results that carry a handle, RENAMEs and REMOVEs do (the call's
/// operations are the reply's, up to where the reply stops).
pub(super) fn may_teach(reply: &Walked<'_>) -> bool {
    reply.ops.iter().any(|r| match r.op {
        op::GETFH => r.fh.is_some(),
        op::RENAME | op::REMOVE => true,
        _ => false,
    })
}

/// What a compound's reply teaches the path table, read with its call
/// (see the module docs). Operations after the first that failed, or
/// without a result, teach nothing.
pub(super) fn learn(paths: &mut Paths, call: &Walked<'_>, reply: &Walked<'_>) {
    let (mut cur, mut saved) = (Cur::unknown(), Cur::unknown());
    for (c, r) in call.ops.iter().zip(&reply.ops) {
        if c.op != r.op || r.status.is_some_and(|s| s != 0) {
            return;
        }
        match c.op {
            op::GETFH => {
                let Some(fh) = r.fh else {
                    cur = Cur::unknown();
                    continue;
                };
                match (cur.base, &cur.names[..]) {
                    (Base::Fh(dir), [name]) => paths.learn_child(fh, dir, name),
                    (Base::Root, _) | (Base::Fh(_), [_, _, ..]) => {
                        if let Some(p) = cur.path(paths) {
                            paths.learn_root(fh, p.as_bytes());
                        }
                    }
                    _ => {}
                }
                cur = Cur::at(Base::Fh(fh));
            }
            op::RENAME => {
                if let (Some(sd), Some(td), Some(old), Some(new)) =
                    (saved.fh(), cur.fh(), c.names[0], c.names[1])
                {
                    paths.rename(sd, old, td, new);
                }
            }
            op::REMOVE => {
                if let (Some(dir), Some(name)) = (cur.fh(), c.names[0]) {
                    paths.forget(dir, name);
                }
            }
            _ => step(c, &mut cur, &mut saved),
        }
    }
}

/// Callback program numbers learned from clients.
#[derive(Debug, Default)]
pub(super) struct CbPrograms {
    learned: VecDeque<u32>,
}

impl CbPrograms {
    /// The program whose definition decodes calls to `program` version
    /// `version`: the callback program's, when `program` was learned and
    /// the registry has no definition of its own.
    pub(super) fn decode_as(&self, registry: &Registry, program: u32, version: u32) -> Option<u32> {
        (self.learned.contains(&program) && registry.version(program, version).is_none())
            .then_some(CB_PROGRAM)
    }

    /// Learns the callback numbers a call announces (see the module docs).
    pub(super) fn learn(&mut self, registry: &Registry, w: &Walked<'_>) {
        for p in w.ops.iter().filter_map(|o| o.cb_program) {
            if !(0x4000_0000..=0x5fff_ffff).contains(&p)
                || p == CB_PROGRAM
                || registry.version(p, 1).is_some()
                || self.learned.contains(&p)
            {
                continue;
            }
            if self.learned.len() >= MAX_CB_PROGRAMS {
                self.learned.pop_front();
            }
            self.learned.push_back(p);
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.learned.len()
    }
}

#[cfg(test)]
#[path = "nfs4_tests.rs"]
mod tests;
