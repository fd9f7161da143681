use super::*;
use crate::limits::Limits;
use crate::programs::json::{body_to_json, body_to_json_with, JsonOptions};
use crate::programs::nfs4::testdata::{dir_attrs, X};
use crate::programs::registry::{Registry, VersionEntry};
use crate::programs::value::{decode, encode, from_json_with};

fn nfs4() -> std::sync::Arc<Registry> {
    Registry::builtin()
}

fn v4(r: &Registry) -> &VersionEntry {
    r.version(100003, 4).unwrap()
}

fn ty(e: &VersionEntry, name: &str) -> TypeId {
    e.schema().lookup(name).unwrap()
}

/// `body` as `ty` in JSON, with bags or without.
fn json(e: &VersionEntry, name: &str, body: &[u8], bags: bool) -> String {
    let mut out = Vec::new();
    let opts = JsonOptions::new(e.roles(), &Limits::default());
    let limits = WalkLimits::from(&Limits::default());
    let b = BodyBytes::whole(body);
    let err = if bags {
        body_to_json_with(
            e.schema(),
            e.bags(),
            &[ty(e, name)],
            &b,
            &opts,
            &limits,
            &mut out,
        )
    } else {
        body_to_json(e.schema(), &[ty(e, name)], &b, &opts, &limits, &mut out)
    };
    assert_eq!(err, None, "{name}");
    String::from_utf8(out).unwrap()
}

/// An fattr4 with `mask` words and `vals` bytes.
fn fattr(mask: &[u32], vals: &[u8]) -> Vec<u8> {
    let mut x = X::new().u32(mask.len() as u32);
    for &w in mask {
        x = x.u32(w);
    }
    x.opaque(vals).done()
}

#[test]
fn every_nfs4_attribute_number_has_its_type() {
    let r = nfs4();
    let e = v4(&r);
    let bag = e.bags().get(e.schema(), ty(e, "fattr4")).expect("fattr4");
    let named: Vec<(usize, &str)> = bag
        .attrs
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().map(|a| (i, a.name.as_str())))
        .collect();
    // RFC 7863 numbers 0..=80, RFC 8275 81, RFC 8276 82: all of them.
    assert_eq!(named.len(), 83);
    for (bit, name) in [
        (0, "supported_attrs"),
        (1, "type"),
        (4, "size"),
        (19, "filehandle"),
        (33, "mode"),
        (36, "owner"),
        (53, "time_modify"),
        (55, "mounted_on_fileid"),
        (75, "suppattr_exclcreat"),
        (80, "sec_label"),
        (82, "xattr_support"),
    ] {
        assert!(named.contains(&(bit, name)), "{bit} {name}");
    }
    // The callback program's schema is the same file: same bag.
    let cb = r.version(0x4000_0000, 1).unwrap();
    assert!(cb.bags().get(cb.schema(), ty(cb, "fattr4")).is_some());
    // NFSv3 has none.
    assert!(r.version(100003, 3).unwrap().bags().is_empty());
}

#[test]
fn attributes_render_by_name_in_bit_order() {
    let r = nfs4();
    let e = v4(&r);
    assert_eq!(
        json(e, "fattr4", &dir_attrs(), true),
        r#"{"attrmask":[1048594,2],"attr_vals":{"type":"NF4DIR","size":4096,"fileid":7,"mode":493}}"#
    );
    // Without bags, the RFC's shape: the values as hex.
    let plain = json(e, "fattr4", &dir_attrs(), false);
    assert!(plain.contains(r#""attr_vals":"00000002"#), "{plain}");
}

#[test]
fn text_handles_and_times_inside_attributes() {
    let r = nfs4();
    let e = v4(&r);
    // bit 19 filehandle, bit 36 owner (word 1 bit 4), 53 time_modify
    // (word 1 bit 21).
    let vals = X::new()
        .opaque(b"fh-bytes") // filehandle
        .opaque(b"root@example") // owner
        .u64(1_700_000_000) // time_modify.seconds
        .u32(5) // time_modify.nseconds
        .done();
    let body = fattr(&[1 << 19, (1 << 4) | (1 << 21)], &vals);
    let hash = crc32fast::hash(b"fh-bytes");
    assert_eq!(
        json(e, "fattr4", &body, true),
        format!(
            r#"{{"attrmask":[524288,2097168],"attr_vals":{{"filehandle":{{"hex":"66682d6279746573","hash":"{hash:#010x}"}},"owner":"root@example","time_modify":{{"seconds":1700000000,"nseconds":5}}}}}}"#
        )
    );
}

#[test]
fn what_does_not_decode_ends_the_object_with_its_bytes() {
    let r = nfs4();
    let e = v4(&r);
    // Bit 1 (type) then bit 100 (no such attribute): the rest is attr_100.
    let body = fattr(&[2, 0, 0, 1 << 4], &X::new().u32(1).u32(0xdead).done());
    assert_eq!(
        json(e, "fattr4", &body, true),
        r#"{"attrmask":[2,0,0,16],"attr_vals":{"type":"NF4REG","attr_100":"0000dead"}}"#
    );
    // A bool that is not 0 or 1 (bit 5 link_support): from it on, bytes.
    let body = fattr(&[(1 << 1) | (1 << 5)], &X::new().u32(1).u32(7).done());
    assert_eq!(
        json(e, "fattr4", &body, true),
        r#"{"attrmask":[34],"attr_vals":{"type":"NF4REG","attr_5":"00000007"}}"#
    );
    // A value cut short (size needs 8 bytes).
    let body = fattr(&[1 << 4], &X::new().u32(1).done());
    assert_eq!(
        json(e, "fattr4", &body, true),
        r#"{"attrmask":[16],"attr_vals":{"attr_4":"00000001"}}"#
    );
    // Bytes left after the last attribute.
    let body = fattr(&[2], &X::new().u32(2).u32(9).done());
    assert_eq!(
        json(e, "fattr4", &body, true),
        r#"{"attrmask":[2],"attr_vals":{"type":"NF4DIR","undecoded":"00000009"}}"#
    );
    // No bits, no values.
    assert_eq!(
        json(e, "fattr4", &fattr(&[], &[]), true),
        r#"{"attrmask":[],"attr_vals":{}}"#
    );
}

#[test]
fn attribute_values_not_all_captured_stay_opaque() {
    let r = nfs4();
    let e = v4(&r);
    let body = dir_attrs();
    let cut = BodyBytes {
        data: &body[..body.len() - 4],
        len: body.len() as u64,
        missing: crate::programs::walk::Missing::Snaplen,
    };
    let mut out = Vec::new();
    let opts = JsonOptions::new(e.roles(), &Limits::default());
    let err = body_to_json_with(
        e.schema(),
        e.bags(),
        &[ty(e, "fattr4")],
        &cut,
        &opts,
        &WalkLimits::from(&Limits::default()),
        &mut out,
    );
    assert_eq!(err, None, "the opaque's end is within the body's length");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"attrmask":[1048594,2],"attr_vals":{"len":24}}"#
    );
}

#[test]
fn expansion_shares_the_node_budget() {
    let r = nfs4();
    let e = v4(&r);
    // A READDIR listing (dirlist4) of 2000 entries, each with an ACL of 10
    // entries (about 60 events a bag): with a budget of 40000 events,
    // later bags are left as bytes but the walk goes on to the end.
    let mut acl = X::new().u32(1).u32(10); // type NF4REG; acl<> count
    for _ in 0..10 {
        acl = acl.u32(0).u32(0).u32(1).opaque(b"x"); // nfsace4
    }
    let one = fattr(&[(1 << 1) | (1 << 12)], &acl.done());
    let mut x = X::new();
    for i in 0..2000u64 {
        x = x
            .u32(1) // entries / nextentry: present
            .u64(i) // cookie
            .opaque(b"f") // name
            .bytes(&one); // attrs
    }
    let body = x.u32(0).u32(1).done(); // no more entries; eof
    let limits = WalkLimits {
        max_depth: 64,
        max_nodes: 40_000,
    };
    let mut out = Vec::new();
    let opts = JsonOptions::new(e.roles(), &Limits::default());
    let err = body_to_json_with(
        e.schema(),
        e.bags(),
        &[ty(e, "dirlist4")],
        &BodyBytes::whole(&body),
        &opts,
        &limits,
        &mut out,
    );
    assert_eq!(err, None);
    let text = String::from_utf8(out).unwrap();
    let decoded = text.matches(r#""type":"NF4REG""#).count();
    let raw = text.matches(r#""attr_1":"#).count();
    assert!(decoded > 100, "{decoded} decoded");
    assert_eq!(decoded + raw, 2000, "every bag is shown, decoded or not");
    assert!(raw > 0, "the budget ran out");
    assert!(text.ends_with(r#"],"eof":true}"#));
}

#[test]
fn file_layouts_render_as_their_type() {
    let r = nfs4();
    let e = v4(&r);
    let inner = X::new()
        .fixed(&[9; 16]) // nfl_deviceid
        .u32(0x10000) // nfl_util
        .u32(0) // nfl_first_stripe_index
        .u64(0) // nfl_pattern_offset
        .u32(1) // nfl_fh_list<> count
        .opaque(b"ds-fh") // nfl_fh_list[0]
        .done();
    let body = X::new().u32(1).opaque(&inner).done(); // LAYOUT4_NFSV4_1_FILES
    let hash = crc32fast::hash(b"ds-fh");
    assert_eq!(
        json(e, "layout_content4", &body, true),
        format!(
            r#"{{"loc_type":"LAYOUT4_NFSV4_1_FILES","loc_body":{{"nfl_deviceid":"09090909090909090909090909090909","nfl_util":65536,"nfl_first_stripe_index":0,"nfl_pattern_offset":0,"nfl_fh_list":[{{"hex":"64732d6668","hash":"{hash:#010x}"}}]}}}}"#
        )
    );
    // Another layout type, or a body that does not decode exactly: hex.
    let other = X::new().u32(4).opaque(&inner).done(); // LAYOUT4_FLEX_FILES
    assert!(json(e, "layout_content4", &other, true).contains(r#""loc_body":"09"#));
    let short = X::new().u32(1).opaque(&inner[..20]).done();
    assert!(json(e, "layout_content4", &short, true).contains(r#""loc_body":"09"#));
}

#[test]
fn the_decoded_form_reads_back_to_the_same_bytes() {
    let r = nfs4();
    let e = v4(&r);
    let vals = X::new()
        .u32(1) // type NF4REG
        .u64(30) // size
        .opaque(b"fh") // filehandle (bit 19)
        .u32(0o644) // mode (bit 33)
        .opaque(b"nobody") // owner (bit 36)
        .done();
    for (body, name) in [
        (dir_attrs(), "fattr4"),
        (
            fattr(&[(1 << 1) | (1 << 4) | (1 << 19), 2 | 16], &vals),
            "fattr4",
        ),
        (
            fattr(&[2, 0, 0, 16], &X::new().u32(1).u32(0xdead).done()),
            "fattr4",
        ),
        (fattr(&[2], &X::new().u32(2).u32(9).done()), "fattr4"),
    ] {
        let text = json(e, name, &body, true);
        let j: serde_json::Value = serde_json::from_str(&text).unwrap();
        let t = ty(e, name);
        let v = from_json_with(e.schema(), t, &j, e.roles(), e.bags())
            .unwrap_or_else(|err| panic!("{text}: {err}"));
        let mut again = Vec::new();
        encode(e.schema(), t, &v, &mut again).unwrap();
        assert_eq!(again, body, "{text}");
        let back = decode(
            e.schema(),
            &[t],
            &BodyBytes::whole(&body),
            &WalkLimits::from(&Limits::default()),
        )
        .unwrap();
        assert_eq!(back, v);
    }
    // A bitmap that disagrees with the attributes given is refused.
    let j = serde_json::json!({"attrmask": [3], "attr_vals": {"type": "NF4DIR"}});
    let err = from_json_with(e.schema(), ty(e, "fattr4"), &j, e.roles(), e.bags()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attrmask: the bitmap does not match the attributes given"
    );
    let j = serde_json::json!({"attr_vals": {"colour": 1}});
    let err = from_json_with(e.schema(), ty(e, "fattr4"), &j, e.roles(), e.bags()).unwrap_err();
    assert_eq!(err.to_string(), "attr_vals: unknown attribute \"colour\"");
    // Without a bitmap it is computed from the names.
    let j = serde_json::json!({"attr_vals": {"mode": 420, "type": "NF4REG"}});
    let v = from_json_with(e.schema(), ty(e, "fattr4"), &j, e.roles(), e.bags()).unwrap();
    let mut b = Vec::new();
    encode(e.schema(), ty(e, "fattr4"), &v, &mut b).unwrap();
    assert_eq!(b, fattr(&[2, 2], &X::new().u32(1).u32(0o644).done()));
}

#[test]
fn user_constants_past_the_bound_make_no_table() {
    let text = "const FATTR4_HUGE = 1000000; const FATTR4_SMALL = 3;
        typedef unsigned int fattr4_huge; typedef unsigned int fattr4_small;
        typedef unsigned int bitmap4<>; typedef opaque attrlist4<>;
        struct fattr4 { bitmap4 attrmask; attrlist4 attr_vals; };
        program P { version V { fattr4 GET(void) = 1; } = 4; } = 100003;";
    let schema = crate::programs::idl::parse(text, "user.x").unwrap();
    let mut roles = Roles::new();
    let spec = crate::programs::semantics::NFS.bags;
    let bags = Bags::build(spec, &[], &schema, &mut roles);
    let bag = bags.get(&schema, schema.lookup("fattr4").unwrap()).unwrap();
    assert_eq!(bag.attrs.len(), 4);
    assert_eq!(
        bag.attrs[3].as_ref().map(|a| a.name.as_str()),
        Some("small")
    );
}
