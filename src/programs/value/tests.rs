use super::*;
use crate::limits::Limits;
use crate::programs::json::{body_to_json, JsonOptions};
use crate::programs::roles::{Role, Roles};
use crate::programs::samples::{every_kind, nfs3_readdirplus, Builder};
use crate::programs::schema::Kind;
use crate::programs::walk::Malformation;
use serde_json::json;

const BIG: WalkLimits = WalkLimits {
    max_depth: 64,
    max_nodes: u32::MAX,
};

fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// JSON options that render every value invertibly: nothing is bulk
/// (unless its role says so, and then with its bytes) or cut.
fn exact(roles: &Roles) -> JsonOptions<'_> {
    JsonOptions {
        roles,
        data_hex: true,
        opaque_inline_max: usize::MAX,
        string_max: usize::MAX,
    }
}

/// encode -> walk/decode == v, re-encode == bytes; v -> JSON -> from_json
/// == v. Returns the bytes.
fn round_trip(schema: &Schema, ty: TypeId, v: &Value, roles: &Roles) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode(schema, ty, v, &mut bytes).unwrap_or_else(|e| panic!("encode {v:?}: {e}"));
    let back = decode(schema, &[ty], &BodyBytes::whole(&bytes), &BIG)
        .unwrap_or_else(|e| panic!("decode {v:?}: {e:?}"));
    assert_eq!(&back, v);
    let mut again = Vec::new();
    encode(schema, ty, &back, &mut again).unwrap();
    assert_eq!(again, bytes);
    let mut text = Vec::new();
    let err = body_to_json(
        schema,
        &[ty],
        &BodyBytes::whole(&bytes),
        &exact(roles),
        &BIG,
        &mut text,
    );
    assert_eq!(err, None);
    let j: serde_json::Value = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&text).unwrap()
    };
    let from = from_json(schema, ty, &j, roles)
        .unwrap_or_else(|e| panic!("from_json {}: {e}", String::from_utf8_lossy(&text)));
    assert_eq!(&from, v, "via {}", String::from_utf8_lossy(&text));
    bytes
}

#[test]
fn every_type_round_trips_through_xdr_and_json() {
    let e = every_kind();
    let n = nfs3_readdirplus();
    let mut roles_e = Roles::new();
    roles_e.set(e.fh3, Role::FILE_HANDLE);
    roles_e.set(e.fhandle, Role::FILE_HANDLE);
    let mut roles_n = Roles::new();
    roles_n.set(n.fh, Role::FILE_HANDLE);
    roles_n.set(n.status, Role::STATUS);
    let nfs_named: Vec<TypeId> = {
        let mut v: Vec<_> = n.schema.by_name.values().copied().collect();
        v.sort();
        v
    };
    let mut rng = Rng::new(2024);
    let mut total = 0;
    for (schema, types, roles) in [
        (&e.schema, &e.named, &roles_e),
        (&n.schema, &nfs_named, &roles_n),
        (&e.schema, &e.named, &Roles::new()),
    ] {
        for &ty in types {
            for i in 0..300 {
                let v = arbitrary_value(schema, ty, &mut rng, 1 + i % 100);
                total += round_trip(schema, ty, &v, roles).len();
            }
        }
    }
    assert!(
        total > 100_000,
        "the generator makes real bodies: {total} bytes"
    );
}

#[test]
fn primitive_types_round_trip_at_their_extremes() {
    let s = Schema::new();
    let roles = Roles::new();
    for (ty, v) in [
        (TypeId::INT, Value::Int(i32::MIN.into())),
        (TypeId::INT, Value::Int(i32::MAX.into())),
        (TypeId::UINT, Value::UInt(u32::MAX.into())),
        (TypeId::HYPER, Value::Int(i64::MIN)),
        (TypeId::UHYPER, Value::UInt(u64::MAX)),
        (TypeId::FLOAT, Value::Float(f32::MAX.into())),
        (TypeId::FLOAT, Value::Float(f32::MIN_POSITIVE.into())),
        (TypeId::FLOAT, Value::Float(0.1f32.into())),
        (TypeId::DOUBLE, Value::Float(f64::MIN_POSITIVE)),
        (TypeId::DOUBLE, Value::Float(-1e-300)),
        (TypeId::BOOL, Value::Bool(false)),
        (TypeId::QUADRUPLE, Value::Opaque((0..16).collect())),
    ] {
        round_trip(&s, ty, &v, &roles);
    }
}

#[test]
fn sequences_decode_to_a_struct_of_the_non_void_values() {
    let s = Schema::new();
    let types = [TypeId::INT, TypeId::VOID, TypeId::BOOL];
    let body = words(&[5, 1]);
    let v = decode(&s, &types, &BodyBytes::whole(&body), &BIG).unwrap();
    assert_eq!(v, Value::Struct(vec![Value::Int(5), Value::Bool(true)]));
    let mut out = Vec::new();
    encode_all(&s, &types, &v, &mut out).unwrap();
    assert_eq!(out, body);
    assert_eq!(
        decode(&s, &[], &BodyBytes::whole(&[]), &BIG),
        Ok(Value::Void)
    );
    assert_eq!(
        decode(&s, &[TypeId::VOID], &BodyBytes::whole(&[]), &BIG),
        Ok(Value::Void)
    );
    let e = encode_all(
        &s,
        &types,
        &Value::Struct(vec![Value::Int(1)]),
        &mut Vec::new(),
    );
    assert_eq!(e.unwrap_err().to_string(), "no value for argument 3");
    let e = encode_all(&s, &types, &Value::Int(1), &mut Vec::new());
    assert_eq!(
        e.unwrap_err().to_string(),
        "expected a struct of the arguments, got an integer"
    );
}

#[test]
fn decode_refuses_bodies_it_cannot_hold_whole() {
    let mut b = Builder::new();
    let o = b.var_opaque(None);
    let s = b.finish();
    let body = words(&[8, 1, 2]);
    let cut = BodyBytes {
        data: &body[..8],
        len: 12,
        missing: Missing::Gap,
    };
    // The walk goes past the opaque's missing bytes; decode does not.
    assert_eq!(
        decode(&s, &[o], &cut, &BIG),
        Err(BodyError {
            offset: 8,
            kind: BodyErrorKind::Gap
        })
    );
    // The builder keeps the prefix.
    let mut vb = ValueBuilder::new();
    walk(&s, &[o], &cut, &BIG, &mut vb).unwrap();
    assert_eq!(vb.finish(), [Value::Opaque(vec![0, 0, 0, 1])]);
    // A walk error is decode's error; the builder closes what it had.
    let mut b = Builder::new();
    let st = b.structure("s", &[("a", TypeId::INT), ("b", TypeId::BOOL)]);
    let s = b.finish();
    let body = words(&[1, 2]);
    assert_eq!(
        decode(&s, &[st], &BodyBytes::whole(&body), &BIG),
        Err(BodyError {
            offset: 4,
            kind: BodyErrorKind::Malformed(Malformation::BadBool)
        })
    );
    let mut vb = ValueBuilder::new();
    assert!(walk(&s, &[st], &BodyBytes::whole(&body), &BIG, &mut vb).is_err());
    assert_eq!(vb.finish(), [Value::Struct(vec![Value::Int(1)])]);
}

#[test]
fn arrays_of_void_keep_their_length() {
    let mut b = Builder::new();
    let fixed = b.fixed_array(TypeId::VOID, 3);
    let var = b.var_array(TypeId::VOID, None);
    let s = b.finish();
    let three = Value::Array(vec![Value::Void; 3]);
    assert_eq!(
        decode(&s, &[fixed], &BodyBytes::whole(&[]), &BIG),
        Ok(three.clone())
    );
    assert_eq!(
        decode(&s, &[var], &BodyBytes::whole(&words(&[3])), &BIG),
        Ok(three.clone())
    );
    let mut out = Vec::new();
    encode(&s, fixed, &three, &mut out).unwrap();
    encode(&s, var, &three, &mut out).unwrap();
    assert_eq!(out, words(&[3]));
}

#[test]
fn encode_errors_say_where_and_why() {
    let e = every_kind();
    let s = &e.schema;
    let mut rng = Rng::new(5);
    let good = loop {
        // A value with at least two list elements, to break the second.
        let v = arbitrary_value(s, e.all, &mut rng, 200);
        if let Value::Struct(f) = &v {
            if matches!(&f[24], Value::Array(l) if l.len() >= 2) {
                break v;
            }
        }
    };
    let with = |i: usize, f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        if let Value::Struct(fields) = &mut v {
            f(&mut fields[i]);
        }
        let mut out = Vec::new();
        encode(s, e.all, &v, &mut out).unwrap_err().to_string()
    };
    assert_eq!(
        with(0, &|v| *v = Value::Str(b"x".to_vec())),
        "i: expected an int, got a string"
    );
    assert_eq!(
        with(0, &|v| *v = Value::Int(1 << 31)),
        "i: 2147483648 is out of range for an int"
    );
    assert_eq!(
        with(1, &|v| *v = Value::Int(-1)),
        "u: -1 is out of range for an unsigned int"
    );
    assert_eq!(
        with(12, &|v| *v =
            Value::Struct(vec![Value::Int(1), Value::Bool(true)])),
        "inner.b: expected an unsigned hyper, got a bool"
    );
    assert_eq!(
        with(12, &|v| *v = Value::Struct(vec![Value::Int(1)])),
        "inner.b: missing"
    );
    assert_eq!(
        with(12, &|v| *v = Value::Struct(vec![
            Value::Int(1),
            Value::UInt(1),
            Value::Void
        ])),
        "inner: 1 values more than the fields"
    );
    assert_eq!(
        with(9, &|v| *v = Value::Opaque(vec![1])),
        "o5: 1 bytes, the type has exactly 5"
    );
    assert_eq!(
        with(11, &|v| *v = Value::Str(vec![b'a'; 17])),
        "name: 17 bytes over the maximum 16"
    );
    assert_eq!(
        with(24, &|v| {
            if let Value::Array(l) = v {
                l[1] = Value::Struct(vec![Value::UInt(1), Value::Str(vec![b'a'; 20])]);
            }
        }),
        "list[1].name: 20 bytes over the maximum 16"
    );
    assert_eq!(
        with(14, &|v| {
            *v = Value::Union {
                discriminant: 8,
                arm: Box::new(Value::Void),
            }
        }),
        "iu: no arm for the discriminant 8"
    );
    assert_eq!(
        with(13, &|v| {
            *v = Value::Union {
                discriminant: 0,
                arm: Box::new(Value::Bool(true)),
            }
        }),
        "cu.red: expected an int, got a bool"
    );
    assert_eq!(
        with(18, &|v| *v = Value::Array(vec![Value::Int(1)])),
        "ints: 1 elements, the array has exactly 3"
    );
    assert_eq!(
        with(19, &|v| {
            *v = Value::Array(vec![
                Value::Struct(vec![Value::Int(0), Value::UInt(0)]),
                Value::Struct(vec![Value::Float(0.0), Value::UInt(0)]),
            ])
        }),
        "inners[1].a: expected an int, got a number"
    );
    assert_eq!(
        with(20, &|v| *v = Value::Array(vec![Value::Str(vec![]); 5])),
        "strings: 5 elements over the maximum 4"
    );
    assert_eq!(
        with(21, &|v| *v = Value::Optional(None)),
        "unions: expected an array, got optional data"
    );
    // An enum value not in the enum is allowed, as on the wire.
    let mut v = good.clone();
    if let Value::Struct(f) = &mut v {
        f[8] = Value::Enum(1234);
    }
    round_trip(s, e.all, &v, &Roles::new());
}

#[test]
fn nesting_past_the_value_depth_is_refused_not_a_stack_overflow() {
    let mut b = Builder::new();
    let me = b.declare("me");
    b.define(me, Kind::Optional(me));
    let s = b.finish();
    let mut v = Value::Optional(None);
    for _ in 0..crate::limits::VALUE_MAX_DEPTH + 5 {
        v = Value::Optional(Some(Box::new(v)));
    }
    let e = encode(&s, me, &v, &mut Vec::new()).unwrap_err();
    assert_eq!(e.reason, "nested too deep");
    // The walker loops through such chains; the builder stops them.
    let mut body = words(&[1; 300]);
    body.extend_from_slice(&words(&[0]));
    let e = decode(&s, &[me], &BodyBytes::whole(&body), &BIG).unwrap_err();
    assert_eq!(e.kind, BodyErrorKind::Limit);
    let mut body = words(&[1; 200]);
    body.extend_from_slice(&words(&[0]));
    assert!(decode(&s, &[me], &BodyBytes::whole(&body), &BIG).is_ok());
    let mut j = serde_json::Value::Null;
    for _ in 0..crate::limits::VALUE_MAX_DEPTH + 5 {
        j = json!([j]);
    }
    let mut b = Builder::new();
    let nest = b.declare("nest");
    let arr = b.var_array(nest, None);
    b.define(nest, Kind::Alias(arr));
    let s = b.finish();
    let e = from_json(&s, nest, &j, &Roles::new()).unwrap_err();
    assert_eq!(e.reason, "nested too deep");
    assert!(e.path.starts_with("[0][0][0]"));
}

#[test]
fn from_json_accepts_what_users_type() {
    let n = nfs3_readdirplus();
    let mut roles = Roles::new();
    roles.set(n.fh, Role::FILE_HANDLE);
    let s = &n.schema;
    // A handle as a hex string, as the writer's object, or as the struct.
    let fh = Value::Struct(vec![Value::Opaque(vec![0xab, 0xcd])]);
    for j in [
        json!("abcd"),
        json!({"hex": "ABCD", "hash": "0x00000000"}),
        json!({"data": "abcd"}),
        json!({"data": {"hex": "abcd", "len": 2}}),
    ] {
        assert_eq!(from_json(s, n.fh, &j, &roles), Ok(fh.clone()), "{j}");
    }
    let args = json!({
        "dir": "0102", "cookie": 0, "cookieverf": "0000000000000000",
        "dircount": 512, "maxcount": 4096
    });
    let v = from_json(s, n.args, &args, &roles).unwrap();
    let mut out = Vec::new();
    encode(s, n.args, &v, &mut out).unwrap();
    assert_eq!(out.len(), 8 + 8 + 8 + 4 + 4);
    // A union by enum name or number, a void arm, a list as null.
    let res = json!({"status": "NFS3ERR_NOENT", "resfail": {"dir_attributes": {"attributes_follow": false}}});
    let by_number =
        json!({"status": 2, "resfail": {"dir_attributes": {"attributes_follow": false}}});
    let a = from_json(s, n.res, &res, &roles).unwrap();
    assert_eq!(from_json(s, n.res, &by_number, &roles).unwrap(), a);
    let ok = json!({"status": "NFS3_OK", "resok": {
        "dir_attributes": {"attributes_follow": false},
        "cookieverf": "0102030405060708",
        "reply": {"entries": null, "eof": true}}});
    let v = from_json(s, n.res, &ok, &roles).unwrap();
    let mut out = Vec::new();
    encode(s, n.res, &v, &mut out).unwrap();
    assert_eq!(
        out,
        [
            &words(&[0, 0])[..],
            &[1, 2, 3, 4, 5, 6, 7, 8],
            &words(&[0, 1])
        ]
        .concat()
    );
}

#[test]
fn from_json_errors_say_where_and_why() {
    let n = nfs3_readdirplus();
    let roles = Roles::new();
    let s = &n.schema;
    let err =
        |ty: TypeId, j: serde_json::Value| from_json(s, ty, &j, &roles).unwrap_err().to_string();
    let args = |dir: serde_json::Value, cookie: serde_json::Value| json!({"dir": dir, "cookie": cookie, "cookieverf": "0000000000000000", "dircount": 1, "maxcount": 2});
    assert_eq!(
        err(n.args, args(json!({"data": 5}), json!(0))),
        "dir.data: expected a hex string, got a number"
    );
    assert_eq!(
        err(n.args, args(json!({"data": "abc"}), json!(0))),
        "dir.data: hex of an odd length"
    );
    assert_eq!(
        err(n.args, args(json!({"data": "zz"}), json!(0))),
        "dir.data: not hex: \"zz\""
    );
    assert_eq!(
        err(n.args, args(json!({"data": "00"}), json!(-1))),
        "cookie: -1 is out of range for an unsigned hyper"
    );
    assert_eq!(
        err(n.args, args(json!({"data": "00"}), json!("x"))),
        "cookie: expected an unsigned hyper, got a string"
    );
    assert_eq!(
        err(n.args, args(json!({"data": "00".repeat(65)}), json!(0))),
        "dir.data: 65 bytes over the maximum 64"
    );
    assert_eq!(
        err(n.args, json!({"dir": {"data": "00"}})),
        "cookie: missing"
    );
    let mut extra = args(json!({"data": "00"}), json!(0));
    extra["cokie"] = json!(1);
    assert_eq!(err(n.args, extra), "unknown field \"cokie\"");
    assert_eq!(
        err(n.res, json!({"status": "NFS3_WRONG"})),
        "status: \"NFS3_WRONG\" is not a value of the enum"
    );
    assert_eq!(
        err(n.res, json!({"resok": {}})),
        "no discriminant \"status\""
    );
    assert_eq!(err(n.res, json!({"status": 0})), "no arm \"resok\"");
    assert_eq!(
        err(
            n.res,
            json!({"status": 2, "resfail": {"dir_attributes": {"attributes_follow": false}}, "x": 1})
        ),
        "unknown member \"x\""
    );
    let entries = json!({"status": 0, "resok": {
        "dir_attributes": {"attributes_follow": false}, "cookieverf": "0000000000000000",
        "reply": {"eof": false, "entries": [
            {"fileid": 1, "name": "a", "cookie": 1,
             "name_attributes": {"attributes_follow": false}, "name_handle": {"handle_follows": false}},
            {"fileid": 2, "name": 7, "cookie": 2,
             "name_attributes": {"attributes_follow": false}, "name_handle": {"handle_follows": false}}]}}});
    assert_eq!(
        err(n.res, entries),
        "resok.reply.entries[1].name: expected a string, got a number"
    );
    // Bulk data written without its bytes cannot be read back.
    let e = from_json(s, n.fh, &json!({"data": {"len": 5}}), &roles).unwrap_err();
    assert_eq!(
        e.to_string(),
        "data: bulk data without its bytes (\"hex\" is needed)"
    );
    let e = from_json(
        s,
        n.fh,
        &json!({"data": {"len": 5, "hex": "00", "held": 1}}),
        &roles,
    )
    .unwrap_err();
    assert_eq!(
        e.with_root("args").to_string(),
        "args.data: only 1 of 5 bytes are given"
    );
}

#[test]
fn strings_read_back_their_invalid_bytes() {
    let mut b = Builder::new();
    let st = b.string(None);
    let s = b.finish();
    let roles = Roles::new();
    for text in [
        &b"a\xffb"[..],
        b"\xe2\x82",
        "é".as_bytes(),
        b"\\x4",
        b"\\xg0",
        b"quote\"\\",
    ] {
        round_trip(&s, st, &Value::Str(text.to_vec()), &roles);
    }
    // The documented ambiguity: the text \x41 reads back as the byte.
    assert_eq!(
        from_json(&s, st, &json!("\\x41"), &roles),
        Ok(Value::Str(b"A".to_vec()))
    );
}

#[test]
fn the_generator_is_deterministic_and_bounded() {
    let e = every_kind();
    let a = arbitrary_value(&e.schema, e.all, &mut Rng::new(9), 50);
    let b = arbitrary_value(&e.schema, e.all, &mut Rng::new(9), 50);
    assert_eq!(a, b);
    let c = arbitrary_value(&e.schema, e.all, &mut Rng::new(10), 50);
    assert_ne!(a, c);
    // With no budget, lists and optional data are empty.
    let v = arbitrary_value(&e.schema, e.list, &mut Rng::new(1), 0);
    assert_eq!(v, Value::Array(vec![]));
    let v = arbitrary_value(&e.schema, e.tree, &mut Rng::new(1), 0);
    assert!(
        matches!(&v, Value::Struct(f) if f[1..] == [Value::Optional(None), Value::Optional(None)]),
        "{v:?}"
    );
    // A large budget stays bounded in size.
    for seed in 0..20 {
        let v = arbitrary_value(&e.schema, e.all, &mut Rng::new(seed), 2000);
        let mut out = Vec::new();
        encode(&e.schema, e.all, &v, &mut out).unwrap();
        assert!(out.len() < 1 << 20);
        decode(
            &e.schema,
            &[e.all],
            &BodyBytes::whole(&out),
            &WalkLimits::from(&Limits::default()),
        )
        .expect("generated values fit the default walk limits");
    }
}

#[test]
fn value_errors_compose_paths() {
    let e = ValueError::new("bad");
    assert_eq!(e.to_string(), "bad");
    assert_eq!(e.clone().with_root("a").to_string(), "a: bad");
    assert_eq!(
        e.clone().at_index(2).with_root("a").to_string(),
        "a[2]: bad"
    );
    assert_eq!(
        e.clone()
            .with_root("b")
            .at_index(0)
            .with_root("a")
            .to_string(),
        "a[0].b: bad"
    );
    assert_eq!(e.with_root("c").with_root("b").to_string(), "b.c: bad");
}

/// The rpcsvc `.x` files (Debian's rpcsvc-proto), loaded with the parser:
/// `None` (skip with a note) when they are not installed, a failure under
/// `CI=true`.
fn rpcsvc_schemas() -> Option<Vec<(String, Schema)>> {
    use std::path::Path;
    let dir = Path::new("/usr/include/rpcsvc");
    if !dir.join("nfs_prot.x").is_file() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{} is missing: CI must install rpcsvc-proto", dir.display());
        }
        eprintln!(
            "note: {} not found (install rpcsvc-proto); skipping",
            dir.display()
        );
        return None;
    }
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".x"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        let schema = crate::programs::idl::parse_with(&text, &name, &mut |inc, _| {
            let found = [dir.join(inc), dir.parent().unwrap().join(inc)]
                .into_iter()
                .find(|p| p.is_file())
                .ok_or_else(|| format!("{inc}: not found"))?;
            std::fs::read_to_string(&found)
                .map(|t| (inc.to_string(), t))
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        out.push((name, schema));
    }
    Some(out)
}

#[test]
fn every_rpcsvc_type_and_procedure_round_trips() {
    let Some(schemas) = rpcsvc_schemas() else {
        return;
    };
    assert!(schemas.len() >= 15, "{} files", schemas.len());
    let mut rng = Rng::new(1813);
    let (mut types, mut lists) = (0, 0);
    for (file, schema) in &schemas {
        let mut named: Vec<TypeId> = schema.by_name.values().copied().collect();
        named.sort();
        let mut roles = Roles::new();
        for fh in ["nfs_fh", "fhandle", "nfs_fh3", "fhandle3", "netobj"] {
            roles.set_by_name(schema, fh, Role::FILE_HANDLE);
        }
        for &ty in &named {
            types += 1;
            if schema
                .tables()
                .list_link(schema.tables().resolve(ty))
                .is_some()
            {
                lists += 1;
            }
            for i in 0..40 {
                let v = arbitrary_value(schema, ty, &mut rng, 1 + i * 3);
                let mut bytes = Vec::new();
                if let Err(e) = encode(schema, ty, &v, &mut bytes) {
                    panic!("{file} {:?}: {e}", schema.name(ty));
                }
                round_trip(schema, ty, &v, &roles);
            }
        }
        // Every procedure's arguments and result, as the sequences a call
        // and a reply carry.
        for p in &schema.programs {
            for v in &p.versions {
                for proc_ in &v.procedures {
                    for seq in [&proc_.args[..], std::slice::from_ref(&proc_.result)] {
                        let val = match seq {
                            [t] => arbitrary_value(schema, *t, &mut rng, 30),
                            _ => Value::Struct(
                                seq.iter()
                                    .filter(|t| !matches!(schema.resolve(**t).1, Kind::Void))
                                    .map(|t| arbitrary_value(schema, *t, &mut rng, 30))
                                    .collect(),
                            ),
                        };
                        let mut bytes = Vec::new();
                        encode_all(schema, seq, &val, &mut bytes).unwrap();
                        let back = decode(schema, seq, &BodyBytes::whole(&bytes), &BIG)
                            .unwrap_or_else(|e| panic!("{file} {}: {e:?}", proc_.name));
                        let expect = match (seq, &val) {
                            ([], _) => Value::Void,
                            _ => val.clone(),
                        };
                        assert_eq!(back, expect, "{file} {}", proc_.name);
                    }
                }
            }
        }
    }
    assert!(types > 200, "{types} named types");
    assert!(
        lists >= 5,
        "{lists} list element structs (exportnode, groupnode, ...)"
    );
}

#[test]
fn nfs_prot_x_renders_readdir_as_the_contract_says() {
    let Some(schemas) = rpcsvc_schemas() else {
        return;
    };
    let (_, s) = schemas.iter().find(|(n, _)| n == "nfs_prot.x").unwrap();
    let res = s.lookup("readdirres").unwrap();
    let mut roles = Roles::new();
    roles.set_by_name(s, "nfscookie", Role::BULK);
    // readdirres: NFS_OK, entries [{fileid 7, "a", cookie}], eof TRUE.
    let mut body = words(&[0, 1, 7, 1]);
    body.extend_from_slice(b"a\0\0\0");
    body.extend_from_slice(&[0, 0, 0, 9]); // cookie (opaque[4])
    body.extend_from_slice(&words(&[0, 1])); // no more entries; eof
    let mut out = Vec::new();
    let opts = JsonOptions::new(&roles, &Limits::default());
    assert_eq!(
        body_to_json(s, &[res], &BodyBytes::whole(&body), &opts, &BIG, &mut out),
        None
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"status":"NFS_OK","reply":{"entries":[{"fileid":7,"name":"a","cookie":{"len":4}}],"eof":true}}"#
    );
}

#[test]
fn typed_accessors_read_their_shape_only() {
    let v = Value::Struct(vec![
        Value::UInt(100000),
        Value::Int(-1),
        Value::Str(b"tcp".to_vec()),
        Value::Opaque(vec![1, 2]),
        Value::Bool(true),
        Value::Enum(3),
        Value::Array(vec![Value::UInt(1)]),
    ]);
    let [prog, neg, netid, data, yes, en, arr] = v.fields().unwrap();
    assert_eq!(prog.as_u32(), Some(100000));
    assert_eq!(neg.as_u32(), None, "-1 is not a u32");
    assert_eq!(Value::UInt(1 << 32).as_u32(), None);
    assert_eq!(Value::Int(7).as_u32(), Some(7));
    assert_eq!(en.as_u32(), Some(3));
    assert_eq!(netid.as_bytes(), Some(&b"tcp"[..]));
    assert_eq!(data.as_bytes(), Some(&[1, 2][..]));
    assert_eq!(prog.as_bytes(), None);
    assert_eq!(yes.as_bool(), Some(true));
    assert_eq!(prog.as_bool(), None);
    assert_eq!(arr.as_array().map(<[Value]>::len), Some(1));
    assert_eq!(arr.as_struct(), None);
    assert_eq!(v.fields::<6>(), None, "seven members, not six");
    assert_eq!(netid.fields::<0>(), None);
}

#[test]
fn argument_lists_read_from_the_writers_json_and_from_arrays() {
    // rpcgen -N arguments (int, void, bool): the JSON writer's object keyed
    // by position among all the types, read back to what decode gives.
    let s = Schema::new();
    let roles = Roles::new();
    let types = [TypeId::INT, TypeId::VOID, TypeId::BOOL];
    let body = words(&[5, 1]);
    let mut text = Vec::new();
    let err = body_to_json(
        &s,
        &types,
        &BodyBytes::whole(&body),
        &exact(&roles),
        &BIG,
        &mut text,
    );
    assert_eq!(err, None);
    let written: serde_json::Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(written, json!({"arg1": 5, "arg3": true}));
    let want = decode(&s, &types, &BodyBytes::whole(&body), &BIG).unwrap();
    assert_eq!(
        from_json_all(&s, &types, &written, &roles),
        Ok(want.clone())
    );
    assert_eq!(
        from_json_all(&s, &types, &json!([5, true]), &roles),
        Ok(want)
    );
    let err = |j: serde_json::Value| {
        from_json_all(&s, &types, &j, &roles)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(err(json!({"arg1": 5})), "arg3: missing");
    assert_eq!(
        err(json!({"arg1": 5, "arg3": 1})),
        "arg3: expected true or false, got a number"
    );
    assert_eq!(
        err(json!({"arg1": 5, "arg2": 0, "arg3": true})),
        "unknown argument \"arg2\""
    );
    assert_eq!(err(json!([5])), "1 values for 2 arguments");
    assert_eq!(
        err(json!([5, 7])),
        "[1]: expected true or false, got a number"
    );
    assert_eq!(
        err(json!(5)),
        "expected an object {\"arg1\": .., ..} of the arguments, got a number"
    );
    // One type reads the value itself; none reads null.
    assert_eq!(
        from_json_all(&s, &[TypeId::INT], &json!(-3), &roles),
        Ok(Value::Int(-3))
    );
    assert_eq!(
        from_json_all(&s, &[], &json!(null), &roles),
        Ok(Value::Void)
    );
    assert!(from_json_all(&s, &[], &json!(1), &roles).is_err());
}
