//! Body JSON: a [`Visitor`] that streams a walk as JSON text into a byte
//! buffer, field names as the `.x` file spells them.
//!
//! The rendering (the `body` values of docs/json.md):
//!
//! | XDR | JSON |
//! |---|---|
//! | struct | object with the `.x` field names, in order |
//! | enum | its name; the number when the value has no name |
//! | union | object: the discriminant under its `.x` name (an enum name, a number, or `true`/`false`), then the arm under its name; a void arm adds nothing |
//! | `T *x` | `null` or the value (so optional data holding optional data that is absent, `typedef T *p; p *x;`, is `null` too, and `void *` is always `null`) |
//! | arrays | arrays; a recursive optional list (`entry3 *entries`) is an array of its elements without the link field (`[]` when empty) |
//! | `int`, `unsigned`, `hyper`, `unsigned hyper` | number, exact (64-bit) |
//! | `float`, `double` | number (shortest form that reads back the same); `null` when not finite |
//! | `bool` | `true` / `false` |
//! | `opaque`, `quadruple` | lowercase hex string |
//! | text opaque ([`Role::TEXT`]: NFSv4 `utf8string`, `component4`, `linktext4`) | as `string` |
//! | attribute bag ([`Role::INNER`]: NFSv4 `fattr4`, with [`body_to_json_with`]) | the bitmap as an array, the values as an object of named attributes ([`super::attrs`]) |
//! | typed opaque ([`Role::INNER`]: an NFSv4.1 file layout, with [`body_to_json_with`]) | the value of the type its enum names, in place of the hex |
//! | bulk opaque | `{"len": N}`: data of the [`Role::BULK`] role, longer than [`JsonOptions::opaque_inline_max`], or not all captured. With [`JsonOptions::data_hex`]: `{"len": N, "hex": "..."}` of the held bytes, plus `"held": n` when fewer than N were captured |
//! | file handle ([`Role::FILE_HANDLE`]: an opaque type, or a struct wrapping one opaque) | `{"hex": "...", "hash": "0x1a2b3c4d"}`, the hash being the CRC-32 (IEEE) of the handle bytes as Wireshark prints `nfs.fh.hash`; a handle not all captured renders as bulk |
//! | `string` | JSON string. Valid UTF-8 runs are written as they are (JSON-escaped); each byte that is not part of valid UTF-8 is written as the four characters `\xNN` (so the JSON text holds `\\xNN`), and so is a backslash followed by `x` (`\x5c`), so every `\x` in the text is such an escape. Longer than [`JsonOptions::string_max`] bytes, or not all captured: the first bytes, then the marker `...[N bytes]` with the length on the wire |
//! | `void` | nothing: a void result or argument list writes no value (the caller prints `null`) |
//!
//! Several values (rpcgen `-N` argument lists) are written as a JSON array
//! by [`body_to_json`]; [`JsonWriter::begin_array`] does it for callers that
//! walk themselves.
//!
//! Contract: never panics, never allocates per event (the buffer grows; the
//! writer keeps one small stack of open containers, at most the walk's
//! depth), and what it writes is valid JSON once [`JsonWriter::finish`] has
//! run, whatever the walk did: a body that ends in a [`BodyError`] keeps
//! every value written before the error, a key whose value was cut gets
//! `null`, and every open object and array is closed. The error itself is
//! the caller's to report.

use super::attrs::{walk_expanded, Bags, NO_BAGS};
use super::roles::{Role, Roles};
use super::schema::{Kind, Schema, TypeId};
use super::walk::{
    BodyBytes, BodyError, BodyErrorKind, DiscKind, Event, Flow, Malformation, Visitor, WalkLimits,
};
use crate::limits::Limits;

/// How bodies are rendered.
#[derive(Debug, Clone, Copy)]
pub struct JsonOptions<'r> {
    /// Roles of the program's types (file handles, bulk data).
    pub roles: &'r Roles,
    /// Bulk data also carries `"hex"` of its held bytes.
    pub data_hex: bool,
    /// Opaque data longer than this renders as bulk.
    pub opaque_inline_max: usize,
    /// String bytes written before the string is cut with a marker.
    pub string_max: usize,
}

impl<'r> JsonOptions<'r> {
    /// The options of `limits` (`body_opaque_inline`, `body_string_max`),
    /// without bulk hex.
    pub fn new(roles: &'r Roles, limits: &Limits) -> Self {
        JsonOptions {
            roles,
            data_hex: false,
            opaque_inline_max: limits.body_opaque_inline,
            string_max: limits.body_string_max,
        }
    }
}

/// Writes `types` of `body` as JSON into `out` (appending): one type as its
/// value, none (or only void) as nothing at all, several (rpcgen's `-N`
/// style) as an object `{"arg1": .., "arg2": ..}`, the member names rpcgen
/// gives its argument struct. Returns why the walk stopped short, if it
/// did; the text written is valid JSON either way (see the module docs). A
/// `Malformed(TrailingBytes)` error comes after a complete value.
pub fn body_to_json(
    schema: &Schema,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    opts: &JsonOptions<'_>,
    limits: &WalkLimits,
    out: &mut Vec<u8>,
) -> Option<BodyError> {
    body_to_json_with(schema, &NO_BAGS, types, body, opts, limits, out)
}

/// [`body_to_json`] with the attribute bags of `bags` decoded into named
/// attributes ([`super::attrs`]): an NFSv4 `fattr4` is
/// `{"attrmask": [...], "attr_vals": {"type": "NF4REG", "size": 30, ...}}`.
pub fn body_to_json_with(
    schema: &Schema,
    bags: &Bags,
    types: &[TypeId],
    body: &BodyBytes<'_>,
    opts: &JsonOptions<'_>,
    limits: &WalkLimits,
    out: &mut Vec<u8>,
) -> Option<BodyError> {
    let mut w = JsonWriter::new(out, *opts);
    let roles = opts.roles;
    if types.len() <= 1 {
        let err = walk_expanded(schema, roles, bags, types, body, limits, &mut w).err();
        w.finish();
        return err;
    }
    w.open(b'{', 0);
    let mut at = 0u64;
    let mut err = None;
    for (i, ty) in types.iter().enumerate() {
        let last = i + 1 == types.len();
        if matches!(schema.resolve(*ty).1, Kind::Void) {
            continue;
        }
        w.key(&format!("arg{}", i + 1));
        let held = body
            .data
            .get(at.min(body.data.len() as u64) as usize..)
            .unwrap_or(&[]);
        let rest = BodyBytes {
            data: held,
            len: body.len.saturating_sub(at),
            missing: body.missing,
        };
        match walk_expanded(
            schema,
            roles,
            bags,
            std::slice::from_ref(ty),
            &rest,
            limits,
            &mut w,
        ) {
            Ok(n) => at += n,
            // An argument that is not the last is followed by the others.
            Err(e) if !last && e.kind == BodyErrorKind::Malformed(Malformation::TrailingBytes) => {
                at += e.offset
            }
            Err(e) => {
                err = Some(BodyError {
                    offset: at + e.offset,
                    ..e
                });
                break;
            }
        }
    }
    w.finish();
    err
}

/// Bits of an open container on the writer's stack.
const ARRAY: u8 = 1;
const HAS_ITEMS: u8 = 2;

/// The JSON visitor. See the module docs.
#[derive(Debug)]
pub struct JsonWriter<'o, 'r> {
    out: &'o mut Vec<u8>,
    opts: JsonOptions<'r>,
    /// Open containers, innermost last: `ARRAY` (else an object) and
    /// `HAS_ITEMS` (the next item needs a comma).
    stack: Vec<u8>,
    /// A key was written and its value not yet.
    key_pending: bool,
    /// Inside a file-handle struct: how many compounds are open inside it.
    handle: Option<u32>,
    /// The handle's value was written.
    handle_written: bool,
}

impl<'o, 'r> JsonWriter<'o, 'r> {
    /// A writer appending to `out`.
    pub fn new(out: &'o mut Vec<u8>, opts: JsonOptions<'r>) -> Self {
        JsonWriter {
            out,
            opts,
            stack: Vec::new(),
            key_pending: false,
            handle: None,
            handle_written: false,
        }
    }

    /// Opens a JSON array: the values walked next are its elements (for
    /// argument lists). [`JsonWriter::finish`] closes it.
    pub fn begin_array(&mut self) {
        self.value_start();
        self.out.push(b'[');
        self.stack.push(ARRAY);
    }

    /// Makes the text valid JSON after a walk however it ended: a pending
    /// key or an unwritten handle gets `null`, open containers are closed.
    pub fn finish(&mut self) {
        // An open handle already took its key (`key_pending` is false).
        let open_handle = self.handle.take().is_some();
        if (open_handle && !self.handle_written) || self.key_pending {
            self.out.extend_from_slice(b"null");
        }
        self.key_pending = false;
        while let Some(top) = self.stack.pop() {
            self.out.push(if top & ARRAY != 0 { b']' } else { b'}' });
        }
    }

    /// Before a value: the comma between array elements (an object's key
    /// wrote its own).
    #[inline(always)]
    fn value_start(&mut self) {
        if self.key_pending {
            self.key_pending = false;
        } else if let Some(top) = self.stack.last_mut() {
            if *top & HAS_ITEMS != 0 {
                self.out.push(b',');
            }
            *top |= HAS_ITEMS;
        }
    }

    #[inline(always)]
    fn open(&mut self, bracket: u8, bits: u8) {
        self.value_start();
        self.out.push(bracket);
        self.stack.push(bits);
    }

    #[inline(always)]
    fn close(&mut self) {
        self.no_value();
        if let Some(top) = self.stack.pop() {
            self.out.push(if top & ARRAY != 0 { b']' } else { b'}' });
        }
    }

    /// A key whose value made no event (`void *` present holds nothing)
    /// gets `null`.
    #[inline(always)]
    fn no_value(&mut self) {
        if self.key_pending {
            self.key_pending = false;
            self.out.extend_from_slice(b"null");
        }
    }

    /// `"name":` with the comma before it when needed.
    #[inline(always)]
    fn key(&mut self, name: &str) {
        self.no_value();
        let comma = match self.stack.last_mut() {
            Some(top) => {
                let c = *top & HAS_ITEMS != 0;
                *top |= HAS_ITEMS;
                c
            }
            None => false,
        };
        let name = name.as_bytes();
        let out = &mut *self.out;
        if name.iter().all(|&b| CLASS[b as usize] == 0) {
            // The usual `.x` identifier: three copies, no escaping.
            out.reserve(name.len() + 4);
            out.extend_from_slice(if comma { b",\"" } else { b"\"" });
            out.extend_from_slice(name);
            out.extend_from_slice(b"\":");
        } else {
            if comma {
                out.push(b',');
            }
            write_str(out, name);
            out.push(b':');
        }
        self.key_pending = true;
    }

    fn int(&mut self, v: impl itoa::Integer) {
        let mut buf = itoa::Buffer::new();
        self.out.extend_from_slice(buf.format(v).as_bytes());
    }

    /// An opaque value in the form its roles and size call for.
    fn opaque(&mut self, roles: u8, data: &[u8], len: u64) {
        let whole = data.len() as u64 == len;
        if roles & Role::FILE_HANDLE.bits() != 0 && whole {
            self.handle_value(data);
        } else if roles & Role::TEXT.bits() != 0 {
            self.string(data, len);
        } else if roles & Role::BULK.bits() != 0
            || !whole
            || len > self.opts.opaque_inline_max as u64
        {
            self.out.extend_from_slice(b"{\"len\":");
            self.int(len);
            if self.opts.data_hex {
                self.out.extend_from_slice(b",\"hex\":");
                write_hex(self.out, data);
                if !whole {
                    self.out.extend_from_slice(b",\"held\":");
                    self.int(data.len());
                }
            }
            self.out.push(b'}');
        } else {
            write_hex(self.out, data);
        }
    }

    fn handle_value(&mut self, data: &[u8]) {
        self.out.extend_from_slice(b"{\"hex\":");
        write_hex(self.out, data);
        self.out.extend_from_slice(b",\"hash\":\"0x");
        let hash = crc32fast::hash(data).to_be_bytes();
        for b in hash {
            self.out
                .extend_from_slice(&HEX[b as usize * 2..b as usize * 2 + 2]);
        }
        self.out.extend_from_slice(b"\"}");
    }

    /// A string, cut at `string_max` bytes (or where the capture cut it)
    /// with the marker `...[N bytes]`.
    fn string(&mut self, data: &[u8], len: u64) {
        let max = self.opts.string_max;
        if data.len() as u64 == len && data.len() <= max {
            write_str(self.out, data);
            return;
        }
        let mut cut = data.len().min(max);
        // Do not split a character: back off continuation bytes (at most 3).
        let floor = cut.saturating_sub(3);
        while cut > floor && data.get(cut).is_some_and(|&b| b & 0xc0 == 0x80) {
            cut -= 1;
        }
        self.out.push(b'"');
        write_str_body(self.out, data.get(..cut).unwrap_or(data));
        self.out.extend_from_slice(b"...[");
        self.int(len);
        self.out.extend_from_slice(b" bytes]\"");
    }

    /// Inside a file-handle struct: the first opaque is the handle, the
    /// rest is passed over up to the struct's end.
    fn in_handle(&mut self, depth: u32, ev: &Event<'_, '_>) {
        match *ev {
            Event::StructBegin { .. } | Event::UnionBegin { .. } | Event::ArrayBegin { .. } => {
                self.handle = Some(depth + 1);
            }
            Event::StructEnd { .. } | Event::UnionEnd { .. } | Event::ArrayEnd { .. } => {
                if depth == 0 {
                    self.handle = None;
                    if !self.handle_written {
                        self.out.extend_from_slice(b"null");
                    }
                } else {
                    self.handle = Some(depth - 1);
                }
            }
            Event::Opaque { data, len, .. } if !self.handle_written => {
                self.handle_written = true;
                if data.len() as u64 == len {
                    self.handle_value(data);
                } else {
                    self.opaque(0, data, len);
                }
            }
            _ => {}
        }
    }
}

impl Visitor for JsonWriter<'_, '_> {
    #[inline(always)]
    fn event(&mut self, schema: &Schema, ev: Event<'_, '_>) -> Flow {
        if let Some(depth) = self.handle {
            self.in_handle(depth, &ev);
            return Flow::Continue;
        }
        match ev {
            Event::Field { name, .. } => self.key(name),
            Event::StructBegin { ty } => {
                if self.opts.roles.of(schema, ty) & Role::FILE_HANDLE.bits() != 0 {
                    self.value_start();
                    self.handle = Some(0);
                    self.handle_written = false;
                } else {
                    self.open(b'{', 0);
                }
            }
            Event::StructEnd { .. } | Event::UnionEnd { .. } | Event::ArrayEnd { .. } => {
                self.close()
            }
            Event::UnionBegin {
                discriminant,
                value,
                value_name,
                ..
            } => {
                self.open(b'{', 0);
                self.key(&discriminant.name);
                self.key_pending = false;
                match (value_name, DiscKind::of(schema, discriminant.ty)) {
                    (Some(name), _) => write_str(self.out, name.as_bytes()),
                    (None, DiscKind::Bool) => {
                        self.out
                            .extend_from_slice(if value != 0 { b"true" } else { b"false" })
                    }
                    (None, DiscKind::UHyper) => self.int(value as u64),
                    (None, _) => self.int(value),
                }
            }
            Event::ArrayBegin { .. } => self.open(b'[', ARRAY),
            Event::Present { .. } => {}
            Event::Null { .. } => {
                self.value_start();
                self.out.extend_from_slice(b"null");
            }
            Event::Int { value, .. } => {
                self.value_start();
                self.int(value);
            }
            Event::UInt { value, .. } => {
                self.value_start();
                self.int(value);
            }
            Event::Float { ty, value } => {
                self.value_start();
                // serde_json writes the shortest form, and null when not
                // finite; a Vec never fails to take it.
                let _ = if matches!(schema.resolve(ty).1, Kind::Float) {
                    serde_json::to_writer(&mut *self.out, &(value as f32))
                } else {
                    serde_json::to_writer(&mut *self.out, &value)
                };
            }
            Event::Bool { value, .. } => {
                self.value_start();
                self.out
                    .extend_from_slice(if value { b"true" } else { b"false" });
            }
            Event::Enum { value, name, .. } => {
                self.value_start();
                match name {
                    Some(n) => write_str(self.out, n.as_bytes()),
                    None => self.int(value),
                }
            }
            Event::Opaque { ty, data, len } => {
                self.value_start();
                let roles = self.opts.roles.of(schema, ty);
                self.opaque(roles, data, len);
            }
            Event::Str { data, len, .. } => {
                self.value_start();
                self.string(data, len);
            }
        }
        Flow::Continue
    }
}

/// Two lowercase hex digits per byte value.
static HEX: [u8; 512] = {
    let digits = b"0123456789abcdef";
    let mut t = [0u8; 512];
    let mut i = 0;
    while i < 256 {
        t[2 * i] = digits[i >> 4];
        t[2 * i + 1] = digits[i & 15];
        i += 1;
    }
    t
};

/// `data` as a quoted lowercase hex string.
pub(crate) fn write_hex(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + data.len() * 2, 0);
    if let Some(dst) = out.get_mut(start..) {
        for (pair, &b) in dst.chunks_exact_mut(2).zip(data) {
            let i = b as usize * 2;
            pair.copy_from_slice(&HEX[i..i + 2]);
        }
    }
    out.push(b'"');
}

/// How a byte is written inside a JSON string: as it is (0), escaped (1:
/// controls, `"` and `\`), or checked as UTF-8 (2: non-ASCII).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if i < 0x20 || i == b'"' as usize || i == b'\\' as usize {
            1
        } else if i >= 0x80 {
            2
        } else {
            0
        };
        i += 1;
    }
    t
};

/// `data` as a quoted JSON string (see the module docs for invalid UTF-8).
pub(crate) fn write_str(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'"');
    write_str_body(out, data);
    out.push(b'"');
}

/// The inside of [`write_str`].
fn write_str_body(out: &mut Vec<u8>, data: &[u8]) {
    let mut i = 0;
    while i < data.len() {
        let run = data[i..]
            .iter()
            .position(|&b| CLASS[b as usize] != 0)
            .map_or(data.len(), |p| i + p);
        out.extend_from_slice(&data[i..run]);
        i = run;
        let Some(&b) = data.get(i) else { break };
        if CLASS[b as usize] == 1 {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                // A backslash before `x` is itself written `\x5c`, so that
                // every `\x` in the text is an escape and reads back as one
                // byte (`from_json`).
                b'\\' if data.get(i + 1) == Some(&b'x') => out.extend_from_slice(b"\\\\x5c"),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                _ => {
                    out.extend_from_slice(b"\\u00");
                    out.extend_from_slice(&HEX[b as usize * 2..b as usize * 2 + 2]);
                }
            }
            i += 1;
            continue;
        }
        // Non-ASCII: one whole UTF-8 character, or one invalid byte.
        let width = match b {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        match data.get(i..i + width) {
            Some(ch) if width > 0 && std::str::from_utf8(ch).is_ok() => {
                out.extend_from_slice(ch);
                i += width;
            }
            _ => {
                out.extend_from_slice(b"\\\\x");
                out.extend_from_slice(&HEX[b as usize * 2..b as usize * 2 + 2]);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
