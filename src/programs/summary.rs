//! One-line text summaries of bodies, in the spirit of `tcpdump -v` (but
//! correct): `LOOKUP fh 0x04415d87 "dir"`, `READ fh 0x1a2b3c4d 4096 bytes
//! @ 8192`, and for results `NFS3ERR_NOENT`, `NFS3_OK 4096 bytes eof`.
//!
//! The summary is driven by roles and a few field names, not by a table per
//! procedure: file handles print as their hash (`fh 0x...`, the CRC-32
//! Wireshark shows as `nfs.fh.hash`), file names and paths quoted, the
//! status by its name, an `offset`/`count` pair as `N bytes @ OFF`, a
//! `count`/`eof` pair as `N bytes eof`. A program whose types have no roles
//! (a user's rpcgen program) shows its first few scalar values as
//! `name=value`.
//!
//! Contract: bounded output (`MAX_ITEMS` items, names cut at
//! `MAX_NAME_SHOWN` bytes); never allocates beyond its output string.

use std::fmt::Write as _;

use super::roles::{Role, Roles};
use super::schema::{Schema, TypeId};
use super::walk::{walk, BodyBytes, Event, Flow, Visitor, WalkLimits};

/// Items in one summary.
const MAX_ITEMS: usize = 6;
/// Bytes of a name or path shown.
const MAX_NAME_SHOWN: usize = 64;

/// Appends the summary of `body` (walked as `types`) to `out`, each item
/// preceded by a space. Returns false when nothing was written.
pub fn summarize(
    schema: &Schema,
    roles: &Roles,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    limits: &WalkLimits,
    out: &mut String,
) -> bool {
    let mut v = Summary {
        roles,
        out,
        items: 0,
        field: if roles.is_empty() { "?" } else { "" },
        handle_depth: None,
        arrays: 0,
        depth: 0,
        offset: None,
        count: None,
        eof: None,
        generic: roles.is_empty(),
        name: String::new(),
    };
    let _ = walk(schema, types, body, limits, &mut v);
    v.flush_pairs();
    v.items > 0
}

struct Summary<'o, 'r> {
    roles: &'r Roles,
    out: &'o mut String,
    items: usize,
    /// The field whose value comes next.
    field: &'static str,
    /// Inside a handle struct opened at this depth.
    handle_depth: Option<u32>,
    /// Open arrays and lists: their elements are not summarised (a
    /// directory listing would crowd the line).
    arrays: u32,
    depth: u32,
    offset: Option<u64>,
    count: Option<u64>,
    eof: Option<bool>,
    /// No roles: show scalar fields by name.
    generic: bool,
    /// The last field name, for `name=value` (copied: the visitor borrows
    /// nothing from the schema).
    name: String,
}

impl Summary<'_, '_> {
    fn item(&mut self, f: std::fmt::Arguments<'_>) {
        if self.items < MAX_ITEMS {
            self.out.push(' ');
            let _ = self.out.write_fmt(f);
            self.items += 1;
        }
    }

    fn quoted(&mut self, data: &[u8]) {
        if self.items >= MAX_ITEMS {
            return;
        }
        let shown = &data[..data.len().min(MAX_NAME_SHOWN)];
        let s = String::from_utf8_lossy(shown);
        let cut = if shown.len() < data.len() { "..." } else { "" };
        self.item(format_args!("{:?}{cut}", s.as_ref()));
    }

    fn handle(&mut self, data: &[u8]) {
        self.item(format_args!("fh {:#010x}", crc32fast::hash(data)));
    }

    /// `offset`/`count` and `count`/`eof` pairs, once both are known.
    fn flush_pairs(&mut self) {
        match (self.count, self.offset, self.eof) {
            (Some(c), Some(o), _) => {
                self.item(format_args!("{c} bytes @ {o}"));
                (self.count, self.offset) = (None, None);
            }
            (Some(c), None, Some(eof)) => {
                let e = if eof { " eof" } else { "" };
                self.item(format_args!("{c} bytes{e}"));
                (self.count, self.eof) = (None, None);
            }
            _ => {}
        }
    }
}

impl Visitor for Summary<'_, '_> {
    fn event(&mut self, _schema: &Schema, ev: Event<'_, '_>) -> Flow {
        if self.items >= MAX_ITEMS {
            return Flow::Stop;
        }
        match ev {
            Event::Field { name, .. } => {
                // Field names of interest are matched against constants, so
                // only those are kept (no borrow of the schema escapes).
                self.field = match name {
                    "offset" => "offset",
                    "count" => "count",
                    "eof" => "eof",
                    _ => "",
                };
                if self.generic && self.field.is_empty() {
                    self.field = "?";
                }
                if self.generic {
                    self.name.clear();
                    self.name.push_str(name);
                }
            }
            Event::StructBegin { ty } => {
                self.depth += 1;
                if self.roles.has(ty, Role::FILE_HANDLE) && self.handle_depth.is_none() {
                    self.handle_depth = Some(self.depth);
                }
            }
            Event::StructEnd { .. } => {
                if self.handle_depth == Some(self.depth) {
                    self.handle_depth = None;
                }
                self.depth = self.depth.saturating_sub(1);
            }
            Event::UnionBegin {
                discriminant,
                value,
                value_name,
                ..
            } => {
                self.depth += 1;
                if self.roles.has(discriminant.ty, Role::STATUS) {
                    match value_name {
                        Some(n) => self.item(format_args!("{n}")),
                        None => self.item(format_args!("status {value}")),
                    }
                }
            }
            Event::ArrayBegin { .. } => {
                self.depth += 1;
                self.arrays += 1;
            }
            Event::ArrayEnd { .. } => {
                self.depth = self.depth.saturating_sub(1);
                self.arrays = self.arrays.saturating_sub(1);
            }
            Event::UnionEnd { .. } => self.depth = self.depth.saturating_sub(1),
            _ if self.arrays > 0 => {}
            Event::Enum { ty, value, name } => {
                if self.roles.has(ty, Role::STATUS) {
                    match name {
                        Some(n) => self.item(format_args!("{n}")),
                        None => self.item(format_args!("status {value}")),
                    }
                } else if self.generic {
                    self.generic_item(&format_args!("{}", name.unwrap_or("?")));
                }
            }
            Event::Opaque { ty, data, len } => {
                if (self.handle_depth.is_some() || self.roles.has(ty, Role::FILE_HANDLE))
                    && data.len() as u64 == len
                {
                    self.handle(data);
                } else if self.generic {
                    self.generic_item(&format_args!("<{len} bytes>"));
                }
            }
            Event::Str { ty, data, .. } => {
                if self.roles.has(ty, Role::FILE_NAME) || self.roles.has(ty, Role::PATH_NAME) {
                    self.quoted(data);
                } else if self.generic {
                    let shown = &data[..data.len().min(MAX_NAME_SHOWN)];
                    self.generic_item(&format_args!("{:?}", String::from_utf8_lossy(shown)));
                }
            }
            Event::UInt { value, .. } => match self.field {
                "offset" if self.depth <= 2 => {
                    self.offset = Some(value);
                    self.flush_pairs();
                }
                "count" if self.depth <= 2 => {
                    self.count = Some(value);
                    self.flush_pairs();
                }
                "?" => self.generic_item(&format_args!("{value}")),
                _ => {}
            },
            Event::Int { value, .. } if self.field == "?" => {
                self.generic_item(&format_args!("{value}"))
            }
            Event::Bool { value, .. } => match self.field {
                "eof" => {
                    self.eof = Some(value);
                    self.flush_pairs();
                }
                "?" => self.generic_item(&format_args!("{value}")),
                _ => {}
            },
            Event::Float { value, .. } if self.field == "?" => {
                self.generic_item(&format_args!("{value}"))
            }
            _ => {}
        }
        Flow::Continue
    }
}

impl Summary<'_, '_> {
    fn generic_item(&mut self, value: &dyn std::fmt::Display) {
        if self.depth > 2 {
            return;
        }
        if self.name.is_empty() {
            self.item(format_args!("{value}"));
        } else {
            let name = std::mem::take(&mut self.name);
            self.item(format_args!("{name}={value}"));
            self.name = name;
        }
    }
}
