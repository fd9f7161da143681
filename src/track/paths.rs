//! File handle -> path: a bounded table fed by what the server answered.
//!
//! Each known handle maps to its parent handle and its name in that
//! directory (LOOKUP, CREATE, MKDIR, SYMLINK, MKNOD, READDIRPLUS results),
//! or to an absolute path (a MOUNT reply's root handle, an NFSv4 PUTROOTFH).
//! A path is built by following parents up to a root, so a RENAME of a
//! directory renames everything below it at once, with no rewriting.
//!
//! Contract: at most `Limits::max_paths` handles and `Limits::max_path_bytes`
//! bytes for them (the least recently learned or used are forgotten:
//! counted), handles and names of bounded length (longer ones are not
//! learned), at most one rename entry per handle, and path building stops after
//! `MAX_PATH_DEPTH` components, so a cycle (a hostile or confused capture
//! where a directory becomes its own ancestor) yields no path instead of a
//! loop.

use crate::hash::FastMap;
use std::borrow::Cow;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use smallvec::SmallVec;

use crate::limits::{
    MAX_FH_BYTES, MAX_NAME_BYTES, MAX_PATH_BYTES, MAX_PATH_DEPTH, PATH_ENTRY_OVERHEAD,
};

/// What a handle is known as.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// An absolute path (an export root).
    Root(Box<[u8]>),
    /// `name` in the directory `parent`.
    Child { parent: Box<[u8]>, name: Box<[u8]> },
}

#[derive(Debug)]
struct Slot {
    node: Node,
    /// Last learned or used, in table ticks (for eviction).
    tick: u64,
}

/// The table. See the module docs.
#[derive(Debug)]
pub struct Paths {
    map: FastMap<Box<[u8]>, Slot>,
    /// Hash of (parent, name) -> the handle learned there (for renames;
    /// checked against `map` on use, so a collision only loses a rename).
    rev: FastMap<u64, Box<[u8]>>,
    hasher: crate::hash::FastState,
    cap: usize,
    /// What the known handles cost ([`cost`]), and the most they may.
    bytes: usize,
    max_bytes: usize,
    tick: u64,
    evicted: u64,
    /// Reused to build paths (one allocation per path: its `Arc<str>`).
    buf: String,
}

impl Paths {
    /// An empty table of at most `cap` handles, whatever their sizes.
    pub fn new(cap: usize) -> Self {
        Self::with_budget(cap, usize::MAX)
    }

    /// An empty table of at most `cap` handles costing at most `max_bytes`
    /// together (`cost`: handles, names, table overhead).
    pub fn with_budget(cap: usize, max_bytes: usize) -> Self {
        Paths {
            map: crate::hash::map(),
            rev: crate::hash::map(),
            hasher: Default::default(),
            cap: cap.max(1),
            bytes: 0,
            max_bytes,
            tick: 0,
            evicted: 0,
            buf: String::new(),
        }
    }

    /// Handles known now.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no handle is known.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// What the known handles cost now, in bytes (see `cost`).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Rename entries held (at most one per known handle).
    #[cfg(test)]
    fn places(&self) -> usize {
        self.rev.len()
    }

    /// Handles forgotten to make room so far.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// `fh` is the export root `path` (a MOUNT reply).
    pub fn learn_root(&mut self, fh: &[u8], path: &[u8]) {
        if path.len() > MAX_NAME_BYTES * 4 {
            return;
        }
        self.insert(fh, Node::Root(path.into()));
    }

    /// `fh` is `name` in the directory `dir`.
    pub fn learn_child(&mut self, fh: &[u8], dir: &[u8], name: &[u8]) {
        if name.is_empty() || name.len() > MAX_NAME_BYTES || dir.len() > MAX_FH_BYTES {
            return;
        }
        // "." and ".." name the directory itself or its parent: nothing new.
        if name == b"." || name == b".." || fh == dir {
            return;
        }
        self.insert(
            fh,
            Node::Child {
                parent: dir.into(),
                name: name.into(),
            },
        );
    }

    /// `fh` is listed as `name` in the directory `dir` (a READDIRPLUS
    /// entry). A handle already known keeps its place: a file with several
    /// hard links is listed under each of its names, and the name a LOOKUP
    /// or CREATE taught is the one the client uses (tshark's name snooping
    /// also keeps the first name).
    pub fn learn_entry(&mut self, fh: &[u8], dir: &[u8], name: &[u8]) {
        if !self.map.contains_key(fh) {
            self.learn_child(fh, dir, name);
        }
    }

    /// `name` in `dir` was removed (REMOVE, RMDIR): the handle known by that
    /// place is forgotten (a file with another hard link loses its path
    /// rather than keep a name it no longer has).
    pub fn forget(&mut self, dir: &[u8], name: &[u8]) {
        let key = self.place(dir, name);
        let at_place = self.rev.get(&key).is_some_and(|fh| {
            matches!(&self.map.get(&fh[..]).map(|s| &s.node),
                Some(Node::Child { parent, name: n }) if **parent == *dir && **n == *name)
        });
        if at_place {
            if let Some(fh) = self.rev.remove(&key) {
                if let Some(old) = self.map.remove(&fh[..]) {
                    self.bytes -= cost(&fh, &old.node);
                }
            }
        }
    }

    /// What was `old_name` in `old_dir` is now `new_name` in `new_dir`:
    /// the handle known by the old place moves (everything below follows).
    pub fn rename(&mut self, old_dir: &[u8], old_name: &[u8], new_dir: &[u8], new_name: &[u8]) {
        if new_name.len() > MAX_NAME_BYTES || new_dir.len() > MAX_FH_BYTES {
            return;
        }
        let key = self.place(old_dir, old_name);
        let found = self.rev.get(&key).filter(|fh| {
            matches!(&self.map.get(&fh[..]).map(|s| &s.node),
                Some(Node::Child { parent, name }) if **parent == *old_dir && **name == *old_name)
        });
        if let Some(fh) = found.cloned() {
            self.rev.remove(&key);
            self.insert(
                &fh,
                Node::Child {
                    parent: new_dir.into(),
                    name: new_name.into(),
                },
            );
        }
    }

    fn place(&self, dir: &[u8], name: &[u8]) -> u64 {
        place_key(&self.hasher, dir, name)
    }

    fn insert(&mut self, fh: &[u8], node: Node) {
        if fh.is_empty() || fh.len() > MAX_FH_BYTES {
            return;
        }
        self.tick += 1;
        let tick = self.tick;
        let new_cost = cost(fh, &node);
        let new_place = match &node {
            Node::Child { parent, name } => Some(self.place(parent, name)),
            Node::Root(_) => None,
        };
        if let Some(s) = self.map.get_mut(fh) {
            // A handle learned again (elsewhere): its old place no longer
            // names it, so the rename entries stay one per handle however
            // often a capture moves one handle around.
            let old_cost = cost(fh, &s.node);
            let old_place = match &s.node {
                Node::Child { parent, name } => Some(place_key(&self.hasher, parent, name)),
                Node::Root(_) => None,
            };
            s.node = node;
            s.tick = tick;
            self.bytes = self.bytes - old_cost + new_cost;
            if let Some(k) = old_place.filter(|k| Some(*k) != new_place) {
                if self.rev.get(&k).is_some_and(|f| **f == *fh) {
                    self.rev.remove(&k);
                }
            }
        } else {
            if self.map.len() >= self.cap {
                self.evict();
            }
            self.map.insert(fh.into(), Slot { node, tick });
            self.bytes += new_cost;
        }
        if let Some(k) = new_place {
            self.rev.insert(k, fh.into());
        }
        // The handle just learned is the most recent: it goes last.
        while self.bytes > self.max_bytes && !self.map.is_empty() {
            self.evict();
        }
    }

    /// Forgets the least recently used eighth of the table (amortised: one
    /// scan per `len / 8` insertions).
    fn evict(&mut self) {
        let mut ticks: Vec<u64> = self.map.values().map(|s| s.tick).collect();
        let n = (ticks.len() / 8).max(1);
        let (_, &mut cut, _) = ticks.select_nth_unstable(n - 1);
        let before = self.map.len();
        self.map.retain(|_, s| s.tick > cut);
        self.evicted += (before - self.map.len()) as u64;
        let map = &self.map;
        self.rev.retain(|_, fh| map.contains_key(&fh[..]));
        self.bytes = self.map.iter().map(|(fh, s)| cost(fh, &s.node)).sum();
    }

    /// The full path of `fh`, when every ancestor up to a root is known.
    pub fn path(&mut self, fh: &[u8]) -> Option<Arc<str>> {
        self.build(fh, None)
    }

    /// The path of `fh` (with `child` below it), built in the reused
    /// buffer: one allocation, the `Arc<str>`.
    fn build(&mut self, fh: &[u8], child: Option<&[u8]>) -> Option<Arc<str>> {
        let mut buf = std::mem::take(&mut self.buf);
        let known = self.write_path(fh, &mut buf);
        if let (true, Some(name)) = (known, child) {
            push_component(&mut buf, name);
        }
        let path = known.then(|| Arc::from(bounded(&buf)));
        self.buf = buf;
        path
    }

    /// The path of `fh` written into `out` (cleared first), with one
    /// allocation at most (growing `out`): false, and `out` unspecified,
    /// when it is not known.
    pub fn write_path(&mut self, fh: &[u8], out: &mut String) -> bool {
        out.clear();
        {
            let mut parts: SmallVec<[&[u8]; 16]> = SmallVec::new();
            let mut cur = fh;
            let root = loop {
                if parts.len() > MAX_PATH_DEPTH {
                    return false;
                }
                match self.map.get(cur).map(|s| &s.node) {
                    None => return false,
                    Some(Node::Root(p)) => break &p[..],
                    Some(Node::Child { parent, name }) => {
                        parts.push(name);
                        cur = parent;
                    }
                }
            };
            push_lossy(out, root);
            for name in parts.iter().rev() {
                push_component(out, name);
            }
        }
        self.tick += 1;
        let tick = self.tick;
        if let Some(slot) = self.map.get_mut(fh) {
            slot.tick = tick;
        }
        true
    }

    /// The path of `name` in the directory `dir`, when the directory's is known.
    pub fn child_path(&mut self, dir: &[u8], name: &[u8]) -> Option<Arc<str>> {
        self.build(dir, Some(name))
    }
}

/// `path` itself when it fits [`MAX_PATH_BYTES`]; else its last
/// components that fit, behind `…/` (or, for one component longer than
/// that, its last bytes behind `…`).
pub fn bounded(path: &str) -> Cow<'_, str> {
    if path.len() <= MAX_PATH_BYTES {
        return Cow::Borrowed(path);
    }
    const MARK: &str = "…";
    let mut cut = path.len() - (MAX_PATH_BYTES - MARK.len());
    while !path.is_char_boundary(cut) {
        cut += 1;
    }
    // Start at a component when one begins within the kept tail.
    let tail = &path[cut..];
    let tail = tail.find('/').map_or(tail, |i| &tail[i..]);
    let mut out = String::with_capacity(MARK.len() + tail.len());
    out.push_str(MARK);
    out.push_str(tail);
    Cow::Owned(out)
}

/// The rename table's key of `name` in the directory `dir`.
fn place_key(hasher: &crate::hash::FastState, dir: &[u8], name: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    dir.hash(&mut h);
    name.hash(&mut h);
    h.finish()
}

/// Bytes a known handle costs: its handle (the key, and its copy in the
/// rename entries), its name or root path and its parent's handle, plus
/// [`PATH_ENTRY_OVERHEAD`] for the allocations' headers and the two tables'
/// buckets.
fn cost(fh: &[u8], node: &Node) -> usize {
    PATH_ENTRY_OVERHEAD
        + fh.len()
        + match node {
            Node::Root(p) => p.len(),
            Node::Child { parent, name } => fh.len() + parent.len() + name.len(),
        }
}

/// Appends `/` (unless `out` ends with one) and `name`, as lossy UTF-8.
pub fn push_component(out: &mut String, name: &[u8]) {
    if !out.ends_with('/') {
        out.push('/');
    }
    push_lossy(out, name);
}

/// Appends `bytes` as [`String::from_utf8_lossy`] would show them, without
/// an intermediate string.
fn push_lossy(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_parents_to_the_root() {
        let mut p = Paths::new(100);
        p.learn_root(b"R", b"/export");
        p.learn_child(b"A", b"R", b"dir");
        p.learn_child(b"B", b"A", b"file.txt");
        assert_eq!(p.path(b"B").as_deref(), Some("/export/dir/file.txt"));
        assert_eq!(p.path(b"R").as_deref(), Some("/export"));
        assert_eq!(
            p.child_path(b"A", b"new").as_deref(),
            Some("/export/dir/new")
        );
        // An unknown ancestor: no path.
        p.learn_child(b"C", b"X", b"orphan");
        assert_eq!(p.path(b"C"), None);
        assert_eq!(p.path(b"nothing"), None);
    }

    #[test]
    fn root_slash_is_not_doubled() {
        let mut p = Paths::new(10);
        p.learn_root(b"R", b"/");
        p.learn_child(b"A", b"R", b"etc");
        assert_eq!(p.path(b"A").as_deref(), Some("/etc"));
    }

    #[test]
    fn rename_moves_the_subtree() {
        let mut p = Paths::new(100);
        p.learn_root(b"R", b"/x");
        p.learn_child(b"D", b"R", b"old");
        p.learn_child(b"F", b"D", b"f");
        p.rename(b"R", b"old", b"R", b"new");
        assert_eq!(p.path(b"F").as_deref(), Some("/x/new/f"));
    }

    #[test]
    fn entries_do_not_rename_a_known_handle() {
        // zeek-nfs_base.pcap: LINK gives testfile a second name in the same
        // directory; READDIRPLUS lists both with the same handle.
        let mut p = Paths::new(100);
        p.learn_root(b"R", b"/x");
        p.learn_child(b"F", b"R", b"testfile");
        p.learn_entry(b"F", b"R", b"testfile-link");
        p.learn_entry(b"G", b"R", b"other");
        assert_eq!(p.path(b"F").as_deref(), Some("/x/testfile"));
        assert_eq!(p.path(b"G").as_deref(), Some("/x/other"));
        // Removing the other link leaves the file's name alone.
        p.forget(b"R", b"testfile-link");
        assert_eq!(p.path(b"F").as_deref(), Some("/x/testfile"));
        // An explicit LOOKUP result does move it.
        p.learn_child(b"F", b"R", b"testfile-link");
        assert_eq!(p.path(b"F").as_deref(), Some("/x/testfile-link"));
    }

    #[test]
    fn remove_forgets_the_handle_at_that_place() {
        let mut p = Paths::new(100);
        p.learn_root(b"R", b"/x");
        p.learn_child(b"F", b"R", b"f");
        p.learn_child(b"D", b"R", b"d");
        p.forget(b"R", b"nothing");
        p.forget(b"D", b"f"); // another directory: not that place
        assert_eq!(p.path(b"F").as_deref(), Some("/x/f"));
        p.forget(b"R", b"f");
        assert_eq!(p.path(b"F"), None);
        assert_eq!(p.len(), 2);
        // A place reused by a new file teaches the new handle.
        p.learn_child(b"F2", b"R", b"f");
        assert_eq!(p.path(b"F2").as_deref(), Some("/x/f"));
        assert_eq!(p.path(b"D").as_deref(), Some("/x/d"));
    }

    #[test]
    fn cycles_give_no_path_and_end() {
        let mut p = Paths::new(100);
        p.learn_child(b"A", b"B", b"a");
        p.learn_child(b"B", b"A", b"b");
        assert_eq!(p.path(b"A"), None);
        p.learn_child(b"S", b"S", b"self"); // refused: a handle is not its own child
        assert_eq!(p.path(b"S"), None);
    }

    #[test]
    fn the_table_is_bounded_and_evicts_the_oldest() {
        let mut p = Paths::new(64);
        p.learn_root(b"R", b"/r");
        for i in 0..1000u32 {
            p.learn_child(&i.to_be_bytes(), b"R", b"n");
            // Keep the root in use, as a live session does.
            let _ = p.path(b"R");
        }
        assert!(p.len() <= 64);
        assert!(p.evicted() >= 1000 - 64);
        assert_eq!(p.path(&999u32.to_be_bytes()).as_deref(), Some("/r/n"));
    }

    #[test]
    fn oversized_handles_and_names_are_not_learned() {
        let mut p = Paths::new(10);
        p.learn_root(&[1; MAX_FH_BYTES + 1], b"/r");
        assert!(p.is_empty());
        p.learn_root(b"R", b"/r");
        p.learn_child(b"A", b"R", &[b'x'; MAX_NAME_BYTES + 1]);
        assert_eq!(p.len(), 1);
    }
    /// Regression: a handle learned again under a new name left its old
    /// rename entry behind, so one handle moved around a million times (a
    /// hostile capture of LOOKUP replies) grew the rename table without
    /// bound while the handle table held one entry.
    #[test]
    fn one_handle_learned_under_many_names_keeps_one_rename_entry() {
        let mut p = Paths::new(100);
        p.learn_root(b"R", b"/r");
        for i in 0..10_000u32 {
            p.learn_child(b"F", b"R", format!("name-{i}").as_bytes());
        }
        assert_eq!(p.len(), 2);
        assert_eq!(p.places(), 1);
        assert_eq!(p.path(b"F").as_deref(), Some("/r/name-9999"));
        // Its latest place still renames and removes it.
        p.rename(b"R", b"name-9999", b"R", b"final");
        assert_eq!(p.path(b"F").as_deref(), Some("/r/final"));
        p.forget(b"R", b"final");
        assert_eq!(p.path(b"F"), None);
        assert_eq!(p.places(), 0);
    }

    #[test]
    fn the_byte_budget_holds_with_the_largest_handles_and_names() {
        let budget = 64 * 1024;
        let mut p = Paths::with_budget(10_000, budget);
        p.learn_root(&[0xff; MAX_FH_BYTES], b"/r");
        let name = [b'n'; MAX_NAME_BYTES];
        for i in 0..5_000u32 {
            let mut fh = [0u8; MAX_FH_BYTES];
            fh[..4].copy_from_slice(&i.to_be_bytes());
            p.learn_child(&fh, &[0xff; MAX_FH_BYTES], &name);
            let _ = p.path(&[0xff; MAX_FH_BYTES]);
            assert!(p.bytes() <= budget, "{} > {budget}", p.bytes());
        }
        // ~870 bytes each: about 75 fit, far fewer than the count cap.
        assert!(p.len() > 40 && p.len() < 80, "{}", p.len());
        assert!(p.evicted() > 4_900);
        let mut last = [0u8; MAX_FH_BYTES];
        last[..4].copy_from_slice(&4_999u32.to_be_bytes());
        assert!(p.path(&last).is_some());
    }

    /// Random learning, renaming and forgetting: the byte count always
    /// equals the cost of what is known, and rename entries never outnumber
    /// handles.
    #[test]
    fn byte_count_and_rename_entries_stay_exact() {
        let mut rng = crate::net::testutil::XorShift::new(7);
        let mut p = Paths::with_budget(64, 16 * 1024);
        let fh = |n: usize| vec![n as u8; 1 + n % 40];
        let name = |n: usize| vec![b'a' + (n % 26) as u8; 1 + n % 50];
        for round in 0..20_000 {
            let (a, b, c) = (rng.below(200), rng.below(200), rng.below(30));
            match rng.below(6) {
                0 => p.learn_root(&fh(a), &name(c)),
                1 | 2 => p.learn_child(&fh(a), &fh(b), &name(c)),
                3 => p.learn_entry(&fh(a), &fh(b), &name(c)),
                4 => p.forget(&fh(b), &name(c)),
                _ => p.rename(&fh(b), &name(c), &fh(a), &name(c + 1)),
            }
            let sum: usize = p.map.iter().map(|(k, s)| cost(k, &s.node)).sum();
            assert_eq!(p.bytes(), sum, "round {round}");
            assert!(p.bytes() <= 16 * 1024 && p.len() <= 64, "round {round}");
            assert!(p.places() <= p.len(), "round {round}");
        }
    }
    #[test]
    fn paths_past_path_max_keep_their_last_components() {
        let mut p = Paths::new(1000);
        p.learn_root(b"R", b"/export");
        let mut dir = b"R".to_vec();
        for i in 0..40u32 {
            // 200-byte names, one with a character of three bytes.
            let mut name = format!("d{i:03}-").into_bytes();
            name.resize(199, b'x');
            name.extend_from_slice("€".as_bytes());
            let fh = i.to_be_bytes().to_vec();
            p.learn_child(&fh, &dir, &name);
            dir = fh;
        }
        let path = p.path(&39u32.to_be_bytes()).unwrap();
        assert!(path.len() <= MAX_PATH_BYTES, "{}", path.len());
        assert!(path.starts_with("…/d"), "{}", &path[..20]);
        assert!(path.ends_with("x€"));
        assert!(path.contains("/d039-"));
        // Whole components only: each kept one is there in full.
        for part in path.trim_start_matches("…/").split('/') {
            assert_eq!(part.len(), 202, "{part}");
        }
        // A short path is left alone; a child name goes through the bound too.
        assert_eq!(p.path(b"R").as_deref(), Some("/export"));
        let child = p.child_path(&39u32.to_be_bytes(), b"file").unwrap();
        assert!(child.len() <= MAX_PATH_BYTES && child.ends_with("/file"));
        assert_eq!(bounded(&"y".repeat(5000)).len(), MAX_PATH_BYTES);
    }
}
