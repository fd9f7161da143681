//! One-line text summaries of compounds: the operations in order, with the
//! arguments that say what they act on, and for results the compound's
//! status, the operation that failed, and what the main operation returned:
//!
//! ```text
//! call  ... COMPOUND SEQUENCE PUTFH fh 0x1a2b3c4d READ 4096 @ 0
//! reply ... COMPOUND NFS4_OK 4096 bytes eof
//! reply ... COMPOUND NFS4ERR_NOENT LOOKUP
//! ```
//!
//! Contract: at most [`MAX_OPS_SHOWN`] operations and names cut at
//! `MAX_NAME_SHOWN` bytes; allocates only its output.

use std::fmt::Write as _;

use super::{op, op_name, short_name, Walked};
use crate::programs::schema::{Schema, TypeId};

/// Operations listed on one line; more are counted (`+N more`).
pub const MAX_OPS_SHOWN: usize = 16;
/// Bytes of a name shown.
const MAX_NAME_SHOWN: usize = 64;

fn quoted(out: &mut String, name: &[u8]) {
    let shown = &name[..name.len().min(MAX_NAME_SHOWN)];
    let cut = if shown.len() < name.len() { "..." } else { "" };
    let _ = write!(out, " {:?}{cut}", String::from_utf8_lossy(shown));
}

fn name_of(out: &mut String, schema: &Schema, op_enum: TypeId, opnum: u32) {
    match op_name(schema, op_enum, opnum) {
        Some(n) => {
            out.push(' ');
            out.push_str(short_name(n));
        }
        None => {
            let _ = write!(out, " op{opnum}");
        }
    }
}

/// Appends the summary of a compound's arguments (each item after a
/// space); false when there is nothing to say.
pub fn call_summary(
    schema: &Schema,
    op_enum: TypeId,
    callback: bool,
    w: &Walked<'_>,
    out: &mut String,
) -> bool {
    let start = out.len();
    for o in w.ops.iter().take(MAX_OPS_SHOWN) {
        name_of(out, schema, op_enum, o.op);
        if let Some(fh) = o.fh {
            let _ = write!(out, " fh {:#010x}", crc32fast::hash(fh));
        }
        for n in o.names.iter().flatten() {
            quoted(out, n);
        }
        let io = !callback && matches!(o.op, op::READ | op::WRITE | op::COMMIT);
        if io {
            match (o.data_len.or(o.count), o.offset) {
                (Some(c), Some(off)) => {
                    let _ = write!(out, " {c} bytes @ {off}");
                }
                (Some(c), None) => {
                    let _ = write!(out, " {c} bytes");
                }
                _ => {}
            }
        }
    }
    if w.ops.len() > MAX_OPS_SHOWN {
        let _ = write!(out, " +{} more", w.ops.len() - MAX_OPS_SHOWN);
    }
    if let Some(s) = w.stop {
        let _ = write!(
            out,
            " [ops stop at byte {}: {}]",
            s.error.offset,
            s.error.kind.name()
        );
    }
    out.len() > start
}

/// Appends the summary of a compound's results: its status, the operation
/// that failed (when one did), then what the main operation `main`
/// returned (READ: bytes and eof; WRITE: bytes; READDIR: entries) and the
/// handle the last GETFH returned.
#[allow(clippy::too_many_arguments)]
pub fn reply_summary(
    schema: &Schema,
    op_enum: TypeId,
    callback: bool,
    status_name: Option<&str>,
    main: Option<u32>,
    w: &Walked<'_>,
    out: &mut String,
) -> bool {
    let start = out.len();
    match (status_name, w.status) {
        (Some(n), _) => {
            out.push(' ');
            out.push_str(n);
        }
        (None, Some((_, v))) => {
            let _ = write!(out, " status {v}");
        }
        (None, None) => {}
    }
    if let Some(failed) = w.ops.iter().find(|o| o.status.is_some_and(|s| s != 0)) {
        name_of(out, schema, op_enum, failed.op);
    }
    if !callback {
        if let Some(m) = main.and_then(|m| w.ops.iter().find(|o| o.op == m)) {
            match m.op {
                op::READ => {
                    if let Some(n) = m.data_len {
                        let eof = if m.eof == Some(true) { " eof" } else { "" };
                        let _ = write!(out, " {n} bytes{eof}");
                    }
                }
                op::WRITE => {
                    if let Some(n) = m.count {
                        let _ = write!(out, " {n} bytes");
                    }
                }
                op::READDIR if m.status == Some(0) => {
                    let eof = if m.eof == Some(true) { " eof" } else { "" };
                    let _ = write!(out, " {} entries{eof}", m.entries);
                }
                _ => {}
            }
        }
        if let Some(fh) = w
            .ops
            .iter()
            .rev()
            .find(|o| o.op == op::GETFH)
            .and_then(|o| o.fh)
        {
            let _ = write!(out, " fh {:#010x}", crc32fast::hash(fh));
        }
    }
    if let Some(s) = w.stop {
        let _ = write!(
            out,
            " [ops stop at byte {}: {}]",
            s.error.offset,
            s.error.kind.name()
        );
    }
    out.len() > start
}
