//! [`nfs4_compound`]: NFSv4 COMPOUNDs and CB_COMPOUNDs, from the operation
//! walk to the printed line.
//!
//! The body is a random valid `COMPOUND4args`/`COMPOUND4res` (or
//! `CB_COMPOUND4args`/`res`) of the built-in `.x`, generated from a seed
//! and then damaged and cut, or the input's bytes as they are. It goes
//! through [`walk_compound`] and the summaries, the JSON writer with
//! attributes decoded by name and back through [`from_json_with`], and,
//! as a call with a reply, through the tracker (current filehandle, paths,
//! callback numbers, in every body mode) into the JSON, text and
//! statistics sinks.

use std::net::{IpAddr, Ipv4Addr};

use super::Input;
use crate::anomaly::Anomalies;
use crate::capture::Timestamp;
use crate::event::{Body, CallRec, Event, MsgMeta, ReplyRec, ReplyStatus};
use crate::limits::Limits;
use crate::net::{Endpoint, Transport};
use crate::output::jsonl::JsonLinesSink;
use crate::output::stats::{GroupBy, Stats};
use crate::output::text::TextSink;
use crate::output::Sink;
use crate::programs::json::{body_to_json_with, JsonOptions};
use crate::programs::nfs4::{
    summary, walk_compound, Compound, Shape, Walked, CB_PROGRAM, NFS_PROGRAM,
};
use crate::programs::registry::{Registry, VersionEntry};
use crate::programs::value::{arbitrary_value, encode, from_json_with, Rng};
use crate::programs::walk::{BodyBytes, BodyErrorKind, Missing, WalkLimits};
use crate::rpc::AcceptBody;
use crate::track::{BodyMode, Tracker};

/// Walk bounds small enough to be hit, large enough for real compounds.
const LIMITS: WalkLimits = WalkLimits {
    max_depth: 24,
    max_nodes: 4000,
};

/// Operations decoded per compound.
const MAX_OPS: usize = 16;

/// Input layout: `flags` (u8: bit 0 the callback program, bit 1 the
/// results, bit 2 a generated body, bits 3-4 the [`Missing`] reason, bit 5
/// damage, bits 6-7 the tracker's body mode), then for a generated body a
/// seed (u32), a size budget (u8) and with damage a byte to change (u16
/// position modulo the length, u8 xor) and a cut (u8, from the end); the other side's body
/// is generated from the seed + 1; else a length (u16) and the rest: this
/// side's body is that many bytes of it, the other side's what follows.
///
/// Properties: nothing panics; at most [`MAX_OPS`] operations are kept;
/// where decoding stopped is inside the body; a generated, undamaged,
/// whole body decodes to its end with every operation the value holds
/// (or up to the bound); the main operation is one of the operations;
/// the JSON with attributes by name is valid, and read back and encoded
/// again it writes the same JSON; the sinks write valid JSON lines.
pub fn nfs4_compound(data: &[u8]) {
    let registry = Registry::builtin();
    let mut inp = Input::new(data);
    let flags = inp.u8();
    let callback = flags & 1 != 0;
    let reply = flags & 2 != 0;
    let (program, version) = if callback {
        (CB_PROGRAM, 1)
    } else {
        (NFS_PROGRAM, 4)
    };
    let Some(entry) = registry.version(program, version) else {
        return;
    };
    let Some(shape) = Shape::of(entry, 1) else {
        return;
    };
    let proc_def = entry.procedure(1).expect("COMPOUND");
    let types = [proc_def.args[0], proc_def.result];
    let missing = [
        Missing::None,
        Missing::Snaplen,
        Missing::Gap,
        Missing::NotKept,
    ][usize::from(flags >> 3 & 3)];
    let (mine, other, generated) = if flags & 4 != 0 {
        let seed = inp.u32();
        let budget = u32::from(inp.u8()) + 1;
        let make = |seed: u32, ty| {
            let v = arbitrary_value(entry.schema(), ty, &mut Rng::new(seed.into()), budget);
            let mut b = Vec::new();
            let _ = encode(entry.schema(), ty, &v, &mut b);
            b
        };
        let mut mine = make(seed, types[usize::from(reply)]);
        let other = make(seed.wrapping_add(1), types[usize::from(!reply)]);
        let damaged = flags & 32 != 0;
        if damaged {
            let at = usize::from(inp.u16()) % mine.len().max(1);
            let xor = inp.u8();
            if let Some(b) = mine.get_mut(at) {
                *b ^= xor;
            }
            let cut = usize::from(inp.u8());
            mine.truncate(mine.len().saturating_sub(cut));
        }
        (mine, other, !damaged)
    } else {
        let n = usize::from(inp.u16());
        let rest = inp.rest();
        let (a, b) = rest.split_at(n.min(rest.len()));
        (a.to_vec(), b.to_vec(), false)
    };
    let held = if missing == Missing::None {
        mine.len()
    } else {
        mine.len() - mine.len() / 3
    };
    let body = BodyBytes {
        data: &mine[..held],
        len: mine.len() as u64,
        missing,
    };
    let side = if reply { &shape.result } else { &shape.args };
    let w = walk_compound(entry.schema(), entry.roles(), side, &body, &LIMITS, MAX_OPS);
    assert!(w.ops.len() <= MAX_OPS);
    // Skipping the values an operation cannot keep anything from changes
    // nothing but the budget: the same walk entering every value agrees
    // unless one of them ran out of it.
    let all = walk_compound(
        entry.schema(),
        &entry.roles().without_watched(),
        side,
        &body,
        &LIMITS,
        MAX_OPS,
    );
    let limited = |w: &Walked<'_>| w.stop.is_some_and(|s| s.error.kind == BodyErrorKind::Limit);
    if !limited(&w) && !limited(&all) {
        assert_eq!(w, all, "skipping unwatched values changed the walk");
    }
    if let Some(s) = w.stop {
        assert!(s.error.offset <= body.len, "{s:?} past {}", body.len);
        assert!(s.op_index as usize <= w.ops.len());
    }
    if generated && missing == Missing::None {
        match w.stop {
            None => assert_eq!(Some(w.ops.len() as u32), w.announced),
            Some(s) => assert!(
                matches!(s.error.kind, BodyErrorKind::Limit),
                "a valid compound stops only at a bound: {s:?}"
            ),
        }
    }
    let c = if reply {
        Compound::with_reply(None, &shape, &w)
    } else {
        Compound::from_call(&shape, &w)
    };
    if let Some(m) = c.main_op() {
        assert!(c.contains(m));
    }
    let mut line = String::new();
    if reply {
        summary::reply_summary(
            entry.schema(),
            shape.op_enum(),
            callback,
            None,
            c.main_op(),
            &w,
            &mut line,
        );
    } else {
        summary::call_summary(entry.schema(), shape.op_enum(), callback, &w, &mut line);
    }
    json_round_trip(entry, types[usize::from(reply)], &body);
    let (call_body, reply_body) = if reply {
        (&other[..], &mine[..held])
    } else {
        (&mine[..held], &other[..])
    };
    through_the_tracker(
        &registry,
        program,
        version,
        [flags >> 6, flags >> 7],
        call_body,
        reply_body,
    );
}

/// The JSON with attributes by name is valid; read back and encoded, it
/// writes the same JSON (padding and other non-canonical bytes may differ,
/// the values may not).
fn json_round_trip(
    entry: &VersionEntry,
    ty: crate::programs::schema::TypeId,
    body: &BodyBytes<'_>,
) {
    let opts = JsonOptions {
        roles: entry.roles(),
        data_hex: true,
        opaque_inline_max: usize::MAX,
        string_max: usize::MAX,
    };
    let mut out = Vec::new();
    let err = body_to_json_with(
        entry.schema(),
        entry.bags(),
        &[ty],
        body,
        &opts,
        &LIMITS,
        &mut out,
    );
    if out.is_empty() {
        return;
    }
    let j: serde_json::Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out)));
    if err.is_some() {
        return;
    }
    let Ok(v) = from_json_with(entry.schema(), ty, &j, entry.roles(), entry.bags()) else {
        return; // e.g. a string cut by the limits, text that is not UTF-8
    };
    let mut again = Vec::new();
    encode(entry.schema(), ty, &v, &mut again).expect("a value read from JSON encodes");
    let mut out2 = Vec::new();
    let err2 = body_to_json_with(
        entry.schema(),
        entry.bags(),
        &[ty],
        &BodyBytes::whole(&again),
        &opts,
        &LIMITS,
        &mut out2,
    );
    if err2.is_none() {
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&out2),
            "JSON -> value -> XDR -> JSON changed"
        );
    }
}

/// A call with `call_body` and its reply with `reply_body`, both from
/// client to server and then, as a callback would travel, back: every sink
/// writes them.
fn through_the_tracker(
    registry: &std::sync::Arc<Registry>,
    program: u32,
    version: u32,
    mode: [u8; 2],
    call_body: &[u8],
    reply_body: &[u8],
) {
    let body_mode = match mode[0] & 3 {
        0 => BodyMode::Full,
        1 => BodyMode::Status,
        2 => BodyMode::Off,
        _ => BodyMode::Full,
    };
    let limits = Limits {
        max_compound_ops: MAX_OPS,
        max_pending_body_bytes: 4096,
        ..Limits::default()
    };
    let mut t = Tracker::with_bodies(&limits, registry.clone(), body_mode);
    let mut anomalies = Anomalies::default();
    let mut events: Vec<Event<'static>> = Vec::new();
    let client = Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 800);
    let server = Endpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 2049);
    let meta = |frame: u64| MsgMeta {
        frame,
        ts: Timestamp(frame as i64 * 1000),
        bytes: 100,
        truncated: false,
        gap: false,
    };
    // The call twice (the second a retransmission after the reply), and a
    // learned callback number's call: all through the same table.
    for (xid, prog) in [(1, program), (2, 0x4000_0123)] {
        let call = CallRec {
            xid,
            rpcvers: 2,
            program: Some(prog),
            version: Some(version),
            procedure: Some(1),
            auth: None,
            meta: meta(u64::from(xid) * 2),
        };
        let body = Body::borrowed(call_body, call_body.len() as u64, Missing::None);
        t.on_call(
            Transport::Tcp,
            client,
            server,
            call,
            Some(body),
            &mut anomalies,
            &mut |e| events.push(e.into_owned()),
        );
        let r = ReplyRec {
            xid,
            status: ReplyStatus::Accepted(AcceptBody::Success),
            meta: meta(u64::from(xid) * 2 + 1),
        };
        let body = Body::borrowed(reply_body, reply_body.len() as u64, Missing::None);
        t.on_reply(
            Transport::Tcp,
            server,
            client,
            r,
            Some(body),
            &mut anomalies,
            &mut |e| events.push(e.into_owned()),
        );
    }
    t.finish(&mut |e| events.push(e.into_owned()));
    let mut json = JsonLinesSink::with_defaults(Vec::new());
    let mut text = TextSink::new(Vec::new(), Vec::new());
    let mut stats = Stats::with_registry(GroupBy::Procedure, 16, registry.clone()).with_ops(true);
    for ev in &events {
        json.event(ev).expect("in memory");
        text.event(ev).expect("in memory");
        stats.add(ev);
    }
    for line in String::from_utf8(json.into_inner()).expect("UTF-8").lines() {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
            panic!("invalid JSON line ({e}): {line}");
        }
    }
    let mut out = Vec::new();
    crate::output::stats::write_json(&stats, &mut out).expect("in memory");
    serde_json::from_slice::<serde_json::Value>(&out).expect("valid stats JSON");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag combination, whole and damaged generated compounds and
    /// random bytes: the properties hold (a failure names the input).
    #[test]
    fn nfs4_compound_holds_on_four_thousand_inputs() {
        let mut rng = Rng::new(7862);
        for i in 0..4000u32 {
            let len = 8 + rng.below(300) as usize;
            let mut data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            data[0] = (i % 256) as u8;
            // Half of the generated ones whole: nothing missing, no damage.
            if i % 512 < 256 {
                data[0] &= !(8 | 16 | 32);
            }
            if std::panic::catch_unwind(|| nfs4_compound(&data)).is_err() {
                panic!("input {i}: {data:02x?}");
            }
        }
    }
}
