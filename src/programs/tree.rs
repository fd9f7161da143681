//! The detail view of a body (`-V`): the whole decoded value, one field per
//! line, indented by depth, in the spirit of `tshark -V`:
//!
//! ```text
//!     what:
//!       dir: fh 0x8fee73d3 (01000700...)
//!       name: ".Trash"
//! ```
//!
//! Field names are the `.x` names; enums print their name (the number when
//! unnamed), unions their discriminant then the chosen arm, lists one
//! `[i]` element per entry. Bulk data prints its length. Contract: output
//! bounded by the walk's node limit and `MAX_SHOWN` bytes per value.

use std::fmt::Write as _;

use super::attrs::{walk_expanded, Bags, NO_BAGS};
use super::roles::{Role, Roles};
use super::schema::{Kind, Schema, TypeId};
use super::walk::{BodyBytes, BodyError, Event, Flow, Visitor, WalkLimits};

/// Bytes of an opaque or string shown before it is cut.
const MAX_SHOWN: usize = 96;

/// Appends the tree of `body` (walked as `types`) to `out`, each line
/// starting with `indent` spaces. Returns why the walk stopped short.
pub fn write_tree(
    schema: &Schema,
    roles: &Roles,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    indent: usize,
    out: &mut String,
) -> Option<BodyError> {
    write_tree_with(schema, roles, &NO_BAGS, types, body, limits, indent, out)
}

/// [`write_tree`] with attribute bags (NFSv4 `fattr4`) shown as their
/// named attributes ([`super::attrs`]).
#[allow(clippy::too_many_arguments)]
pub fn write_tree_with(
    schema: &Schema,
    roles: &Roles,
    bags: &Bags,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    indent: usize,
    out: &mut String,
) -> Option<BodyError> {
    let mut t = Tree {
        roles,
        out,
        depth: indent,
        label: String::new(),
        index: Vec::new(),
        handle: None,
        levels: Vec::new(),
    };
    walk_expanded(schema, roles, bags, types, body, limits, &mut t).err()
}

struct Tree<'o, 'r> {
    roles: &'r Roles,
    out: &'o mut String,
    depth: usize,
    /// The label of the value that comes next (field name or `[i]`).
    label: String,
    /// Element counters of the open arrays (`None` for other compounds).
    index: Vec<Option<u32>>,
    /// Inside a handle struct opened at this depth.
    handle: Option<usize>,
    /// Whether each open compound added an indentation level.
    levels: Vec<bool>,
}

impl Tree<'_, '_> {
    /// Starts a line for the next value: indentation and label.
    fn line(&mut self) {
        if let Some(Some(i)) = self.index.last_mut() {
            self.label.clear();
            let _ = write!(self.label, "[{i}]");
            *i += 1;
        }
        for _ in 0..self.depth {
            self.out.push(' ');
        }
        if !self.label.is_empty() {
            self.out.push_str(&self.label);
            self.out.push_str(": ");
        }
        self.label.clear();
    }

    /// Opens a compound: its label on a line of its own, its members
    /// indented below. The unlabelled outermost value adds no level.
    fn open(&mut self, array: bool) {
        let labelled = !self.label.is_empty() || matches!(self.index.last(), Some(Some(_)));
        if labelled {
            self.line();
            if self.out.ends_with(' ') {
                self.out.pop();
            }
            self.out.push('\n');
            self.depth += 2;
        }
        self.index.push(array.then_some(0));
        self.levels.push(labelled);
    }

    fn close(&mut self) {
        if self.levels.pop() == Some(true) {
            self.depth = self.depth.saturating_sub(2);
        }
        self.index.pop();
    }

    fn bytes(&mut self, data: &[u8], len: u64, text: bool) {
        let shown = &data[..data.len().min(MAX_SHOWN)];
        if text {
            let _ = write!(self.out, "{:?}", String::from_utf8_lossy(shown));
        } else {
            for b in shown {
                let _ = write!(self.out, "{b:02x}");
            }
        }
        if (shown.len() as u64) < len {
            let _ = write!(self.out, "... ({len} bytes)");
        }
        self.out.push('\n');
    }
}

impl Visitor for Tree<'_, '_> {
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        match ev {
            // The members of a handle struct print as the handle.
            Event::Field { .. } if self.handle.is_some() => {}
            Event::Field { name, .. } => {
                self.label.clear();
                self.label.push_str(name);
            }
            Event::StructBegin { ty } => {
                if self.roles.has(ty, Role::FILE_HANDLE) && self.handle.is_none() {
                    self.handle = Some(self.depth);
                    return Flow::Continue;
                }
                self.open(false);
            }
            Event::StructEnd { .. } => {
                if self.handle == Some(self.depth) {
                    self.handle = None;
                } else {
                    self.close();
                }
            }
            Event::UnionBegin {
                discriminant,
                value,
                value_name,
                ..
            } => {
                self.open(false);
                for _ in 0..self.depth {
                    self.out.push(' ');
                }
                let is_bool = matches!(schema.resolve(discriminant.ty).1, Kind::Bool);
                match value_name {
                    Some(n) => {
                        let _ = writeln!(self.out, "{}: {n}", discriminant.name);
                    }
                    None if is_bool => {
                        let _ = writeln!(self.out, "{}: {}", discriminant.name, value != 0);
                    }
                    None => {
                        let _ = writeln!(self.out, "{}: {value}", discriminant.name);
                    }
                }
            }
            Event::UnionEnd { .. } => self.close(),
            Event::ArrayBegin { .. } => self.open(true),
            Event::ArrayEnd { .. } => self.close(),
            Event::Null { .. } => {
                self.line();
                self.out.push_str("(none)\n");
            }
            Event::Present { .. } => {}
            Event::Int { value, .. } => {
                self.line();
                let _ = writeln!(self.out, "{value}");
            }
            Event::UInt { value, .. } => {
                self.line();
                let _ = writeln!(self.out, "{value}");
            }
            Event::Float { value, .. } => {
                self.line();
                let _ = writeln!(self.out, "{value}");
            }
            Event::Bool { value, .. } => {
                self.line();
                let _ = writeln!(self.out, "{value}");
            }
            Event::Enum { value, name, .. } => {
                self.line();
                match name {
                    Some(n) => {
                        let _ = writeln!(self.out, "{n}");
                    }
                    None => {
                        let _ = writeln!(self.out, "{value}");
                    }
                }
            }
            Event::Opaque { ty, data, len } => {
                self.line();
                let roles = self.roles.of(schema, ty);
                if self.handle.is_some() || roles & Role::FILE_HANDLE.bits() != 0 {
                    let _ = write!(self.out, "fh {:#010x} ", crc32fast::hash(data));
                    self.bytes(data, len, false);
                } else if roles & Role::BULK.bits() != 0 {
                    let _ = writeln!(self.out, "({len} bytes)");
                } else {
                    self.bytes(data, len, roles & Role::TEXT.bits() != 0);
                }
            }
            Event::Str { data, len, .. } => {
                self.line();
                self.bytes(data, len, true);
            }
        }
        Flow::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::registry::Registry;

    #[test]
    fn lookup_args_print_as_a_tree_with_the_x_names() {
        let r = Registry::builtin();
        let e = r.version(100003, 3).unwrap();
        let p = e.procedure(3).unwrap();
        // LOOKUP3args: dir (nfs_fh3 of 8 bytes), name "etc".
        let body = [
            0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, // dir.data<64>
            0, 0, 0, 3, b'e', b't', b'c', 0, // name
        ];
        let mut out = String::new();
        let err = write_tree(
            e.schema(),
            e.roles(),
            &p.args,
            &BodyBytes::whole(&body),
            &WalkLimits::from(&crate::limits::Limits::default()),
            2,
            &mut out,
        );
        assert_eq!(err, None);
        let hash = crc32fast::hash(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            out,
            format!("  what:\n    dir: fh {hash:#010x} 0102030405060708\n    name: \"etc\"\n")
        );
    }
}
