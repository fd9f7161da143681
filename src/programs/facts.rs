//! Facts: what semantics need from a body, found by one walk that builds
//! nothing it does not keep.
//!
//! [`extract`] walks a body with [`FactVisitor`], which looks only at values
//! whose types carry a role ([`Role`]): the status that heads a result, file
//! handles, file names and absolute paths, and how they sit together:
//!
//! - a **(directory, name) pair**: a handle and a name that are direct
//!   members of one struct (`diropargs3 { nfs_fh3 dir; filename3 name; }`);
//! - a **directory entry**: an element of an array or list holding a name and
//!   a handle anywhere inside it (`entryplus3 { ...; filename3 name; ...;
//!   post_op_fh3 name_handle; }`);
//! - the **first handle** and the **first absolute path** of the body.
//!
//! Facts borrow the body (byte ranges into it), so extraction allocates only
//! the bounded entry list (and a [`Scratch`] stack reused across walks). The
//! places found are also returned as [`Marks`]: plain offsets, small and
//! `Copy`, that a caller keeps with a copy of the body's prefix and resolves
//! later without walking again. Contract: never panics; bounded by the
//! walk's limits and `max_entries`.

use std::ops::Range;

use super::roles::{Role, Roles};
use super::schema::{Schema, TypeId};
use super::walk::{walk, BodyBytes, BodyError, Event, Flow, Visitor, WalkLimits};

/// A byte range of a body, as `u32` offsets.
pub type Span = (u32, u32);

/// Where the facts of a body sit in it: offsets only, `Copy`. See
/// [`Marks::resolve`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pairs: [Option<(Span, Span)>; MAX_PAIRS],
    first_fh: Option<Span>,
    pathname: Option<Span>,
    /// Where the first bulk data (a WRITE payload) starts.
    bulk_at: Option<u32>,
}

impl Marks {
    /// The (directory, name) pairs, first handle and path of these marks
    /// in `data` (a prefix of the body they were found in, or all of it);
    /// a place past the end of `data` is left out.
    pub fn resolve(self, data: &[u8]) -> Facts<'_> {
        let get = |(a, b): Span| data.get(a as usize..b as usize);
        let mut f = Facts::default();
        for (d, n) in self.pairs.into_iter().flatten() {
            if let (Some(d), Some(n)) = (get(d), get(n)) {
                f.push_pair(d, n);
            }
        }
        f.first_fh = self.first_fh.and_then(get);
        f.pathname = self.pathname.and_then(get);
        f
    }

    /// Where the body's first bulk data starts ([`Role::BULK`]): the bytes
    /// before it hold every value but that data.
    pub fn bulk_at(self) -> Option<usize> {
        self.bulk_at.map(|a| a as usize)
    }
}

/// The walk stack of [`extract`], kept by the caller so that a walk
/// allocates nothing once it has grown.
#[derive(Debug, Default)]
pub struct Scratch {
    stack: Vec<Frame>,
}

/// What [`extract`] found in one body. Byte slices borrow the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    /// The first status-role enum: its type and value.
    pub status: Option<(TypeId, i32)>,
    /// (directory handle, name) pairs, in body order: RENAME has two; see
    /// [`Facts::dir_names`].
    pairs: [Option<(&'a [u8], &'a [u8])>; MAX_PAIRS],
    /// The first file handle anywhere in the body.
    pub first_fh: Option<&'a [u8]>,
    /// The first absolute path.
    pub pathname: Option<&'a [u8]>,
    /// (name, handle) of directory entries, at most `max_entries`.
    pub entries: Vec<(&'a [u8], &'a [u8])>,
    /// Entries beyond `max_entries` (not kept).
    pub entries_dropped: u32,
    /// Where the walk stopped short, if it did.
    pub error: Option<BodyError>,
    /// The same places as offsets, to keep.
    pub marks: Marks,
}

impl<'a> Facts<'a> {
    /// The (directory handle, name) pairs, in body order.
    pub fn dir_names(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + '_ {
        self.pairs.iter().flatten().copied()
    }

    /// The first (directory handle, name) pair.
    pub fn first_dir_name(&self) -> Option<(&'a [u8], &'a [u8])> {
        self.pairs[0]
    }

    fn push_pair(&mut self, d: &'a [u8], n: &'a [u8]) {
        if let Some(slot) = self.pairs.iter_mut().find(|p| p.is_none()) {
            *slot = Some((d, n));
        }
    }
}

/// What to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// Stop at the status: nothing else is wanted (statistics).
    pub status_only: bool,
    /// Directory entries kept.
    pub max_entries: usize,
}

/// Walks `body` as `types` and returns its facts.
pub fn extract<'a>(
    schema: &Schema,
    roles: &Roles,
    types: &[TypeId],
    body: &BodyBytes<'a>,
    limits: &WalkLimits,
    want: Want,
    scratch: &mut Scratch,
) -> Facts<'a> {
    let mut stack = std::mem::take(&mut scratch.stack);
    stack.clear();
    stack.push(Frame::default());
    let mut v = FactVisitor::new(roles, body.data, want, stack);
    let error = walk(schema, types, body, limits, &mut v).err();
    let data = body.data;
    let get = |r: &Range<usize>| data.get(r.clone()).unwrap_or(&[]);
    let span = |r: &Range<usize>| (r.start as u32, r.end as u32);
    let mut marks = Marks {
        first_fh: v.first_fh.as_ref().map(span),
        pathname: v.pathname.as_ref().map(span),
        bulk_at: v.bulk_at.map(|a| a as u32),
        ..Marks::default()
    };
    for (slot, (d, n)) in marks.pairs.iter_mut().zip(v.pairs.iter().flatten()) {
        *slot = Some((span(d), span(n)));
    }
    let mut facts = Facts {
        status: v.status,
        pairs: [None; MAX_PAIRS],
        first_fh: v.first_fh.as_ref().map(get),
        pathname: v.pathname.as_ref().map(get),
        entries: v.entries.iter().map(|(a, b)| (get(a), get(b))).collect(),
        entries_dropped: v.entries_dropped,
        error: error.filter(|_| !v.stopped),
        marks,
    };
    for (d, n) in v.pairs.iter().flatten() {
        facts.push_pair(get(d), get(n));
    }
    scratch.stack = v.stack;
    facts
}

/// A compound value being walked, as far as facts care.
#[derive(Debug, Default, Clone)]
struct Frame {
    /// This is an element of an array or list.
    element: bool,
    /// An array or list (its children are elements).
    array: bool,
    /// A handle struct: the opaque inside it is the handle.
    handle: bool,
    /// A handle that is a direct member.
    direct_fh: Option<Range<usize>>,
    /// A name that is a direct member.
    direct_name: Option<Range<usize>>,
    /// A handle anywhere inside.
    any_fh: Option<Range<usize>>,
    /// A name anywhere inside (for entries whose name sits in a union).
    any_name: Option<Range<usize>>,
}

/// The visitor behind [`extract`]. See the module docs.
pub struct FactVisitor<'r> {
    roles: &'r Roles,
    base: usize,
    base_len: usize,
    want: Want,
    stack: Vec<Frame>,
    status: Option<(TypeId, i32)>,
    pairs: [Option<(Range<usize>, Range<usize>)>; MAX_PAIRS],
    first_fh: Option<Range<usize>>,
    pathname: Option<Range<usize>>,
    bulk_at: Option<usize>,
    entries: Vec<(Range<usize>, Range<usize>)>,
    entries_dropped: u32,
    stopped: bool,
}

/// Pairs per body kept: RENAME and LINK have two.
const MAX_PAIRS: usize = 2;

impl<'r> FactVisitor<'r> {
    fn new(roles: &'r Roles, body: &[u8], want: Want, stack: Vec<Frame>) -> Self {
        FactVisitor {
            roles,
            base: body.as_ptr() as usize,
            base_len: body.len(),
            want,
            stack,
            status: None,
            pairs: [None, None],
            first_fh: None,
            pathname: None,
            bulk_at: None,
            entries: Vec::new(),
            entries_dropped: 0,
            stopped: false,
        }
    }

    /// Where `part` (a slice the walker lent from the body) sits in the body.
    fn range(&self, part: &[u8]) -> Option<Range<usize>> {
        let start = (part.as_ptr() as usize).checked_sub(self.base)?;
        let end = start.checked_add(part.len())?;
        (end <= self.base_len).then_some(start..end)
    }

    fn top(&mut self) -> &mut Frame {
        if self.stack.is_empty() {
            self.stack.push(Frame::default());
        }
        let n = self.stack.len() - 1;
        &mut self.stack[n]
    }

    fn push(&mut self, handle: bool) {
        let element = self.stack.last().is_some_and(|f| f.array);
        self.stack.push(Frame {
            element,
            handle,
            ..Frame::default()
        });
    }

    fn got_handle(&mut self, r: Range<usize>) {
        if self.first_fh.is_none() {
            self.first_fh = Some(r.clone());
        }
        let top = self.top();
        if top.direct_fh.is_none() {
            top.direct_fh = Some(r.clone());
        }
        if top.any_fh.is_none() {
            top.any_fh = Some(r);
        }
    }

    fn got_name(&mut self, r: Range<usize>) {
        let top = self.top();
        if top.direct_name.is_none() {
            top.direct_name = Some(r.clone());
        }
        if top.any_name.is_none() {
            top.any_name = Some(r);
        }
    }

    fn pop(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let Some(f) = self.stack.pop() else { return };
        if let (Some(fh), Some(name)) = (&f.direct_fh, &f.direct_name) {
            if let Some(slot) = self.pairs.iter_mut().find(|p| p.is_none()) {
                *slot = Some((fh.clone(), name.clone()));
            }
        }
        if f.element {
            if let (Some(name), Some(fh)) = (&f.any_name, &f.any_fh) {
                if self.entries.len() < self.want.max_entries {
                    self.entries.push((name.clone(), fh.clone()));
                } else {
                    self.entries_dropped = self.entries_dropped.saturating_add(1);
                }
            }
        }
        let parent = self.top();
        if f.handle {
            // The handle struct's opaque is a direct member of the parent.
            if let Some(fh) = f.any_fh {
                if parent.direct_fh.is_none() {
                    parent.direct_fh = Some(fh.clone());
                }
                if parent.any_fh.is_none() {
                    parent.any_fh = Some(fh);
                }
            }
            return;
        }
        if parent.any_fh.is_none() {
            parent.any_fh = f.any_fh;
        }
        if parent.any_name.is_none() && !f.array {
            parent.any_name = f.any_name;
        }
    }
}

impl Visitor for FactVisitor<'_> {
    fn event(&mut self, _schema: &Schema, ev: Event<'_, '_>) -> Flow {
        match ev {
            // A member that cannot hold a status, handle or name (file
            // attributes, times, data) is skipped without a look; the
            // opaque inside a handle struct (`nfs_fh3.data`) is the handle.
            Event::Field { ty, .. } | Event::Present { ty }
                if !(self.roles.inside(ty)
                    || self.stack.last().is_some_and(|f| f.handle)
                    || self.bulk_at.is_none() && self.roles.has(ty, Role::BULK)) =>
            {
                return Flow::Skip;
            }
            Event::Enum { ty, value, .. } if self.roles.has(ty, Role::STATUS) => {
                if self.status.is_none() {
                    self.status = Some((ty, value));
                }
                if self.want.status_only {
                    self.stopped = true;
                    return Flow::Stop;
                }
            }
            Event::StructBegin { ty } => self.push(self.roles.has(ty, Role::FILE_HANDLE)),
            Event::UnionBegin {
                discriminant,
                value,
                ..
            } => {
                // Results are unions on their status (`switch (nfsstat3
                // status)`): the discriminant is the status.
                if self.roles.has(discriminant.ty, Role::STATUS) && self.status.is_none() {
                    self.status = Some((discriminant.ty, value as i32));
                    if self.want.status_only {
                        self.stopped = true;
                        return Flow::Stop;
                    }
                }
                self.push(false)
            }
            Event::ArrayBegin { .. } => {
                self.push(false);
                self.top().array = true;
            }
            Event::StructEnd { .. } | Event::UnionEnd { .. } | Event::ArrayEnd { .. } => self.pop(),
            Event::Opaque { ty, data, .. }
                if self.bulk_at.is_none() && self.roles.has(ty, Role::BULK) =>
            {
                self.bulk_at = self.range(data).map(|r| r.start);
            }
            Event::Opaque { ty, data, len } => {
                let in_handle = self.stack.last().is_some_and(|f| f.handle);
                if (in_handle || self.roles.has(ty, Role::FILE_HANDLE)) && data.len() as u64 == len
                {
                    if let Some(r) = self.range(data) {
                        self.got_handle(r);
                    }
                }
            }
            Event::Str { ty, data, len } if data.len() as u64 == len => {
                if self.roles.has(ty, Role::FILE_NAME) {
                    if let Some(r) = self.range(data) {
                        self.got_name(r);
                    }
                } else if self.roles.has(ty, Role::PATH_NAME) && self.pathname.is_none() {
                    self.pathname = self.range(data);
                }
            }
            _ => {}
        }
        Flow::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::programs::registry::Registry;

    fn w(v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&x.to_be_bytes());
    }

    /// fattr3: 84 bytes, `fileid` 42.
    fn fattr3(v: &mut Vec<u8>) {
        for x in [
            1, 0o644, 1, 0, 0, 0, 20, 0, 4096, 0, 0, 0, 7, 0, 42, 1, 0, 1, 0, 1, 0,
        ] {
            w(v, x);
        }
    }

    fn opaque(v: &mut Vec<u8>, b: &[u8]) {
        w(v, b.len() as u32);
        v.extend_from_slice(b);
        v.resize(v.len() + (4 - b.len() % 4) % 4, 0);
    }

    /// The facts of an NFSv3 result, through the built-in definition (whose
    /// roles are marked, so attributes are skipped).
    fn result_facts(proc_no: u32, body: &[u8]) -> Facts<'_> {
        let reg = Registry::builtin();
        let e = reg.version(100003, 3).unwrap();
        let p = e.procedure(proc_no).unwrap();
        let limits = WalkLimits::from(&Limits::default());
        extract(
            e.schema(),
            e.roles(),
            std::slice::from_ref(&p.result),
            &BodyBytes::whole(body),
            &limits,
            Want {
                status_only: false,
                max_entries: 16,
            },
            &mut Scratch::default(),
        )
    }

    #[test]
    fn handles_and_names_are_found_past_skipped_attributes() {
        // LOOKUP3res: NFS3_OK, object, obj_attributes (present), dir_attributes.
        let mut v = Vec::new();
        w(&mut v, 0);
        opaque(&mut v, b"handle-1");
        w(&mut v, 1);
        fattr3(&mut v);
        w(&mut v, 1);
        fattr3(&mut v);
        let f = result_facts(3, &v);
        assert_eq!(f.status.map(|s| s.1), Some(0));
        assert_eq!(f.first_fh, Some(&b"handle-1"[..]));
        assert_eq!(f.error, None);

        // READDIRPLUS3res: two entries with attributes and handles.
        let mut v = Vec::new();
        w(&mut v, 0); // NFS3_OK
        w(&mut v, 0); // dir_attributes absent
        v.extend_from_slice(&[0; 8]); // cookieverf
        for (name, fh) in [(&b"a.txt"[..], &b"fh-a"[..]), (b"b", b"fh-b")] {
            w(&mut v, 1); // an entry follows
            v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 9]); // fileid
            opaque(&mut v, name);
            v.extend_from_slice(&[0; 8]); // cookie
            w(&mut v, 1); // name_attributes follow
            fattr3(&mut v);
            w(&mut v, 1); // name_handle follows
            opaque(&mut v, fh);
        }
        w(&mut v, 0); // end of list
        w(&mut v, 1); // eof
        let f = result_facts(17, &v);
        assert_eq!(f.error, None);
        assert_eq!(
            f.entries,
            vec![(&b"a.txt"[..], &b"fh-a"[..]), (&b"b"[..], &b"fh-b"[..])]
        );
        // A skipped member is still checked where its size depends on it: a
        // bad bool in the attributes is malformed.
        let mut v = Vec::new();
        w(&mut v, 0);
        opaque(&mut v, b"handle-1");
        w(&mut v, 7); // obj_attributes: attributes_follow = 7
        let f = result_facts(3, &v);
        assert_eq!(f.first_fh, Some(&b"handle-1"[..]));
        assert!(matches!(
            f.error.map(|e| e.kind),
            Some(crate::programs::walk::BodyErrorKind::Malformed(_))
        ));
    }
}
