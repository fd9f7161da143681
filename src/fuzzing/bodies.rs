//! [`program_bodies`]: procedure arguments and results, by
//! `(program, version, procedure)`.
//!
//! rpcscope has no body decoders yet (`programs` holds only the name table).
//! This target is shaped for them: [`BODY_DECODERS`] is the table a decoder
//! joins, keyed like `programs`; every entry is driven with arbitrary bodies
//! for every procedure of its program and version. Until entries exist, the
//! target checks the name table and drives the XDR reader primitives the way
//! a body decoder reads a `.x` structure, one field per step, from a script
//! in the input; what reads must encode back to the same bytes.

use super::Input;
use crate::limits::Limits;
use crate::programs::{self, procedure_name, program, program_by_name, program_name};
use crate::rpc::xdr::{XdrReader, XdrWriter};
use crate::rpc::{RpcError, RpcErrorKind};

/// Call arguments or reply results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Procedure arguments.
    Call,
    /// Procedure results (of a SUCCESS reply).
    Reply,
}

/// A body decoder: how many bytes of `body` it consumed, or why it failed.
pub type DecodeBody =
    fn(procedure: u32, dir: Direction, body: &[u8], limits: &Limits) -> Result<usize, RpcError>;

/// One entry of the decoder table.
pub struct BodyDecoder {
    /// Program number.
    pub program: u32,
    /// Program version.
    pub version: u32,
    /// The decoder for every procedure of that version.
    pub decode: DecodeBody,
}

/// Body decoders to fuzz. Empty today: when `programs` gains decoders, list
/// them here (or point this at the `programs` table) and the target drives
/// them with no other change.
pub const BODY_DECODERS: &[BodyDecoder] = &[];

/// Input layout: `select` (u8: below the number of known programs, the
/// index of one, then a version index byte and a procedure byte; else a raw
/// program u32, version u32 and procedure u32), `direction` (bit 0: reply),
/// `strict` (bit 0: strict padding), `script length` (u8) and that many
/// script bytes, then the body.
///
/// Properties: names come from the table consistently (a procedure name
/// exists exactly when the table has a non-empty entry, a program name maps
/// back to its number); a body decoder never panics and never claims more
/// bytes than it was given; the XDR walk never reads past the body, errors
/// point inside it, and every value read encodes back to the bytes read
/// (strict padding) or to bytes that read back the same (lax padding).
pub fn program_bodies(data: &[u8]) {
    let limits = Limits::default();
    let mut inp = Input::new(data);
    let table = programs::programs();
    let select = inp.u8() as usize;
    let (prog, vers, proc_) = if select < table.len() {
        let p = &table[select];
        let v = inp.u8() as usize;
        let vers = match p.versions.get(v % p.versions.len().max(1)) {
            Some(v) => v.version,
            None => v as u32,
        };
        (p.number, vers, inp.u8() as u32)
    } else {
        (inp.u32(), inp.u32(), inp.u32())
    };
    let dir = if inp.u8() & 1 == 1 {
        Direction::Reply
    } else {
        Direction::Call
    };
    let strict = inp.u8() & 1 == 1;
    let script_len = inp.u8() as usize;
    let script = inp.bytes(script_len);
    let body = inp.rest();

    check_names(prog, vers, proc_);
    if let Ok(name) = std::str::from_utf8(script) {
        if let Some(n) = program_by_name(name) {
            assert!(
                program(n).is_some(),
                "alias {name} names an unknown program"
            );
        }
    }
    for d in BODY_DECODERS
        .iter()
        .filter(|d| (d.program, d.version) == (prog, vers))
    {
        if let Ok(n) = (d.decode)(proc_, dir, body, &limits) {
            assert!(
                n <= body.len(),
                "decoder consumed {n} of {} bytes",
                body.len()
            );
        }
    }
    walk_checked(script, body, strict);
}

fn check_names(prog: u32, vers: u32, proc_: u32) {
    let name = procedure_name(prog, vers, proc_);
    let entry = program(prog)
        .and_then(|p| p.version(vers))
        .and_then(|v| v.procedures.get(proc_ as usize))
        .copied();
    match (name, entry) {
        (Some(n), Some(e)) => assert_eq!(n, e),
        (None, Some(e)) => assert!(e.is_empty(), "procedure {e} not found by number"),
        (None, None) => {}
        (Some(n), None) => panic!("procedure name {n} with no table entry"),
    }
    if let Some(n) = program_name(prog) {
        assert_eq!(program_by_name(n), Some(prog), "{n} does not map back");
    }
}

/// Run the script over `body`, re-encoding each value read, and check the
/// round trip.
fn walk_checked(script: &[u8], body: &[u8], strict: bool) {
    let mut r = XdrReader::new(body);
    if strict {
        r = r.strict();
    }
    let mut out = Vec::new();
    let mut good = 0;
    let res = walk(script, &mut r, &mut XdrWriter::new(&mut out), &mut good);
    assert!(r.position() <= body.len());
    assert!(good <= r.position());
    if let Err(e) = res {
        assert!(e.offset <= body.len(), "error {e} points past the body");
        if let RpcErrorKind::Truncated { needed } = e.kind {
            assert!(needed > 0, "{e}");
        }
    }
    // The fields read whole (a failed field may have consumed its length).
    let read = &body[..good];
    if strict {
        assert_eq!(out, read, "strict read did not re-encode to its bytes");
    } else {
        assert_eq!(out.len(), read.len(), "re-encoding changed the length");
    }
    // Whatever was written reads back (strictly) to the same values.
    let mut again = Vec::new();
    let mut r2 = XdrReader::new(&out).strict();
    let _ = walk(script, &mut r2, &mut XdrWriter::new(&mut again), &mut 0);
    assert_eq!(again, out, "written values did not read back the same");
}

/// One body-decoder-like pass: each script byte is a field type, some
/// followed by a bound. Stops at the first error (as a decoder would).
/// `good` is the reader position after the last field read whole.
fn walk(
    script: &[u8],
    r: &mut XdrReader<'_>,
    w: &mut XdrWriter<'_>,
    good: &mut usize,
) -> Result<(), RpcError> {
    let mut s = Input::new(script);
    while !s.is_empty() {
        let before = r.position();
        let mut may_be_empty = false;
        match s.u8() % 12 {
            0 => {
                w.put_u32(r.u32("u32")?);
            }
            1 => {
                w.put_i32(r.i32("i32")?);
            }
            2 => {
                w.put_u64(r.u64("u64")?);
            }
            3 => {
                w.put_i64(r.i64("i64")?);
            }
            4 => {
                w.put_bool(r.bool("bool")?);
            }
            5 => {
                w.put_enum(r.enumeration::<u32>("enum")?);
            }
            6 => {
                let n = s.u8() as usize;
                may_be_empty = n == 0;
                w.put_opaque_fixed(r.opaque_fixed(n, "opaque_fixed")?);
            }
            7 => {
                let max = u32::from(s.u8()) * 4;
                w.put_opaque_var(r.opaque_var(max, "opaque_var")?);
            }
            8 => {
                let max = u32::from(s.u8());
                w.put_string(r.string(max, "string")?);
            }
            9 => {
                let max = u32::from(s.u8());
                let items = r.array(max, "array", |r| r.u64("array[]"))?;
                w.put_array(&items, |w, v| {
                    w.put_u64(*v);
                });
            }
            10 => {
                let max = u32::from(s.u8());
                w.put_u32_array(r.u32_array(max, "u32_array")?.iter());
            }
            _ => {
                let v = r.optional("optional", |r| r.string(u32::MAX, "optional.value"))?;
                w.put_optional(v.as_ref(), |w, v| {
                    w.put_string(v);
                });
            }
        }
        assert!(
            may_be_empty || r.position() > before,
            "a field read no bytes"
        );
        *good = r.position();
    }
    Ok(())
}
