//! [`program_bodies`]: the arguments and results of every procedure of
//! every built-in program, through the real program table.
//!
//! The input picks a (program, version) of [`Registry::builtin`] (portmap,
//! rpcbind, NFSv2/v3/v4 and its callbacks, MOUNT, NLM, NSM, NFS_ACL,
//! rquota...), one of its procedures and a direction; the body is the rest
//! of the input, or a random valid value of the procedure's type encoded
//! and then damaged, cut by the snapshot length, a gap or the keep limit
//! (as [`super::walk`] builds them). Every visitor the decoder runs on a
//! body runs on it: the walker (with and without skipping), the JSON
//! writer, the value decoder and encoder, the fact extraction (statuses,
//! handles, names, directory entries, bulk data), the one-line summary and
//! the `-V` tree. A short script of XDR primitives also drives
//! [`XdrReader`] the way hand-written decoders use it.

use super::Input;
use crate::limits::Limits;
use crate::programs::facts::{self, Scratch, Want};
use crate::programs::registry::Registry;
use crate::programs::summary::summarize;
use crate::programs::tree::write_tree;
use crate::programs::walk::{BodyBytes, WalkLimits};
use crate::programs::{procedure_name, program, program_by_name, program_name};
use crate::rpc::xdr::{XdrReader, XdrWriter};
use crate::rpc::{RpcError, RpcErrorKind};

/// Input layout: `select` (u16: a (program, version) of the built-in
/// table, modulo its size), `procedure` (u8: an index into that version's
/// procedures, modulo), `direction` (u8: bit 0 results, else arguments;
/// bit 1 strict padding for the script), `script length` (u8) and that many
/// script bytes, `mode` (u8, as [`super::fuzz_walk`]'s: bit 0 a generated
/// body, bits 1-2 what is missing, bit 3 bulk hex, bit 4 short strings,
/// bit 5 damage) and what that mode reads, else the body.
///
/// Properties: nothing panics; everything [`super::fuzz_walk`] checks
/// holds on the real types with their real roles; facts point inside the
/// body, a statistics walk (status only) finds the status the full walk
/// finds, directory entries stay within their bound; the procedure's names
/// in the table agree with the legacy name table; the XDR script's values
/// re-encode to the bytes read (strict) or to bytes that read back the
/// same (lax).
pub fn program_bodies(data: &[u8]) {
    let limits = Limits::default();
    let walk_limits = WalkLimits::from(&limits);
    let registry = Registry::builtin();
    let mut inp = Input::new(data);
    let versions = registry.versions();
    let entry = &versions[usize::from(inp.u16()) % versions.len()];
    let procs = &entry.version_def().procedures;
    let pick = inp.u8() as usize;
    let direction = inp.u8();
    let script_len = inp.u8() as usize;
    let script = inp.bytes(script_len);
    let mode = inp.u8();
    let Some(proc_def) = procs.get(pick % procs.len().max(1)) else {
        return;
    };
    let (prog, vers) = (entry.program, entry.version);
    check_names(&registry, prog, vers, proc_def.number);

    let reply = direction & 1 == 1;
    let types = if reply {
        std::slice::from_ref(&proc_def.result)
    } else {
        &proc_def.args[..]
    };
    // The engine's own checks on one type at a time (multi-argument
    // procedures: the first argument).
    let Some(&ty) = types.first() else {
        walk_checked(script, inp.rest(), direction & 2 != 0);
        return;
    };
    let (body, held, missing) =
        super::walk::drive(entry.schema(), ty, entry.roles(), mode, &mut inp);
    let b = BodyBytes {
        data: &body[..held],
        len: body.len() as u64,
        missing,
    };
    // Facts, as the tracker extracts them, with the real limits.
    let mut scratch = Scratch::default();
    let want = Want {
        status_only: false,
        max_entries: limits.max_dir_entries,
    };
    let schema = entry.schema();
    let roles = entry.roles();
    let f = facts::extract(schema, roles, types, &b, &walk_limits, want, &mut scratch);
    let inside = |x: &[u8]| {
        let start = x.as_ptr() as usize;
        let base = b.data.as_ptr() as usize;
        x.is_empty() || (start >= base && start + x.len() <= base + b.data.len())
    };
    assert!(f.first_fh.is_none_or(inside), "handle outside the body");
    assert!(f.pathname.is_none_or(inside), "path outside the body");
    assert!(f.dir_names().all(|(d, n)| inside(d) && inside(n)));
    assert!(f.entries.len() <= limits.max_dir_entries);
    assert!(f.entries.iter().all(|(n, h)| inside(n) && inside(h)));
    if let Some(e) = &f.error {
        assert!(e.offset <= b.len, "fact walk error {e:?} past {}", b.len);
    }
    let resolved = f.marks.resolve(b.data);
    assert_eq!(resolved.first_fh, f.first_fh, "marks lose the handle");
    assert_eq!(resolved.pathname, f.pathname, "marks lose the path");
    if let Some(at) = f.marks.bulk_at() {
        assert!(at <= b.data.len(), "bulk data starts past the body");
    }
    let status_only = facts::extract(
        schema,
        roles,
        types,
        &b,
        &walk_limits,
        Want {
            status_only: true,
            max_entries: 0,
        },
        &mut scratch,
    );
    if f.error.is_none() {
        assert_eq!(
            status_only.status, f.status,
            "statistics see another status"
        );
    }
    // The text views.
    let mut line = String::new();
    summarize(schema, roles, types, &b, &walk_limits, &mut line);
    assert!(!line.contains('\n'), "a summary spans lines: {line:?}");
    let mut tree = String::new();
    if let Some(e) = write_tree(schema, roles, types, &b, &walk_limits, 4, &mut tree) {
        assert!(e.offset <= b.len, "tree error {e:?} past {}", b.len);
    }
    walk_checked(script, &body, direction & 2 != 0);
}

/// The registry names a procedure as its definition does, and the legacy
/// name table agrees where it knows the procedure.
fn check_names(registry: &Registry, prog: u32, vers: u32, proc_: u32) {
    let shown = registry.procedure_name(prog, vers, proc_);
    assert!(
        shown.is_some(),
        "procedure {proc_} of {prog} v{vers} has no name"
    );
    if let Some(n) = program_name(prog) {
        assert_eq!(program_by_name(n), Some(prog), "{n} does not map back");
    }
    if let (Some(legacy), Some(_)) = (procedure_name(prog, vers, proc_), program(prog)) {
        assert!(!legacy.is_empty());
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
