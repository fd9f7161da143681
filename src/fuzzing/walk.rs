//! [`fuzz_walk`]: the body engine (walker, JSON writer, value builder,
//! encoder, JSON reader) on a schema and a body made from the input.
//!
//! The schema is a hand-built one (every XDR kind; the NFSv3 READDIRPLUS
//! types) or a small random one built from the input's bytes, so the
//! walker meets lists, trees, self-referring optional data and arrays of
//! nothing. The body is the rest of the input as it is, or a random valid
//! value of the type encoded and then damaged (a byte changed, a cut), so
//! both deep valid structure and broken bytes are reached.

use super::Input;
use crate::programs::json::{body_to_json, JsonOptions};
use crate::programs::roles::{Role, Roles};
use crate::programs::samples::{every_kind, from_bytes, nfs3_readdirplus};
use crate::programs::schema::{Kind, Schema, TypeId};
use crate::programs::value::{arbitrary_value, decode, encode, from_json, Rng, Value};
use crate::programs::walk::{walk, BodyBytes, Event, Flow, Missing, Visitor, WalkLimits};

/// Small bounds, so the fuzzer hits them within a few hundred bytes.
const LIMITS: WalkLimits = WalkLimits {
    max_depth: 12,
    max_nodes: 2000,
};

/// Input layout: `select` (u8: 0 every-kind schema, 1 NFSv3, else a random
/// schema from bytes after `mode`), `type` (u8: which named type, for the
/// hand-built schemas; roles for a random one), `mode` (u8: bit 0 a
/// generated body, bits 1-2 the [`Missing`] reason, bit 3 bulk hex, bit 4 a
/// small string cut, bit 5 damage), the random schema's bytes, then for a
/// generated body a seed (u32) and with damage a byte to change (u16
/// position, u8 xor) and a cut (u16, from the end); else the body is the
/// rest.
///
/// Properties: nothing panics; the walk delivers at most `max_nodes`
/// events, never reports an offset past the body's length and consumes the
/// same bytes with and without skipping every compound; the JSON written is
/// valid whatever the walk did; a body that decodes re-encodes, and the
/// re-encoding decodes to bytes that encode the same (decode -> encode is
/// stable), and the same value read back from its JSON encodes the same.
pub fn fuzz_walk(data: &[u8]) {
    let mut inp = Input::new(data);
    let select = inp.u8();
    let pick = inp.u8();
    let mode = inp.u8();
    let (schema, ty, roles) = match select {
        0 => {
            let e = every_kind();
            let mut roles = Roles::new();
            roles.set(e.fh3, Role::FILE_HANDLE);
            roles.set(e.fhandle, Role::FILE_HANDLE);
            let ty = e.named[pick as usize % e.named.len()];
            (e.schema, ty, roles)
        }
        1 => {
            let n = nfs3_readdirplus();
            let mut roles = Roles::new();
            roles.set(n.fh, Role::FILE_HANDLE);
            roles.set(n.status, Role::STATUS);
            let ty = [n.args, n.res, n.fh][pick as usize % 3];
            (n.schema, ty, roles)
        }
        _ => {
            let (s, ty) = from_bytes(&mut inp);
            let mut roles = Roles::new();
            if pick & 1 == 1 && handle_shaped(&s, ty) {
                roles.set(ty, Role::FILE_HANDLE);
            }
            if pick & 2 == 2 {
                roles.set(ty, Role::BULK);
            }
            (s, ty, roles)
        }
    };
    drive(&schema, ty, &roles, mode, &mut inp);
}

/// Builds the body `mode` asks for from the rest of `inp` (see
/// [`fuzz_walk`]'s layout from `mode` on), checks every property on it, and
/// returns it with how much of it is held.
pub(super) fn drive(
    schema: &Schema,
    ty: TypeId,
    roles: &Roles,
    mode: u8,
    inp: &mut Input<'_>,
) -> (Vec<u8>, usize, Missing) {
    let missing = [
        Missing::None,
        Missing::Snaplen,
        Missing::Gap,
        Missing::NotKept,
    ][usize::from(mode >> 1 & 3)];
    let body: Vec<u8> = if mode & 1 == 1 {
        let mut rng = Rng::new(inp.u32().into());
        let v = arbitrary_value(schema, ty, &mut rng, 40);
        let mut bytes = Vec::new();
        // The generator's values always encode; a schema with a union that
        // has no arm at all has no values, and then bytes stay empty.
        let _ = encode(schema, ty, &v, &mut bytes);
        if mode & 32 != 0 {
            let at = usize::from(inp.u16());
            let xor = inp.u8();
            if let Some(b) = bytes.get_mut(at) {
                *b ^= xor;
            }
            let cut = usize::from(inp.u16());
            bytes.truncate(bytes.len().saturating_sub(cut));
        }
        bytes
    } else {
        inp.rest().to_vec()
    };
    // A cut body: `held` bytes of a body of `len`.
    let held = if missing == Missing::None {
        body.len()
    } else {
        body.len() - body.len() / 3
    };
    let b = BodyBytes {
        data: &body[..held],
        len: body.len() as u64,
        missing,
    };
    check(schema, ty, &b, roles, mode);
    (body, held, missing)
}

/// Whether `ty` can be a file handle: opaque, or a struct of one opaque
/// field (semantics never give the role to anything else).
fn handle_shaped(schema: &Schema, ty: TypeId) -> bool {
    let is_opaque = |t| {
        matches!(
            schema.resolve(t).1,
            Kind::FixedOpaque(_) | Kind::VarOpaque(_)
        )
    };
    match schema.resolve(ty).1 {
        Kind::Struct(d) => matches!(&d.fields[..], [f] if is_opaque(f.ty)),
        _ => is_opaque(ty),
    }
}

/// Counts events; optionally skips every compound value.
struct Probe {
    events: u64,
    skip: bool,
}

impl Visitor for Probe {
    fn event(&mut self, _: &Schema, ev: Event<'_, '_>) -> Flow {
        self.events += 1;
        let begins = matches!(
            ev,
            Event::StructBegin { .. }
                | Event::UnionBegin { .. }
                | Event::ArrayBegin { .. }
                | Event::Present { .. }
        );
        if self.skip && begins {
            Flow::Skip
        } else {
            Flow::Continue
        }
    }
}

fn check(schema: &Schema, ty: TypeId, body: &BodyBytes<'_>, roles: &Roles, mode: u8) {
    let types = [ty];
    let mut probe = Probe {
        events: 0,
        skip: false,
    };
    let full = walk(schema, &types, body, &LIMITS, &mut probe);
    assert!(probe.events <= u64::from(LIMITS.max_nodes));
    match full {
        Ok(end) => assert!(end <= body.len),
        Err(e) => assert!(e.offset <= body.len, "{e:?} past {}", body.len),
    }
    let mut skipper = Probe {
        events: 0,
        skip: true,
    };
    let skipped = walk(schema, &types, body, &LIMITS, &mut skipper);
    if let Ok(end) = full {
        assert_eq!(skipped, Ok(end), "skipping changes what is consumed");
        assert!(skipper.events <= probe.events);
    }

    // JSON: valid whatever happened.
    let opts = JsonOptions {
        roles,
        data_hex: mode & 8 != 0,
        opaque_inline_max: 16,
        string_max: if mode & 16 != 0 { 3 } else { 1024 },
    };
    let mut out = Vec::new();
    let jerr = body_to_json(schema, &types, body, &opts, &LIMITS, &mut out);
    assert_eq!(jerr, full.err(), "the JSON walk ends as the plain walk");
    if !out.is_empty() {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
            panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out));
        }
    }

    // Values: decode -> encode -> decode is stable.
    let Ok(v) = decode(schema, &types, body, &LIMITS) else {
        return;
    };
    let mut enc1 = Vec::new();
    if encode(schema, ty, &v, &mut enc1).is_err() {
        panic!("a decoded value does not encode: {v:?}");
    }
    let v2 = decode(schema, &types, &BodyBytes::whole(&enc1), &LIMITS)
        .unwrap_or_else(|e| panic!("its encoding does not decode: {e:?}"));
    let mut enc2 = Vec::new();
    encode(schema, ty, &v2, &mut enc2).unwrap();
    assert_eq!(enc1, enc2, "decode -> encode is not stable");

    // Values: the exact JSON of the encoding reads back to the same bytes
    // (not-finite floats, written as null, are the exception).
    let exact = JsonOptions {
        roles,
        data_hex: true,
        opaque_inline_max: usize::MAX,
        string_max: usize::MAX,
    };
    let mut text = Vec::new();
    let e = body_to_json(
        schema,
        &types,
        &BodyBytes::whole(&enc1),
        &exact,
        &LIMITS,
        &mut text,
    );
    assert_eq!(e, None);
    let j = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&text).unwrap()
    };
    match from_json(schema, ty, &j, roles) {
        Ok(back) => {
            let mut enc3 = Vec::new();
            encode(schema, ty, &back, &mut enc3).unwrap();
            if !json_lossy(&v2, 0) {
                assert_eq!(enc3, enc1, "JSON {}", String::from_utf8_lossy(&text));
            }
        }
        Err(e) => panic!(
            "JSON {} does not read back: {e}",
            String::from_utf8_lossy(&text)
        ),
    }
}

/// Whether a value holds what its JSON cannot tell apart: a NaN or an
/// infinity (written as null), or present optional data holding absent
/// optional data or void (written as null, read back as absent).
fn json_lossy(v: &Value, depth: usize) -> bool {
    if depth > crate::limits::VALUE_MAX_DEPTH {
        return true;
    }
    match v {
        Value::Float(f) => !f.is_finite(),
        Value::Struct(vs) | Value::Array(vs) => vs.iter().any(|v| json_lossy(v, depth + 1)),
        Value::Union { arm, .. } => json_lossy(arm, depth + 1),
        Value::Optional(Some(v)) => {
            matches!(**v, Value::Optional(None) | Value::Void) || json_lossy(v, depth + 1)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random inputs of every layout, as an ordinary
    /// test (the fuzzer does far more).
    #[test]
    fn fuzz_walk_holds_on_ten_thousand_inputs() {
        let mut rng = Rng::new(77);
        for i in 0..10_000u32 {
            let len = rng.below(200) as usize;
            let mut data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            if let Some(b) = data.first_mut() {
                *b = (i % 3) as u8;
            }
            if let Some(b) = data.get_mut(2) {
                // Half generated bodies, of which half are whole: no
                // damage and nothing missing.
                *b = (*b & !1) | (i & 1) as u8;
                if i % 4 == 1 {
                    *b &= !(32 | 6);
                }
            }
            fuzz_walk(&data);
        }
    }

    #[test]
    fn fuzz_walk_takes_empty_and_short_inputs() {
        for n in 0..64u8 {
            fuzz_walk(&(0..n).collect::<Vec<u8>>());
            fuzz_walk(&vec![n; n as usize]);
        }
    }
}
