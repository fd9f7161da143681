//! Tests for `opaque_auth` and every credential flavor: parse + emit round
//! trips from RFC-style byte arrays, and each error path.

use super::*;
use crate::rpc::error::RpcErrorKind;

fn limits() -> Limits {
    Limits::default()
}

/// Decode `body` as `flavor`, re-emit it, and require the same bytes.
fn round_trip(flavor: AuthFlavor, body: &[u8]) -> Auth<'_> {
    let opaque = OpaqueAuth { flavor, body };
    let auth = opaque.decode_cred().unwrap();
    assert_eq!(auth.flavor(), flavor);
    let mut buf = Vec::new();
    let again = auth.to_opaque(&mut buf, &limits()).unwrap();
    assert_eq!(again, opaque);
    auth
}

#[rustfmt::skip]
const AUTH_SYS_BODY: &[u8] = &[
    0x5f, 0x00, 0x00, 0x01,          // stamp
    0, 0, 0, 5,                      // machinename length 5
    b'h', b'o', b's', b't', b'1',    // "host1"
    0, 0, 0,                         //   padding
    0, 0, 0x03, 0xe8,                // uid 1000
    0, 0, 0x00, 0x64,                // gid 100
    0, 0, 0, 2,                      // gids count 2
    0, 0, 0, 10,                     //   gid 10
    0, 0, 0, 20,                     //   gid 20
];

#[test]
fn opaque_auth_read_and_emit() {
    #[rustfmt::skip]
    let wire = [
        0, 0, 0, 1,             // flavor AUTH_SYS
        0, 0, 0, 3,             // length 3
        1, 2, 3, 0,             // body + 1 pad
    ];
    let mut r = XdrReader::new(&wire);
    let a = OpaqueAuth::read(&mut r, &limits(), AuthRole::Cred).unwrap();
    assert_eq!(
        a,
        OpaqueAuth {
            flavor: AuthFlavor::SYS,
            body: &[1, 2, 3]
        }
    );
    assert_eq!(a.encoded_len(), wire.len());
    let mut out = Vec::new();
    a.emit(&mut XdrWriter::new(&mut out));
    assert_eq!(out, wire);
}

#[test]
fn opaque_auth_over_max_auth_bytes_is_too_large() {
    // flavor AUTH_NONE, length 401
    let wire = [0, 0, 0, 0, 0, 0, 0x01, 0x91];
    let e = OpaqueAuth::read(&mut XdrReader::new(&wire), &limits(), AuthRole::Verf).unwrap_err();
    assert_eq!(e, RpcError::too_large("verf.length", 4, 401, 400));
}

#[test]
fn auth_none_and_tls_round_trip_and_reject_a_body() {
    assert_eq!(round_trip(AuthFlavor::NONE, &[]), Auth::None);
    assert_eq!(round_trip(AuthFlavor::TLS, &[]), Auth::Tls);
    let e = OpaqueAuth {
        flavor: AuthFlavor::TLS,
        body: &[0, 0, 0, 0],
    }
    .decode_cred()
    .unwrap_err();
    assert_eq!(e, RpcError::invalid("cred.body", 0, 4u32));
    assert!(OpaqueAuth::STARTTLS.is_starttls());
    assert!(!OpaqueAuth::NONE.is_starttls());
}

#[test]
fn auth_sys_round_trip_zero_copy() {
    let auth = round_trip(AuthFlavor::SYS, AUTH_SYS_BODY);
    let Auth::Sys(sys) = auth else {
        panic!("not sys: {auth:?}")
    };
    assert_eq!(sys.stamp, 0x5f00_0001);
    assert_eq!(sys.machine_name, b"host1");
    assert_eq!((sys.uid, sys.gid), (1000, 100));
    assert_eq!(sys.gids().collect::<Vec<_>>(), [10, 20]);
    // The parsed view equals one built from a slice.
    assert_eq!(
        sys,
        AuthSys::new(0x5f00_0001, b"host1", 1000, 100, &[10, 20])
    );
    assert_ne!(sys, AuthSys::new(0x5f00_0001, b"host1", 1000, 100, &[10]));
}

#[test]
fn auth_sys_gids_cap_applies_to_emit_only() {
    let gids: Vec<u32> = (0..17).collect();
    let sys = AuthSys::new(1, b"h", 0, 0, &gids);
    let mut buf = Vec::new();
    let e = Auth::Sys(sys).to_opaque(&mut buf, &limits()).unwrap_err();
    assert_eq!(e.kind, RpcErrorKind::TooLarge { value: 17, max: 16 });
    assert_eq!(e.field, "cred.body.gids");
    // The same credential arriving from a capture decodes.
    let mut body = Vec::new();
    XdrWriter::new(&mut body)
        .put_u32(1)
        .put_string(b"h")
        .put_u32(0)
        .put_u32(0)
        .put_u32_array(gids.iter().copied());
    let parsed = OpaqueAuth {
        flavor: AuthFlavor::SYS,
        body: &body,
    }
    .decode_cred()
    .unwrap();
    let Auth::Sys(parsed) = parsed else { panic!() };
    assert_eq!(parsed.gids().len(), 17);
}

#[test]
fn auth_sys_long_machine_name() {
    let name = [b'a'; 256];
    let mut buf = Vec::new();
    let e = Auth::Sys(AuthSys::new(0, &name, 0, 0, &[]))
        .to_opaque(&mut buf, &limits())
        .unwrap_err();
    assert_eq!(e.field, "cred.body.machinename");
    let mut body = Vec::new();
    XdrWriter::new(&mut body).put_u32(0).put_string(&name);
    let e = OpaqueAuth {
        flavor: AuthFlavor::SYS,
        body: &body,
    }
    .decode_cred()
    .unwrap_err();
    assert_eq!(e, RpcError::too_large("cred.body.machinename", 4, 256, 255));
}

#[test]
fn auth_sys_truncated_at_every_offset() {
    for cut in 0..AUTH_SYS_BODY.len() {
        let e = OpaqueAuth {
            flavor: AuthFlavor::SYS,
            body: &AUTH_SYS_BODY[..cut],
        }
        .decode_cred()
        .unwrap_err();
        assert!(e.is_truncated(), "cut {cut}: {e}");
        assert!(e.field.starts_with("cred.body."), "cut {cut}: {e}");
    }
}

#[test]
fn auth_sys_trailing_bytes_are_invalid() {
    let mut body = AUTH_SYS_BODY.to_vec();
    body.extend_from_slice(&[0, 0, 0, 0]);
    let e = OpaqueAuth {
        flavor: AuthFlavor::SYS,
        body: &body,
    }
    .decode_cred()
    .unwrap_err();
    assert_eq!(e, RpcError::invalid("cred.body", AUTH_SYS_BODY.len(), 4u32));
}

#[test]
fn auth_short_and_other_round_trip() {
    assert_eq!(
        round_trip(AuthFlavor::SHORT, &[1, 2, 3, 4]),
        Auth::Short(&[1, 2, 3, 4])
    );
    let other = round_trip(AuthFlavor(390_003), &[9, 9, 9, 9]);
    assert_eq!(
        other,
        Auth::Other {
            flavor: AuthFlavor(390_003),
            body: &[9, 9, 9, 9]
        }
    );
}

#[test]
fn auth_dh_fullname_and_nickname_round_trip() {
    #[rustfmt::skip]
    let fullname = [
        0, 0, 0, 0,                                  // namekind ADN_FULLNAME
        0, 0, 0, 6,                                  // name length 6
        b'u', b'n', b'i', b'x', b'.', b'1', 0, 0,    // "unix.1" + pad
        1, 2, 3, 4, 5, 6, 7, 8,                      // key (des_block)
        9, 10, 11, 12,                               // w1
    ];
    let dh = round_trip(AuthFlavor::DH, &fullname);
    assert_eq!(
        dh,
        Auth::Dh(AuthDh::Fullname {
            name: b"unix.1",
            key: [1, 2, 3, 4, 5, 6, 7, 8],
            window: [9, 10, 11, 12]
        })
    );
    #[rustfmt::skip]
    let nickname = [
        0, 0, 0, 1,             // namekind ADN_NICKNAME
        0, 0, 0, 42,            // nickname
    ];
    assert_eq!(
        round_trip(AuthFlavor::DH, &nickname),
        Auth::Dh(AuthDh::Nickname(42))
    );
    let e = OpaqueAuth {
        flavor: AuthFlavor::DH,
        body: &[0, 0, 0, 2],
    }
    .decode_cred()
    .unwrap_err();
    assert_eq!(e, RpcError::invalid("cred.body.namekind", 0, 2u32));
}

#[test]
fn gss_cred_round_trip() {
    #[rustfmt::skip]
    let body = [
        0, 0, 0, 1,             // version RPCSEC_GSS_VERS_1
        0, 0, 0, 0,             // gss_proc RPCSEC_GSS_DATA
        0, 0, 0, 7,             // seq_num 7
        0, 0, 0, 2,             // service rpc_gss_svc_integrity
        0, 0, 0, 4,             // handle length 4
        0xca, 0xfe, 0xba, 0xbe, // handle
    ];
    let auth = round_trip(AuthFlavor::RPCSEC_GSS, &body);
    assert_eq!(
        auth,
        Auth::Gss(GssCred {
            version: 1,
            gss_proc: GssProc::DATA,
            seq_num: 7,
            service: GssService::INTEGRITY,
            handle: &[0xca, 0xfe, 0xba, 0xbe],
        })
    );
    let e = OpaqueAuth {
        flavor: AuthFlavor::RPCSEC_GSS,
        body: &[0, 0, 0, 2],
    }
    .decode_cred()
    .unwrap_err();
    assert_eq!(e, RpcError::invalid("cred.body.version", 0, 2u32));
}

#[test]
fn emit_body_over_max_auth_bytes_is_too_large() {
    let big = [0u8; 404];
    let mut buf = Vec::new();
    let e = Auth::Short(&big)
        .to_opaque(&mut buf, &limits())
        .unwrap_err();
    assert_eq!(
        e.kind,
        RpcErrorKind::TooLarge {
            value: 404,
            max: 400
        }
    );
    let mut out = vec![1];
    assert!(Auth::Short(&big).emit_body(&mut out, &limits()).is_err());
    assert_eq!(out, [1], "a failed emit leaves the output as it was");
}
