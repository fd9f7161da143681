//! `call` arguments: pairs and JSON give the bytes the `.x` says, errors
//! name the field path.

use super::*;
use crate::programs::idl;
use crate::programs::registry::{Registry, Source};
use crate::rpc::xdr::XdrWriter;

fn registry() -> Registry {
    let mut r = (*Registry::builtin()).clone();
    let demo = include_str!("../../captures/rpcgen-demo/demo.x");
    r.add(
        idl::parse(demo, "demo.x").unwrap(),
        Source::User("demo.x".into()),
    );
    r
}

fn with<T>(program: u32, version: u32, procedure: u32, f: impl FnOnce(Procedure<'_>) -> T) -> T {
    let r = registry();
    let entry = r.version(program, version).unwrap();
    let def = entry.procedure(procedure).unwrap();
    f(Procedure { entry, def })
}

fn pairs(p: Procedure<'_>, items: &[&str]) -> Result<Vec<u8>, String> {
    let v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    encode(Some(p), Input::Pairs(&v), "it")
}

fn json(p: Procedure<'_>, text: &str) -> Result<Vec<u8>, String> {
    encode(Some(p), Input::Json(text), "it")
}

fn xdr(f: impl FnOnce(&mut XdrWriter<'_>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut XdrWriter::new(&mut v));
    v
}

const DEMO: u32 = 0x2000_0199;

#[test]
fn flat_struct_pairs_and_json_give_the_same_bytes() {
    with(100000, 2, 3, |p| {
        let want = xdr(|w| {
            w.put_u32(100003).put_u32(3).put_u32(6).put_u32(0);
        });
        assert_eq!(
            pairs(p, &["prog=100003", "vers=3", "prot=6", "port=0"]),
            Ok(want.clone())
        );
        // Any order, hex numbers.
        assert_eq!(
            pairs(p, &["port=0", "prot=6", "vers=3", "prog=0x186a3"]),
            Ok(want.clone())
        );
        assert_eq!(
            json(p, r#"{"prog":100003,"vers":3,"prot":6,"port":0}"#),
            Ok(want)
        );
        assert_eq!(p.describe_args(), "mapping: prog, vers, prot, port");
    });
}

#[test]
fn errors_name_the_field_path() {
    with(100003, 3, 3, |p| {
        let e = json(p, r#"{"what":{"dir":"0102","name":5}}"#).unwrap_err();
        assert_eq!(e, "args.what.name: expected a string, got a number");
        let e = pairs(p, &["what.dir=0102"]).unwrap_err();
        assert_eq!(e, "args.what.name: missing");
        let e = pairs(p, &["what.nam=x", "what.dir=00"]).unwrap_err();
        assert_eq!(
            e,
            "args.what: no member \"nam\" (the members are dir, name)"
        );
        let e = pairs(p, &["what.dir=0g"]).unwrap_err();
        assert!(e.starts_with("args.what.dir"), "{e}");
        let e = pairs(p, &["what.name=a", "what.name=b"]).unwrap_err();
        assert_eq!(e, "args.what.name: given twice");
        let e = pairs(p, &["what"]).unwrap_err();
        assert_eq!(e, "args: \"what\" is not NAME=VALUE");
        let e = json(p, "{").unwrap_err();
        assert!(e.starts_with("--args is not JSON: "), "{e}");
    });
    with(100000, 2, 3, |p| {
        let e = pairs(p, &["prog=nfs", "vers=3", "prot=6", "port=0"]).unwrap_err();
        assert_eq!(e, "args.prog: expected an integer, got \"nfs\"");
        let e = pairs(p, &["prog=1", "vers=3", "prot=6", "port=99999999999"]).unwrap_err();
        assert_eq!(
            e,
            "args.port: 99999999999 is out of range for an unsigned int"
        );
        let e = encode(Some(p), Input::Nothing, "portmapper v2 GETPORT").unwrap_err();
        assert_eq!(
            e,
            "portmapper v2 GETPORT takes arguments (mapping: prog, vers, prot, port): give them as NAME=VALUE pairs, --args JSON or --args-hex HEX"
        );
    });
    // A void procedure takes nothing; hex is taken as it is, defined or not.
    with(100000, 2, 4, |p| {
        assert_eq!(encode(Some(p), Input::Nothing, "DUMP"), Ok(vec![]));
        let e = pairs(p, &["x=1"]).unwrap_err();
        assert_eq!(e, "args: 1 given to a procedure that takes no arguments");
        assert_eq!(json(p, "null"), Ok(vec![]));
    });
    assert_eq!(encode(None, Input::Hex("00 0a"), "x"), Ok(vec![0, 10]));
    assert!(encode(None, Input::Hex("0"), "x").is_err());
    assert_eq!(encode(None, Input::Nothing, "x"), Ok(vec![]));
    let e = encode(None, Input::Json("{}"), "prog 7 v1 proc 1").unwrap_err();
    assert!(e.starts_with("no .x definition of prog 7 v1 proc 1"), "{e}");
}

#[test]
fn nested_values_handles_unions_and_optional_data() {
    // NFSv3 LOOKUP: a file handle as hex under a nested struct.
    with(100003, 3, 3, |p| {
        let want = xdr(|w| {
            w.put_opaque_var(&[1, 2, 3, 4]).put_string(b"dir");
        });
        assert_eq!(
            pairs(p, &["what.dir=01020304", "what.name=dir"]),
            Ok(want.clone())
        );
        assert_eq!(
            json(p, r#"{"what":{"dir":{"hex":"01020304"},"name":"dir"}}"#),
            Ok(want)
        );
    });
    // NFSv3 SETATTR: unions on bools, by their .x member names.
    with(100003, 3, 2, |p| {
        let got = pairs(
            p,
            &[
                "object=aa",
                "new_attributes.mode.set_it=true",
                "new_attributes.mode.mode=0x1a4",
                "new_attributes.uid.set_it=false",
                "new_attributes.gid.set_it=false",
                "new_attributes.size.set_it=false",
                "new_attributes.atime.set_it=DONT_CHANGE",
                "new_attributes.mtime.set_it=0",
                "guard.check=false",
            ],
        )
        .unwrap();
        let want = xdr(|w| {
            w.put_opaque_var(&[0xaa]);
            w.put_bool(true).put_u32(0o644);
            w.put_u32(0).put_u32(0).put_u32(0).put_u32(0).put_u32(0);
            w.put_bool(false);
        });
        assert_eq!(got, want);
    });
    // demo.x: arrays by index, optional data, a whole member as JSON.
    with(DEMO, 1, 3, |p| {
        let base = [
            "id=0001020304050607",
            "data=",
            "tag=ff",
            "name=n",
            "note=",
            "triple=[1,2,3]",
            "ints=[]",
            "counts.1=7",
            "counts.0=6",
            "corners.0.x=1",
            "corners.0.y=2",
            "corners.1={\"x\":3,\"y\":4}",
            "path=[]",
            "nested={\"in\":{\"p\":{\"x\":0,\"y\":0},\"c\":\"RED\"},\"lv\":\"LOW\",\"corner\":{\"x\":0,\"y\":0}}",
            "sh.kind=BLUE",
            "sh.label=lbl",
            "alias.present=false",
            "num.kind=-1",
        ];
        let mut with_origin = base.to_vec();
        with_origin.push("origin=null");
        let a = pairs(p, &with_origin).unwrap();
        let mut with_point = base.to_vec();
        with_point.extend(["origin.x=5", "origin.y=-6"]);
        let b = pairs(p, &with_point).unwrap();
        assert_eq!(b.len(), a.len() + 8, "a present point adds two ints");
        let e = pairs(p, &base).unwrap_err();
        assert_eq!(e, "args.origin: missing");
        let mut bad = base.to_vec();
        bad.push("counts.70000=1");
        let e = pairs(p, &bad).unwrap_err();
        assert_eq!(e, "args.counts: index 70000 over 65536");
    });
    // A list argument alone (DEMO_SUM(entrylist)) and by element.
    with(DEMO, 1, 5, |p| {
        let want = xdr(|w| {
            w.put_bool(true).put_u32(1).put_string(b"a").put_i32(-2);
            w.put_bool(false);
        });
        assert_eq!(
            pairs(p, &[r#"[{"id":1,"name":"a","lv":"LOW"}]"#]),
            Ok(want.clone())
        );
        assert_eq!(json(p, r#"[{"id":1,"name":"a","lv":-2}]"#), Ok(want));
        assert_eq!(
            pairs(p, &["[]"]),
            Ok(xdr(|w| {
                w.put_bool(false);
            }))
        );
        let e = pairs(p, &["[]", "[]"]).unwrap_err();
        assert_eq!(
            e,
            "args: the argument is one value, not 2 (quote a value with spaces)"
        );
    });
    // rpcgen -N arguments: arg1, arg2.
    with(DEMO, 2, 1, |p| {
        let want = xdr(|w| {
            w.put_i32(3).put_i64(-5_000_000_000);
        });
        assert_eq!(pairs(p, &["arg1=3", "arg2=-5000000000"]), Ok(want.clone()));
        assert_eq!(
            json(p, r#"{"arg1":3,"arg2":-5000000000}"#),
            Ok(want.clone())
        );
        assert_eq!(json(p, "[3,-5000000000]"), Ok(want));
        let e = pairs(p, &["arg3=1"]).unwrap_err();
        assert_eq!(
            e,
            "args: no argument \"arg3\" (they are arg1 int, arg2 hyper)"
        );
        let e = pairs(p, &["arg1=x", "arg2=1"]).unwrap_err();
        assert_eq!(e, "args.arg1: expected an integer, got \"x\"");
    });
    // A string argument alone (rpcbind UADDR2TADDR).
    with(100000, 3, 7, |p| {
        let want = xdr(|w| {
            w.put_string(b"127.0.0.1.0.111");
        });
        assert_eq!(pairs(p, &["127.0.0.1.0.111"]), Ok(want));
    });
}

#[test]
fn integers_in_decimal_and_hex() {
    assert_eq!(integer("12"), Some(Json::from(12)));
    assert_eq!(integer("-0x10"), Some(Json::from(-16)));
    assert_eq!(integer("0XFF"), Some(Json::from(255)));
    assert_eq!(integer("18446744073709551615"), Some(Json::from(u64::MAX)));
    assert_eq!(integer("18446744073709551616"), None);
    assert_eq!(integer("1e3"), None);
    assert_eq!(integer(""), None);
    assert_eq!(integer("+1"), None);
    assert_eq!(parse_hex("00 00 00 0a"), Some(vec![0, 0, 0, 10]));
    assert_eq!(parse_hex("abc"), None);
    assert_eq!(parse_hex("zz"), None);
}
