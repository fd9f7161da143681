//! Every NFSv4 and callback operation's arguments and results, generated at
//! random from the built-in `.x`: XDR -> value -> XDR, value -> JSON ->
//! value (plain and with attributes decoded by name), and a compound of
//! every operation walked back to the same operation list.

use super::testdata::X;
use super::*;
use crate::limits::Limits;
use crate::programs::json::{body_to_json, body_to_json_with, JsonOptions};
use crate::programs::registry::Registry;
use crate::programs::value::Value;
use crate::programs::value::{arbitrary_value, decode, encode, from_json, from_json_with, Rng};
use crate::programs::walk::{BodyBytes, WalkLimits};

const BIG: WalkLimits = WalkLimits {
    max_depth: 64,
    max_nodes: u32::MAX,
};

/// Values generated per operation and side.
const PER_OP: u32 = 60;

/// JSON options under which every value renders invertibly.
fn exact(roles: &crate::programs::roles::Roles) -> JsonOptions<'_> {
    JsonOptions {
        roles,
        data_hex: true,
        opaque_inline_max: usize::MAX,
        string_max: usize::MAX,
    }
}

/// `v` of type `ty` through XDR and both JSON forms; its bytes, and
/// whether the decoded form differs from the plain one.
fn round_trip(e: &VersionEntry, ty: TypeId, v: &Value) -> (Vec<u8>, bool) {
    let s = e.schema();
    let mut bytes = Vec::new();
    encode(s, ty, v, &mut bytes).unwrap_or_else(|err| panic!("encode {v:?}: {err}"));
    let body = BodyBytes::whole(&bytes);
    let back = decode(s, &[ty], &body, &BIG).unwrap_or_else(|err| panic!("decode {v:?}: {err:?}"));
    assert_eq!(&back, v);
    // The plain JSON form reads back to the same value.
    let mut text = Vec::new();
    assert_eq!(
        body_to_json(s, &[ty], &body, &exact(e.roles()), &BIG, &mut text),
        None
    );
    let j: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let from = from_json(s, ty, &j, e.roles())
        .unwrap_or_else(|err| panic!("from_json {}: {err}", String::from_utf8_lossy(&text)));
    assert_eq!(&from, v, "via {}", String::from_utf8_lossy(&text));
    // The decoded form (attributes by name, typed opaques as their type)
    // reads back to the same bytes.
    let plain = std::mem::take(&mut text);
    let err = body_to_json_with(
        s,
        e.bags(),
        &[ty],
        &body,
        &exact(e.roles()),
        &BIG,
        &mut text,
    );
    assert_eq!(err, None);
    let j: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let from = from_json_with(s, ty, &j, e.roles(), e.bags())
        .unwrap_or_else(|err| panic!("from_json_with {}: {err}", String::from_utf8_lossy(&text)));
    let mut again = Vec::new();
    encode(s, ty, &from, &mut again).unwrap();
    assert_eq!(again, bytes, "via {}", String::from_utf8_lossy(&text));
    (bytes, plain != text)
}

/// The union's cases as `(operation number, arm type)`.
fn cases(u: &UnionDef) -> Vec<(i64, TypeId)> {
    u.cases
        .iter()
        .map(|&(v, arm)| (v, u.arms[arm as usize].ty))
        .collect()
}

/// Round trips of every case of `side`'s operation union; the number of
/// operations and the bytes of one arbitrary instance of each.
fn every_op(
    e: &VersionEntry,
    side: &Side<'_>,
    union_ty: TypeId,
    rng: &mut Rng,
    decoded: &mut usize,
) -> Vec<(u32, Vec<u8>)> {
    let s = e.schema();
    let mut one = Vec::new();
    for (op, arm) in cases(side.ops) {
        let mut kept = None;
        for i in 0..PER_OP {
            let v = Value::Union {
                discriminant: op,
                arm: Box::new(arbitrary_value(s, arm, rng, 1 + i * 2)),
            };
            let (bytes, differs) = round_trip(e, union_ty, &v);
            *decoded += usize::from(differs);
            kept.get_or_insert(bytes);
        }
        one.push((op as u32, kept.unwrap()));
    }
    one
}

/// The element type of the operation array of a compound side's type.
fn op_union(s: &Schema, compound: TypeId) -> TypeId {
    let Kind::Struct(st) = s.resolve(compound).1 else {
        panic!("not a struct")
    };
    let Kind::VarArray { elem, .. } = s.resolve(st.fields.last().unwrap().ty).1 else {
        panic!("no array")
    };
    *elem
}

#[test]
fn every_operation_argument_and_result_round_trips() {
    let r = Registry::builtin();
    let mut rng = Rng::new(7530);
    let mut decoded = 0;
    // Every operation of RFC 7530, 8881, 7862 and 8276 (3..=75 and
    // OP_ILLEGAL; 3..=15 and OP_CB_ILLEGAL for callbacks).
    for (program, version, last) in [(NFS_PROGRAM, 4, 75), (CB_PROGRAM, 1, 15)] {
        let expected: Vec<u32> = (3..=last).chain([10044]).collect();
        let e = r.version(program, version).unwrap();
        let shape = Shape::of(e, 1).unwrap();
        let p = e.procedure(1).unwrap();
        let s = e.schema();
        let args = every_op(
            e,
            &shape.args,
            op_union(s, p.args[0]),
            &mut rng,
            &mut decoded,
        );
        let results = every_op(
            e,
            &shape.result,
            op_union(s, p.result),
            &mut rng,
            &mut decoded,
        );
        let numbers = |v: &[(u32, Vec<u8>)]| v.iter().map(|(op, _)| *op).collect::<Vec<_>>();
        assert_eq!(numbers(&args), expected, "{program} arguments");
        assert_eq!(numbers(&results), expected, "{program} results");
        let names: Vec<&str> = args
            .iter()
            .map(|(op, _)| op_name(s, shape.op_enum(), *op).unwrap())
            .collect();
        assert!(names.iter().all(|n| n.starts_with("OP_")), "{names:?}");

        // One compound of every operation, each side: the walk lists them
        // all, in order, with nothing left over.
        for (side, ops, reply) in [(&shape.args, &args, false), (&shape.result, &results, true)] {
            let mut x = X::new();
            if reply {
                x = x.u32(0).opaque(b"all"); // status, tag
            } else {
                x = x.opaque(b"all").u32(2); // tag, minorversion
                if shape.callback {
                    x = x.u32(1); // callback_ident
                }
            }
            x = x.u32(ops.len() as u32); // array count
            for (_, b) in ops {
                x = x.bytes(b);
            }
            let body = x.done();
            let w = walk_compound(
                s,
                e.roles(),
                side,
                &BodyBytes::whole(&body),
                &WalkLimits::from(&Limits::default()),
                256,
            );
            assert_eq!(w.stop, None, "{program} reply={reply}");
            let got: Vec<u32> = w.ops.iter().map(|o| o.op).collect();
            let want: Vec<u32> = ops.iter().map(|(op, _)| *op).collect();
            assert_eq!(got, want, "{program} reply={reply}");
        }
    }
    // Attributes and layouts took the decoded path often enough to count.
    assert!(decoded > 300, "{decoded} decoded forms");
}

#[test]
fn every_attribute_round_trips_by_name() {
    let r = Registry::builtin();
    let e = r.version(NFS_PROGRAM, 4).unwrap();
    let s = e.schema();
    let fattr4 = s.lookup("fattr4").unwrap();
    let bag = e.bags().get(s, fattr4).unwrap();
    let mut rng = Rng::new(8276);
    let mut seen = 0;
    for (bit, attr) in bag.attrs.iter().enumerate() {
        let Some(attr) = attr else { continue };
        seen += 1;
        for i in 0..PER_OP {
            // The attribute alone, in a bitmap of three words.
            let v = arbitrary_value(s, attr.ty, &mut rng, 1 + i);
            let mut vals = Vec::new();
            encode(s, attr.ty, &v, &mut vals).unwrap();
            let mut words = [0u32; 3];
            words[bit / 32] |= 1 << (bit % 32);
            let body = X::new()
                .u32(3) // attrmask<> count
                .u32(words[0])
                .u32(words[1])
                .u32(words[2])
                .opaque(&vals) // attr_vals
                .done();
            let fattr = Value::Struct(vec![
                Value::Array(words.iter().map(|&w| Value::UInt(w.into())).collect()),
                Value::Opaque(vals.clone()),
            ]);
            let (bytes, _) = round_trip(e, fattr4, &fattr);
            assert_eq!(bytes, body);
            // The decoded form names the attribute (its value decoded).
            let mut text = Vec::new();
            let opts = exact(e.roles());
            body_to_json_with(
                s,
                e.bags(),
                &[fattr4],
                &BodyBytes::whole(&body),
                &opts,
                &BIG,
                &mut text,
            );
            let j: serde_json::Value = serde_json::from_slice(&text).unwrap();
            assert!(
                j["attr_vals"].get(&attr.name).is_some(),
                "{bit} {}: {}",
                attr.name,
                String::from_utf8_lossy(&text)
            );
        }
    }
    assert_eq!(seen, 83, "RFC 7863 0..=80, RFC 8275 81, RFC 8276 82");
}
