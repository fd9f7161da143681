use super::*;
use crate::programs::samples::{every_kind, nfs3_readdirplus, Builder};
use crate::programs::value::{arbitrary_value, encode, Rng};
use crate::programs::walk::{walk, BodyErrorKind, Malformation, Missing};

const BIG: WalkLimits = WalkLimits {
    max_depth: 64,
    max_nodes: u32::MAX,
};

fn opts(roles: &Roles) -> JsonOptions<'_> {
    JsonOptions::new(roles, &Limits::default())
}

fn json_of(schema: &Schema, types: &[TypeId], body: &[u8], o: &JsonOptions<'_>) -> String {
    let mut out = Vec::new();
    let e = body_to_json(schema, types, &BodyBytes::whole(body), o, &BIG, &mut out);
    assert_eq!(e, None, "{}", String::from_utf8_lossy(&out));
    String::from_utf8(out).unwrap()
}

fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|v| v.to_be_bytes()).collect()
}

#[test]
fn options_come_from_limits() {
    let roles = Roles::new();
    let o = opts(&roles);
    assert_eq!(o.opaque_inline_max, 256);
    assert_eq!(o.string_max, 1024);
    assert!(!o.data_hex);
}

#[test]
fn scalars_structs_and_enums() {
    let mut b = Builder::new();
    let color = b.enumeration("color", &[("RED", 0), ("BLUE", 2)]);
    let st = b.structure(
        "s",
        &[
            ("i", TypeId::INT),
            ("u", TypeId::UINT),
            ("h", TypeId::HYPER),
            ("uh", TypeId::UHYPER),
            ("yes", TypeId::BOOL),
            ("no", TypeId::BOOL),
            ("nothing", TypeId::VOID),
            ("c", color),
            ("c2", color),
        ],
    );
    let s = b.finish();
    let body = words(&[
        0xffff_ffff, // i = -1
        0xffff_ffff, // u
        0x8000_0000,
        0, // h = i64::MIN
        0xffff_ffff,
        0xffff_ffff, // uh = u64::MAX
        1,           // yes
        0,           // no
        2,           // c = BLUE
        9,           // c2 = 9: not in the enum
    ]);
    let roles = Roles::new();
    assert_eq!(
        json_of(&s, &[st], &body, &opts(&roles)),
        r#"{"i":-1,"u":4294967295,"h":-9223372036854775808,"uh":18446744073709551615,"yes":true,"no":false,"c":"BLUE","c2":9}"#
    );
}

#[test]
fn floats_are_shortest_numbers_and_null_when_not_finite() {
    let s = Schema::new();
    let roles = Roles::new();
    let o = opts(&roles);
    let f = |v: f32| v.to_bits().to_be_bytes().to_vec();
    let d = |v: f64| v.to_bits().to_be_bytes().to_vec();
    assert_eq!(json_of(&s, &[TypeId::FLOAT], &f(0.1), &o), "0.1");
    assert_eq!(json_of(&s, &[TypeId::FLOAT], &f(-2.5), &o), "-2.5");
    assert_eq!(json_of(&s, &[TypeId::FLOAT], &f(f32::NAN), &o), "null");
    assert_eq!(json_of(&s, &[TypeId::DOUBLE], &d(0.1), &o), "0.1");
    assert_eq!(json_of(&s, &[TypeId::DOUBLE], &d(1e300), &o), "1e+300");
    assert_eq!(
        json_of(&s, &[TypeId::DOUBLE], &d(f64::NEG_INFINITY), &o),
        "null"
    );
    // A quadruple is 16 bytes of opaque bits.
    assert_eq!(
        json_of(&s, &[TypeId::QUADRUPLE], &[0xab; 16], &o),
        r#""abababababababababababababababab""#
    );
}

#[test]
fn unions_hold_the_discriminant_and_the_arm() {
    let e = every_kind();
    let s = &e.schema;
    let roles = Roles::new();
    let o = opts(&roles);
    // cu: enum discriminant RED -> `red` (int).
    assert_eq!(
        json_of(s, &[e.color_union], &words(&[0, 7]), &o),
        r#"{"c":"RED","red":7}"#
    );
    // GREEN: a void arm, only the discriminant.
    assert_eq!(
        json_of(s, &[e.color_union], &words(&[1]), &o),
        r#"{"c":"GREEN"}"#
    );
    // 9: not in the enum, the number; the default arm.
    let mut body = words(&[9, 1]);
    body.extend_from_slice(b"x\0\0\0");
    assert_eq!(
        json_of(s, &[e.color_union], &body, &o),
        r#"{"c":9,"other":"x"}"#
    );
    // NEG -> a list arm.
    assert_eq!(
        json_of(s, &[e.color_union], &words(&[0xffff_fffb, 1, 4, 0, 0]), &o),
        r#"{"c":"NEG","neg":[{"id":4,"name":""}]}"#
    );
    // bool and unsigned discriminants.
    let bu = s.lookup("bu").unwrap();
    assert_eq!(json_of(s, &[bu], &words(&[0]), &o), r#"{"present":false}"#);
    let two = 2f64.to_bits();
    let body = words(&[1, (two >> 32) as u32, two as u32]);
    assert_eq!(
        json_of(s, &[bu], &body, &o),
        r#"{"present":true,"value":2.0}"#
    );
    let uu = s.lookup("uu").unwrap();
    assert_eq!(
        json_of(s, &[uu], &words(&[0xffff_ffff, 0, 1]), &o),
        r#"{"n":4294967295,"max":1}"#
    );
}

#[test]
fn optional_data_lists_and_arrays() {
    let e = every_kind();
    let s = &e.schema;
    let roles = Roles::new();
    let o = opts(&roles);
    // A tree: optional data is null or the value.
    assert_eq!(
        json_of(s, &[e.tree], &words(&[1, 1, 2, 0, 0, 0]), &o),
        r#"{"v":1,"left":{"v":2,"left":null,"right":null},"right":null}"#
    );
    // A list flattens to its elements without the link; empty is [].
    let mut body = words(&[1, 1, 1]);
    body.extend_from_slice(b"a\0\0\0");
    body.extend_from_slice(&words(&[1, 2, 0, 0]));
    assert_eq!(
        json_of(s, &[e.list], &body, &o),
        r#"[{"id":1,"name":"a"},{"id":2,"name":""}]"#
    );
    assert_eq!(json_of(s, &[e.list], &words(&[0]), &o), "[]");
    // The list's element struct walked directly keeps its link as a list.
    assert_eq!(
        json_of(s, &[e.entry], &words(&[5, 0, 0]), &o),
        r#"{"id":5,"name":"","next":[]}"#
    );
    // Fixed and counted arrays.
    let mut b = Builder::new();
    let fixed = b.fixed_array(TypeId::INT, 2);
    let var = b.var_array(TypeId::BOOL, None);
    let s = b.finish();
    assert_eq!(
        json_of(&s, &[fixed], &words(&[3, 0xffff_fffd]), &o),
        "[3,-3]"
    );
    assert_eq!(json_of(&s, &[var], &words(&[2, 1, 0]), &o), "[true,false]");
    assert_eq!(json_of(&s, &[var], &words(&[0]), &o), "[]");
}

#[test]
fn opaque_is_hex_and_bulk_data_is_its_length() {
    let mut b = Builder::new();
    let o = b.var_opaque(None);
    let bulk = b.var_opaque(None);
    let s = b.finish();
    let mut roles = Roles::new();
    roles.set(bulk, Role::BULK);
    let mut body = words(&[5]);
    body.extend_from_slice(&[0x00, 0x1f, 0xa0, 0xff, 0x42, 0, 0, 0]);
    let plain = opts(&roles);
    assert_eq!(json_of(&s, &[o], &body, &plain), r#""001fa0ff42""#);
    assert_eq!(json_of(&s, &[bulk], &body, &plain), r#"{"len":5}"#);
    let hex = JsonOptions {
        data_hex: true,
        ..plain
    };
    assert_eq!(
        json_of(&s, &[bulk], &body, &hex),
        r#"{"len":5,"hex":"001fa0ff42"}"#
    );
    // Longer than the inline maximum: bulk too.
    let small = JsonOptions {
        opaque_inline_max: 4,
        ..plain
    };
    assert_eq!(json_of(&s, &[o], &body, &small), r#"{"len":5}"#);
    let small_hex = JsonOptions {
        opaque_inline_max: 5,
        data_hex: true,
        ..plain
    };
    assert_eq!(json_of(&s, &[o], &body, &small_hex), r#""001fa0ff42""#);
    // Not all captured: bulk, and "held" says how much is.
    let cut = BodyBytes {
        data: &body[..6],
        len: 12,
        missing: Missing::NotKept,
    };
    for (o, expect) in [
        (&plain, r#"{"len":5}"#),
        (&hex, r#"{"len":5,"hex":"001f","held":2}"#),
    ] {
        let mut out = Vec::new();
        assert_eq!(body_to_json(&s, &[bulk], &cut, o, &BIG, &mut out), None);
        assert_eq!(String::from_utf8(out).unwrap(), expect);
    }
}

/// File handles from `../shared/captures/public/zeek-nfs_write.pcap`, with
/// the hash tshark 4.0 prints for them: `tshark -r zeek-nfs_write.pcap -Y
/// nfs -T fields -e nfs.fh.hash -e nfs.fhandle` (frames 47 and 132).
const TSHARK_HANDLES: [(&str, &str); 2] = [
    (
        "01000700020012000000000087dd7e9f58014b49b856e1c32bdf79a4",
        "0x8fee73d3",
    ),
    (
        "01000701020012000000000087dd7e9f58014b49b856e1c32bdf79a403001200021f10a7",
        "0x66a805cd",
    ),
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn file_handles_carry_wiresharks_hash() {
    let n = nfs3_readdirplus();
    let mut roles = Roles::new();
    assert!(roles.set_by_name(&n.schema, "nfs_fh3", Role::FILE_HANDLE));
    let o = opts(&roles);
    for (hex, hash) in TSHARK_HANDLES {
        let fh = unhex(hex);
        let mut body = words(&[fh.len() as u32]);
        body.extend_from_slice(&fh);
        body.resize(4 + crate::rpc::xdr::padded(fh.len()), 0);
        assert_eq!(
            json_of(&n.schema, &[n.fh], &body, &o),
            format!(r#"{{"hex":"{hex}","hash":"{hash}"}}"#)
        );
    }
    // An opaque type with the role, reached through an alias.
    let e = every_kind();
    let mut roles = Roles::new();
    roles.set(e.fhandle, Role::FILE_HANDLE);
    roles.set(e.fh3, Role::FILE_HANDLE);
    let dir = e.schema.lookup("dirfh").unwrap();
    let hash = format!("0x{:08x}", crc32fast::hash(&[1, 2, 3, 4, 5, 6, 7, 8]));
    let o = opts(&roles);
    assert_eq!(
        json_of(&e.schema, &[dir], &[1, 2, 3, 4, 5, 6, 7, 8], &o),
        format!(r#"{{"hex":"0102030405060708","hash":"{hash}"}}"#)
    );
    // Inside a struct, after other fields.
    let mut body = words(&[2]);
    body.extend_from_slice(&[0xaa, 0xbb, 0, 0]);
    let seq = json_of(
        &e.schema,
        &[TypeId::INT, e.fh3],
        &{
            let mut b = words(&[7]);
            b.extend_from_slice(&body);
            b
        },
        &o,
    );
    let hash = format!("0x{:08x}", crc32fast::hash(&[0xaa, 0xbb]));
    assert_eq!(
        seq,
        format!(r#"{{"arg1":7,"arg2":{{"hex":"aabb","hash":"{hash}"}}}}"#)
    );
    // A handle cut by the capture has no hash: it is bulk data.
    let cut = BodyBytes {
        data: &body[..5],
        len: 8,
        missing: Missing::Snaplen,
    };
    let mut out = Vec::new();
    let hexo = JsonOptions {
        data_hex: true,
        ..o
    };
    assert_eq!(
        body_to_json(&e.schema, &[e.fh3], &cut, &hexo, &BIG, &mut out),
        None
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"len":2,"hex":"aa","held":1}"#
    );
    // Cut before the handle's bytes: null, still valid JSON.
    let cut = BodyBytes {
        data: &body[..2],
        len: 8,
        missing: Missing::Snaplen,
    };
    let mut out = Vec::new();
    let e2 = body_to_json(&e.schema, &[e.fh3], &cut, &o, &BIG, &mut out);
    assert_eq!(e2.map(|e| e.offset), Some(0));
    assert_eq!(String::from_utf8(out).unwrap(), "null");
}

#[test]
fn strings_escape_json_and_invalid_utf8() {
    let mut b = Builder::new();
    let st = b.string(None);
    let s = b.finish();
    let roles = Roles::new();
    let o = opts(&roles);
    let j = |text: &[u8], o: &JsonOptions<'_>| {
        let mut body = words(&[text.len() as u32]);
        body.extend_from_slice(text);
        body.resize(4 + crate::rpc::xdr::padded(text.len()), 0);
        json_of(&s, &[st], &body, o)
    };
    assert_eq!(j(b"plain name.txt", &o), r#""plain name.txt""#);
    assert_eq!(
        j(b"q\"b\\n\nt\tr\r\x01\x7f", &o),
        "\"q\\\"b\\\\n\\nt\\tr\\r\\u0001\x7f\""
    );
    assert_eq!(j("é€😀".as_bytes(), &o), "\"é€😀\"");
    // Each byte that is not valid UTF-8 is the text \xNN.
    assert_eq!(j(b"a\xffb", &o), r#""a\\xffb""#);
    assert_eq!(j(b"\xe2\x82", &o), r#""\\xe2\\x82""#, "a cut character");
    assert_eq!(j(b"\xc3\xa9\xc3", &o), r#""é\\xc3""#);
    // A backslash before `x` is escaped too, so the text is not taken for
    // an escape: `\xdC` as typed, then the byte 0xdc.
    assert_eq!(j(b"\\xdC\xdc", &o), r#""\\x5cxdC\\xdc""#);
    assert_eq!(j(b"a\\b\\", &o), r#""a\\b\\""#);
    assert_eq!(
        j(b"\xed\xa0\x80", &o),
        r#""\\xed\\xa0\\x80""#,
        "a surrogate"
    );
    // Longer than string_max: cut with the marker and the wire length.
    let short = JsonOptions { string_max: 4, ..o };
    assert_eq!(j(b"abcdefgh", &short), r#""abcd...[8 bytes]""#);
    assert_eq!(j(b"abcd", &short), r#""abcd""#);
    // The cut does not split a character.
    assert_eq!(j("abcé".as_bytes(), &short), r#""abc...[5 bytes]""#);
    // A string the capture cut: what is held, and the marker.
    let mut body = words(&[10]);
    body.extend_from_slice(b"0123");
    let cut = BodyBytes {
        data: &body,
        len: 16,
        missing: Missing::Snaplen,
    };
    let mut out = Vec::new();
    assert_eq!(body_to_json(&s, &[st], &cut, &o, &BIG, &mut out), None);
    assert_eq!(String::from_utf8(out).unwrap(), r#""0123...[10 bytes]""#);
}

#[test]
fn void_writes_nothing_and_several_arguments_are_rpcgens_arg_n() {
    let s = Schema::new();
    let roles = Roles::new();
    let o = opts(&roles);
    assert_eq!(json_of(&s, &[TypeId::VOID], &[], &o), "");
    assert_eq!(json_of(&s, &[], &[], &o), "");
    assert_eq!(
        json_of(&s, &[TypeId::INT, TypeId::BOOL], &words(&[3, 1]), &o),
        r#"{"arg1":3,"arg2":true}"#
    );
    assert_eq!(
        json_of(
            &s,
            &[TypeId::INT, TypeId::VOID, TypeId::UINT],
            &words(&[3, 4]),
            &o
        ),
        r#"{"arg1":3,"arg3":4}"#
    );
    // A caller's own array around several walks.
    let mut out = Vec::new();
    let mut w = JsonWriter::new(&mut out, o);
    w.begin_array();
    for body in [words(&[1]), words(&[2])] {
        walk(&s, &[TypeId::INT], &BodyBytes::whole(&body), &BIG, &mut w).unwrap();
    }
    w.finish();
    assert_eq!(out, b"[1,2]");
}

#[test]
fn a_body_that_stops_short_is_still_valid_json() {
    let mut b = Builder::new();
    let st = b.string(None);
    let arr = b.var_array(TypeId::INT, None);
    let inner = b.structure("inner", &[("x", TypeId::INT), ("list", arr)]);
    let outer = b.structure("outer", &[("a", TypeId::INT), ("in", inner), ("s", st)]);
    let s = b.finish();
    let roles = Roles::new();
    let o = opts(&roles);
    // a = 1, in = { x = 2, list = [3, <cut>
    let body = words(&[1, 2, 5, 3]);
    let mut out = Vec::new();
    let e = body_to_json(&s, &[outer], &BodyBytes::whole(&body), &o, &BIG, &mut out);
    assert_eq!(
        e,
        Some(BodyError {
            offset: 16,
            kind: BodyErrorKind::Truncated
        })
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"a":1,"in":{"x":2,"list":[3]}}"#
    );
    // Cut right after a key: the key gets null.
    let mut out = Vec::new();
    let e = body_to_json(
        &s,
        &[outer],
        &BodyBytes::whole(&words(&[1])),
        &o,
        &BIG,
        &mut out,
    );
    assert_eq!(e.map(|e| e.offset), Some(4));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"a":1,"in":{"x":null}}"#
    );
    // Trailing bytes: the value is complete.
    let mut out = Vec::new();
    let e = body_to_json(
        &s,
        &[TypeId::INT],
        &BodyBytes::whole(&words(&[1, 2])),
        &o,
        &BIG,
        &mut out,
    );
    assert_eq!(
        e,
        Some(BodyError {
            offset: 4,
            kind: BodyErrorKind::Malformed(Malformation::TrailingBytes)
        })
    );
    assert_eq!(out, b"1");
}

#[test]
fn every_cut_of_random_bodies_writes_valid_json() {
    let e = every_kind();
    let n = nfs3_readdirplus();
    let mut roles_e = Roles::new();
    roles_e.set(e.fh3, Role::FILE_HANDLE);
    roles_e.set(e.fhandle, Role::FILE_HANDLE);
    let mut roles_n = Roles::new();
    roles_n.set(n.fh, Role::FILE_HANDLE);
    let mut rng = Rng::new(11);
    for (schema, ty, roles) in [
        (&e.schema, e.all, &roles_e),
        (&e.schema, e.list, &roles_e),
        (&n.schema, n.res, &roles_n),
        (&n.schema, n.args, &roles_n),
    ] {
        for _ in 0..8 {
            let v = arbitrary_value(schema, ty, &mut rng, 80);
            let mut bytes = Vec::new();
            encode(schema, ty, &v, &mut bytes).unwrap();
            for k in 0..=bytes.len() {
                for missing in [Missing::None, Missing::Gap] {
                    let body = BodyBytes {
                        data: &bytes[..k],
                        len: if missing == Missing::None {
                            k as u64
                        } else {
                            bytes.len() as u64
                        },
                        missing,
                    };
                    let o = JsonOptions {
                        data_hex: k % 2 == 0,
                        ..opts(roles)
                    };
                    let mut out = Vec::new();
                    let err = body_to_json(schema, &[ty, TypeId::INT], &body, &o, &BIG, &mut out);
                    assert!(err.is_some() || k == bytes.len() || missing == Missing::Gap);
                    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&out);
                    assert!(
                        parsed.is_ok(),
                        "cut at {k}: {}",
                        String::from_utf8_lossy(&out)
                    );
                }
            }
        }
    }
}

#[test]
fn every_kind_renders_as_the_contract_says() {
    // One value of `all`, built by hand through the encoder, and its exact
    // JSON (the contract in one line).
    use crate::programs::value::Value as V;
    let e = every_kind();
    let mut roles = Roles::new();
    roles.set(e.fhandle, Role::FILE_HANDLE);
    roles.set(e.fh3, Role::FILE_HANDLE);
    let entry = |id: u64, name: &str| V::Struct(vec![V::UInt(id), V::Str(name.into())]);
    let v = V::Struct(vec![
        V::Int(-7),
        V::UInt(7),
        V::Int(-1 << 40),
        V::UInt(1 << 63),
        V::Float(0.5),
        V::Float(-0.25),
        V::Opaque(vec![0x11; 16]),
        V::Bool(true),
        V::Enum(2),
        V::Opaque(vec![1, 2, 3, 4, 5]),
        V::Opaque(vec![]),
        V::Str(b"n\xffm".to_vec()),
        V::Struct(vec![V::Int(1), V::UInt(2)]),
        V::Union {
            discriminant: 1,
            arm: Box::new(V::Void),
        },
        V::Union {
            discriminant: 7,
            arm: Box::new(V::Bool(false)),
        },
        V::Union {
            discriminant: 3,
            arm: Box::new(V::Void),
        },
        V::Union {
            discriminant: 0,
            arm: Box::new(V::Void),
        },
        V::Union {
            discriminant: 1 << 40,
            arm: Box::new(V::Float(1.0)),
        },
        V::Array(vec![V::Int(1), V::Int(2), V::Int(3)]),
        V::Array(vec![
            V::Struct(vec![V::Int(0), V::UInt(0)]),
            V::Struct(vec![V::Int(-1), V::UInt(9)]),
        ]),
        V::Array(vec![V::Str(b"x".to_vec())]),
        V::Array(vec![V::Union {
            discriminant: 0,
            arm: Box::new(V::Int(4)),
        }]),
        V::Optional(None),
        V::Optional(Some(Box::new(V::Int(5)))),
        V::Array(vec![entry(1, "a"), entry(2, "b")]),
        V::Struct(vec![V::UInt(3), V::Str(b"h".to_vec()), V::Array(vec![])]),
        V::Optional(None),
        V::Opaque(vec![0; 8]),
        V::Opaque(vec![0xff; 8]),
        V::Struct(vec![V::Opaque(vec![0xfe])]),
        V::UInt(12),
    ]);
    let mut bytes = Vec::new();
    encode(&e.schema, e.all, &v, &mut bytes).unwrap();
    let h = |b: &[u8]| format!("0x{:08x}", crc32fast::hash(b));
    let expect = format!(
        concat!(
            r#"{{"i":-7,"u":7,"h":-1099511627776,"uh":9223372036854775808,"f":0.5,"d":-0.25,"#,
            r#""q":"11111111111111111111111111111111","flag":true,"color":"BLUE","o5":"0102030405","#,
            r#""bytes":"","name":"n\\xffm","inner":{{"a":1,"b":2}},"cu":{{"c":"GREEN"}},"#,
            r#""iu":{{"n":7,"seven":false}},"uu":{{"n":3}},"bu":{{"present":false}},"#,
            r#""hu":{{"h":1099511627776,"big":1.0}},"ints":[1,2,3],"inners":[{{"a":0,"b":0}},{{"a":-1,"b":9}}],"#,
            r#""strings":["x"],"unions":[{{"c":"RED","red":4}}],"maybe":null,"maybe_int":5,"#,
            r#""list":[{{"id":1,"name":"a"}},{{"id":2,"name":"b"}}],"head":{{"id":3,"name":"h","next":[]}},"#,
            r#""tree":null,"fh":{{"hex":"0000000000000000","hash":"{}"}},"#,
            r#""dir":{{"hex":"ffffffffffffffff","hash":"{}"}},"fh3":{{"hex":"fe","hash":"{}"}},"n":12}}"#
        ),
        h(&[0; 8]),
        h(&[0xff; 8]),
        h(&[0xfe])
    );
    assert_eq!(json_of(&e.schema, &[e.all], &bytes, &opts(&roles)), expect);
}

#[test]
fn optional_void_and_nested_optional_data_are_null() {
    let mut b = Builder::new();
    let pv = b.optional(TypeId::VOID);
    let pi = b.optional(TypeId::INT);
    let ppi = b.optional(pi);
    let st = b.structure(
        "s",
        &[("a", pv), ("b", ppi), ("c", ppi), ("d", TypeId::INT)],
    );
    let s = b.finish();
    let roles = Roles::new();
    // a: present void; b: present, absent; c: present, present 5; d = 1.
    let body = words(&[1, 1, 0, 1, 1, 5, 1]);
    assert_eq!(
        json_of(&s, &[st], &body, &opts(&roles)),
        r#"{"a":null,"b":null,"c":5,"d":1}"#
    );
    assert_eq!(json_of(&s, &[pv], &words(&[1]), &opts(&roles)), "");
}

/// A READDIRPLUS3 reply (RFC 1813) of `n` entries with attributes and
/// 32-byte handles, names `file-000123.txt`.
fn readdirplus_reply(n: &crate::programs::samples::Nfs3, entries: u32) -> Vec<u8> {
    use crate::programs::value::Value as V;
    let attr = |i: u32| V::Union {
        discriminant: 1,
        arm: Box::new(V::Struct(vec![
            V::Enum(1),
            V::UInt(0o644),
            V::UInt(1),
            V::UInt(1000),
            V::UInt(1000),
            V::UInt(u64::from(i) * 4096),
            V::UInt(4096),
            V::Struct(vec![V::UInt(0), V::UInt(0)]),
            V::UInt(0x0803),
            V::UInt(u64::from(i) + 100_000),
            V::Struct(vec![V::UInt(1_700_000_000), V::UInt(i.into())]),
            V::Struct(vec![V::UInt(1_700_000_000), V::UInt(i.into())]),
            V::Struct(vec![V::UInt(1_700_000_000), V::UInt(i.into())]),
        ])),
    };
    let list = (0..entries)
        .map(|i| {
            V::Struct(vec![
                V::UInt(u64::from(i) + 100_000),
                V::Str(format!("file-{i:06}.txt").into_bytes()),
                V::UInt(u64::from(i) + 1),
                attr(i),
                V::Union {
                    discriminant: 1,
                    arm: Box::new(V::Struct(vec![V::Opaque(
                        (0..32).map(|b| (b as u32 ^ i) as u8).collect(),
                    )])),
                },
            ])
        })
        .collect();
    let v = V::Union {
        discriminant: 0,
        arm: Box::new(V::Struct(vec![
            attr(0),
            V::Opaque(vec![7; 8]),
            V::Struct(vec![V::Array(list), V::Bool(true)]),
        ])),
    };
    let mut out = Vec::new();
    encode(&n.schema, n.res, &v, &mut out).unwrap();
    out
}

/// Speed of the body engine on a 2 KB NFSv3 READDIRPLUS reply:
/// `cargo test --release --lib programs::json::tests::speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn speed_readdirplus_reply() {
    use std::time::Instant;
    let n = nfs3_readdirplus();
    let body = readdirplus_reply(&n, 12);
    let mut roles = Roles::new();
    roles.set(n.fh, Role::FILE_HANDLE);
    let o = opts(&roles);
    let limits = WalkLimits::from(&Limits::default());
    struct Nop(u64);
    impl Visitor for Nop {
        fn event(&mut self, _: &Schema, _: Event<'_, '_>) -> Flow {
            self.0 += 1;
            Flow::Continue
        }
    }
    let mut nop = Nop(0);
    walk(
        &n.schema,
        &[n.res],
        &BodyBytes::whole(&body),
        &limits,
        &mut nop,
    )
    .unwrap();
    let events = nop.0;
    // The best of many short batches: the machine may be shared, and the
    // minimum is the time without preemption.
    let (batches, per) = (400u32, 250u32);
    let time = |name: &str, f: &mut dyn FnMut()| {
        let mut best = f64::MAX;
        for _ in 0..batches {
            let t = Instant::now();
            for _ in 0..per {
                f();
            }
            best = best.min(t.elapsed().as_nanos() as f64 / f64::from(per));
        }
        let ns = best;
        println!(
            "{name}: {ns:.0} ns per {} byte reply ({events} events, {:.1} ns/event, {:.0} MB/s)",
            body.len(),
            ns / events as f64,
            body.len() as f64 / ns * 1000.0
        );
    };
    let only = std::env::var("RPCSCOPE_SPEED_ONLY").unwrap_or_default();
    let time = |name: &str, f: &mut dyn FnMut()| {
        if only.is_empty() || name.contains(only.as_str()) {
            time(name, f)
        }
    };
    time("walk, no-op visitor", &mut || {
        let mut v = Nop(0);
        walk(
            &n.schema,
            &[n.res],
            &BodyBytes::whole(&body),
            &limits,
            &mut v,
        )
        .unwrap();
        std::hint::black_box(v.0);
    });
    let mut out = Vec::with_capacity(16 * 1024);
    let mut json_len = 0;
    time("walk + JSON", &mut || {
        out.clear();
        let e = body_to_json(
            &n.schema,
            &[n.res],
            &BodyBytes::whole(&body),
            &o,
            &limits,
            &mut out,
        );
        assert!(e.is_none());
        json_len = out.len();
    });
    println!("JSON: {json_len} bytes");
    time("decode to a Value", &mut || {
        let v =
            crate::programs::value::decode(&n.schema, &[n.res], &BodyBytes::whole(&body), &limits);
        std::hint::black_box(v.is_ok());
    });
}
