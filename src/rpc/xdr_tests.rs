//! Tests for the XDR reader and writer: every primitive round-trips, and
//! every error path reports the right kind, field and offset.

use super::*;
use crate::rpc::error::RpcErrorKind;

#[test]
fn primitives_round_trip() {
    let mut buf = Vec::new();
    XdrWriter::new(&mut buf)
        .put_u32(0xdead_beef)
        .put_i32(-2)
        .put_u64(0x0102_0304_0506_0708)
        .put_i64(-3)
        .put_bool(true)
        .put_enum(crate::rpc::ids::AcceptStat::GARBAGE_ARGS)
        .put_opaque_fixed(b"abcde")
        .put_opaque_var(b"xy")
        .put_string(b"host")
        .put_u32_array([1u32, 2, 3].into_iter())
        .put_optional(Some(&9u32), |w, v| {
            w.put_u32(*v);
        })
        .put_optional(None::<&u32>, |w, v| {
            w.put_u32(*v);
        })
        .put_array(&[5u32, 6], |w, v| {
            w.put_u32(*v);
        });
    #[rustfmt::skip]
    let expect: &[u8] = &[
        0xde, 0xad, 0xbe, 0xef,                         // u32
        0xff, 0xff, 0xff, 0xfe,                         // i32 -2
        1, 2, 3, 4, 5, 6, 7, 8,                         // u64
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, // i64 -3
        0, 0, 0, 1,                                     // bool true
        0, 0, 0, 4,                                     // enum GARBAGE_ARGS
        b'a', b'b', b'c', b'd', b'e', 0, 0, 0,          // opaque[5] + 3 pad
        0, 0, 0, 2, b'x', b'y', 0, 0,                   // opaque<> len 2 + 2 pad
        0, 0, 0, 4, b'h', b'o', b's', b't',             // string<> len 4, no pad
        0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, // u32 array of 3
        0, 0, 0, 1, 0, 0, 0, 9,                         // optional: present, 9
        0, 0, 0, 0,                                     // optional: absent
        0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 6,             // array of 2
    ];
    assert_eq!(buf, expect);

    let mut r = XdrReader::new(&buf);
    assert_eq!(r.u32("a").unwrap(), 0xdead_beef);
    assert_eq!(r.i32("b").unwrap(), -2);
    assert_eq!(r.u64("c").unwrap(), 0x0102_0304_0506_0708);
    assert_eq!(r.i64("d").unwrap(), -3);
    assert!(r.bool("e").unwrap());
    let stat: crate::rpc::ids::AcceptStat = r.enumeration("f").unwrap();
    assert_eq!(stat, crate::rpc::ids::AcceptStat::GARBAGE_ARGS);
    assert_eq!(r.opaque_fixed(5, "g").unwrap(), b"abcde");
    assert_eq!(r.opaque_var(2, "h").unwrap(), b"xy");
    assert_eq!(r.string(255, "i").unwrap(), b"host");
    let arr = r.u32_array(16, "j").unwrap();
    assert_eq!(arr.iter().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(arr.len(), 3);
    assert_eq!(r.optional("k", |r| r.u32("k.v")).unwrap(), Some(9));
    assert_eq!(r.optional("l", |r| r.u32("l.v")).unwrap(), None);
    assert_eq!(r.array(4, "m", |r| r.u32("m.e")).unwrap(), [5, 6]);
    assert!(r.is_empty());
    assert_eq!(r.position(), buf.len());
}

#[test]
fn truncated_reports_missing_bytes_and_offset() {
    let wire = [0, 0, 0, 1, 0, 0];
    let mut r = XdrReader::new(&wire);
    r.u32("first").unwrap();
    let e = r.u32("second").unwrap_err();
    assert_eq!(e, RpcError::truncated("second", 4, 2));
    // The cursor does not move on error.
    assert_eq!(r.position(), 4);
}

#[test]
fn opaque_missing_padding_is_truncated() {
    // length 1, one data byte, padding absent
    let wire = [0, 0, 0, 1, b'a'];
    let e = XdrReader::new(&wire).opaque_var(10, "o").unwrap_err();
    assert_eq!(e.kind, RpcErrorKind::Truncated { needed: 3 });
    assert_eq!(e.offset, 5);
}

#[test]
fn huge_lengths_are_too_large_without_allocating() {
    let wire = [0xff, 0xff, 0xff, 0xff];
    let e = XdrReader::new(&wire)
        .opaque_var(400, "cred.length")
        .unwrap_err();
    assert_eq!(e, RpcError::too_large("cred.length", 0, 0xffff_ffff, 400));
    let e = XdrReader::new(&wire)
        .array(16, "gids", |r| r.u32("gid"))
        .unwrap_err();
    assert_eq!(
        e.kind,
        RpcErrorKind::TooLarge {
            value: 0xffff_ffff,
            max: 16
        }
    );
    // Within the cap but past the input: truncated, and the pre-allocation
    // was bounded by the (empty) input.
    let e = XdrReader::new(&wire)
        .array(u32::MAX, "a", |r| r.u32("e"))
        .unwrap_err();
    assert!(e.is_truncated());
    let e = XdrReader::new(&wire).u32_array(u32::MAX, "a").unwrap_err();
    assert!(e.is_truncated());
}

#[test]
fn bad_bool_is_invalid() {
    let e = XdrReader::new(&[0, 0, 0, 2]).bool("flag").unwrap_err();
    assert_eq!(e, RpcError::invalid("flag", 0, 2u32));
}

#[test]
fn padding_lenient_by_default_strict_on_request() {
    // length 1, 'a', padding 0x00 0x07 0x00
    let wire = [0, 0, 0, 1, b'a', 0, 7, 0];
    assert_eq!(XdrReader::new(&wire).opaque_var(4, "o").unwrap(), b"a");
    let e = XdrReader::new(&wire)
        .strict()
        .opaque_var(4, "o")
        .unwrap_err();
    assert_eq!(e, RpcError::invalid("o", 5, 7u8));
}

#[test]
fn with_base_shifts_offsets_and_rest_consumes() {
    let mut r = XdrReader::with_base(&[1, 2], 100);
    assert_eq!(r.u32("x").unwrap_err().offset, 100);
    assert_eq!(r.rest(), &[1, 2]);
    assert!(r.is_empty());
    assert_eq!(padded(5), 8);
    assert_eq!(pad_len(8), 0);
}

#[test]
fn xdr_buf_pads_like_the_writer_and_reads_back() {
    let b = XdrBuf::new()
        .u32(7)
        .opaque(b"abcde")
        .fixed(b"xy")
        .u64(1 << 40)
        .done();
    assert_eq!(b.len(), 4 + 4 + 8 + 4 + 8);
    let mut r = XdrReader::new(&b);
    assert_eq!(r.u32("a").unwrap(), 7);
    assert_eq!(r.opaque_var(16, "b").unwrap(), b"abcde");
    assert_eq!(r.opaque_fixed(2, "c").unwrap(), b"xy");
    assert_eq!(r.u64("d").unwrap(), 1 << 40);
    assert!(r.is_empty());
}
